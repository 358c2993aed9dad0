"""Reading files into canonical tables: the reader, the column mapping and the loaders.

``io`` never computes statistics; every loader runs the privacy gate and
records row accounting (see :mod:`evalkit.provenance`).
"""
from evalkit.io.decisions import load_decisions, load_orders, load_visits
from evalkit.io.read import RawTable, ReadInfo, parse_dates, parse_numbers, read_raw, read_table

__all__ = ["read_table", "read_raw", "parse_numbers", "parse_dates", "RawTable", "ReadInfo",
           "load_decisions", "load_orders", "load_visits"]
