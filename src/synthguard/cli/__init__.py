"""The ``synthguard`` command line: a Typer app with one module per command group.

``main`` turns SynthGuard errors into one line on stderr and the exit code of DESIGN.md
(0 clean, 1 finding, 2 bad input, 3 internal error).
"""

from __future__ import annotations

import logging
import sys

import click
import typer

from ..errors import SynthGuardError
from . import audit, catalog, gate, keys, lineage, serve, workspace

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Govern synthetic data: catalogue, sign, verify and audit synthetic datasets.")
workspace.install(app)
catalog.install(app)
lineage.install(app)
gate.install(app)
serve.install(app)
app.add_typer(keys.app, name="key")
app.add_typer(audit.app, name="audit")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        code = app(standalone_mode=False)
    except SynthGuardError as exc:
        print(f"error: {exc.diagnostics()}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(2)
    except click.ClickException as exc:
        exc.show()
        sys.exit(2)
    except Exception as exc:  # the last line of defence: one line, exit 3, details in the log
        logging.getLogger("synthguard").debug("internal error", exc_info=True)
        print(f"internal error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        sys.exit(3)
    sys.exit(code if isinstance(code, int) else 0)
