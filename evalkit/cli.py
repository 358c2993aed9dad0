"""The ``evalkit`` command line.

Errors are printed as one clear message (no traceback unless ``--debug``) and
the exit status is non-zero on any failure: 1 for refused/invalid input, 2 for
wrong usage, 3 for an internal error.
"""
from __future__ import annotations

import argparse
import contextlib
import sys
import traceback
import warnings
from pathlib import Path

from evalkit.errors import EvalkitError, EvalkitWarning, ReportError

__all__ = ["main"]

EXAMPLES = """\
examples:
  evalkit check data_samples/exempelkommun/ibic.toml
  evalkit check beslut.csv bestallningar.xlsx --mapping min_mappning.toml
  evalkit report data_samples/exempelkommun/ibic.toml            # -> reports/ibic.docx + reports/ibic.xlsx
  evalkit report ibic.toml --language en --output reports/ibic_en.docx --force
"""


def main(argv: list[str] | None = None) -> int:
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
                print(f"  warning: {w.message}", file=sys.stderr)
        return status
    except EvalkitError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"evalkit: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("evalkit: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug in evalkit or a dependency: say so plainly
        if args.debug:
            traceback.print_exc()
        print(f"evalkit: internal error ({type(exc).__name__}: {exc}). Run again with --debug and report it.",
              file=sys.stderr)
        return 3


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
        description="Run the privacy gate and the validation on data files (.csv .xlsx .parquet .sav) or on "
                    "every data source of evaluation configs (.toml), print row accounting, and for configs "
                    "the outcome panels and analysis estimates.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    check.add_argument("paths", nargs="+", metavar="PATH", help="data files or evaluation .toml files")
    check.add_argument("--mapping", help="TOML column mapping for data files")
    check.add_argument("--table", choices=("decisions", "orders", "visits"),
                       help="which canonical table the data files hold (default: guessed from headers)")
    check.add_argument("--sheet", help="Excel sheet (default: the first)")
    check.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    check.set_defaults(func=_cmd_check)

    report = sub.add_parser(
        "report", help="write the Word report (.docx) and its Excel appendix (.xlsx) for an evaluation config",
        description="Load the config's data (privacy gate and validation), build the outcome panels, run every "
                    "configured analysis and write reports/<name>.docx and reports/<name>.xlsx. Files are "
                    "written to a temporary file first and renamed, so a failed run never leaves a "
                    "half-written report.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    report.add_argument("config", metavar="CONFIG", help="evaluation .toml")
    report.add_argument("--output", "-o", metavar="PATH",
                        help="the .docx to write, or a folder (default: reports/<report.name>.docx)")
    report.add_argument("--language", choices=("sv", "nb", "en"), help="override [evaluation].language")
    report.add_argument("--force", action="store_true", help="replace an existing report")
    report.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    report.set_defaults(func=_cmd_report)
    return parser


def _cmd_check(args) -> int:
    failures = 0
    for p in args.paths:
        failures += not _check_one(Path(p), args)
    n = len(args.paths)
    print(f"\n{n - failures} of {n} passed" + ("" if not failures else f"; {failures} refused or failed"))
    return 1 if failures else 0


def _cmd_report(args) -> int:
    import time

    from evalkit import pipeline
    from evalkit.config import Evaluation

    def step(text: str) -> float:
        print(f"evalkit: {text} …", file=sys.stderr, flush=True)
        return time.perf_counter()

    t0 = step(f"reading {args.config}")
    evaluation = Evaluation.from_toml(args.config)
    docx = _report_path(args, evaluation)
    xlsx = docx.with_suffix(".xlsx")
    existing = [p for p in (docx, xlsx) if p.exists()]
    if existing and not args.force:
        raise ReportError(f"{existing[0]} exists; use --force to replace it or --output to write elsewhere")
    with _warnings_printed(stream=sys.stderr):
        step("loading data (privacy gate, validation)")
        result = pipeline.run(evaluation, analyses=False)
        for spec in evaluation.analyses:
            step(f"analysis '{spec.id}' ({spec.kind})")
            result.results[spec.id] = pipeline.run_analysis(spec, result)
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
                _check_config(path)
            else:
                _check_data_file(path, args)
    except IdentifierError as exc:
        print(f"REFUSED: {exc}")
        return False
    except EvalkitError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"FAILED: {exc}")
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
                    print(f"  warning: {text}", file=stream or sys.stdout)


def _check_data_file(path: Path, args) -> None:
    from evalkit import pipeline
    from evalkit.io.read import read_table
    from evalkit.privacy import check_identifiers
    from evalkit.provenance import record_of

    table = args.table or pipeline.guess_table(path, sheet=args.sheet)
    if table is None:
        frame = read_table(path, sheet=args.sheet)
        check_identifiers(frame, file=str(path))
        print(f"  not a decisions/orders/visits table (use --table to say which); read as a plain table:")
        print(f"  {record_of(frame).summary()}")
        print(f"  columns: {', '.join(map(str, frame.columns))}")
        return
    frame = pipeline.load_file(path, table, mapping=args.mapping, sheet=args.sheet)
    print(f"  {table}: " + record_of(frame).summary())
    for note in record_of(frame).notes:
        print(f"  note: {note}")


def _check_config(path: Path) -> None:
    from evalkit import pipeline
    from evalkit.config import Evaluation
    from evalkit.provenance import record_of

    evaluation = Evaluation.from_toml(path)
    print(f"  {evaluation.title} — change '{evaluation.change.name}' on {evaluation.change.date}")
    result = pipeline.run(evaluation, analyses=False)
    for frame in pipeline._frames(result.tables):
        rec = record_of(frame)
        if rec is not None:
            sha = f"  [sha256 {rec.source.sha256[:12]}…]" if rec.source else ""
            print(f"  {rec.table}: {rec.summary()}{sha}")
    if result.panel is not None:
        units = sorted(set(result.panel["unit"]))
        periods = result.panel["period"]
        print(f"  outcome panel: {len(result.panel)} unit-months, units {units}, "
              f"{periods.min():%Y-%m} – {periods.max():%Y-%m}")
    for spec in evaluation.analyses:
        res = result.results[spec.id] = pipeline.run_analysis(spec, result)
        print(f"  analysis '{spec.id}' ({spec.kind}{', ' + spec.outcome if spec.outcome else ''}):")
        print(_indent(_effects_text(res), 4))


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
    sys.exit(main())
