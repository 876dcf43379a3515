"""The local engine: a Sail Spark Connect server in a child process of ours, restarted between tasks to keep its
memory under a budget. Toolchain only: the job wheel never carries it (Databricks runs its own engine)."""

from __future__ import annotations

import logging
import os
import select
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, cast

from pyspark.sql import DataFrame, SparkSession

from retailflow.local.engine_channel import AskAgainOnCorruptAnswer
from retailflow.local.task_rises import TaskRises
from retailflow.workloads.runtime.engine import Capabilities, Engine
from retailflow.workloads.runtime.group_window import GROUP_BUCKETS
from retailflow.workloads.runtime.runner import TaskHost

if TYPE_CHECKING:
    from pyspark.sql.connect.client.retries import RetryPolicy

log = logging.getLogger("retailflow.engine")


class EngineError(RuntimeError):
    """The local engine could not start, or stopped."""


def out_of_memory(error: str) -> bool:
    """A query failed because the engine's memory pool, shared by the queries running at once, had nothing left."""
    return "Failed to allocate additional" in error or "Resources exhausted" in error


def transport_failure(error: str) -> bool:
    """The client lost or could not decode the engine's answer (an RPC that failed as a call, not a query's own
    error: seen rarely, with two tasks at once, as a corrupt ConfigResponse). The channel asks a config or analysis
    call again itself (`engine_channel`); a plan's execution ends here."""
    return "_InactiveRpcError" in error


class SailServerProcess:
    """The local engine: a Sail Spark Connect server in a child process of ours, on loopback (port 0).

    A process of its own rather than a thread of ours, so that the memory its allocator keeps after large queries
    can be given back by restarting it between tasks, and an engine that dies fails a task, not the run."""

    COMMAND = (sys.executable, "-m", f"{__package__}.sail_server")

    def __init__(self, environment: dict[str, str], log_file: Path | None = None, start_timeout: float = 60.0) -> None:
        where = f"see its log in {log_file}" if log_file is not None else "see its log above"
        with open(log_file, "ab") if log_file is not None else nullcontext(None) as log_handle:
            self._process = subprocess.Popen(
                self.COMMAND,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log_handle,  # the engine's own log lines: the run's log file, or the terminal (--verbose)
                env=environment,
                text=True,
                start_new_session=True,  # a terminal's Ctrl-C goes to us; we stop the engine
            )
        assert self._process.stdout is not None
        listening, _, _ = select.select([self._process.stdout], [], [], start_timeout)
        if not listening:  # neither an address nor an exit: a server that hangs must not hang the run
            self.kill()
            self._process.wait()
            raise EngineError(f"the local engine did not listen within {start_timeout:g} s; {where}")
        address = self._process.stdout.readline().strip()
        if not address:
            code = self._process.wait(timeout=30)
            raise EngineError(f"the local engine exited before it listened (exit code {code}); {where}")
        self.url = f"sc://{address}"

    @property
    def running(self) -> bool:
        return self._process.poll() is None

    def resident_bytes(self) -> int | None:
        """The server process's resident memory (Linux), or None when it cannot be read."""
        try:
            pages = int(Path(f"/proc/{self._process.pid}/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            return None
        return pages * os.sysconf("SC_PAGE_SIZE")

    def stop(self) -> None:
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    def kill(self) -> None:
        """Stop at once: the memory is freed now, not after a graceful shutdown that would overlap the next task."""
        self._process.kill()


class LocalSail:
    """The local engine's process: the server in use with its session, restarted between tasks when a memory
    budget says so (the old server is killed before the new one starts; no spare waits beside a running task, as
    an idle server's ~90-110 MB would add to every task's peak for a start-up of about 0.2 s).

    The budget is the resident memory the engine should stay under while a task runs. Before a task starts, the
    engine is restarted if its resident memory plus the rise expected of the task would pass it (`TaskRises`: the
    task's rise in the run before, else the largest of this run, else three quarters of the budget). Memory a task
    needs follows the run's size, so a whole-graph run restarts the engine after most large tasks, and an
    incremental day, whose tasks need a fraction of that, rarely. A task's rise is its engine's resident high-water
    mark (sampled) less its resident memory at the start; with tasks at once, each one's rise includes the others'
    (an overestimate, so a restart too many)."""

    SAMPLE_SECONDS = 0.05

    def __init__(self, scratch: Path, memory_budget: int | None, log_file: Path | None) -> None:
        self.scratch = scratch
        self.log_file = log_file
        self.memory_budget = memory_budget
        self.rises = TaskRises(memory_budget or 0)
        self._watched: dict[str, list[int]] = {}  # running task -> [resident at its start, high-water mark]
        self._accompanied: set[str] = set()  # running tasks that another task ran beside
        self._watch_lock = threading.Lock()
        self._closed = threading.Event()
        self.server, self.spark = self._start()
        if memory_budget is not None:
            threading.Thread(target=self._sample, name="retailflow-engine-memory", daemon=True).start()

    def _sample(self) -> None:
        while not self._closed.wait(self.SAMPLE_SECONDS):
            with self._watch_lock:
                if not self._watched:
                    continue
                resident = self.server.resident_bytes() or 0
                for marks in self._watched.values():
                    marks[1] = max(marks[1], resident)

    @contextmanager
    def watching(self, task: str) -> Iterator[None]:
        """Record how far `task` raises the engine's resident memory (with a budget; else nothing)."""
        if self.memory_budget is None:
            yield
            return
        resident = self.server.resident_bytes() or 0
        with self._watch_lock:
            if self._watched:
                self._accompanied.update([*self._watched, task])
            self._watched[task] = [resident, resident]
        try:
            yield
        finally:
            with self._watch_lock:
                start, high = self._watched.pop(task)
                rise = max(high, self.server.resident_bytes() or 0) - start
                alone = task not in self._accompanied
                self._accompanied.discard(task)
                self.rises.record(task, rise, alone)

    def remember(self, rises: Mapping[str, int]) -> None:
        """Start a run: its tasks' rises in the run before (`task_rises`), and none measured yet."""
        self.rises = TaskRises(self.memory_budget or 0, rises)

    def _start(self) -> tuple[SailServerProcess, SparkSession]:
        server = SailServerProcess(_server_environment(self.scratch), self.log_file)
        spark = _session(server.url)
        spark.client.set_retry_policies([_retries_while_running(server)])
        return server, spark

    def room_beside(self, running: Sequence[str], task: str) -> bool:
        """Whether `task` may start beside the `running` tasks: the engine's resident memory plus the rise expected
        of each running task (its rise may be still to come) and of `task` stays within the budget. Two large tasks
        at once in one engine passed 1.5 GB at scale 10 (docs/performance.md)."""
        if not self.server.running:
            return False
        resident = self.server.resident_bytes()
        if self.memory_budget is None or resident is None:
            return True
        return resident + sum(self.rises.expected(t) for t in [*running, task]) <= self.memory_budget

    def restart_reason(self, task: str | None = None) -> str | None:
        """Why the engine should be restarted before `task` starts (its server stopped, or its resident memory plus
        the task's expected rise would pass the budget), or None. Without a task: the largest rise of the run."""
        if not self.server.running:
            return "the local engine stopped; starting a new one"
        resident = self.server.resident_bytes()
        if self.memory_budget is None or resident is None:
            return None
        rise = self.rises.expected(task)
        if resident + rise > self.memory_budget:
            return (
                f"restarting the local engine before {task or 'the next task'}: {resident >> 20} MiB resident, and "
                f"the task may raise it by {rise >> 20} MiB; its budget is {self.memory_budget >> 20} MiB"
            )
        return None

    def restart(self) -> SparkSession:
        """Kill the engine and start a new one: between tasks it runs no query, every table write is committed, and
        a graceful stop of a large engine would hold its memory into the next task."""
        _stop(self.server, self.spark)
        self.server, self.spark = self._start()
        return self.spark

    def close(self) -> None:
        self._closed.set()
        _stop(self.server, self.spark)


def _retries_while_running(server: SailServerProcess) -> RetryPolicy:
    """The client's default retries of an unavailable server, only while our engine process runs: a call to a dead
    engine fails at once (the default policy retries for ten minutes)."""
    from pyspark.sql.connect.client.retries import DefaultPolicy  # Spark Connect only, as the local engine is

    class WhileRunning(DefaultPolicy):
        def can_retry(self, error: BaseException) -> bool:
            return server.running and bool(super().can_retry(error))

    return WhileRunning()


def _stop(server: SailServerProcess, spark: SparkSession) -> None:
    """Release the session and end the engine at once: at close no query runs and every write is committed (a
    graceful shutdown took half a second of every run)."""
    if server.running:
        spark.stop()
    server.kill()
    server.stop()  # reaps the process


# Settings of the local engine (Sail reads them from the environment its server starts in); a variable already set
# in our environment wins. docs/performance.md has the measurements behind each.
# - Query operators share a bounded memory pool and spill to disk beyond it.
# - The allocator returns memory freed for 100 ms to the system, so a task's peak does not hold what its earlier
#   operators freed.
# - A hash join builds its table from its left input, always (`runtime.joins` puts the lookup side there): with the
#   inputs swapped by statistics, the build side depended on how many files a table happened to be written in.
LOCAL_ENGINE_SETTINGS = {
    "SAIL_RUNTIME__MEMORY_POOL__TYPE": "fair",
    "SAIL_RUNTIME__MEMORY_POOL__FAIR__MAX_SIZE": str(768 << 20),
    "MIMALLOC_PURGE_DELAY": "100",
    "SAIL_OPTIMIZER__ENABLE_JOIN_SWAP": "false",
}
LOCAL_CAPABILITIES = Capabilities(table_maintenance=False, row_level_merge=False)
# Windows over each key's rows are partitioned by 1,024 hash buckets of the key (`runtime.group_window`): the engine
# pays for every window partition, and one per key cost silver orders 1.1-2.4 s at scale 10 (256 to 8,192 buckets
# alike, docs/performance.md).
LOCAL_GROUP_BUCKETS = 1024
# The local Delta writer hands the Parquet writer its rows in chunks of `writeBatchSize` rows (1,024 by default),
# and builds each file in memory until it reaches `targetFileSize` (100 MiB by default, more than any file of ours):
# a write held all of its files whole until it ended. In chunks of 8,192 rows and files of at most 8 MiB, the
# largest writes of a run at scale 30 take less memory in the same time (ADR 0010, ADR 0013).
LOCAL_WRITE_OPTIONS = {"writeBatchSize": "8192", "targetFileSize": str(8 << 20)}


def _server_environment(scratch: Path) -> dict[str, str]:
    return {**LOCAL_ENGINE_SETTINGS, "SAIL_EXECUTION__CHECKPOINT__PATH": str(scratch), **os.environ}


def _session(url: str) -> SparkSession:
    from pyspark.sql.connect.client import DefaultChannelBuilder  # Spark Connect only, as the local engine is
    from pyspark.sql.connect.session import SparkSession as ConnectSession

    channel = DefaultChannelBuilder(url)
    channel.add_interceptor(AskAgainOnCorruptAnswer())
    # The process is in Spark Connect mode (`functions` build Connect columns), as pyspark's builder marks it for a
    # remote session; the session is one of its own (`create`), never an existing session of another engine.
    os.environ["SPARK_CONNECT_MODE_ENABLED"] = "1"
    spark = cast(SparkSession, ConnectSession.builder.channelBuilder(channel).create())
    spark.conf.set("spark.sql.session.timeZone", "UTC")
    spark.conf.set(GROUP_BUCKETS, str(LOCAL_GROUP_BUCKETS))
    return spark


def _checkpoint(df: DataFrame) -> DataFrame:
    """`df.checkpoint(eager=True)` with `df`'s session as this thread's active one while it runs: the Spark Connect
    client gives the checkpointed frame the thread's active session, not `df`'s, and after a restart of the local
    engine (or with two engines in one process) that is another engine's."""
    session = df.sparkSession
    holder = getattr(type(session), "_active_session", None)  # Spark Connect: a thread-local
    if holder is None:
        return df.checkpoint(eager=True)
    previous = getattr(holder, "session", None)
    holder.session = session
    try:
        return df.checkpoint(eager=True)
    finally:
        holder.session = previous


class LocalEngine(Engine, TaskHost):
    """The local engine: a session on a Sail server of ours, which it restarts between tasks when the server stopped
    or is over its memory budget (`spark` is then a new session), and checkpoints to private scratch files. As the
    runner's host it keeps tasks from starting beside each other while a restart is due, measures each task's
    memory, and retries alone a task that ran out of the pool the running tasks share."""

    def __init__(self, local: LocalSail) -> None:
        super().__init__(local.spark, "local", LOCAL_CAPABILITIES, LOCAL_WRITE_OPTIONS)
        self._local: LocalSail | None = local
        self.scratch = local.scratch
        self.restarts = 0

    @property
    def url(self) -> str:
        """The Spark Connect address of the current server (another process, e.g. dbt, may open a session on it)."""
        if self._local is None:
            raise EngineError("the local engine is closed")
        return self._local.server.url

    def materialize(self, df: DataFrame) -> DataFrame:
        return _checkpoint(df)

    def crowded(self, running: Sequence[str], task: str) -> bool:
        return self._local is not None and not self._local.room_beside(running, task)

    def between_tasks(self, task: str) -> None:
        self.renew(task)

    def remember(self, rises: Mapping[str, int]) -> None:
        """Start a run whose tasks raised the engine's memory by `rises` in the run before (`task_rises`)."""
        if self._local is not None:
            self._local.remember(rises)

    def task_rises(self) -> dict[str, int]:
        """The rises to remember for the next run (none without a memory budget)."""
        if self._local is None or self._local.memory_budget is None:
            return {}
        return self._local.rises.to_remember()

    def retry_reason(self, error: str) -> str | None:
        """Tasks are idempotent: one that lost its engine's memory pool, or an answer of an engine that still runs,
        runs once more, alone. One whose engine stopped fails: the run goes on and a rerun completes it."""
        if out_of_memory(error):
            return "lack of engine memory"
        if transport_failure(error) and self._local is not None and self._local.server.running:
            return "a lost answer of the engine"
        return None

    def watching(self, task: str) -> AbstractContextManager[None]:
        return self._local.watching(task) if self._local is not None else nullcontext()

    def renew(self, task: str | None = None) -> bool:
        """Restart the engine before `task` if it stopped or the task could take it over its memory budget. True
        when it was restarted; the old session, and every frame of it, is gone."""
        reason = self._local.restart_reason(task) if self._local is not None else None
        if self._local is None or reason is None:
            return False
        log.log(logging.INFO if self._local.server.running else logging.WARNING, reason)
        self.spark = self._local.restart()
        self.restarts += 1
        return True

    def close(self) -> None:
        if self._local is not None:
            self._local.close()
            shutil.rmtree(self._local.scratch, ignore_errors=True)
            self._local = None


SCRATCH_PREFIX = "retailflow-checkpoints-"
OWNER_FILE = "owner.pid"
UNOWNED_GRACE_SECONDS = 3600


def remove_stale_scratch(temp_dir: Path) -> list[Path]:
    """Remove the checkpoint folders of engines whose process is gone (killed before `close()` could remove them):
    the owner's pid is in each folder; a folder without one is removed once an hour old. Returns what it removed."""
    removed = []
    for folder in temp_dir.glob(f"{SCRATCH_PREFIX}*"):
        try:
            owner = int((folder / OWNER_FILE).read_text())
        except (OSError, ValueError):
            owner = None
        try:
            stale = _gone(owner) if owner is not None else time.time() - folder.stat().st_mtime > UNOWNED_GRACE_SECONDS
        except OSError:
            continue
        if stale:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's live process
        return False
    return False


def start_local(memory_budget_mb: int | None = None, log_file: Path | None = None) -> LocalEngine:
    """A local Sail engine (a child process) and a session connected to it. With `memory_budget_mb`, `renew()`
    restarts the engine between tasks once its resident memory is over the budget. The engine's own log goes to
    `log_file` (None: this process's stderr).

    Checkpoints (frames computed once, then checked and written from files) go to a private scratch directory
    that `close()` removes."""
    remove_stale_scratch(Path(tempfile.gettempdir()))
    scratch = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX))
    (scratch / OWNER_FILE).write_text(str(os.getpid()))
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        local = LocalSail(scratch, memory_budget_mb << 20 if memory_budget_mb is not None else None, log_file)
    except BaseException:  # also a signal during start-up: nothing owns the scratch yet (servers stop with us)
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    log.info("local Sail engine on %s", local.server.url)
    return LocalEngine(local)
