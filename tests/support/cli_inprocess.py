"""The command line called in-process, returning what a subprocess would (code, stdout, stderr).

A subprocess proves nothing extra for most CLI tests and costs an interpreter start and the
imports (about half a second each); `test_cli_build` keeps one real ``python -m gdsheet`` call.
"""

from __future__ import annotations

import contextlib
import io
import subprocess

from gdsheet.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's usage errors and --help
            code = exc.code if isinstance(exc.code, int) else 2
    return subprocess.CompletedProcess(["gdsheet", *args], code, out.getvalue(), err.getvalue())
