"""The Workspace: opens the store, the signing key and the audit log once; CLI, server and tests use it.

It is a thin façade: each verb delegates to the package that owns the capability.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from . import config
from .audit.entry import Draft
from .audit.log import AuditLog
from .catalog.attestation import Verification
from .catalog.browse import Filters, lineage_chain, list_versions
from .catalog.digest import ProgressCallback
from .catalog.records import find_version
from .catalog.register import RegisterRequest, RegisterResult, register
from .catalog.tagging import set_tags
from .catalog.verify import verify_paths
from .errors import NotFoundError, SynthGuardError, WorkspaceError
from .fingerprint.sets import active_sets, retire_version
from .gate import Gate, GateConfig
from .gate.detectors import build_detectors
from .gate.detectors.fingerprint import FingerprintDetector
from .gate.detectors.watermark import watermark_detectors
from .models import DatasetVersion
from .provenance.keys import Keyring, key_id_of, public_pem
from .provenance.signers import LocalKeySigner, Signer
from .store import connect, migrate, schema_status


class Workspace:
    """An opened workspace. Use ``synthguard.init()`` / ``synthguard.open()`` to get one."""

    def __init__(self, settings: config.Settings, signer: Signer, workspace_id: str) -> None:
        self.settings = settings
        self.signer = signer
        self.workspace_id = workspace_id
        self.engine = connect(settings.database_url)
        current, head = schema_status(self.engine)
        if current != head:
            raise WorkspaceError("the store's schema is out of date; run 'synthguard init' to migrate",
                                 path=settings.database_url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.audit = AuditLog(self.engine, signer, origin=self.origin, keyring=self.keyring)

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def init(cls, settings: config.Settings) -> Workspace:
        """Create (or migrate) the home, config, signing key and database; idempotent."""
        settings.home.mkdir(parents=True, exist_ok=True, mode=0o700)
        values = {k: str(v) for k, v in config.read_config_file(settings.config_path).items()}
        values.setdefault("workspace_id", str(uuid.uuid4()))
        values.setdefault("tenant", settings.tenant)
        if "active_key" not in values:
            values["active_key"] = _create_key(settings.keys_dir).key_id
        config.write_config_file(settings.config_path, values)
        migrate(connect(settings.database_url))
        workspace = cls.open(settings)
        workspace.record("workspace.init", str(settings.home), details={"database": _redact(settings)})
        return workspace

    @classmethod
    def open(cls, settings: config.Settings) -> Workspace:
        values = config.read_config_file(settings.config_path)
        if "active_key" not in values:
            raise WorkspaceError("no workspace here; run 'synthguard init' first", path=str(settings.home))
        signer = LocalKeySigner.load(_private_key_path(settings.keys_dir, str(values["active_key"])))
        return cls(settings, signer, str(values["workspace_id"]))

    def close(self) -> None:
        self.audit.close()
        self.engine.dispose()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- identity and keys -----------------------------------------------------------------------

    @property
    def origin(self) -> str:
        """The checkpoint origin line: names this log for third-party verifiers."""
        return f"synthguard.local/{self.workspace_id}"

    @property
    def keyring(self) -> Keyring:
        return Keyring.from_dir(self.settings.keys_dir)

    def session(self) -> Session:
        return self.sessions()

    def draft(self, action: str, obj: str, *, outcome: str = "success", digest: str = "",
              details: dict[str, Any] | None = None) -> Draft:
        return Draft(actor=self.settings.actor, action=action, object=obj, outcome=outcome,
                     digest=digest, details=details or {}, tenant=self.settings.tenant)

    def record(self, action: str, obj: str, **kwargs: Any) -> None:
        """Append one event durably (group-committed) and return once it is on disk."""
        self.audit.append(self.draft(action, obj, **kwargs))

    def rotate_key(self) -> tuple[str, str]:
        """Make a new active signing key; the old public key stays trusted for verification."""
        old = self.signer.key_id
        new_signer = _create_key(self.settings.keys_dir)
        values = {k: str(v) for k, v in config.read_config_file(self.settings.config_path).items()}
        values["active_key"] = new_signer.key_id
        config.write_config_file(self.settings.config_path, values)
        _private_key_path(self.settings.keys_dir, old).unlink(missing_ok=True)
        self.signer = new_signer
        self.audit.use_signer(new_signer, self.keyring)
        self.record("key.rotate", new_signer.key_id, details={"previous": old})
        return old, new_signer.key_id

    # -- catalogue verbs (delegating) --------------------------------------------------------------

    def register(self, paths: Sequence[str | Path], *, progress: ProgressCallback | None = None,
                 **kwargs: Any) -> RegisterResult:
        """Register files as ``NAME@N`` (see ``catalog.register``); failed attempts are audited too.

        ``progress`` is called with the number of bytes hashed so far (for a progress bar).
        """
        try:
            return register(self, RegisterRequest.build([Path(p) for p in paths], **kwargs), progress)
        except SynthGuardError as exc:
            self.record("dataset.register", str(kwargs.get("name", "?")), outcome="failure",
                        details={"error": exc.diagnostics()})
            raise

    def verify(self, paths: Sequence[str | Path], name: str | None = None, *,
               progress: ProgressCallback | None = None) -> Verification:
        """Check files against the catalogue; ``.ok`` False names the first difference."""
        return verify_paths(self, [Path(p) for p in paths], name, progress=progress)

    def versions(self, filters: Filters | None = None) -> list[DatasetVersion]:
        return list_versions(self, filters or Filters({}))

    def tag(self, ref: str, tags: dict[str, str], remove: Sequence[str] = ()) -> DatasetVersion:
        """Set (and remove) tags on a version; audited with the values before and after."""
        return set_tags(self, ref, tags, list(remove))

    @property
    def gate(self) -> Gate:
        """The gate with every detector this workspace is configured for."""
        return self.gate_for()

    def gate_for(self, fingerprint_columns: Sequence[str] | None = None) -> Gate:
        """The gate; with ``fingerprint_columns``, only that fingerprint set is checked and input
        lacking any of its columns is an error naming them."""
        sets = active_sets(self)
        if fingerprint_columns is not None:
            wanted = sorted(fingerprint_columns)
            sets = [s for s in sets if sorted(s.column_set.columns) == wanted]
            if not sets:
                raise NotFoundError(f"no fingerprint set on columns {', '.join(wanted)}", field="fingerprint-columns")
        detector = FingerprintDetector(sets, strict=fingerprint_columns is not None)
        return Gate(build_detectors(GateConfig.load(self.settings.config_path), fingerprint=detector,
                                    extra=watermark_detectors(self)))

    def retire(self, ref: str) -> int:
        """Take a version's fingerprints out of the gate's index (audited); returns segments retired."""
        with self.session() as session, session.begin():
            row = find_version(session, self.settings.tenant, ref)
            count = retire_version(self, session, row.id)
            self.audit.append_in(session, [self.draft("dataset.retire", f"{row.dataset.name}@{row.version}",
                                                      digest=row.digest, details={"segments": count})])
        return count

    # -- other capabilities (imported on use: each pulls in its own libraries) ---------------------

    def release(self, ref: str, **kwargs: Any) -> Any:
        """A per-recipient watermarked copy of ``ref`` (see ``synthguard.watermark.release``)."""
        from .watermark import release

        return release(self, ref, **kwargs)

    def trace(self, path: str | Path, dataset: str | None = None) -> Any:
        """Rank the releases a leaked fragment may come from (see ``synthguard.watermark.trace``)."""
        from .watermark import trace

        return trace(self, path, dataset)

    def risk(self, real: str | Path, synthetic: str | Path, control: str | Path | None = None, *,
             dataset: str | None = None) -> Any:
        """Assess, sign and store the re-identification risk (see ``synthguard.risk``)."""
        from .risk.records import assess_and_store

        return assess_and_store(self, Path(real), Path(synthetic), Path(control) if control else None,
                                dataset=dataset)[0]

    def lineage(self, ref: str) -> list[DatasetVersion]:
        """The version ``ref`` and its ancestors, newest first."""
        return lineage_chain(self, ref)


def _private_key_path(keys_dir: Path, key_id: str) -> Path:
    return keys_dir / f"{key_id.split(':')[-1]}.key"


def _create_key(keys_dir: Path) -> LocalKeySigner:
    keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(keys_dir, 0o700)
    # The file name needs the key id, which needs the key: write to a temporary name, then rename.
    tmp = keys_dir / f".new-{uuid.uuid4().hex}.key"
    signer = LocalKeySigner.generate(tmp)
    os.replace(tmp, _private_key_path(keys_dir, signer.key_id))
    pub = keys_dir / f"{signer.key_id.split(':')[-1]}.pub"
    pub.write_bytes(public_pem(signer.public_key_bytes()))
    assert key_id_of(signer.public_key_bytes()) == signer.key_id
    return signer


def _redact(settings: config.Settings) -> str:
    """The database URL without credentials, for logs and audit details."""
    url = settings.database_url
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        return f"{scheme}://***@{rest.split('@', 1)[1]}"
    return url
