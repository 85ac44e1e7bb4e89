"""Error types: each carries a one-line message for people and the CLI exit code it maps to.

Exit codes follow DESIGN.md: 1 a policy finding (verification failed), 2 bad input or usage,
3 internal error.
"""

from __future__ import annotations


class SynthGuardError(Exception):
    """Base of every error SynthGuard raises on purpose."""

    exit_code: int = 3

    def __init__(self, message: str, *, path: str | None = None, row: int | None = None,
                 field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.row = row
        self.field = field

    def diagnostics(self) -> str:
        """The one line the CLI prints: where (file, row, field) and what went wrong."""
        where = []
        if self.path is not None:
            where.append(str(self.path))
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field {self.field!r}")
        prefix = ": ".join([", ".join(where)]) + ": " if where else ""
        return f"{prefix}{self.message}"


class InputError(SynthGuardError):
    """The user's input (a file, an argument, a name) is not usable."""

    exit_code = 2


class NotFoundError(InputError):
    """A named dataset, version, key or entry does not exist."""


class WorkspaceError(InputError):
    """The workspace is missing, not initialised, or from a newer schema."""


class VerificationError(SynthGuardError):
    """Content, a signature, a proof or the audit log does not verify (a policy finding)."""

    exit_code = 1


class SignatureError(VerificationError):
    """A signature does not verify against any trusted key."""
