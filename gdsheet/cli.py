"""The `gdsheet` command line: parse options, call the library, turn errors into one line.

Every user-caused failure is a :class:`~gdsheet.errors.GdsheetError` carrying its exit code;
this module is the only place that prints it, so no traceback ever reaches the user.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import sys
import warnings
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from gdsheet.engine import DEFAULT_ENGINE, ENGINES
from gdsheet.errors import GdsheetError, Interrupted, RunStopped
from gdsheet.lesson.models import MODELS
from gdsheet.lesson.schedules import DEFAULT_DECAY, DEFAULT_STEP_EPOCHS, SCHEDULES
from gdsheet.lesson.spec import (
    DEFAULT_PRESET,
    GRADIENT_RULES,
    HYPER_PARAMETERS,
    LOSSES,
    OPTIMIZERS,
    preset_names,
    preset_summary,
)
from gdsheet.lesson.sweep import optimizers_from_text, rates_from_text
from gdsheet.limits import GRADE_MEMORY_MB, GRADE_SECONDS, MAX_EPOCHS

if TYPE_CHECKING:  # the commands are imported by the subcommand that runs them (a light start)
    from gdsheet.commands.run import Record

EXIT_CODES = """exit codes: 0 ok; 1 check or recalc --check found a mismatch or an unchecked formula;
2 bad input or option;
3 unreadable, hostile, read-only, open or busy workbook, a missing cell/name, or a carried or
recorded cell that holds no number; 4 a run diverged (inf, NaN, #NUM!, #DIV/0!);
70 internal error; 75 out of memory; 130 (SIGINT, Ctrl-C) or 143 (SIGTERM) a run interrupted,
its finished epochs saved"""

EXIT_OUT_OF_MEMORY = 75
_OUT_OF_MEMORY = b"gdsheet: error: out of memory (exit 75); the input is too large for this machine\n"
"""Written with os.write, allocated up front: after a MemoryError there may be no room to build it."""


def version() -> str:
    """The installed package's version, or the source tree's when it is not installed."""
    try:
        from importlib.metadata import PackageNotFoundError
        from importlib.metadata import version as installed

        return installed("gdsheet")
    except PackageNotFoundError:
        from gdsheet import __version__

        return __version__


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2), like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class _Version(argparse.Action):
    """``--version``, whose text is looked up only when asked for: argparse's own version action
    takes it when the parser is built, and importlib.metadata costs every command ~10 ms."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> NoReturn:
        print(f"gdsheet {version()}")  # to stdout, as argparse's own version action does
        parser.exit()


PRESETS = "(default: the preset's)"


def _add_lesson_options(
    parser: argparse.ArgumentParser,
    seed_help: str = "the noise's random seed, and an mlp's start weights' (numpy default_rng; default 0)",
) -> None:
    parser.add_argument(
        "--preset", default=DEFAULT_PRESET, help="a shipped preset (see `gdsheet templates`) or a path to a .toml file"
    )
    parser.add_argument(
        "--features",
        type=int,
        help="with --samples, for linear and logistic: inputs per sample (default: the preset's, 1)",
    )
    parser.add_argument(
        "--landscape",
        help="the two parameters the loss grid spans, rows,columns (default: m,b for the line, w1,b otherwise)",
    )
    parser.add_argument(
        "--grid-m",
        type=_numbers,
        help="the grid's row values, a,b,… (default: the preset's; around the fit of own samples)",
    )
    parser.add_argument(
        "--grid-b",
        type=_numbers,
        help="the grid's column values (default: the preset's; around the fit of own samples)",
    )
    parser.add_argument("--m-start", type=float, help=f"m at the top of the descent table {PRESETS}")
    parser.add_argument("--b-start", type=float, help=f"b at the top of the descent table {PRESETS}")
    parser.add_argument("--learn", type=float, help=f"learning rate (> 0) {PRESETS}")
    parser.add_argument("--epochs", type=int, help=f"epochs per run (1 to {MAX_EPOCHS:,}; default: the preset's)")
    parser.add_argument("--gradient", choices=GRADIENT_RULES, help=f"what drives the update {PRESETS}")
    parser.add_argument(
        "--loss", choices=LOSSES, help=f"rmse (sqrt of the mean) or the seed's root-sum-square {PRESETS}"
    )
    parser.add_argument(
        "--data", type=Path, help="CSV file with header x,y: the descent samples (default: the preset's)"
    )
    parser.add_argument(
        "--samples",
        type=int,
        help="generate N descent samples on the line (x evenly spaced over the data's range; default: the preset's)",
    )
    parser.add_argument(
        "--noise", type=float, help="add Gaussian noise of this standard deviation to each sample's y (default: none)"
    )
    parser.add_argument("--seed", type=int, help=seed_help)
    parser.add_argument(
        "--model",
        choices=tuple(MODELS),
        help="the model: line, linear, logistic or mlp (its own preset unless --preset); default: the preset's (line)",
    )
    parser.add_argument("--optimizer", choices=OPTIMIZERS, help=f"the per-sample update rule (torch.optim's) {PRESETS}")
    for name, default in HYPER_PARAMETERS.items():
        parser.add_argument(
            f"--{name}",
            type=float,
            help=f"optimizer hyper-parameter (default {default:g}); only for the optimizers that use it",
        )
    parser.add_argument(
        "--live-epochs", type=int, help=f"epochs unrolled as formulas on a Live sheet (0: none) {PRESETS}"
    )
    parser.add_argument(
        "--batch-size", type=int, help="samples per update (default 1; the number of samples: full batch)"
    )
    most = max(spec.max_hidden for spec in MODELS.values())
    parser.add_argument("--hidden", type=int, help=f"with --model mlp: hidden units (1 to {most}) {PRESETS}")
    activations = tuple(dict.fromkeys(a for spec in MODELS.values() for a in spec.activations))
    parser.add_argument(
        "--activation", choices=activations, help=f"with --model mlp: the hidden units' activation {PRESETS}"
    )
    parser.add_argument(
        "--schedule",
        choices=SCHEDULES,
        help="the learning rate per epoch e: constant, step (learn·decay^floor((e-1)/S)) or cosine "
        "(learn·(1+cos(pi·(e-1)/E))/2 over the live epochs E); default: the preset's (constant)",
    )
    parser.add_argument(
        "--wireframe",
        action="store_true",
        default=None,
        help="add a Surface sheet: the loss grid as a formula-projected wireframe with the descent path (default: off)",
    )
    parser.add_argument(
        "--sweep",
        type=_rates,
        help="learning rates, comma-separated (0.1,0.2,0.5): a Sweep sheet unrolls the live epochs once per rate "
        "(default: none)",
    )
    parser.add_argument(
        "--compare",
        type=_optimizers,
        help="optimizers, comma-separated (sgd,momentum,adam): a Sweep sheet unrolls the live epochs once per "
        "optimizer (and rate, with --sweep; default: none)",
    )
    parser.add_argument("--decay", type=float, help=f"the step schedule's factor G (> 0; default {DEFAULT_DECAY:g})")
    parser.add_argument(
        "--step-epochs",
        type=int,
        help=f"the step schedule's epochs S between decays (>= 1; default {DEFAULT_STEP_EPOCHS})",
    )


def _rates(text: str) -> tuple[float, ...]:
    """``--sweep``'s rates, an argparse type: a bad list is a usage error."""
    try:
        return rates_from_text(text)
    except GdsheetError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _optimizers(text: str) -> tuple[str, ...]:
    """``--compare``'s optimizers, an argparse type."""
    try:
        return optimizers_from_text(text)
    except GdsheetError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _numbers(text: str) -> tuple[float, ...]:
    """A comma-separated list of finite numbers (an argparse type: a bad one is a usage error)."""
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers") from None
    if not all(math.isfinite(value) for value in values):
        raise argparse.ArgumentTypeError(f"{text!r} holds a number that is not finite")
    return values


def _lesson_overrides(args: argparse.Namespace) -> dict[str, object]:
    return {
        "model": args.model,
        "features": args.features,
        "landscape": args.landscape,
        "grid_m": args.grid_m,
        "grid_b": args.grid_b,
        "m_start": args.m_start,
        "b_start": args.b_start,
        "learn": args.learn,
        "epochs": args.epochs,
        "gradient": args.gradient,
        "loss": args.loss,
        "optimizer": args.optimizer,
        "live_epochs": args.live_epochs,
        "batch_size": args.batch_size,
        "hidden": args.hidden,
        "activation": args.activation,
        "schedule": args.schedule,
        "sweep": args.sweep,
        "wireframe": args.wireframe,
        "compare": args.compare,
        "decay": args.decay,
        "step_epochs": args.step_epochs,
        **{name: getattr(args, name) for name in HYPER_PARAMETERS},
    }


def _cmd_build(args: argparse.Namespace) -> int:
    from gdsheet.commands.build import divergence_warning, make_lesson, write_lesson

    generated = {"samples": args.samples, "noise": args.noise, "seed": args.seed}
    lesson = make_lesson(args.preset, data=args.data, **generated, **_lesson_overrides(args))
    path = write_lesson(lesson, args.out)
    if (warning := divergence_warning(lesson)) is not None:
        print(f"gdsheet: warning: {warning}", file=sys.stderr)
    print(f"wrote {path}")
    return 0


def _cmd_templates(args: argparse.Namespace) -> int:
    names = preset_names()
    width = max(len(name) for name in names)
    for name in names:
        marker = " (default)" if name == DEFAULT_PRESET else ""
        print(f"{name:<{width}}  {preset_summary(name)}{marker}")
    return 0


def print_records(records: Sequence[Record]) -> None:
    """The log as an aligned table: one row per epoch."""
    if not records:
        return
    keys = [key for key in records[0] if key != "loss"]  # `loss` repeats the lesson's own loss key (JSON only)

    def texts(record: Record) -> list[str]:
        return [str(record[k]) if k == "epoch" else f"{record[k]:.10g}" for k in keys]

    widths = [len(key) for key in keys]
    for record in records:  # two passes, so a million epochs are never held as text
        widths = [max(width, len(text)) for width, text in zip(widths, texts(record), strict=True)]
    for row in ([keys], map(texts, records)):
        for cells in row:
            print("  ".join(text.rjust(width) for text, width in zip(cells, widths, strict=True)))


def _cmd_run(args: argparse.Namespace) -> int:
    from gdsheet.commands.run import run_records, terminal_progress

    progress = terminal_progress if sys.stderr.isatty() and not args.json else None
    try:
        records = run_records(
            args.workbook,
            args.epochs,
            carry=args.carry,
            record=args.record,
            progress=progress,
            force=args.force,
            engine=args.engine,
            verbose=args.verbose,
            seed=args.seed,
            keep_json=args.json,
        )
    except RunStopped as exc:
        _print_run(exc.records, args.json)  # the epochs that did finish, and were saved
        raise
    _print_run(records, args.json)
    return 0


def _print_run(records: Sequence[Record], as_json: bool) -> None:
    if as_json:
        from gdsheet.commands.records import EpochRecords

        if isinstance(records, EpochRecords):  # a row a template, a few thousand a write
            records.write_json(sys.stdout)
            return
        # a run records only finite numbers; written in pieces, so a million epochs are never one string
        for piece in json.JSONEncoder(allow_nan=False).iterencode({"epochs": list(records)}):
            sys.stdout.write(piece)
        sys.stdout.write("\n")
    else:
        print_records(records)


def _cmd_reset(args: argparse.Namespace) -> int:
    from gdsheet.commands.run import reset

    reset(args.workbook, force=args.force, engine=args.engine)
    print(f"reset {args.workbook}: log cleared, the parameters and any optimizer state back to their built values")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from gdsheet.commands.check import check_workbook
    from gdsheet.xlsx.archive import check_workbook_archive

    check_workbook_archive(args.workbook)
    report = check_workbook(
        args.workbook, engine=args.engine, verbose=args.verbose, allow_unchecked=args.allow_unchecked
    )
    if args.json:
        print(json.dumps(report.as_json(), allow_nan=False))
        return 0 if report.ok else 1
    problems = []
    if report.mismatches:
        problems.append(f"{len(report.mismatches)} mismatch(es)")
    if report.unchecked and not report.allow_unchecked:
        problems.append(f"{len(report.unchecked)} cell(s) no lesson name covers (--allow-unchecked)")
    verdict = ", ".join(problems) if problems else "ok"
    print(f"checked {report.cells} formula cells; worst relative error {report.max_rel_error:.3g}: {verdict}")
    label = f"{len(report.unchecked)} formula or number cell(s) not covered by a lesson name"
    if any(":" in entry for entry in report.unchecked):  # the epoch log's rows (Lesson!T80:W80) whose start is unknown
        label += ", or epoch-log rows whose start is unknown (not verifiable)"
    _print_listing([str(m["message"]) for m in report.mismatches], report.unchecked, label)
    return 0 if report.ok else 1


def _print_listing(lines: list[str], cells: list[str], label: str) -> None:
    """The first 20 lines of a report (the rest are in --json), then the first 10 of its cells."""
    for line in lines[:20]:
        print(f"  {line}")
    if len(lines) > 20:
        print(f"  ... and {len(lines) - 20} more (--json lists them all)")
    if cells:
        print(f"  {label}: {', '.join(cells[:10])}{', ...' if len(cells) > 10 else ''}")


def _cmd_recalc(args: argparse.Namespace) -> int:
    from gdsheet.commands.recalc import recalc

    report = recalc(
        args.workbook, check=args.check, force=args.force, engine=args.engine, verbose=args.verbose, seed=args.seed
    )
    if args.json:
        print(json.dumps(report.as_json(), allow_nan=False))
        return 0 if report.ok or not args.check else 1
    counts = (
        f"{report.cells:,} formula cells ({report.native:,} native, {report.fallback:,} by the formulas package, "
        f"{report.volatile:,} volatile)"
    )
    if not args.check:
        print(f"recalculated {args.workbook}: {counts}, their cached values written")
        return 0
    problems = []
    if report.mismatches:
        problems.append(f"{len(report.mismatches)} cached value(s) differ from their formula")
    if report.unverified:
        problems.append(f"{len(report.unverified)} value(s) the compiled engine cannot vouch for")
    print(f"{args.workbook}: {counts}: {', '.join(problems) if problems else 'every cached value agrees'}")
    lines = []
    for mismatch in report.mismatches:
        formula = str(mismatch["formula"])
        formula = formula if len(formula) <= 60 else formula[:57] + "..."
        lines.append(f"{mismatch['cell']}: cached {mismatch['cached']!r}, recalculated {mismatch['got']!r} ({formula})")
    _print_listing(lines, report.unverified, "unverified")
    return 0 if report.ok else 1


def _cmd_assign(args: argparse.Namespace) -> int:
    from gdsheet.commands.assign import assign

    options = {key: value for key, value in _lesson_overrides(args).items() if value is not None}
    assignment = assign(
        args.roster, args.out, blank=args.blank, seed=args.seed or 0, preset=args.preset, samples=args.samples,
        noise=args.noise, data=args.data, **options,
    )  # fmt: skip
    blank = f", columns {', '.join(assignment.blank)} left blank" if assignment.blank else ""
    print(f"wrote {len(assignment.students)} workbook(s) and {assignment.path} in {args.out}{blank}")
    return 0


def _cmd_grade(args: argparse.Namespace) -> int:
    from gdsheet.commands import grade_report
    from gdsheet.commands.assign import read_assignment
    from gdsheet.commands.grade import grade_files
    from gdsheet.commands.run import terminal_progress
    from gdsheet.xlsx.atomic import atomic_output

    assignment = read_assignment(args.assignment)
    outputs = [path for path in (args.csv, args.html) if path is not None]
    for path in outputs:  # before grading, so a typo costs nothing
        if path.is_dir() or not path.parent.is_dir():
            raise GdsheetError(f"{path}: cannot write there (not a file in an existing folder)")
    progress = partial(terminal_progress, what="workbook") if sys.stderr.isatty() else None
    records = grade_files(
        assignment, args.files, jobs=args.jobs, timeout=args.timeout, memory_mb=args.max_memory,
        engine=args.engine, progress=progress,
    )  # fmt: skip
    print(grade_report.as_json(records) if args.json else grade_report.table(records))
    title = f"gdsheet grade: {args.assignment}"
    for path, text in ((args.csv, grade_report.as_csv(records)), (args.html, grade_report.as_html(records, title))):
        if path is not None:
            with atomic_output(path) as tmp:
                Path(tmp).write_text(text, encoding="utf-8")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from gdsheet.commands.build import build
    from gdsheet.commands.run import run

    path = build(args.out, DEFAULT_PRESET)
    records = run(path)
    print_records(records)
    print(
        f"wrote {path.resolve()}: the {DEFAULT_PRESET} lesson after {len(records)} epochs; "
        "open it in Excel or LibreOffice"
    )
    return 0


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default (when it has one worth showing) and keeps the epilog's lines."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default" in text or action.default in (None, False, [], argparse.SUPPRESS):
            return text
        return super()._get_help_string(action) or text

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        return "".join(indent + line for line in text.splitlines(keepends=True))


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default=DEFAULT_ENGINE,
        help="evaluation engine: compiled, or formulas (the slow reference interpreter)",
    )
    parser.add_argument("--verbose", action="store_true", help="say when a formula falls back to the formulas engine")


def _command(sub: argparse._SubParsersAction, name: str, summary: str) -> argparse.ArgumentParser:
    """A subcommand whose one-line summary shows in `gdsheet --help` and atop its own --help."""
    return sub.add_parser(name, help=summary, description=summary, epilog=EXIT_CODES, formatter_class=_Help)


def make_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(prog="gdsheet", description=__doc__.splitlines()[0], epilog=EXIT_CODES, formatter_class=_Help)
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = _command(sub, "build", "write a lesson workbook (.xlsx)")
    p.add_argument("out", type=Path, help="the workbook to write")
    _add_lesson_options(p)
    p.set_defaults(func=_cmd_build)

    p = _command(sub, "templates", "list the lesson presets, one line each")
    p.set_defaults(func=_cmd_templates)

    p = _command(sub, "run", "run epochs on a workbook and save it (the Run Epoch button)")
    p.add_argument("workbook", type=Path, help="an .xlsx or .xlsm")
    p.add_argument(
        "--epochs", type=int, help=f"epochs to run, 1 to {MAX_EPOCHS:,} (default: the workbook's epochs cell)"
    )
    p.add_argument("--json", action="store_true", help='print {"epochs": [...]} instead of a table')
    p.add_argument(
        "--carry",
        action="append",
        default=[],
        metavar="TARGET=SOURCE",
        help="for any workbook: copy cell SOURCE into cell TARGET each epoch (Sheet!A1; repeatable)",
    )
    p.add_argument(
        "--record",
        action="append",
        default=[],
        metavar="CELL",
        help="record this cell (Sheet!A1, a defined name or Sheet!name) after each epoch (repeatable)",
    )
    p.add_argument("--seed", type=int, default=0, help="the seed of RAND and RANDBETWEEN's draws (default 0)")
    _add_force(p)
    _add_engine_options(p)
    p.set_defaults(func=_cmd_run)

    p = _command(sub, "reset", "clear the epoch log and restore m and b (the Reset button)")
    p.add_argument("workbook", type=Path, help="a lesson workbook")
    _add_force(p)
    _add_engine_options(p)
    p.set_defaults(func=_cmd_reset)

    p = _command(sub, "check", "check every formula cell against the numpy reference")
    p.add_argument("workbook", type=Path, help="a lesson workbook")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--allow-unchecked",
        action="store_true",
        help="pass even when formula cells lie outside every lesson name (they are still listed)",
    )
    _add_engine_options(p)
    p.set_defaults(func=_cmd_check)

    p = _command(sub, "recalc", "recalculate every formula and write its cached value (or --check them)")
    p.add_argument("workbook", type=Path, help="an .xlsx or .xlsm")
    p.add_argument("--check", action="store_true", help="write nothing: compare each cached value with its formula")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("--seed", type=int, default=0, help="the seed of RAND and RANDBETWEEN's draws")
    _add_force(p)
    _add_engine_options(p)
    p.set_defaults(func=_cmd_recalc)

    p = _command(sub, "assign", "write one lesson workbook per student of a roster, each with its own samples")
    p.add_argument("roster", type=Path, help="a CSV with the header id,name (ids: letters, digits, - and _)")
    p.add_argument("--out", type=Path, required=True, help="the folder for <id>.xlsx and assignment.toml")
    p.add_argument(
        "--blank", help='descent columns to leave empty for the student, as in the table header: "de/dm,new_m"'
    )
    _add_lesson_options(p, seed_help="the assignment's seed: with each id, it draws that student's samples (default 0)")
    p.set_defaults(func=_cmd_assign)

    p = _command(sub, "grade", "grade students' workbooks of an assignment against the numpy reference")
    p.add_argument("assignment", type=Path, help="the assignment.toml that `gdsheet assign` wrote")
    p.add_argument("files", type=Path, nargs="+", metavar="FILE", help="the workbooks to grade")
    p.add_argument("--json", action="store_true", help='print {"students": [...]} instead of a table')
    p.add_argument("--csv", type=Path, help="write one row per file here, for a gradebook")
    p.add_argument("--html", type=Path, help="write one self-contained page with a section per student here")
    p.add_argument("--jobs", type=int, default=1, help="workbooks graded at a time, each in its own process")
    p.add_argument("--timeout", type=float, default=GRADE_SECONDS, help="seconds one workbook may take")
    p.add_argument(
        "--max-memory", type=int, default=GRADE_MEMORY_MB, help="MB one workbook's grading may use beyond the grader's"
    )
    _add_engine_options(p)
    p.set_defaults(func=_cmd_grade)

    p = _command(sub, "demo", "build the default lesson, run its epochs and say where it is")
    p.add_argument("--out", type=Path, default=Path("gdsheet-demo.xlsx"), help="the workbook to write")
    p.set_defaults(func=_cmd_demo)
    return parser


def _add_force(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--force",
        action="store_true",
        help="save even when a LibreOffice or Excel lock file says the workbook is open there",
    )


def _out_of_memory() -> int:
    """One line on stderr without allocating (much), and the documented exit code."""
    with contextlib.suppress(BaseException):
        os.write(2, _OUT_OF_MEMORY)
    return EXIT_OUT_OF_MEMORY


@contextlib.contextmanager
def quiet_libraries() -> Iterator[None]:
    """No library's log record or warning reaches stderr while a command runs.

    `formulas` dispatches through schedula, which logs a failed function (``FOO``, ``QUOTIENT``)
    with its whole traceback; with no handler configured, Python's last-resort handler prints
    those 18 lines to stderr. The command line speaks in one line per error, so while a command
    runs the root logger gets a handler that drops records, and warnings go to logging too."""
    root, sink = logging.getLogger(), logging.NullHandler()
    root.addHandler(sink)
    logging.captureWarnings(True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("default")  # through logging, to the sink, never to stderr
            yield
    finally:
        logging.captureWarnings(False)
        root.removeHandler(sink)


EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: what a shell reports for a Unix tool whose reader went away (``| head``)."""


def _closed_stdout() -> int:
    """The reader of our output is gone: end quietly, as Unix tools do.

    Nothing more can be printed, and Python would report the failed flush at exit, so stdout
    is pointed at /dev/null first (the recipe of Python's signal documentation)."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return EXIT_BROKEN_PIPE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    try:
        with quiet_libraries():
            code = _main(argv)
        sys.stdout.flush()  # a closed pipe shows here when the output fitted the buffer
        return code
    except BrokenPipeError:
        return _closed_stdout()
    except MemoryError:  # also one raised while reporting another error
        return _out_of_memory()


def _main(argv: Sequence[str] | None) -> int:
    parser = make_parser()
    if not (sys.argv[1:] if argv is None else argv):
        parser.print_help()  # no command: say what there is
        return 0
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except MemoryError:
        return _out_of_memory()
    except BrokenPipeError:
        raise  # stdout closed: main ends quietly
    except GdsheetError as exc:
        label = "" if isinstance(exc, Interrupted) else "error: "
        print(f"gdsheet: {label}{exc}", file=sys.stderr)
        return exc.exit_code
    except OSError as exc:
        print(f"gdsheet: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("gdsheet: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of ours: still one line; GDSHEET_DEBUG=1 shows the traceback
        if os.environ.get("GDSHEET_DEBUG"):
            raise
        print(
            f"gdsheet: internal error ({type(exc).__name__}: {exc}); rerun with GDSHEET_DEBUG=1 and report it",
            file=sys.stderr,
        )
        return 70
