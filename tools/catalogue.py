"""Maintain evalkit's message catalogues ``evalkit/locale/{sv,nb,en}.toml``.

Every sentence and label a reader sees lives in one catalogue per language: a
TOML file with one table per namespace (``[labels]``, ``[its]``, ``[did]`` …),
each key a :meth:`str.format` template. Code looks wording up with
``evalkit.i18n.translator("namespace")`` (falling back to ``[labels]``) or
``evalkit.i18n.label(key, language)`` for ``[labels]``.

Commands
--------
``python tools/catalogue.py migrate evalkit.module:NAME namespace [--rewrite] [--replace]``
    Move a wording dict that a module still defines in the old style into the
    three catalogues, under ``[namespace]``. The shapes understood (nestable):

    * ``{key: {"sv": str, "nb": str, "en": str}}`` — the usual one;
    * ``{"sv": {key: str}, "nb": {…}, "en": {…}}`` — one table per language;
    * ``{key: ("sv text", "nb text", "en text")}`` — tuples in sv, nb, en order;
    * ``{"sv": [str, …], "nb": […], "en": […]}`` — lists of equal length (keys ``0``, ``1`` …);
    * ``{"sv": str, "nb": str, "en": str}`` — a single entry; its key is the
      namespace-local key given by ``--key`` (default: NAME lower-cased);
    * any mapping of the above: nested keys are joined with a dot
      (``{"what": {"visits": {"sv": …}}}`` becomes key ``what.visits``).

    ``--prefix P`` puts every key under ``P.`` (several dicts of one module in one namespace);
    ``i18n.words(namespace, language, "P")`` gives them back as ``{key: text}`` without the prefix,
    so ``_TEXT[language]`` becomes ``i18n.words("ns", language, "text")``.

    A key already in the namespace is an error unless ``--replace`` is given
    (so two helpers' dicts never overwrite each other silently). With
    ``--rewrite`` the script also edits the module: it deletes the assignment
    of NAME and turns ``translator(NAME)`` into ``translator("namespace")``;
    any other use of NAME left in the module is printed with its line number to
    be switched by hand (e.g. ``NAME["what"][kind][language]`` becomes
    ``_t(f"what.{kind}", language)``). Run ``check`` and the module's tests
    afterwards.

``python tools/catalogue.py inline evalkit.module namespace``
    Move the wording written in place — ``{"sv": f"…{x}…", "nb": …, "en": …}[language]`` — into
    ``[namespace]``: each such expression becomes ``i18n.text("namespace", "<key>", language, x=x)``,
    the f-string fields turned into named placeholders (a name, attribute or string subscript gives its
    own name, ``fmt_int(n, language)`` the name of its first argument, anything else ``v1``, ``v2`` …).
    Keys are named after the enclosing function (``sentences``, ``sentences_2`` …). A site whose
    languages use different fields, or that is not subscripted directly, is left and listed.

``python tools/catalogue.py check``
    Exit 1 (listing every problem) unless the three catalogues have the same
    namespaces and keys, each key has the same ``{placeholders}`` in every
    language, and no value is empty.

The catalogues are rewritten whole by ``migrate`` (namespaces and keys keep
their order; new ones are appended), so edit them by hand or by this script,
but keep the header comment in :data:`HEADER` — it is what translators read.
"""
from __future__ import annotations

import argparse
import ast
import importlib
import re
import string
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "evalkit" / "locale"
LANGUAGES = ("sv", "nb", "en")
_NAME = {"sv": "svenska (Swedish)", "nb": "norsk bokmål (Norwegian Bokmål)", "en": "English"}

HEADER = """\
# evalkit message catalogue: {name}.
#
# One table per namespace ([labels] is shared by all; the others belong to one part of evalkit).
# Each value is a Python str.format template:
#   * {{name}} is a placeholder filled in by evalkit: keep every placeholder of a key, spelt exactly as
#     here, in your translation (the order may change); write a literal brace as {{{{ or }}}}.
#   * Keys (left of "=") are never translated. sv.toml, nb.toml and en.toml must have the same keys;
#     `python tools/catalogue.py check` says what differs.
# Typography (see evalkit/i18n.py): numbers, dates, percentages and intervals are formatted by
# evalkit before they are put into a placeholder, so write no number formats here. In sv and nb use
# typographic quotes (”…” in sv, «…» in nb), an en dash (–) for ranges and U+00A0 before "%";
# in en use “…”. Write whole sentences with their full stop where the key is a sentence.
"""

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


# ----------------------------------------------------------------------------- reading and writing
def load(language: str, locale: Path | None = None) -> dict[str, dict[str, str]]:
    """The catalogue of ``language`` as ``{namespace: {key: text}}`` (empty if the file is absent)."""
    locale = locale or LOCALE
    path = locale / f"{language}.toml"
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def _quote(text: str) -> str:
    """A TOML basic string (escapes as TOML 1.0 §String)."""
    out = []
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04X}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _key(key: str) -> str:
    return key if _BARE_KEY.match(key) else _quote(key)


def dumps(catalogue: Mapping[str, Mapping[str, str]], language: str) -> str:
    """The TOML text of a catalogue: :data:`HEADER`, then one table per namespace."""
    lines = [HEADER.format(name=_NAME[language]).rstrip("\n")]
    for namespace, entries in catalogue.items():
        lines += ["", f"[{_key(namespace)}]"]
        lines += [f"{_key(k)} = {_quote(v)}" for k, v in entries.items()]
    return "\n".join(lines) + "\n"


def save(language: str, catalogue: Mapping[str, Mapping[str, str]], locale: Path | None = None) -> None:
    locale = locale or LOCALE
    text = dumps(catalogue, language)
    if tomllib.loads(text) != {ns: dict(e) for ns, e in catalogue.items()}:  # the writer must round-trip
        raise RuntimeError(f"catalogue {language} does not round-trip through TOML")
    locale.mkdir(parents=True, exist_ok=True)
    tmp = locale / f".{language}.toml.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(locale / f"{language}.toml")


# ----------------------------------------------------------------------------- flattening old dicts
def flatten(words, key: str | None = None, where: str = "") -> dict[str, dict[str, str]]:
    """``{key: {language: text}}`` from any of the shapes listed in the module docstring.

    Raises ValueError naming the path of a value that is not wording.
    """
    if isinstance(words, tuple) and len(words) == len(LANGUAGES) and all(isinstance(w, str) for w in words):
        return {key: dict(zip(LANGUAGES, words))} if key else _not_wording(words, where)
    if not isinstance(words, Mapping) or not words:
        return _not_wording(words, where)
    if set(words) == set(LANGUAGES):
        if all(isinstance(v, str) for v in words.values()):
            if key is None:
                raise ValueError(f"{where or 'the dict'} is a single entry: give its key with --key")
            return {key: {lang: words[lang] for lang in LANGUAGES}}
        if all(isinstance(v, list) and all(isinstance(x, str) for x in v) for v in words.values()) and \
                len({len(v) for v in words.values()}) == 1:  # one list per language: keys 0, 1, …
            return flatten({str(i): {lang: words[lang][i] for lang in LANGUAGES}
                            for i in range(len(words[LANGUAGES[0]]))}, key, where)
        if all(isinstance(v, Mapping) for v in words.values()):  # one table per language: transpose
            keys = list(dict.fromkeys(k for lang in LANGUAGES for k in words[lang]))
            return flatten({k: {lang: words[lang].get(k) for lang in LANGUAGES} for k in keys}, key, where)
    if set(words) & set(LANGUAGES) and all(isinstance(v, (str, type(None))) for v in words.values()):
        missing = [lang for lang in LANGUAGES if not isinstance(words.get(lang), str)]
        raise ValueError(f"{where or key}: no text in {', '.join(missing)}")
    out: dict[str, dict[str, str]] = {}
    for sub, value in words.items():
        name = f"{key}.{sub}" if key else str(sub)
        out.update(flatten(value, name, f"{where}[{sub!r}]"))
    return out


def _not_wording(value, where: str):
    raise ValueError(f"{where or 'the dict'}: {type(value).__name__} {value!r:.60} is not wording "
                     f"(expected {{'sv': …, 'nb': …, 'en': …}}, a table per language or a 3-tuple)")


def merge(namespace: str, entries: Mapping[str, Mapping[str, str]], *, replace: bool = False,
          locale: Path | None = None) -> int:
    """Add ``entries`` to ``[namespace]`` of all three catalogues; returns how many keys were added."""
    locale = locale or LOCALE
    if not re.fullmatch(r"[a-z][a-z0-9_]*", namespace):
        raise ValueError(f"namespace {namespace!r}: use lower-case letters, digits and _")
    catalogues = {lang: load(lang, locale) for lang in LANGUAGES}
    clashes = [k for k in entries if any(k in catalogues[lang].get(namespace, {}) for lang in LANGUAGES)]
    same = [k for k in clashes
            if all(catalogues[lang].get(namespace, {}).get(k) == entries[k][lang] for lang in LANGUAGES)]
    clashes = [k for k in clashes if k not in same]
    if clashes and not replace:
        raise ValueError(f"[{namespace}] already has different text for {', '.join(clashes)} (use --replace)")
    for lang in LANGUAGES:
        table = catalogues[lang].setdefault(namespace, {})
        for k, texts in entries.items():
            table[k] = texts[lang]
        save(lang, catalogues[lang], locale)
    return len(entries) - len(same)


# ----------------------------------------------------------------------------- rewriting the module
def rewrite(module_name: str, name: str, namespace: str) -> list[str]:
    """Delete ``NAME = {...}`` from the module's source, point ``translator(NAME)`` at the namespace.

    Returns the lines that still use NAME (to be switched by hand).
    """
    path = Path(importlib.import_module(module_name).__file__)
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    spans = []
    for node in tree.body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            spans.append((node.lineno - 1, node.end_lineno))
    if not spans:
        raise ValueError(f"{module_name}: no top-level assignment to {name}")
    for start, end in reversed(spans):
        del lines[start:end]
        while start < len(lines) and start > 0 and not lines[start].strip() and not lines[start - 1].strip():
            del lines[start]  # no double blank line where the dict was
    text = "".join(lines)
    text = re.sub(rf"\btranslator\(\s*{re.escape(name)}\s*\)", f'translator("{namespace}")', text)
    path.write_text(text, encoding="utf-8")
    return [f"{path.relative_to(ROOT)}:{i}: {line.strip()}" for i, line in enumerate(text.splitlines(), 1)
            if re.search(rf"\b{re.escape(name)}\b", line)]


def view_of(module_name: str, name: str, namespace: str, words, prefix: str | None, key: str) -> None:
    """Replace ``NAME = {...}`` by ``NAME = i18n.by_key(…)`` / ``by_language(…)`` / ``one(…)`` (same shape).

    For constants that other code indexes the old way (sheet names and headers a filled form is checked
    against): the wording moves to the catalogue, every use keeps working.
    """
    if set(words) == set(LANGUAGES) and all(isinstance(v, str) for v in words.values()):
        expr = f'i18n.one("{namespace}", "{key}")'
    elif not prefix:
        raise ValueError("--view needs --prefix (the old dict is read back from the keys under it)")
    elif set(words) == set(LANGUAGES) and all(isinstance(v, Mapping) for v in words.values()):
        expr = f'i18n.by_language("{namespace}", "{prefix}")'
    elif all(isinstance(v, Mapping) and set(v) == set(LANGUAGES) and all(isinstance(t, str) for t in v.values())
             for v in words.values()):
        expr = f'i18n.by_key("{namespace}", "{prefix}")'
    else:
        raise ValueError(f"{name}: --view takes {{key: {{sv, nb, en}}}}, {{sv: {{…}}, …}} or {{sv, nb, en}}")
    path = Path(importlib.import_module(module_name).__file__)
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    node = next(n for n in tree.body if isinstance(n, (ast.Assign, ast.AnnAssign))
                and any(isinstance(t, ast.Name) and t.id == name
                        for t in (n.targets if isinstance(n, ast.Assign) else [n.target])))
    lines[node.lineno - 1:node.end_lineno] = [f"{name} = {expr}\n"]
    text = "".join(lines)
    if not re.search(r"^from evalkit import (.*\b)?i18n\b", text, flags=re.M):
        future = list(re.finditer(r"^from __future__ import .*\n", text, flags=re.M))
        first = re.search(r"^(from evalkit[\w.]* import|import evalkit)", text, flags=re.M)
        at = first.start() if first else (future[-1].end() + 1 if future else 0)
        text = text[:at] + "from evalkit import i18n\n" + ("\n" if not first else "") + text[at:]
    path.write_text(text, encoding="utf-8")


# ----------------------------------------------------------------------------- wording written in place
def _is_wording_dict(node) -> bool:
    return (isinstance(node, ast.Dict) and len(node.keys) == len(LANGUAGES)
            and all(isinstance(k, ast.Constant) for k in node.keys)
            and {k.value for k in node.keys} == set(LANGUAGES)
            and all(isinstance(v, (ast.Constant, ast.JoinedStr)) for v in node.values)
            and all(isinstance(v.value, str) for v in node.values if isinstance(v, ast.Constant)))


def _is_tuple_wording(node) -> bool:
    """``{"sv": ("A", "B"), "nb": (…), "en": (…)}``: tuples of plain strings of one length."""
    return (isinstance(node, ast.Dict) and len(node.keys) == len(LANGUAGES)
            and all(isinstance(k, ast.Constant) for k in node.keys)
            and {k.value for k in node.keys} == set(LANGUAGES)
            and all(isinstance(v, ast.Tuple) and all(isinstance(e, ast.Constant) and isinstance(e.value, str)
                                                     for e in v.elts) for v in node.values)
            and len({len(v.elts) for v in node.values}) == 1)


def _is_nested_wording(node) -> bool:
    """``{"a": {"sv": …, "nb": …, "en": …}, "b": {…}}``: wording dicts under constant keys."""
    return (isinstance(node, ast.Dict) and bool(node.keys)
            and all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys)
            and all(_is_wording_dict(v) for v in node.values))


def _field_name(expr) -> str | None:
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        return expr.attr
    if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant) and isinstance(expr.slice.value, str):
        return expr.slice.value if expr.slice.value.isidentifier() else None
    if isinstance(expr, ast.Call) and expr.args:
        return _field_name(expr.args[0])
    return None


def _template(value, fields: dict[str, str]) -> str | None:
    """The str.format template of one language's text; ``fields`` maps expression source → placeholder."""
    if isinstance(value, ast.Constant):
        return value.value.replace("{", "{{").replace("}", "}}")
    out = []
    for part in value.values:
        if isinstance(part, ast.Constant):
            out.append(part.value.replace("{", "{{").replace("}", "}}"))
            continue
        spec = ""
        if part.format_spec is not None:
            if not all(isinstance(v, ast.Constant) for v in part.format_spec.values):
                return None  # a computed format spec: leave the site alone
            spec = ":" + "".join(v.value for v in part.format_spec.values)
        conversion = {-1: "", 115: "!s", 114: "!r", 97: "!a"}[part.conversion]
        source = ast.unparse(part.value)
        if source not in fields:
            base = _field_name(part.value) or "v"
            name, k = base, 1
            while name in fields.values() or name in ("key", "language", "namespace") or name == "v":
                k += 1
                name = f"{base}{k}" if base != "v" else f"v{k - 1}"
            fields[source] = name
        out.append("{" + fields[source] + conversion + spec + "}")
    return "".join(out)


def _enclosing(tree) -> dict[int, str]:
    """id(node) → the snake-case name of its enclosing class and function."""
    names: dict[int, str] = {}

    def visit(node, scope: list[str]):
        for child in ast.iter_child_nodes(node):
            inner = scope + [child.name] if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                                 ast.ClassDef)) else scope
            names[id(child)] = "_".join(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", s).lower().strip("_") for s in inner)
            visit(child, inner)

    visit(tree, [])
    return names


def _wrap(call: str, column: int, width: int = 116) -> str:
    """Break a long ``i18n.text(…)`` call after its commas, continuation lines under its first argument."""
    if column + len(call) <= width:
        return call
    indent = " " * (column + call.index("(") + 1)
    parts, depth, last, quote, escaped = [], 0, 0, None, False
    for i, ch in enumerate(call):
        if quote:  # inside a string literal: its commas and brackets do not count
            escaped, quote = (not escaped and ch == "\\"), (None if ch == quote and not escaped else quote)
            continue
        if ch in "'\"":
            quote = ch
        depth += ch in "([{" and 1 or 0
        depth -= ch in ")]}" and 1 or 0
        if ch == "," and depth == 1:
            parts.append(call[last:i + 1])
            last = i + 2
    parts.append(call[last:])
    lines, line = [], parts[0]
    for part in parts[1:]:
        start = column if not lines else len(indent)
        if start + len(line) + 1 + len(part) > width:
            lines.append(line)
            line = part
        else:
            line += " " + part
    lines.append(line)
    return ("\n" + indent).join(lines)


def inline(module_name: str, namespace: str, *, replace: bool = False) -> tuple[int, list[str]]:
    """Move every ``{"sv": …, "nb": …, "en": …}[language]`` of the module into ``[namespace]``."""
    path = Path(importlib.import_module(module_name).__file__)
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source)
    scopes = _enclosing(tree)
    existing = load("sv").get(namespace, {})
    used: set[str] = set(existing)
    lines = source.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line.encode("utf-8")))
    raw = source.encode("utf-8")
    edits, entries, left = [], {}, []
    targets = {id(n.value): n.targets[0].id for n in ast.walk(tree)
               if isinstance(n, ast.Assign) and len(n.targets) == 1 and isinstance(n.targets[0], ast.Name)}
    nodes = sorted((n for n in ast.walk(tree) if hasattr(n, "lineno")), key=lambda n: (n.lineno, n.col_offset))
    subscripted = {id(n.value) for n in nodes if isinstance(n, ast.Subscript)}
    nested = {id(n.value.value): n for n in nodes if isinstance(n, ast.Subscript) and isinstance(n.value, ast.Subscript)
              and _is_nested_wording(n.value.value)}
    subscripted |= {id(v) for n in nested.values() for v in n.value.value.values}
    done: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.Subscript) and _is_tuple_wording(node.value):
            # {"sv": ("A", "B"), …}[language] → tuple(i18n.text(ns, f"<key>.{i}", language) for i in range(2))
            by_lang = {k.value: [e.value.replace("{", "{{").replace("}", "}}") for e in v.elts]
                       for k, v in zip(node.value.keys, node.value.values)}
            base = scopes.get(id(node), "") or "text"
            if id(node) in targets:
                base = f"{base}.{targets[id(node)].strip('_')}"
            key, k = base, 1
            while key in used or f"{key}.0" in used:
                k += 1
                key = f"{base}_{k}"
            used.add(key)
            n = len(by_lang[LANGUAGES[0]])
            for i in range(n):
                entries[f"{key}.{i}"] = {lang: by_lang[lang][i] for lang in LANGUAGES}
            call = (f'tuple(i18n.text("{namespace}", f"{key}.{{i}}", {ast.unparse(node.slice)}) '
                    f'for i in range({n}))')
            begin = starts[node.lineno - 1] + node.col_offset
            end = starts[node.end_lineno - 1] + node.end_col_offset
            edits.append((begin, end, call))
            continue
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Subscript) and \
                id(node.value.value) in nested and id(node) not in done:
            # {"a": {"sv": …}, "b": {…}}[kind][language] → i18n.text(ns, f"<key>.{kind}", language)
            done.add(id(node))
            outer = node.value.value
            fields: dict[str, str] = {}
            subs = {k.value: {lang: _template(v, fields) for lang, v in
                              zip((kk.value for kk in v.keys), v.values)} for k, v in zip(outer.keys, outer.values)}
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if fields or any(t is None for e in subs.values() for t in e.values()):
                left.append(f"{where}: nested wording with fields, left")
                continue
            base = scopes.get(id(node), "") or "text"
            if id(node) in targets:
                base = f"{base}.{targets[id(node)].strip('_')}"
            key, k = base, 1
            while key in used or any(f"{key}.{s_}" in used for s_ in subs):
                k += 1
                key = f"{base}_{k}"
            used.add(key)
            for sub_key, texts in subs.items():
                entries[f"{key}.{sub_key}"] = {lang: texts[lang] for lang in LANGUAGES}
            call = (f'i18n.text("{namespace}", f"{key}.{{{ast.unparse(node.value.slice)}}}", '
                    f'{ast.unparse(node.slice)})')
            begin = starts[node.lineno - 1] + node.col_offset
            end = starts[node.end_lineno - 1] + node.end_col_offset
            column = len(raw[starts[node.lineno - 1]:begin].decode("utf-8"))
            edits.append((begin, end, _wrap(call, column)))
            continue
        if isinstance(node, ast.Dict) and _is_wording_dict(node) and id(node) not in subscripted:
            left.append(f"{path.relative_to(ROOT)}:{node.lineno}: a wording dict not subscripted in place")
        if isinstance(node, ast.Subscript) and _is_wording_dict(node.value):
            fields: dict[str, str] = {}
            by_lang = dict(zip((k.value for k in node.value.keys), node.value.values))
            templates = {lang: _template(by_lang[lang], fields) for lang in LANGUAGES}
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            if any(t is None for t in templates.values()) or \
                    len({frozenset(placeholders(t)) for t in templates.values()}) > 1:
                left.append(f"{where}: the languages use different fields or a computed format")
                continue
            base = scopes.get(id(node), "") or "text"
            if id(node) in targets:  # page = {...}[language]: key "<function>.page"
                base = f"{base}.{targets[id(node)].strip('_')}"
            key, k = base, 1
            while key in used:
                k += 1
                key = f"{base}_{k}"
            used.add(key)
            entries[key] = templates
            args = ", ".join(f"{name}={src}" for src, name in fields.items())
            call = f'i18n.text("{namespace}", "{key}", {ast.unparse(node.slice)}' + (f", {args})" if args else ")")
            begin = starts[node.lineno - 1] + node.col_offset
            end = starts[node.end_lineno - 1] + node.end_col_offset
            column = len(raw[starts[node.lineno - 1]:begin].decode("utf-8"))
            edits.append((begin, end, _wrap(call, column)))
    if not edits:
        return 0, left
    merge(namespace, entries, replace=replace)
    for begin, end, call in sorted(edits, reverse=True):
        raw = raw[:begin] + call.encode("utf-8") + raw[end:]
    text = raw.decode("utf-8")
    if not re.search(r"^from evalkit import (.*\b)?i18n\b", text, flags=re.M):
        first = (re.search(r"^(from evalkit[\w.]* import|import evalkit)", text, flags=re.M)
                 or re.search(r"^(import|from) (?!__future__)", text, flags=re.M))
        future = list(re.finditer(r"^from __future__ import .*\n", text, flags=re.M))
        at = first.start() if first else (future[-1].end() if future else 0)
        text = text[:at] + "from evalkit import i18n\n" + text[at:]
    path.write_text(text, encoding="utf-8")
    return len(edits), left


# ----------------------------------------------------------------------------- checking
def placeholders(template: str) -> set[str]:
    """The field names of a str.format template (``{n}``, ``{n:>3}`` and ``{n!r}`` all give ``n``)."""
    return {field.split(".")[0].split("[")[0] for _, field, _, _ in string.Formatter().parse(template)
            if field is not None}


def problems(locale: Path | None = None) -> list[str]:
    """Everything that differs between the three catalogues (empty when they agree)."""
    locale = locale or LOCALE
    cats = {lang: load(lang, locale) for lang in LANGUAGES}
    out = []
    for ns in dict.fromkeys(n for lang in LANGUAGES for n in cats[lang]):
        keys = dict.fromkeys(k for lang in LANGUAGES for k in cats[lang].get(ns, {}))
        for key in keys:
            texts = {lang: cats[lang].get(ns, {}).get(key) for lang in LANGUAGES}
            missing = [lang for lang, t in texts.items() if t is None]
            if missing:
                out.append(f"[{ns}] {key}: missing in {', '.join(missing)}")
                continue
            bad = [lang for lang, t in texts.items() if not isinstance(t, str)]
            if bad:
                out.append(f"[{ns}] {key}: not a string in {', '.join(bad)}")
                continue
            empty = [lang for lang, t in texts.items() if not t.strip()]
            if empty:
                out.append(f"[{ns}] {key}: empty in {', '.join(empty)}")
            try:
                fields = {lang: placeholders(t) for lang, t in texts.items()}
            except ValueError as exc:
                out.append(f"[{ns}] {key}: not a valid template ({exc})")
                continue
            if len({frozenset(f) for f in fields.values()}) > 1:
                shown = "; ".join(f"{lang}: {{{', '.join(sorted(f))}}}" for lang, f in fields.items())
                out.append(f"[{ns}] {key}: placeholders differ ({shown})")
    return out


# ----------------------------------------------------------------------------- command line
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="tools/catalogue.py", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    mig = sub.add_parser("migrate", help="move a module's wording dict into the catalogues")
    mig.add_argument("target", help="module:NAME, e.g. evalkit.pipeline:_TEXT")
    mig.add_argument("namespace")
    mig.add_argument("--key", help="key of a single {'sv','nb','en'} entry (default: NAME lower-cased)")
    mig.add_argument("--rewrite", action="store_true", help="also delete the dict from the module")
    mig.add_argument("--replace", action="store_true", help="overwrite keys the namespace already has")
    mig.add_argument("--prefix", help="put the keys under PREFIX. (read back with i18n.words(ns, lang, PREFIX))")
    mig.add_argument("--view", action="store_true",
                     help="with --rewrite: keep NAME, as a view of the catalogue in its old shape")
    inl = sub.add_parser("inline", help="move {'sv': …, 'nb': …, 'en': …}[language] of a module into the catalogues")
    inl.add_argument("module", help="e.g. evalkit.analysis.documents")
    inl.add_argument("namespace")
    inl.add_argument("--replace", action="store_true", help="overwrite keys the namespace already has")
    sub.add_parser("check", help="same keys, placeholders and no empty values in sv, nb and en")
    args = parser.parse_args(argv)
    if args.command == "check":
        found = problems()
        print("\n".join(found) if found else f"catalogues agree: {_summary()}")
        return 1 if found else 0
    sys.path.insert(0, str(ROOT))
    if args.command == "inline":
        done, left = inline(args.module, args.namespace, replace=args.replace)
        print(f"{args.module}: {done} texts into [{args.namespace}]")
        for line in left:
            print(f"  left: {line}")
        return 0
    module_name, _, name = args.target.partition(":")
    if not name:
        parser.error("target must be module:NAME")
    words = getattr(importlib.import_module(module_name), name)
    single = isinstance(words, Mapping) and set(words) == set(LANGUAGES) and all(
        isinstance(v, str) for v in words.values())
    entries = flatten(words, (args.key or name.strip("_").lower()) if single else None)
    if args.prefix and not single:
        entries = {f"{args.prefix}.{k}": v for k, v in entries.items()}
    added = merge(args.namespace, entries, replace=args.replace)
    print(f"{args.target}: {len(entries)} keys into [{args.namespace}] ({added} new)")
    if args.rewrite and args.view:
        view_of(module_name, name, args.namespace, words, args.prefix, args.key or name.strip("_").lower())
        print(f"  {name} is now a view of [{args.namespace}] in its old shape")
    elif args.rewrite:
        for line in rewrite(module_name, name, args.namespace):
            print(f"  still uses {name}: {line}")
    return 0


def _summary() -> str:
    cat = load("sv")
    return f"{len(cat)} namespaces, {sum(len(v) for v in cat.values())} keys in each of sv, nb, en"


if __name__ == "__main__":
    sys.exit(main())
