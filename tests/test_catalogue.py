"""The message catalogues evalkit/locale/{sv,nb,en}.toml, their loader and tools/catalogue.py."""
from __future__ import annotations

import importlib
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from evalkit import i18n
from evalkit.errors import ConfigError, ReportError
from tests.conftest import PROJECT

sys.path.insert(0, str(PROJECT / "tools"))
import catalogue as tool  # noqa: E402

LOCALE = PROJECT / "evalkit" / "locale"


def _load(language):
    with (LOCALE / f"{language}.toml").open("rb") as fh:
        return tomllib.load(fh)


# ----------------------------------------------------------------------------- the catalogues themselves
def test_same_namespaces_keys_and_placeholders_in_every_language():
    cats = {lang: _load(lang) for lang in i18n.LANGUAGES}
    assert set(cats["sv"]) == set(cats["nb"]) == set(cats["en"])
    for ns in cats["sv"]:
        assert set(cats["sv"][ns]) == set(cats["nb"][ns]) == set(cats["en"][ns]), ns
        for key in cats["sv"][ns]:
            fields = {lang: tool.placeholders(cats[lang][ns][key]) for lang in i18n.LANGUAGES}
            assert fields["sv"] == fields["nb"] == fields["en"], (ns, key, fields)
            assert all(cats[lang][ns][key].strip() for lang in i18n.LANGUAGES), (ns, key)


def test_check_command_agrees():
    out = subprocess.run([sys.executable, "tools/catalogue.py", "check"], cwd=PROJECT, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "catalogues agree" in out.stdout


def test_check_finds_a_missing_key_a_changed_placeholder_and_an_empty_value(tmp_path):
    for lang in i18n.LANGUAGES:
        tool.save(lang, {"x": {"a": "{n} rader", "b": "ok", "c": "text"}}, tmp_path)
    tool.save("nb", {"x": {"a": "{m} rader", "b": "ok"}}, tmp_path)
    tool.save("en", {"x": {"a": "{n} rows", "b": " ", "c": "text"}}, tmp_path)
    found = "\n".join(tool.problems(tmp_path))
    assert "[x] a: placeholders differ" in found
    assert "[x] c: missing in nb" in found
    assert "[x] b: empty in en" in found


def test_the_catalogue_is_package_data():
    pyproject = tomllib.loads((PROJECT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "locale/*.toml" in pyproject["tool"]["setuptools"]["package-data"]["evalkit"]


def test_translator_reads_its_namespace_falls_back_to_labels_and_never_to_another_language():
    t = i18n.translator("reasons")
    assert t("blank row", "nb") == "tom rad"
    assert t("ci_low", "en") == "CI lower"  # from [labels]
    with pytest.raises(ReportError, match="no label 'nonexistent'"):
        t("nonexistent", "sv")


def test_catalogue_is_read_once_per_process():
    assert i18n.catalogue("sv") is i18n.catalogue("sv")
    with pytest.raises(TypeError):
        i18n.catalogue("sv")["labels"]["table"] = "changed"  # read-only: no caller can alter another's text


def test_words_with_prefix_and_reasons():
    assert i18n.words("its", "en", "plot")["observed"] == "Observed"
    assert i18n.reason("repeated header row", "sv") == "upprepad rubrikrad"
    assert i18n.reason("a reason with details (3 rows)", "nb") == "a reason with details (3 rows)"
    with pytest.raises(ReportError):
        i18n.words("its", "sv", "no_such_prefix")


def test_known_wording_fixes():
    sv, nb = _load("sv"), _load("nb")
    sv_text, nb_text = str(sv), str(nb)
    assert "Kenward–Roger " in sv_text and "Kenward–Rogers" not in sv_text + nb_text
    assert "Evaluators konklusjoner" not in nb_text
    assert "event study" not in sv_text + nb_text and "within-transformation" not in sv_text
    assert sv["audit"]["point"] == "procentenhet"


# ----------------------------------------------------------------------------- migrate and inline
@pytest.fixture
def sandbox(tmp_path, monkeypatch):
    """A copy of the catalogues and a throw-away module, so the tool can be run for real."""
    locale = tmp_path / "locale"
    for lang in i18n.LANGUAGES:
        tool.save(lang, {"labels": {"table": {"sv": "Tabell", "nb": "Tabell", "en": "Table"}[lang]}}, locale)
    package = tmp_path / "sandbox_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    monkeypatch.setattr(tool, "LOCALE", locale)
    monkeypatch.setattr(tool, "ROOT", tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith("sandbox_pkg")]:
        del sys.modules[name]
    return locale, package


def _module(package: Path, name: str, source: str):
    (package / f"{name}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    importlib.invalidate_caches()
    return f"sandbox_pkg.{name}"


def test_flatten_understands_every_documented_shape():
    flat = tool.flatten({"a": {"sv": "A", "nb": "Á", "en": "a"},
                         "what": {"x": {"sv": "X", "nb": "Y", "en": "Z"}},
                         "t": ("ett", "en", "one")})
    assert flat == {"a": {"sv": "A", "nb": "Á", "en": "a"}, "what.x": {"sv": "X", "nb": "Y", "en": "Z"},
                    "t": {"sv": "ett", "nb": "en", "en": "one"}}
    by_lang = tool.flatten({"sv": {"k": "j"}, "nb": {"k": "ja"}, "en": {"k": "yes"}})
    assert by_lang == {"k": {"sv": "j", "nb": "ja", "en": "yes"}}
    lists = tool.flatten({"sv": ["a", "b"], "nb": ["c", "d"], "en": ["e", "f"]})
    assert lists["1"] == {"sv": "b", "nb": "d", "en": "f"}
    with pytest.raises(ValueError, match="no text in en"):
        tool.flatten({"k": {"sv": "a", "nb": "b"}})
    with pytest.raises(ValueError, match="not wording"):
        tool.flatten({"k": 3})


def test_migrate_moves_a_dict_rewrites_the_module_and_refuses_to_overwrite(sandbox):
    locale, package = sandbox
    name = _module(package, "words", '''
        from evalkit import i18n

        _TEXT = {
            "hello": {"sv": "Hej {name}", "nb": "Hei {name}", "en": "Hello {name}"},
            "what": {"visits": {"sv": "besök", "nb": "besøk", "en": "visits"}},
        }

        _t = i18n.translator(_TEXT)


        def greet(language):
            return _t("hello", language, name="Ada") + " " + _TEXT["what"]["visits"][language]
        ''')
    assert tool.main(["migrate", f"{name}:_TEXT", "sandbox", "--rewrite"]) == 0
    cat = tool.load("nb", locale)
    assert cat["sandbox"] == {"hello": "Hei {name}", "what.visits": "besøk"}
    source = (package / "words.py").read_text()
    assert "_TEXT = {" not in source and 'i18n.translator("sandbox")' in source
    assert tool.problems(locale) == []
    # the same text again is fine; other text for a key already there is refused
    assert tool.merge("sandbox", {"hello": {"sv": "Hej {name}", "nb": "Hei {name}", "en": "Hello {name}"}},
                      locale=locale) == 0
    with pytest.raises(ValueError, match="already has different text for hello"):
        tool.merge("sandbox", {"hello": {"sv": "Tja", "nb": "Hei", "en": "Hi"}}, locale=locale)


def test_inline_turns_fstring_dicts_into_catalogue_calls_with_the_same_output(sandbox, monkeypatch):
    locale, package = sandbox
    name = _module(package, "inl", '''
        def fmt(x, language):
            return f"<{x}>"


        def sentence(n, language, items):
            kind = {"a": {"sv": "ett", "nb": "en", "en": "one"}, "b": {"sv": "två", "nb": "to", "en": "two"}}
            page = {"sv": "s.", "nb": "s.", "en": "p."}[language]
            return {"sv": f"{fmt(n, language)} rader ({', '.join(items)}) {page} {{x}}",
                    "nb": f"{fmt(n, language)} rader ({', '.join(items)}) {page} {{x}}",
                    "en": f"{fmt(n, language)} rows ({', '.join(items)}) {page} {{x}}"}[language]


        def nested(kind, language):
            return {"a": {"sv": "ett", "nb": "en", "en": "one"}, "b": {"sv": "två", "nb": "to", "en": "two"}}[kind][language]
        ''')
    module = importlib.import_module(name)
    before = {lang: (module.sentence(3, lang, ["x", "y"]), module.nested("b", lang)) for lang in i18n.LANGUAGES}
    done, left = tool.inline(name, "inl")
    assert done == 3
    assert any("not subscripted in place" in line for line in left)  # the unused `kind` dict is listed
    cat = {lang: tool.load(lang, locale)["inl"] for lang in i18n.LANGUAGES}
    assert cat["en"]["sentence"] == "{n} rows ({items}) {page} {{x}}"
    assert cat["sv"]["nested.b"] == "två"
    # the rewritten module, reading the sandbox catalogue, says exactly what it said before
    real = i18n.catalogue
    monkeypatch.setattr(i18n, "catalogue", lambda lang: {**real(lang), **tool.load(lang, locale)})
    for mod in [m for m in sys.modules if m.startswith("sandbox_pkg.inl")]:
        del sys.modules[mod]
    rewritten = importlib.import_module(name)
    assert "i18n.text(" in (package / "inl.py").read_text()
    after = {lang: (rewritten.sentence(3, lang, ["x", "y"]), rewritten.nested("b", lang)) for lang in i18n.LANGUAGES}
    assert after == before


def test_wrap_keeps_commas_inside_string_literals():
    call = 'i18n.text("ns", "key", language, a=", ".join(xs), b=fmt("x, y"), c=some_long_name_here_to_force_a_wrap)'
    wrapped = tool._wrap(call, 40)
    assert len(wrapped.splitlines()) > 1
    assert '", ".join(xs)' in wrapped and 'fmt("x, y")' in wrapped
    compile(wrapped, "<wrap>", "eval")


# ----------------------------------------------------------------------------- user text per language
def test_localized_text_is_the_evaluation_language_and_others_on_request():
    t = i18n.Localized("Hej", {"sv": "Hej", "nb": "Hei", "en": "Hi"})
    assert t == "Hej" and isinstance(t, str)
    assert i18n.in_language(t, "en") == "Hi" and i18n.in_language("plain", "nb") == "plain"


def _parsed(name: str, change=None):
    """The sample config ``name`` parsed from a (changed) copy of its TOML, with its own folder for paths."""
    from evalkit import config
    from tests.conftest import SAMPLE

    raw = tomllib.loads((SAMPLE / f"{name}.toml").read_text(encoding="utf-8"))
    if change:
        change(raw)
    return config._parse(raw, SAMPLE / f"{name}.toml")


def test_config_accepts_titles_per_language():
    ev = _parsed("ibic")
    assert ev.title == "Införandet av IBIC i Exempelkommun"
    assert i18n.in_language(ev.title, "en") == "Introducing IBIC in Exempelkommun"
    assert i18n.in_language(ev.questions[0], "nb").startswith("Endret saksbehandlingstiden")
    assert i18n.in_language(ev.analyses[0].title, "en").startswith("Processing time")
    # the evaluation's language decides which text a Localized *is*
    english = _parsed("ibic", lambda raw: raw["evaluation"].update(language="en"))
    assert english.title == "Introducing IBIC in Exempelkommun"
    plain = _parsed("ibic", lambda raw: raw["evaluation"].update(title="Plain"))
    assert plain.title == "Plain" and not isinstance(plain.title, i18n.Localized)


def test_config_refuses_an_incomplete_text_table():
    bad = {"sv": "Pilot", "en": "Pilot", "de": "Pilot"}
    with pytest.raises(ConfigError, match=r"evaluation\.title: a text by language needs sv, nb and en: "
                                          r"no text in nb; unknown language\(s\) de"):
        _parsed("rehab_pilot", lambda raw: raw["evaluation"].update(title=bad))
