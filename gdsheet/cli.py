"""The `gdsheet` command line: parse options, call the library, turn errors into one line.

Every user-caused failure is a :class:`~gdsheet.errors.GdsheetError` carrying its exit code;
this module is the only place that prints it, so no traceback ever reaches the user.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from gdsheet.build import DEFAULT_PRESET, build
from gdsheet.check import check_workbook
from gdsheet.errors import Diverged, GdsheetError
from gdsheet.lesson import GRADIENT_RULES, HYPER_PARAMETERS, LOSSES, OPTIMIZERS, load_preset, preset_names
from gdsheet.runner import Record, reset, run, terminal_progress

EXIT_CODES = """exit codes: 0 ok; 1 check found a mismatch; 2 bad input or option;
3 unreadable workbook or missing cell/name; 4 a run diverged; 70 internal error"""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (and exit code 2), like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def _add_lesson_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--preset", default=DEFAULT_PRESET, help=f"lesson preset (default {DEFAULT_PRESET})")
    parser.add_argument("--m-start", type=float, help="m at the top of the descent table")
    parser.add_argument("--b-start", type=float, help="b at the top of the descent table")
    parser.add_argument("--learn", type=float, help="learning rate (> 0)")
    parser.add_argument("--epochs", type=int, help="epochs per run (>= 1)")
    parser.add_argument("--gradient", choices=GRADIENT_RULES, help="what drives the update")
    parser.add_argument("--loss", choices=LOSSES, help="rmse (sqrt of the mean) or the seed's root-sum-square")
    parser.add_argument("--data", type=Path, help="CSV file with header x,y: the descent samples")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, help="the per-sample update rule (torch.optim's)")
    for name, default in HYPER_PARAMETERS.items():
        parser.add_argument(f"--{name}", type=float, help=f"optimizer hyper-parameter (default {default:g})")
    parser.add_argument("--live-epochs", type=int, help="epochs unrolled as formulas on a Live sheet (0: none)")


def _lesson_overrides(args: argparse.Namespace) -> dict[str, object]:
    return {
        "m_start": args.m_start,
        "b_start": args.b_start,
        "learn": args.learn,
        "epochs": args.epochs,
        "gradient": args.gradient,
        "loss": args.loss,
        "optimizer": args.optimizer,
        "live_epochs": args.live_epochs,
        **{name: getattr(args, name) for name in HYPER_PARAMETERS},
    }


def _cmd_build(args: argparse.Namespace) -> int:
    path = build(args.out, args.preset, data=args.data, **_lesson_overrides(args))
    print(f"wrote {path}")
    return 0


def _cmd_templates(args: argparse.Namespace) -> int:
    names = preset_names()
    width = max(len(name) for name in names)
    for name in names:
        marker = " (default)" if name == DEFAULT_PRESET else ""
        print(f"{name:<{width}}  {load_preset(name).summary}{marker}")
    return 0


def print_records(records: list[Record]) -> None:
    """The log as an aligned table: one row per epoch."""
    if not records:
        return
    keys = list(records[0])
    cells = [keys] + [[str(r[k]) if k == "epoch" else f"{r[k]:.10g}" for k in keys] for r in records]
    widths = [max(len(row[i]) for row in cells) for i in range(len(keys))]
    for row in cells:
        print("  ".join(text.rjust(width) for text, width in zip(row, widths, strict=True)))


def _cmd_run(args: argparse.Namespace) -> int:
    progress = terminal_progress if sys.stderr.isatty() and not args.json else None
    try:
        records = run(args.workbook, args.epochs, carry=args.carry, record=args.record, progress=progress)
    except Diverged as exc:
        _print_run(exc.records, args.json)  # the epochs that did finish, and were saved
        raise
    _print_run(records, args.json)
    return 0


def _print_run(records: list[Record], as_json: bool) -> None:
    if as_json:
        print(json.dumps({"epochs": records}))
    else:
        print_records(records)


def _cmd_reset(args: argparse.Namespace) -> int:
    reset(args.workbook)
    print(f"reset {args.workbook}: log cleared, m, b and any optimizer state back to their built values")
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    report = check_workbook(args.workbook)
    if args.json:
        print(json.dumps(report.as_json()))
    else:
        verdict = "ok" if report.ok else f"{len(report.mismatches)} mismatch(es)"
        print(f"checked {report.cells} formula cells; worst relative error {report.max_rel_error:.3g}: {verdict}")
        for mismatch in report.mismatches[:20]:
            where = mismatch.get("cell", mismatch.get("name"))
            print(f"  {where}: got {mismatch.get('got')}, want {mismatch.get('want')}")
        if report.unchecked:
            listed = ", ".join(report.unchecked[:10])
            print(f"  {len(report.unchecked)} formula cell(s) not covered by a lesson name: {listed}")
    return 0 if report.ok else 1


def _cmd_demo(args: argparse.Namespace) -> int:
    path = build(args.out, DEFAULT_PRESET)
    records = run(path)
    print_records(records)
    print(
        f"wrote {path.resolve()}: the {DEFAULT_PRESET} lesson after {len(records)} epochs; "
        "open it in Excel or LibreOffice"
    )
    return 0


def make_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(prog="gdsheet", description=__doc__.splitlines()[0], epilog=EXIT_CODES)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("build", help="write a lesson workbook (.xlsx)")
    p.add_argument("out", type=Path, help="the workbook to write")
    _add_lesson_options(p)
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("templates", help="list the lesson presets")
    p.set_defaults(func=_cmd_templates)

    p = sub.add_parser("run", help="run epochs on a workbook and save it (the Run Epoch button)")
    p.add_argument("workbook", type=Path, help="an .xlsx or .xlsm")
    p.add_argument("--epochs", type=int, help="epochs to run (default: the workbook's epochs cell)")
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
        help="record this cell (Sheet!A1 or a defined name) after each epoch (repeatable)",
    )
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("reset", help="clear the epoch log and restore m and b (the Reset button)")
    p.add_argument("workbook", type=Path)
    p.set_defaults(func=_cmd_reset)

    p = sub.add_parser("check", help="check every formula cell against the numpy reference")
    p.add_argument("workbook", type=Path)
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=_cmd_check)

    p = sub.add_parser("demo", help="build the default lesson and run its epochs")
    p.add_argument("--out", type=Path, default=Path("gdsheet-demo.xlsx"), help="default gdsheet-demo.xlsx")
    p.set_defaults(func=_cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = make_parser().parse_args(argv)
    try:
        return args.func(args)
    except GdsheetError as exc:
        print(f"gdsheet: error: {exc}", file=sys.stderr)
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
