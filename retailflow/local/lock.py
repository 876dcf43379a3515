"""One run at a time on a local lakehouse: the local engine has no transaction conflict detection."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path

from retailflow.workloads.runtime.ops import utcnow

LOCK_FILE = ".retailflow.lock"


class LakehouseBusy(RuntimeError):
    """Another run holds the lakehouse."""


@contextlib.contextmanager
def lakehouse_lock(root: Path) -> Iterator[None]:
    """An exclusive, non-blocking lock on a local lakehouse; a second run is refused with who holds it."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK_FILE
    handle = open(path, "a+")  # noqa: SIM115 - held for the whole run
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise LakehouseBusy(
            f"another retailflow run is using the lakehouse {root} ({holder}); wait for it to finish"
        ) from None
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"pid": os.getpid(), "started_at": utcnow().isoformat(timespec="seconds")}))
        handle.flush()
        yield
    finally:
        handle.seek(0)
        handle.truncate()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()
