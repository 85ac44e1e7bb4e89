"""The ``synthguard`` command line: a Typer app with one module per command group.

``main`` turns SynthGuard errors into one line on stderr and the exit code of DESIGN.md
(0 clean, 1 finding, 2 bad input, 3 internal error).
"""

from __future__ import annotations

import logging
import sys
from typing import cast

import click
import typer

from ..errors import SynthGuardError
from . import audit, catalog, disclose, gate, keys, lineage, serve, workspace
from . import incident as incident_cli
from . import policy as policy_cli
from . import release as release_cli
from . import risk as risk_cli
from . import scan as scan_cli

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                  help="Govern synthetic data: catalogue, sign, verify and audit synthetic datasets.")
workspace.install(app)
catalog.install(app)
lineage.install(app)
gate.install(app)
serve.install(app)
scan_cli.install(app)
policy_cli.install(app)
disclose.install(app)
incident_cli.install(app)
release_cli.install(app)
risk_cli.install(app)
app.add_typer(keys.app, name="key")
app.add_typer(audit.app, name="audit")


def _click_classes(name: str) -> tuple[type[BaseException], ...]:
    """click's exception class, and Typer's vendored copy of it (Typer ≥ 0.20 bundles click)."""
    classes: list[type[BaseException]] = [getattr(click.exceptions, name)]
    try:
        from typer._click import exceptions as vendored

        classes.append(getattr(vendored, name))
    except (ImportError, AttributeError):
        pass
    return tuple(classes)


_ABORTS = _click_classes("Abort")
_USAGE_ERRORS = _click_classes("ClickException")


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        code = app(standalone_mode=False)
    except SynthGuardError as exc:
        print(f"error: {exc.diagnostics()}", file=sys.stderr)
        sys.exit(exc.exit_code)
    except _ABORTS:
        print("aborted", file=sys.stderr)
        sys.exit(2)
    except _USAGE_ERRORS as exc:
        cast(click.ClickException, exc).show()
        sys.exit(2)
    except Exception as exc:  # the last line of defence: one line, exit 3, details in the log
        logging.getLogger("synthguard").debug("internal error", exc_info=True)
        print(f"internal error: {exc.__class__.__name__}: {exc}", file=sys.stderr)
        sys.exit(3)
    sys.exit(code if isinstance(code, int) else 0)
