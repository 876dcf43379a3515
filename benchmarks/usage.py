"""The CPU-seconds a measured piece of work used, and how much of the machine's CPU time sat idle meanwhile.

Wall time on this machine moves with its neighbours and its disk: the orders path alone took 158.5 s and, minutes
later, 73.1 s, its cores idle or waiting on the disk 53% and 13% of the time, while its CPU-seconds moved far less
(140.1 and 123.3). Reported beside the wall times, they tell a slower build from a slower machine.
"""

from __future__ import annotations

import resource
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

STAT = Path("/proc/stat")
# /proc/stat's cpu line: user, nice, system, idle, iowait, irq, softirq, steal (guest time is counted in user).
IDLE, IOWAIT, COUNTED = 3, 4, 8


@dataclass
class Usage:
    cpu_seconds: float = 0.0
    idle_share: float | None = None  # None where the machine does not say (no /proc/stat)


def machine_ticks() -> list[int] | None:
    """The machine's CPU time so far by state, in clock ticks (Linux), else None."""
    try:
        fields = STAT.read_text().split("\n", 1)[0].split()
    except OSError:
        return None
    return [int(v) for v in fields[1 : COUNTED + 1]] if fields[:1] == ["cpu"] else None


def idle_share(before: Sequence[int] | None, after: Sequence[int] | None) -> float | None:
    """The share of the machine's CPU time between two samples of `machine_ticks` spent idle or waiting on the
    disk."""
    if before is None or after is None:
        return None
    delta = [b - a for a, b in zip(before, after, strict=True)]
    total = sum(delta)
    return (delta[IDLE] + delta[IOWAIT]) / total if total > 0 else None


def _cpu_seconds(who: int) -> float:
    used = resource.getrusage(who)
    return used.ru_utime + used.ru_stime


@contextmanager
def measuring(processes: Literal["children", "self"]) -> Iterator[Usage]:
    """Usage of the work done inside the block: by the child processes that ended and were waited for in it (with
    every descendant they waited for: the engine servers a run starts and stops, dbt, a JVM), or by this process."""
    who = resource.RUSAGE_CHILDREN if processes == "children" else resource.RUSAGE_SELF
    usage = Usage()
    cpu, ticks = _cpu_seconds(who), machine_ticks()
    try:
        yield usage
    finally:
        usage.cpu_seconds = _cpu_seconds(who) - cpu
        usage.idle_share = idle_share(ticks, machine_ticks())
