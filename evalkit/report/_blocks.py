"""Report blocks live in :mod:`evalkit.blocks` (shared base), so result objects in
``evalkit.analysis`` can describe their tables without importing the report package."""
from evalkit.blocks import Block, Bullets, Code, Figure, Heading, PageBreak, Paragraph, Table, TableSpec

__all__ = ["TableSpec", "Heading", "Paragraph", "Bullets", "Table", "Figure", "PageBreak", "Code", "Block"]
