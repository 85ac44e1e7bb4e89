"""Run the ``synthguard`` CLI in-process and capture exit code, stdout and stderr."""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass

from synthguard.cli import main


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str


def run_cli(*args: str) -> Result:
    out, err = io.StringIO(), io.StringIO()
    argv = sys.argv
    sys.argv = ["synthguard", *args]
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    finally:
        sys.argv = argv
    return Result(code, out.getvalue(), err.getvalue())
