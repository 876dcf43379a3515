"""Stopping a run: Ctrl-C and SIGTERM end it with a one-line message and their exit codes, stop the engine and
leave no scratch behind; folders of killed engines are removed by the next start."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from retailflow.local.engine import OWNER_FILE, SCRATCH_PREFIX, remove_stale_scratch
from retailflow.local.generator import GeneratorSettings, generate

RETAILFLOW = str(Path(sys.executable).parent / "retailflow")


@pytest.mark.parametrize(
    ("signum", "code", "what"), [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "terminated (SIGTERM)")]
)
def test_a_signal_stops_the_run_with_a_message_and_leaves_no_scratch(tmp_path, signum, code, what):
    raw, lake, temp = tmp_path / "raw", tmp_path / "lake", tmp_path / "tmp"
    temp.mkdir()
    generate(raw, GeneratorSettings(scale=0.03, days=3, seed=5))
    env = {**os.environ, "TMPDIR": str(temp)}
    run = subprocess.Popen(
        [RETAILFLOW, "run", "--raw", str(raw), "--lakehouse", str(lake)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    deadline = time.monotonic() + 60
    while not list(temp.glob(f"{SCRATCH_PREFIX}*")) and time.monotonic() < deadline:
        time.sleep(0.1)  # the engine has started
    time.sleep(1)
    run.send_signal(signum)
    _out, err = run.communicate(timeout=120)
    assert run.returncode == code
    message = [line for line in err.splitlines() if line.startswith("retailflow:")]
    assert len(message) == 1 and message[0].startswith(f"retailflow: {what}: stopped") and "Traceback" not in err
    assert list(temp.glob(f"{SCRATCH_PREFIX}*")) == []
    again = subprocess.run(
        [RETAILFLOW, "run", "--raw", str(raw), "--lakehouse", str(lake)], capture_output=True, text=True, env=env
    )
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-2000:]  # the lock was released, the run resumes


def test_the_scratch_of_a_killed_engine_is_removed_and_a_live_ones_kept(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    killed, live, unowned_old, unowned_new = (tmp_path / f"{SCRATCH_PREFIX}{n}" for n in ("a", "b", "c", "d"))
    for folder in (killed, live, unowned_old, unowned_new):
        folder.mkdir()
    (killed / OWNER_FILE).write_text(str(dead.pid))
    (live / OWNER_FILE).write_text(str(os.getpid()))
    os.utime(unowned_old, (time.time() - 7200, time.time() - 7200))
    assert sorted(remove_stale_scratch(tmp_path)) == sorted([killed, unowned_old])
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live.name, unowned_new.name])
