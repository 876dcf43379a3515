"""How far each task raises the local engine's resident memory: measured in this run, and remembered in the
lakehouse from the run before, so that the engine is restarted, and a task kept from starting beside another, for
what the next task needs rather than for the largest task of the run.

A remembered rise is an estimate: the same task on the next day's data. While a task that ran alone rises no more
than it did last time (with some slack), every remembered rise is trusted; once one rises more (a backfill, a larger
day), the run goes back to assuming the largest rise of the run for every task. A full refresh remembers nothing.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger("retailflow.engine")

RISES_FILE = Path(".engine") / "task_rises.json"
SLACK_BYTES = 32 << 20  # a remembered rise is still trusted up to a quarter more, and at least this much more


class TaskRises:
    """Measured and remembered rises of the engine's resident memory, in bytes, by task."""

    def __init__(self, budget: int, remembered: Mapping[str, int] | None = None) -> None:
        self.budget = budget
        self.remembered = dict(remembered or {})
        self.measured: dict[str, int] = {}
        self.shared: set[str] = set()  # tasks measured beside another: their rise includes the other's
        self.largest: int | None = None
        self.trusted = True

    def expected(self, task: str | None) -> int:
        """What `task` may add to the engine's resident memory: its remembered rise while those are trusted, else
        the largest rise of a task of this run (before any task finished: three quarters of the budget)."""
        if self.trusted and task is not None and task in self.remembered:
            return self.remembered[task]
        return self.largest if self.largest is not None else self.budget * 3 // 4

    def record(self, task: str, rise: int, alone: bool) -> None:
        """A task finished, having raised the engine's resident memory by `rise`."""
        self.measured[task] = max(rise, self.measured.get(task, 0))
        self.largest = max(self.largest or 0, rise)
        if not alone:
            self.shared.add(task)
        last = self.remembered.get(task)
        if alone and self.trusted and last is not None and rise > last + max(last // 4, SLACK_BYTES):
            self.trusted = False
            log.info(
                f"task {task} raised the local engine's memory by {rise >> 20} MiB, against {last >> 20} MiB the "
                "last time; the rest of the run assumes the largest rise of the run for every task"
            )

    def to_remember(self) -> dict[str, int]:
        """The rises to remember for the next run: each task's measured one, except that a rise measured beside
        another task (an overestimate) replaces a remembered one only when smaller."""
        rises = dict(self.remembered)
        for task, rise in self.measured.items():
            last = rises.get(task)
            rises[task] = min(rise, last) if task in self.shared and last is not None else rise
        return rises


def load_rises(lakehouse: Path) -> dict[str, int]:
    """The rises remembered in `lakehouse` (none when there are none, or the file is not what this module writes:
    it is an estimate, and the run then estimates as without it)."""
    path = lakehouse / RISES_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as err:
        log.warning(f"ignoring the remembered task memory in {path}: {err}")
        return {}
    rises = data.get("rises") if isinstance(data, dict) else None
    if not isinstance(rises, dict) or not all(isinstance(v, int) and v >= 0 for v in rises.values()):
        log.warning(f"ignoring the remembered task memory in {path}: not an object of task rises in bytes")
        return {}
    return {str(task): rise for task, rise in rises.items()}


def save_rises(lakehouse: Path, rises: Mapping[str, int]) -> None:
    """Remember `rises` in `lakehouse`, replacing the file in one rename (a run killed meanwhile leaves the old)."""
    path = lakehouse / RISES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps({"rises": dict(sorted(rises.items()))}, indent=1), encoding="utf-8")
    os.replace(partial, path)
