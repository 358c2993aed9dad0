"""The ``evalkit`` command line.

Errors are printed as one clear message (no traceback unless ``--debug``) and
the exit status is non-zero on any failure: 1 for refused/invalid input, 2 for
wrong usage, 3 for an internal error, 141 when the reader of its output stopped reading (``… | head``).
"""
from __future__ import annotations

import argparse
import atexit
import contextlib
import io
import os
import re
import sys
import textwrap
import traceback
import warnings
from pathlib import Path

from evalkit.errors import ConfigError, EvalkitError, EvalkitWarning, ReportError

__all__ = ["main", "console"]

#: the kinds of input `evalkit check` recognises, as its messages name them
INPUT_WORDS = ("a decisions table", "an orders table", "a visits table", "survey responses",
               "a survey mailing list (questionnaires sent)", "interview codings", "an evalkit audit form",
               "an audit sample manifest")

CHECK_EXIT = """\
exit status:
  0  every path passed
  1  a path was refused (identity numbers), failed validation, was not recognised as any of the inputs
     above (a file of no known kind, or a .toml without [evaluation], counts as a failure), or is a config
     with an analysis that cannot run on the columns found (each such analysis is named with what it lacks)
  2  wrong usage
"""

CHECK_EXAMPLES = """\
examples:
  evalkit check data_samples/exempelkommun/ibic.toml        # a config: every source, the panel, each analysis
  evalkit check beslut.csv                                  # a data file: what it is, columns found and missing
  evalkit check vedtak.csv --mapping mapping.toml           # with a column mapping ([columns] "<header>" = ...)
  evalkit check koder.xlsx --table codings                  # a coding matrix (it looks like any table)
  evalkit check enkat.csv --codebook enkat_kodbok.toml      # survey responses with items of their own
"""

REGISTER_EXAMPLES = """\
examples:
  evalkit register extrakt.parquet --output panel.parquet           # folder of partitions or one file
  evalkit register beslut.csv --start 2014-01 --end 2023-12 -o panel.csv --memory-limit 3GB
  evalkit register extrakt/ --canonical beslut.parquet             # gate + validate, write the canonical table
  evalkit register --print-sql --start 2014-01 --end 2023-12 > panel.sql   # its aggregation SQL, for another engine
"""

REPORT_EXAMPLES = """\
examples:
  evalkit report data_samples/exempelkommun/ibic.toml            # -> reports/ibic.docx + reports/ibic.xlsx
  evalkit report ibic.toml --language en --output reports/ibic_en.docx --force
  evalkit report evaluation.toml --output utdata/                # -> utdata/<[report] name>.docx
"""

AUDIT_EXAMPLES = {
    "draw": """\
examples:
  evalkit audit draw ibic.toml --strata period --margin 0.125 --from 2015-01-01 --to 2018-12-31 -o urval.json
  evalkit audit draw ibic.toml --n 120 --strata period,unit --allocation equal -o urval.json
  evalkit audit draw ibic.toml --n 60 --exclude urval_2023.json -o urval_2024.json   # skip decisions audited before
""",
    "extend": """\
examples:
  evalkit audit extend ibic.toml --manifest urval.json --n 40 -o urval_runda2.json
  evalkit audit form ibic.toml --manifest urval_runda2.json --new-only --reviewer 1 -o granskning_runda2.xlsx
  evalkit audit extend ibic.toml --manifest urval_runda2.json --n 20 -o urval_runda3.json   # a third round
""",
    "form": """\
examples:
  evalkit audit form ibic.toml --manifest urval.json --reviewer 1 -o granskning_1.xlsx
  evalkit audit form ibic.toml --manifest urval.json --reviewer 2 --language nb -o granskning_2.xlsx
  evalkit audit form ibic.toml --manifest urval_runda2.json --new-only -o granskning_runda2.xlsx
""",
    "score": """\
examples:
  evalkit audit score ibic.toml                  # the forms and manifest named under [data.audit]
  evalkit audit score ibic.toml --language en
""",
}

EXAMPLES = """\
examples (from the repository root):
  evalkit init vedtak.csv --change-date 2017-01-01                  # your own export -> evaluation.toml
  evalkit check data_samples/exempelkommun/ibic.toml
  evalkit check beslut.csv bestallningar.xlsx --mapping min_mappning.toml
  evalkit report data_samples/exempelkommun/ibic.toml            # -> reports/ibic.docx + reports/ibic.xlsx
  evalkit report data_samples/exempelkommun/ibic.toml --language en --output reports/ibic_en.docx --force
  evalkit audit draw data_samples/exempelkommun/ibic.toml --strata period --margin 0.125 --from 2015-01-01 \\
      --to 2018-12-31 -o reports/urval.json
  evalkit audit form data_samples/exempelkommun/ibic.toml --manifest reports/urval.json --reviewer 1 \\
      -o reports/granskning_1.xlsx                               # the window is read from the manifest
  evalkit audit extend data_samples/exempelkommun/ibic.toml --manifest reports/urval.json --n 40 \\
      -o reports/urval_runda2.json                               # a second round, same design and weights
  evalkit audit score data_samples/exempelkommun/ibic.toml          # scores the forms listed under [data.audit]
"""


class _Redacting(io.TextIOBase):
    """A stream that masks identity numbers in everything written to it.

    The gate refuses files holding identity numbers and its messages never quote one, but the CLI also prints
    paths and names the user gave (a file called "Brukare 640823-3234.csv"); every line therefore passes
    through :func:`evalkit.privacy.redact` on its way out.
    """

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        from evalkit.privacy import redact

        self._stream.write(redact(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()


@contextlib.contextmanager
def _redacted_output():
    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _Redacting(out), _Redacting(err)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = out, err


def main(argv: list[str] | None = None) -> int:
    """Run the command ``argv`` (default ``sys.argv[1:]``) and return its exit status."""
    with _redacted_output():
        return _main(argv)


def console() -> None:
    """The ``evalkit`` program: :func:`main`, then :func:`leave` with its exit status."""
    leave(main())


def leave(status: int) -> None:
    """End the process with ``status`` without tearing the interpreter down object by object.

    Python's finalisation of a process that has imported pandas, SciPy, statsmodels and matplotlib frees every
    module and object one at a time: 0.4–0.7 s after ``evalkit report`` had written its files on the project
    machine (8 % of the command), memory the operating system takes back at once with the process. What that
    finalisation does that matters is done here first: stdout and stderr are flushed and the ``atexit``
    handlers run (``weakref.finalize`` callbacks such as temporary folders, logging's shutdown), then
    ``os._exit``. Every file evalkit writes is closed before the command returns. Only for the program:
    :func:`main` returns to a Python caller (tests, notebooks) as before.
    """
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):  # what an exit handler printed
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(status)


def _main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", EvalkitWarning)
            status = args.func(args)
        for w in caught:
            if issubclass(w.category, EvalkitWarning):
                print(f"  warning: {_speak_config(str(w.message))}", file=sys.stderr)
        return status
    except EvalkitError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"evalkit: error: {_speak_config(str(exc))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("evalkit: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader stopped (`evalkit check … | head`): not an error of evalkit's
        with contextlib.suppress(Exception):  # nothing more reaches it, and the final flush must not fail
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141  # what a shell reports for a program ended by SIGPIPE
    except Exception as exc:  # a bug in evalkit or a dependency: say so plainly
        if args.debug:
            traceback.print_exc()
        print(f"evalkit: internal error ({type(exc).__name__}: {exc}). Run again with --debug and report it.",
              file=sys.stderr)
        return 3


#: an analysis's advice in Python's words ("use errors='hac'"): the keyword and its value
_PYTHON_HINT = re.compile(r"\b(family|errors|seasonality|exposure|hac_lags|inference)=(['\"])([\w:.]+)\2")


def _speak_config(text: str) -> str:
    """Advice written for Python callers (``errors='hac'``) also in the config's words, which is what a
    command-line user edits: a typed key of the [[analyses]] entry, or its ``options`` table."""
    from evalkit.config import PANEL_KEYS

    typed = {k.name for k in PANEL_KEYS}

    def config_words(m: re.Match) -> str:
        key, value = m.group(1), m.group(3)
        where = f'{key} = "{value}"' if key in typed else f'options = {{ {key} = "{value}" }}'
        return f"{m.group(0)} (in the config: {where} in the analysis's [[analyses]] entry)"

    return _PYTHON_HINT.sub(config_words, text)


def _parser() -> argparse.ArgumentParser:
    from evalkit import __version__

    parser = argparse.ArgumentParser(
        prog="evalkit", description="Evaluate changes to municipal elderly and disability care.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"evalkit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser(
        "check", help="run the privacy gate and validation on data files or evaluation configs",
        description="Run the privacy gate and the validation on data files or on every data source of "
                    "evaluation configs (.toml). A data file is recognised as a decisions, orders or visits "
                    "table (by its headers), survey responses, interview codings (.qdpx .qdc .qda, coded-"
                    "segment exports) or an evalkit audit form; for a table, check lists the canonical "
                    "columns found and missing (required apart from optional, see evalkit/schemas.py) and "
                    "the file's columns it did not use. For a config it prints row accounting, the outcome "
                    "panel, and each analysis's estimates — or, for an analysis that cannot run on what was "
                    "found, the [data.*] sections and columns it lacks.",
        epilog=CHECK_EXIT + "\n" + CHECK_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("paths", nargs="+", metavar="PATH", help="data files or evaluation .toml files")
    check.add_argument("--mapping", help="TOML column mapping for data files ([columns] \"<header>\" = \"<column>\")")
    check.add_argument("--table", choices=("decisions", "orders", "visits", "survey", "codings", "audit"),
                       help="what the data files hold (default: recognised from the format and headers; a "
                            "coding matrix, which looks like any table of numbers, needs --table codings)")
    check.add_argument("--codebook", help="survey codebook (.toml or a built-in name) for survey files")
    check.add_argument("--sheet", help="Excel sheet (default: the first)")
    check.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    check.set_defaults(func=_cmd_check)

    report = sub.add_parser(
        "report", help="write the Word report (.docx) and its Excel appendix (.xlsx) for an evaluation config",
        description="Load the config's data (privacy gate and validation), build the outcome panels, run every "
                    "configured analysis and write reports/<name>.docx and reports/<name>.xlsx. Files are "
                    "written to a temporary file first and renamed, so a failed run never leaves a "
                    "half-written report.",
        epilog=REPORT_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    report.add_argument("config", metavar="CONFIG", help="evaluation .toml")
    report.add_argument("--output", "-o", metavar="PATH",
                        help="the .docx to write, or a folder (default: reports/<report.name>.docx)")
    report.add_argument("--language", choices=("sv", "nb", "en"), help="override [evaluation].language")
    report.add_argument("--force", action="store_true", help="replace an existing report")
    report.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    report.set_defaults(func=_cmd_report)
    _audit_parser(sub)
    _register_parser(sub)
    _init_parser(sub)
    return parser


INIT_EXAMPLES = """\
examples:
  evalkit init vedtak.csv                         # -> evaluation.toml (+ mapping.toml) in this folder
  evalkit init beslut.xlsx bestallningar.csv --change-date 2017-01-01 --language sv
  evalkit init data/*.csv --output utvardering    # write into the folder utvardering/
  evalkit check evaluation.toml && evalkit report evaluation.toml

how sure each column guess is:
  exact     the header is a canonical name or a known alias (e.g. Vedtaksdato -> decided_on)
  fuzzy     the header is close to a known alias and the values fit (Brukernummer -> person_id)
  values    no header fits, but this column's values do and no other's (Innvilget/Avslag -> outcome)
  TODO      several columns' values would fit (two yes/no columns): a comment names the candidates

exit status: 0 the files were written and run as they are; 1 nothing written (a file exists: --force), or
written but a table lacks a required column (its TODO line in the mapping file says which); 2 wrong usage
"""


def _register_parser(sub) -> None:
    register = sub.add_parser(
        "register", help="aggregate a register-sized decisions file to the unit × month panel in DuckDB",
        description="Load a large decisions CSV, Parquet file or folder of Parquet partitions out of core "
                    "(privacy gate, validation and row accounting as for any decisions table) and aggregate it "
                    "to the unit × month panel in DuckDB (ek.register_panel). --print-sql prints the "
                    "aggregation SQL instead, from the validated table `decisions` to the panel's measures, to "
                    "run on another engine (README: Beyond one machine).",
        epilog=REGISTER_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    register.add_argument("path", nargs="?", metavar="PATH", help="decisions .csv/.parquet or a folder of .parquet")
    register.add_argument("--mapping", help="TOML column mapping ([columns] \"<header>\" = \"<column>\")")
    register.add_argument("--start", help="first month, e.g. 2014-01 (default: the first decision's month)")
    register.add_argument("--end", help="last month, e.g. 2023-12 (default: the last decision's month)")
    register.add_argument("--missing-start", choices=("decided_on", "exclude"), default="decided_on",
                          help="a granted decision without start date starts on its decision date, or is left out")
    register.add_argument("--no-total", action="store_true", help="leave out the municipality rows ('Total')")
    register.add_argument("--output", "-o", help="write the panel to this .csv or .parquet file")
    register.add_argument("--canonical", metavar="FILE.parquet",
                          help="also write the validated canonical decisions table (the input of --print-sql's SQL)")
    register.add_argument("--memory-limit", help="DuckDB's memory cap, e.g. 3GB (beyond it DuckDB spills)")
    register.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    register.add_argument("--print-sql", action="store_true",
                          help="print the aggregation SQL for --start..--end and exit (reads no data)")
    register.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    register.set_defaults(func=_cmd_register)


def _init_parser(sub) -> None:
    init = sub.add_parser(
        "init", help="look at your files and write an evaluation.toml (+ mapping.toml) that runs as it is",
        description="Look at your data files (decisions, orders, visit logs, survey responses, interview "
                    "codings, audit forms and manifests), say what each is and how each header maps to a "
                    "canonical column and how sure that guess is, and write a commented evaluation.toml — "
                    "with a mapping.toml where headers needed mapping — that `evalkit check` and `evalkit "
                    "report` run as they are. The analyses written are those the columns found support; "
                    "the others are written commented out with a TODO naming the candidate headers. Without "
                    "--change-date the date of the change is a placeholder (the middle month of the data) "
                    "marked `placeholder = true`, which check and report warn about until you set it.",
        epilog=INIT_EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    init.add_argument("paths", nargs="+", metavar="FILE", help="your data files (one of each kind)")
    init.add_argument("--language", choices=("sv", "nb", "en"),
                      help="the report's language (default: nb for Norwegian headers, else sv)")
    init.add_argument("--output", "-o", default=".", metavar="DIR",
                      help="folder to write evaluation.toml and mapping.toml into (default: this folder)")
    init.add_argument("--change-date", metavar="YYYY-MM-DD",
                      help="first day after the change (default: a placeholder that check warns about)")
    init.add_argument("--sheet", help="Excel sheet (default: the first)")
    init.add_argument("--force", action="store_true", help="replace an existing evaluation.toml / mapping.toml")
    init.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    init.set_defaults(func=_cmd_init)


def _cmd_register(args) -> int:
    from evalkit.io.register import REGISTER_PANEL_COLUMNS, panel_sql, register_panel, write_canonical

    if args.print_sql:
        if not (args.start and args.end):
            print("evalkit register: error: --print-sql needs --start and --end (the SQL lists the months)",
                  file=sys.stderr)
            return 2
        print(panel_sql(args.start, args.end, missing_start=args.missing_start, total=not args.no_total), end="")
        return 0
    if not args.path:
        print("evalkit register: error: give the decisions file or folder (or --print-sql)", file=sys.stderr)
        return 2
    out = Path(args.output) if args.output else None
    if out is not None and out.suffix.lower() not in (".csv", ".parquet"):
        raise ConfigError(f"--output must end in .csv or .parquet, got {args.output}")
    options = {"memory_limit": args.memory_limit, "threads": args.threads}
    if args.canonical:
        with _warnings_printed(stream=sys.stderr):
            record = write_canonical(args.path, args.canonical, args.mapping, **options)
        print(f"wrote {args.canonical} ({record.rows_kept:,} decisions, canonical columns)")
        if out is None:
            return 0
    with _warnings_printed(stream=sys.stderr):
        panel = register_panel(args.path, args.mapping, start=args.start, end=args.end, total=not args.no_total,
                               missing_start=args.missing_start, memory_limit=args.memory_limit,
                               threads=args.threads)
    from evalkit.provenance import record_of

    record = record_of(panel)
    months = panel["period"].nunique()
    units = panel["unit"].nunique()
    print(f"{record.rows_kept:,} decisions -> {len(panel):,} panel rows ({units} units incl. total, {months} months: "
          f"{panel['period'].min():%Y-%m} .. {panel['period'].max():%Y-%m}); columns: "
          f"{', '.join(REGISTER_PANEL_COLUMNS)}")
    if out is not None:
        frame = panel.copy()
        frame.attrs = {}
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(out) if out.suffix.lower() == ".parquet" else frame.to_csv(out, index=False)
        print(f"wrote {out}")
    return 0


def _cmd_init(args) -> int:
    from evalkit import init
    from evalkit._dates import parse_user_date

    change_date = (parse_user_date(args.change_date, what="--change-date", error=ConfigError).date()
                   if args.change_date else None)
    with _warnings_printed(stream=sys.stderr):
        proposal = init.propose(args.paths, sheet=args.sheet)
    _print_lines(init.summary_lines(proposal), 0)
    written = init.write(proposal, args.output, language=args.language, change_date=change_date,
                         force=args.force)
    for path in written:
        print(f"wrote {path}")
    config = Path(args.output) / init.CONFIG_NAME
    blocked = [f for f in proposal.files if f.missing_required]
    if blocked:
        for f in blocked:
            print(f"NOT READY: {f.path.name} lacks the required {f.kind} column(s) "
                  f"{', '.join(f.missing_required)}; map them in the mapping file (see its TODO lines), "
                  f"then run `evalkit check {config}`")
        return 1
    if change_date is None:
        print("note: [change] date is a placeholder; set the real date in the config (or run again with "
              "--change-date YYYY-MM-DD --force)")
    print(f"next: evalkit check {config}   then   evalkit report {config}")
    return 0


def _audit_parser(sub) -> None:
    audit = sub.add_parser(
        "audit", help="decision audits: draw a seeded sample, write review forms, score filled forms",
        description="Case-file audits of needs-assessment decisions. The sampling frame is the config's "
                    "[data.decisions] with a 'period' column: 'before' or 'after' the [change] date.",
        epilog="examples:\n" + "".join(AUDIT_EXAMPLES.values()).replace("examples:\n", ""),
        formatter_class=argparse.RawDescriptionHelpFormatter)
    steps = audit.add_subparsers(dest="audit_command", metavar="STEP")
    draw = steps.add_parser("draw", help="draw a reproducible sample and write its manifest (JSON)",
                            description="Draw a seeded sample of decisions to audit from [data.decisions] "
                                        "(decided in --from … --to) and write its manifest; the manifest "
                                        "records the window, so 'form' and 'extend' need not be told again.",
                            epilog=AUDIT_EXAMPLES["draw"], formatter_class=argparse.RawDescriptionHelpFormatter)
    draw.add_argument("config", metavar="CONFIG")
    size = draw.add_mutually_exclusive_group()
    size.add_argument("--n", type=int, help="sample size (default: from --margin)")
    size.add_argument("--margin", type=float, default=0.10, help="target margin of error (default 0.10)")
    draw.add_argument("--confidence", type=float, default=0.95)
    draw.add_argument("--strata", default="period", help="comma-separated columns (default: period)")
    draw.add_argument("--allocation", choices=("proportional", "equal", "neyman"), default="proportional")
    draw.add_argument("--precision", choices=("overall", "stratum"), default="stratum",
                      help="size the sample for the overall share or for every stratum (default: stratum)")
    draw.add_argument("--seed", type=int, help="default: [evaluation].seed")
    draw.add_argument("--from", dest="first", help="first decision date in the frame (YYYY-MM-DD)")
    draw.add_argument("--to", dest="last", help="last decision date in the frame (YYYY-MM-DD)")
    draw.add_argument("--exclude", metavar="MANIFEST", help="skip the decisions of an earlier sample")
    draw.add_argument("--output", "-o", default="audit_urval.json", help="manifest to write")
    draw.add_argument("--force", action="store_true", help="replace an existing manifest")
    draw.set_defaults(func=_cmd_audit_draw)

    extend = steps.add_parser(
        "extend", help="draw a second round: more decisions, same design, seed and random order (no overlap)",
        description="Draw N more decisions for a sample already drawn: the same frame (the window is read from "
                    "the manifest), strata, allocation and seed, continuing the same random order, so no "
                    "decision is drawn twice. The new manifest's weights are those of the combined sample, "
                    "and forms made from the first round are still accepted. Then write a form for the new "
                    "decisions only with 'evalkit audit form --manifest NEW --new-only'.",
        epilog=AUDIT_EXAMPLES["extend"], formatter_class=argparse.RawDescriptionHelpFormatter)
    extend.add_argument("config", metavar="CONFIG")
    extend.add_argument("--manifest", required=True, help="the manifest of the sample to extend")
    extend.add_argument("--n", type=int, required=True, help="how many more decisions")
    extend.add_argument("--output", "-o", required=True, help="the combined sample's manifest to write")
    extend.add_argument("--force", action="store_true", help="replace an existing manifest")
    extend.set_defaults(func=_cmd_audit_extend)

    form = steps.add_parser("form", help="write a review form (.xlsx) for a drawn sample",
                            description="Write a review form for the sample of a manifest. The frame's window "
                                        "(--from/--to of 'audit draw') is read from the manifest.",
                            epilog=AUDIT_EXAMPLES["form"], formatter_class=argparse.RawDescriptionHelpFormatter)
    form.add_argument("config", metavar="CONFIG")
    form.add_argument("--manifest", required=True, help="the manifest written by 'evalkit audit draw' or 'extend'")
    form.add_argument("--checklist", default="ibic",
                      help="ibic | genomforandeplan | individuell_plan | a checklist .toml (default ibic)")
    form.add_argument("--language", choices=("sv", "nb", "en"), help="default: [evaluation].language")
    form.add_argument("--reviewer", default="1", help="reviewer id stored in the form (default 1)")
    form.add_argument("--from", dest="first",
                      help="the frame's first decision date (default: the one the manifest records)")
    form.add_argument("--to", dest="last", help="the frame's last decision date (default: from the manifest)")
    form.add_argument("--new-only", action="store_true",
                      help="only the decisions of the latest round (after 'audit extend')")
    form.add_argument("--output", "-o", help="default: granskning_<reviewer>.xlsx")
    form.add_argument("--force", action="store_true", help="replace an existing form")
    form.set_defaults(func=_cmd_audit_form)

    score = steps.add_parser("score", help="score the filled forms listed under [data.audit] of the config",
                             epilog=AUDIT_EXAMPLES["score"], formatter_class=argparse.RawDescriptionHelpFormatter)
    score.add_argument("config", metavar="CONFIG")
    score.add_argument("--language", choices=("sv", "nb", "en"), help="default: [evaluation].language")
    score.set_defaults(func=_cmd_audit_score)
    for p in (draw, extend, form, score):
        p.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    audit.set_defaults(func=lambda args: (audit.print_help(), 2)[1])


def _cmd_check(args) -> int:
    failures = 0
    args.summary = _Summary()
    for p in args.paths:
        failures += not _check_one(Path(p), args)
    args.summary.print()
    n = len(args.paths)
    print(f"\n{n - failures} of {n} passed" + ("" if not failures else f"; {failures} refused or failed"))
    return 1 if failures else 0


def _progress(text: str) -> None:
    """A long step is about to start (on stderr, so that the check's own output stays a clean record)."""
    print(f"evalkit: {text} …", file=sys.stderr, flush=True)


class _Summary:
    """The table `evalkit check` ends with: per file what it was read as, its rows, its canonical columns;
    per config the analyses that can and cannot run."""

    HEAD = ("file", "read as", "rows in", "kept", "excluded", "columns found", "columns missing")

    def __init__(self):
        self.files: list[tuple[str, ...]] = []
        self.analyses: list[tuple[str, str, str, str]] = []

    def add_file(self, name: str, kind: str, loaded=None, match=None, status: str = "") -> None:
        from evalkit.provenance import records_of

        recs = records_of(loaded) if loaded is not None else []
        rows = [tuple(str(sum(getattr(r, a) for r in recs)) if recs else "—"
                      for a in ("rows_read", "rows_kept", "rows_excluded"))][0]
        if match is not None:
            total = len(match.found) + len(match.missing_required) + len(match.missing_optional)
            found = f"{len(match.found)} of {total}"
            missing = ", ".join([f"{c} (required)" for c in match.missing_required] + list(match.missing_optional))
        else:
            found, missing = "—", ""
        missing = (missing or "none") if match is not None else "—"
        self.files.append((name, kind + (f" — {status}" if status else ""), *rows, found, missing))

    def add_analysis(self, config: str, spec, state: str, why: str = "") -> None:
        self.analyses.append((config, spec.id, state, why))

    def print(self) -> None:
        if not self.files and not self.analyses:
            return
        print("\n== summary")
        if self.files:
            _print_table(self.HEAD, self.files)
        if self.analyses:
            print()
            _print_table(("config", "analysis", "can run", "why not"), self.analyses)


def _print_table(head: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    numeric = {i for i, h in enumerate(head) if h in ("rows in", "kept", "excluded")}
    for row in [head, tuple("-" * w for w in widths), *rows]:
        cells = [str(c).rjust(w) if i in numeric and row is not head else str(c).ljust(w)
                 for i, (c, w) in enumerate(zip(row, widths))]
        print("  " + "  ".join(cells).rstrip())


def _refuse_existing(path: Path, force: bool) -> None:
    if path.exists() and not force:
        raise ReportError(f"{path} exists; use --force to replace it or --output to write elsewhere")


#: key of the manifest where `evalkit audit draw` records the frame's window (--from/--to)
WINDOW_KEY = "window"


def _manifest_window(args) -> None:
    """Fill --from/--to from the manifest where the user did not give them (the frame must be the same)."""
    from evalkit.audit.sampling import _read_manifest

    window = _read_manifest(args.manifest).get(WINDOW_KEY) or {}
    args.window_known = bool(window) or bool(args.first or args.last)
    args.first = args.first or window.get("from")
    args.last = args.last or window.get("to")


def _window_of(args) -> dict:
    from evalkit._dates import parse_user_date

    return {k: parse_user_date(v, what=f"--{k}", error=ConfigError).date().isoformat() if v else None
            for k, v in (("from", args.first), ("to", args.last))}


def _redraw(args, frame):
    """The manifest's sample from ``frame``, with advice in the user's flags when the frame differs."""
    from evalkit import audit
    from evalkit.errors import DataError

    try:
        return audit.redraw(frame, args.manifest)
    except DataError as exc:
        if getattr(args, "window_known", True):
            raise
        raise DataError(f"{exc.summary}. {Path(args.manifest).name} does not record the window it was drawn "
                        "from (an older evalkit wrote it): give --from and --to as when drawing",
                        exc.problems) from None


def _audit_frame(args):
    from evalkit import pipeline
    from evalkit.config import Evaluation
    from evalkit.io.decisions import load_decisions

    evaluation = Evaluation.from_toml(args.config)
    source = evaluation.data.get("decisions")
    if source is None:
        raise ConfigError(f"{args.config}: an audit samples from [data.decisions], which the config lacks")
    with _warnings_printed(stream=sys.stderr):
        decisions = load_decisions(source.path, source.mapping, sheet=source.sheet)
    return evaluation, pipeline.audit_frame(evaluation, decisions, first=args.first, last=args.last)


def _cmd_audit_draw(args) -> int:
    from evalkit import audit

    output = Path(args.output)
    _refuse_existing(output, args.force)
    evaluation, frame = _audit_frame(args)
    strata = [c.strip() for c in args.strata.split(",") if c.strip()] or None
    sample = audit.draw(frame, args.n, strata=strata, seed=args.seed if args.seed is not None else evaluation.seed,
                        allocation=args.allocation, margin=args.margin, confidence=args.confidence,
                        precision=args.precision, exclude=audit.from_manifest(args.exclude) if args.exclude else None)
    sample.manifest[WINDOW_KEY] = _window_of(args)  # so that form and extend need not be told again
    sample.save(output)
    print(sample.summary())
    print(f"wrote {output}")
    return 0


def _cmd_audit_form(args) -> int:
    from evalkit import audit

    output = Path(args.output or f"granskning_{args.reviewer}.xlsx")
    _refuse_existing(output, args.force)
    _manifest_window(args)
    evaluation, frame = _audit_frame(args)
    sample = _redraw(args, frame)
    if args.new_only:
        sample = sample.new_cases()
    audit.form(sample, args.checklist, output, args.language or evaluation.language, reviewer=args.reviewer)
    rounds = f" (round {sample.rounds[0]})" if sample.rounds else ""
    print(f"wrote {output}: {len(sample.frame)} decisions{rounds}, checklist {args.checklist}, "
          f"reviewer {args.reviewer}")
    return 0


def _cmd_audit_extend(args) -> int:
    from evalkit import audit

    output = Path(args.output)
    _refuse_existing(output, args.force)
    if output.resolve() == Path(args.manifest).resolve():
        raise ConfigError("--output must be a new file: the first round's manifest stays as it is, because "
                          "its forms name it")
    args.first = args.last = None
    _manifest_window(args)
    evaluation, frame = _audit_frame(args)
    sample = audit.extend(_redraw(args, frame), frame, args.n)
    sample.save(output)
    print(sample.summary())
    print(f"wrote {output}; a form for the {args.n} new decisions: evalkit audit form {args.config} "
          f"--manifest {output} --new-only --reviewer 1 -o granskning_runda{int(sample.frame['round'].max())}.xlsx")
    return 0


def _cmd_audit_score(args) -> int:
    from evalkit import pipeline
    from evalkit.config import Evaluation

    evaluation = Evaluation.from_toml(args.config)
    specs = [a for a in evaluation.analyses if a.kind == "audit"]
    if not specs:
        raise ConfigError(f"{args.config}: no analysis with kind = \"audit\" to score")
    run = pipeline.Run(evaluation=evaluation, tables={})
    language = args.language or evaluation.language
    with _warnings_printed(stream=sys.stderr):
        for spec in specs:
            result = pipeline.run_analysis(spec, run)
            print(f"== {spec.title or spec.id}")
            for sentence in result.sentences(language):
                print(f"  {sentence}")
    return 0


def _cmd_report(args) -> int:
    import time

    from evalkit import pipeline
    from evalkit.config import Evaluation

    def step(text: str) -> float:
        print(f"evalkit: {text} …", file=sys.stderr, flush=True)
        return time.perf_counter()

    t0 = step(f"reading {args.config}")
    evaluation = Evaluation.from_toml(args.config)
    _warn_placeholder(evaluation)
    docx = _report_path(args, evaluation)
    xlsx = docx.with_suffix(".xlsx")
    existing = [p for p in (docx, xlsx) if p.exists()]
    if existing and not args.force:
        raise ReportError(f"{existing[0]} exists; use --force to replace it or --output to write elsewhere")
    with _warnings_printed(stream=sys.stderr):
        step("loading data (privacy gate, validation)")
        # the independent loaders and analyses run in a forked child beside this process (EVALKIT_SERIAL=1: not)
        result = pipeline.run(evaluation, parallel=True, figures=args.language or evaluation.language,
                              progress=lambda spec: step(f"analysis '{spec.id}' ({spec.kind})"))
        step("building the report (figures, tables)")
        report = pipeline.build_report(result, language=args.language)
        step(f"writing {docx} and {xlsx.name}")
        docx.parent.mkdir(parents=True, exist_ok=True)
        report.save(docx, xlsx=xlsx)
    print(f"wrote {docx}\nwrote {xlsx}\n({time.perf_counter() - t0:.1f} s)")
    return 0


def _report_path(args, evaluation) -> Path:
    name = evaluation.report.name + ("" if not args.language or args.language == evaluation.language
                                     else f"_{args.language}")
    if args.output:
        out = Path(args.output)
        if out.is_dir() or str(args.output).endswith(("/", "\\")):
            return out / f"{name}.docx"
        if out.suffix.lower() != ".docx":
            raise ReportError(f"--output must be a .docx file or a folder, got {args.output}")
        return out
    return Path("reports") / f"{name}.docx"


def _check_one(path: Path, args) -> bool:
    """Check one file or config, print a verdict; True when it passed."""
    from evalkit.errors import IdentifierError

    print(f"\n== {path}")
    try:
        with _warnings_printed():
            if path.suffix.lower() == ".toml":
                _check_config(path, getattr(args, "summary", None))
            else:
                _check_data_file(path, args)
    except IdentifierError as exc:
        print(f"REFUSED: {exc}")
        return False
    except EvalkitError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"FAILED: {_speak_config(str(exc))}")
        return False
    print("OK")
    return True


@contextlib.contextmanager
def _warnings_printed(stream=None):
    """Print evalkit warnings raised inside the block (once each) where they belong."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", EvalkitWarning)
        try:
            yield
        finally:
            seen = set()
            for w in caught:
                text = str(w.message)
                if issubclass(w.category, EvalkitWarning) and text not in seen:
                    seen.add(text)
                    print(f"  warning: {_speak_config(text)}", file=stream or sys.stdout)


def _check_data_file(path: Path, args) -> None:
    from evalkit import pipeline
    from evalkit.errors import DataError, IdentifierError

    table = args.table or ("survey" if args.codebook else None)
    found = pipeline.classify(path, sheet=args.sheet, mapping=args.mapping, table=table)
    if found.kind is None:
        _refuse_unrecognised(path, found, args)
    summary = getattr(args, "summary", None) or _Summary()
    _progress(f"reading {path.name} (privacy gate, validation)")
    if found.kind in pipeline.LOADABLE:
        try:
            frame = pipeline.load_file(path, found.kind, mapping=args.mapping, sheet=args.sheet)
        except IdentifierError:
            raise
        except DataError:  # the privacy gate passed (it runs first): the headers may be shown
            _print_lines(_match_lines(found.match, path.name, mapping_option=True), 2)
            summary.add_file(path.name, found.kind, match=found.match, status="FAILED")
            raise
        _print_record(frame, found.kind)
        _print_lines(_match_lines(found.match, path.name, mapping_option=True), 2)
        summary.add_file(path.name, found.kind, frame, found.match)
        return
    loaded = _load_other(path, found.kind, args)
    _print_record(loaded, found.kind)
    summary.add_file(path.name, found.kind.replace("_", " "), loaded)


def _refuse_unrecognised(path: Path, found, args) -> None:
    """Run the privacy gate on a file of no known kind, then say what was found and how to go on."""
    from evalkit.errors import DataError
    from evalkit.io.read import read_table
    from evalkit.privacy import check_identifiers

    frame = read_table(path, sheet=args.sheet)
    check_identifiers(frame, file=str(path))
    kinds = ", ".join(INPUT_WORDS[:-1]) + " or " + INPUT_WORDS[-1]
    best = found.matches[0] if found.matches else None
    if best is not None and best.found:
        hit = len(best.required) - len(best.missing_required)
        _print_lines([f"closest: the {best.table} table, with {hit} of its {len(best.required)} required columns "
                      f"({_pairs(best, best.required) or 'none'}); it lacks {', '.join(best.missing_required)}"], 2)
    _print_lines(["if it is one of these, say which with --table, and map its headers with --mapping FILE.toml "
                  "([columns] \"<header in the file>\" = \"<canonical column>\"; the columns are in "
                  "evalkit/schemas.py); survey responses with items of their own need --codebook"], 2)
    raise DataError(f"{path.name}: not recognised as {kinds}; columns found: {', '.join(map(str, frame.columns))}")


def _load_other(path: Path, kind: str, args):
    if kind == "codings":
        from evalkit.io.codings import load_codings

        return load_codings(path, sheet=args.sheet)
    if kind == "audit":
        from evalkit.audit import load_audit

        return load_audit(path)
    if kind == "audit_manifest":
        from evalkit.audit import from_manifest

        return from_manifest(path)
    if kind == "survey_sent":
        from evalkit.io.read import read_table
        from evalkit.privacy import check_identifiers
        from evalkit.provenance import record_of

        table = read_table(path, sheet=args.sheet)
        check_identifiers(table, file=str(path))
        record_of(table).table = "survey_sent"  # the name the provenance appendix gives it
        return table
    from evalkit.io.surveys import load_survey

    return load_survey(path, args.codebook, sheet=args.sheet)


def _print_record(loaded, kind: str) -> None:
    from evalkit.provenance import records_of

    if kind in ("codings", "audit_manifest"):
        print(f"  {kind.replace('_', ' ')}: " + loaded.summary().replace("\n", "\n  "))
        return
    for rec in records_of(loaded):
        print(f"  {rec.table}: {rec.summary()}".replace("\n", "\n  "))
        if kind == "survey_sent":
            print(f"  survey mailing list (questionnaires sent): {', '.join(map(str, loaded.columns))}")
        for note in rec.notes:
            if not note.startswith("columns not"):  # the column lines below say it in full
                print(f"  note: {note}")
    if kind == "survey":
        items = loaded.items
        print(f"  survey items ({len(items)}): {', '.join(items)}")


def _pairs(match, names) -> str:
    return ", ".join(f"{c} ({match.found[c]!r})" for c in names if c in match.found)


def _match_lines(match, file: str, *, mapping_option: bool) -> list[str]:
    """Found and missing canonical columns of a table, required apart from optional, and unused headers."""
    from evalkit.schemas import SCHEMAS

    required = match.required
    optional = [c for c in SCHEMAS[match.table].names if c not in required]
    lines = [f"columns of the {match.table} table in {file}:",
             f"  required found ({len(required) - len(match.missing_required)} of {len(required)}): "
             f"{_pairs(match, required) or 'none'}"]
    if match.missing_required:
        lines.append(f"  required MISSING: {', '.join(match.missing_required)}")
    if optional:
        lines.append(f"  optional found ({len(optional) - len(match.missing_optional)} of {len(optional)}): "
                     f"{_pairs(match, optional) or 'none'}")
    if match.missing_optional:
        lines.append(f"  optional missing: {', '.join(match.missing_optional)}")
    if match.unused:
        lines.append(f"  file columns not used: {', '.join(repr(h) for h in match.unused)}")
    if match.unused and (match.missing_required or match.missing_optional):
        where = ("--mapping FILE.toml" if mapping_option
                 else f"a mapping file named by mapping = \"mapping.toml\" under [data.{match.table}]")
        lines.append(f"  if a column not used holds a missing one, map it in {where}: "
                     f"[columns] \"<header in the file>\" = \"<canonical column>\"")
    return lines


def _print_lines(lines: list[str], indent: int) -> None:
    for line in lines:
        print(textwrap.fill(line, width=118, initial_indent=" " * indent,
                            subsequent_indent=" " * (indent + 4), break_long_words=False,
                            break_on_hyphens=False))


def _check_config(path: Path, summary: "_Summary | None" = None) -> None:
    from evalkit import pipeline
    from evalkit.config import Evaluation
    from evalkit.errors import AnalysisError, DataError, IdentifierError

    summary = summary or _Summary()

    _refuse_other_toml(path)
    evaluation = Evaluation.from_toml(path)
    print(f"  {evaluation.title} — change '{evaluation.change.name}' on {evaluation.change.date}")
    _warn_placeholder(evaluation)
    matches = {kind: pipeline.match_columns(pipeline.read_headers(src.path, src.sheet), kind, src.mapping)
               for kind, src in evaluation.data.items() if kind in pipeline.LOADABLE}
    try:
        _progress(f"loading the data of {path.name} (privacy gate, validation, outcome panel)")
        result = pipeline.run(evaluation, analyses=False)
    except IdentifierError:
        raise
    except DataError:
        # the sources load one after another: a file that failed may stop the run before another is gated,
        # so the headers about to be shown go through the gate first
        import pandas as pd
        from evalkit.privacy import check_identifiers

        for kind, match in matches.items():
            name = evaluation.data[kind].path.name
            check_identifiers(pd.DataFrame(columns=list(match.headers)), file=name)
            _print_lines(_match_lines(match, name, mapping_option=False), 2)
        raise
    for kind, source in evaluation.data.items():
        loaded = result.tables.get(kind)
        if loaded is not None:
            summary.add_file(source.path.name, kind, loaded, matches.get(kind))
    for rec in pipeline.input_records(result):
        sha = f"  [sha256 {rec.source.sha256[:12]}…]" if rec.source else ""
        print(f"  {rec.table}: {rec.summary()}{sha}")
    for kind, match in matches.items():
        _print_lines(_match_lines(match, evaluation.data[kind].path.name, mapping_option=False), 2)
    if result.panel is not None:
        units = sorted(set(result.panel["unit"]))
        periods = result.panel["period"]
        print(f"  outcome panel: {len(result.panel)} unit-months, units {units}, "
              f"{periods.min():%Y-%m} – {periods.max():%Y-%m}")
    unmet = {u.analysis: u for u in pipeline.unmet_needs(evaluation, result, matches)}
    failed = []
    for spec in evaluation.analyses:
        head = f"  analysis '{spec.id}' ({spec.kind}{', ' + spec.outcome if spec.outcome else ''})"
        if spec.id in unmet:
            print(f"{head}: CANNOT RUN")
            lines = _unmet_lines(unmet[spec.id], evaluation)
            _print_lines(lines, 4)
            summary.add_analysis(path.name, spec, "NO", "; ".join(lines))
            continue
        try:
            _progress(f"analysis '{spec.id}' ({spec.kind})")
            res = result.results[spec.id] = pipeline.run_analysis(spec, result)
        except IdentifierError:
            raise
        except (AnalysisError, DataError) as exc:  # one analysis failing does not hide what the others say
            failed.append(spec.id)
            print(f"{head}: FAILED")
            _print_lines([str(exc)], 4)
            summary.add_analysis(path.name, spec, "FAILED", str(exc).splitlines()[0])
            continue
        summary.add_analysis(path.name, spec, "yes")
        print(f"{head}:")
        print(_indent(_effects_text(res), 4))
    if unmet or failed:
        raise AnalysisError(_config_verdict(evaluation, list(unmet.values()), failed))


def _warn_placeholder(evaluation) -> None:
    if evaluation.change.placeholder:
        warnings.warn(EvalkitWarning(
            f"{evaluation.path.name}: [change] date = {evaluation.change.date} is a placeholder written by evalkit "
            "init, not the date of the change; every before/after estimate depends on it. Set the real date "
            "under [change] and delete the line placeholder = true."), stacklevel=2)


def _refuse_other_toml(path: Path) -> None:
    """A .toml that is no evaluation config (a mapping file, a codebook, a parameter file) is not recognised."""
    from evalkit._files import read_toml

    raw = read_toml(path, "config file")
    if "evaluation" in raw:
        return
    what = (" It looks like a column mapping: give it to a data file with --mapping, or name it under "
            "[data.<table>] of a config as mapping = \"...\"." if set(raw) <= {"columns", "values"} else "")
    raise ConfigError(f"{path.name}: not recognised as an evaluation config (it has no [evaluation] table); "
                      f"tables found: {', '.join(f'[{k}]' for k in raw) or 'none'}.{what}")


def _unmet_lines(unmet, evaluation) -> list[str]:
    lines = [f"needs [data.{s}], which {evaluation.path.name} lacks" for s in unmet.sources]
    for source, column, state, why in unmet.columns:
        if source == "audit":
            lines.append(f"needs {column} = ... under [data.audit] ({why})")
        else:
            name = evaluation.data[source].path.name
            where = f"empty in every row of {name}" if state == "empty" else f"not in {name}"
            lines.append(f"needs the {source} column {column} ({why}): {where}")
    return lines + list(unmet.other)


def _config_verdict(evaluation, unmet, failed) -> str:
    names = [u.analysis for u in unmet] + failed
    text = (f"{len(names)} of {len(evaluation.analyses)} analyses cannot run on the data found: "
            f"{', '.join(names)}.")
    missing: dict[str, list[str]] = {}
    for u in unmet:
        for source, column, _, _ in u.columns:
            if source != "audit":
                missing.setdefault(source, []).append(column)
    for source, columns in missing.items():
        src = evaluation.data[source]
        where = (f"under [columns] in {src.mapping.name}" if src.mapping else
                 f"in a mapping file named under [data.{source}] as mapping = \"mapping.toml\"")
        text += (f" Missing {source} columns: {', '.join(dict.fromkeys(columns))}; if {src.path.name} has them "
                 f"under other headers, map them {where}: [columns] \"<header in the file>\" = \"<column>\".")
    return text


def _effects_text(result) -> str:
    import pandas as pd

    table = getattr(result, "effects", None)
    if table is None:
        table = getattr(result, "effect", None)
        if isinstance(table, pd.Series):
            table = table.to_frame().T
    if not isinstance(table, pd.DataFrame):
        sentences = getattr(result, "sentences", None)
        return "\n".join(sentences("en")) if callable(sentences) else str(result)
    with pd.option_context("display.width", 120, "display.max_columns", 10, "display.precision", 3):
        return str(table)


def _indent(text: str, n: int) -> str:
    return "\n".join(" " * n + line for line in text.splitlines())


if __name__ == "__main__":  # pragma: no cover
    console()
