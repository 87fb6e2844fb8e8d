"""The `gdsheet` command line: parse options, call the library, turn errors into one line.

Every user-caused failure is a :class:`~gdsheet.errors.GdsheetError` carrying its exit code;
this module is the only place that prints it, so no traceback ever reaches the user.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from gdsheet.build import DEFAULT_PRESET, build
from gdsheet.errors import GdsheetError
from gdsheet.lesson import GRADIENT_RULES, LOSSES, load_preset, preset_names

EXIT_CODES = """exit codes: 0 ok; 1 check found a mismatch; 2 bad input or option;
3 unreadable workbook or missing cell/name; 4 a run diverged"""


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


def _lesson_overrides(args: argparse.Namespace) -> dict[str, object]:
    return {
        "m_start": args.m_start,
        "b_start": args.b_start,
        "learn": args.learn,
        "epochs": args.epochs,
        "gradient": args.gradient,
        "loss": args.loss,
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


def _cmd_demo(args: argparse.Namespace) -> int:
    path = build(args.out, DEFAULT_PRESET)
    print(f"wrote {path.resolve()}: the {DEFAULT_PRESET} lesson; open it in Excel or LibreOffice")
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
