"""Landing from source systems into RAW (workloads/runtime/landing*.py, retailflow/local/sources/): against a real REST
server on loopback and a real PostgreSQL, with injected faults, a crash half-way, re-landing, and secrets that never
show."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from retailflow.local.generator import GeneratorSettings, generate
from retailflow.local.run import LocalRunSettings, open_lakehouse, run_local
from retailflow.local.sources.land import land_days
from retailflow.local.sources.published import Published, publish
from retailflow.local.sources.rest_server import Faults, LocalRestServer, create_app
from retailflow.workloads.retail.graph import PIPELINE
from retailflow.workloads.runtime.landing import EPOCH, Window
from retailflow.workloads.runtime.rest_source import RestEndpoint, SourceError, pages
from retailflow.workloads.runtime.secrets import MissingSecret, Secret

START = dt.date(2026, 3, 2)
GENERATED = GeneratorSettings(scale=0.003, days=2, seed=13, start_date=START)
KEY = "test-api-key-4f1c9e"
ALL_OF_IT = Window(EPOCH, "2100-01-01T00:00:00+00:00")


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Published:
    raw = tmp_path_factory.mktemp("sources") / "raw"
    generate(raw, GENERATED)
    return publish(raw, START, GENERATED.days)


def fetched(published, faults=None, page_size=7, timeout=5.0, sleeps=None):
    app = create_app(published, KEY, faults, ("orders",))
    with LocalRestServer(app) as server:
        endpoint = RestEndpoint("orders", f"{server.base_url}/orders", page_size, timeout, backoff_seconds=0.01)
        pause = sleeps.append if sleeps is not None else (lambda _seconds: None)
        return [r for page in pages(endpoint, Secret(KEY), ALL_OF_IT, sleep=pause) for r in page]


def test_every_record_arrives_once_in_order_across_pages(published):
    expected = [record for _, record in published.records["orders"]]
    assert len(expected) > 3 * 7  # several pages
    assert fetched(published) == expected


def test_each_injected_fault_is_survived_with_nothing_lost_or_duplicated(published):
    faults = Faults(throttle_every=2, error_every=3, slow_every=5, duplicate_every=7, slow_seconds=1.0)
    sleeps: list[float] = []
    records = fetched(published, faults, timeout=0.4, sleeps=sleeps)
    assert records == [record for _, record in published.records["orders"]]
    assert set(faults.met) == {"throttle", "error", "slow", "duplicate"}, faults.met
    assert 1.0 in sleeps  # the throttled request waited as Retry-After said


def test_a_refused_key_fails_without_showing_it(published):
    app = create_app(published, KEY, None, ("orders",))
    with LocalRestServer(app) as server:
        endpoint = RestEndpoint("orders", f"{server.base_url}/orders")
        with pytest.raises(
            SourceError, match=r"source orders \(.*/orders\): the API key was refused \(HTTP 401\)"
        ) as err:
            list(pages(endpoint, Secret("wrong-key-77"), ALL_OF_IT))
    assert "wrong-key-77" not in str(err.value)


def test_a_secret_shows_nowhere_but_where_it_is_used():
    secret = Secret("s3cr3t-value")
    assert "s3cr3t" not in f"{secret} {secret!r} {secret:>20} {[secret]}" and secret.reveal() == "s3cr3t-value"
    from retailflow.local.secrets import LocalSecrets

    with pytest.raises(
        MissingSecret, match="secret 'source-api-key': set RETAILFLOW_SOURCE_API_KEY in the environment"
    ):
        LocalSecrets().get("source-api-key")


def raw_files(raw: Path) -> dict[str, str]:
    return {
        str(p.relative_to(raw)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(raw.rglob("*"))
        if p.is_file() and "_inbox" not in p.parts
    }


def landed_records(raw: Path, source: str) -> list[str]:
    return sorted(
        line
        for path in sorted((raw / source).glob("ingestion_date=*/batch_id=*/*.jsonl"))
        for line in path.read_text().splitlines()
    )


def test_a_landing_killed_half_way_resumes_from_its_watermark_and_lands_each_record_once(tmp_path, monkeypatch):
    from retailflow.workloads.runtime import landing

    settings = LocalRunSettings(lakehouse=tmp_path / "lake", raw=tmp_path / "raw")
    reference = LocalRunSettings(lakehouse=tmp_path / "lake-ref", raw=tmp_path / "raw-ref")
    assert land_days(reference, GENERATED).ok
    real_add = landing.Batch.add

    def crash_on_orders(batch, name, data, records):
        if batch.source == "orders" and batch.ingestion_date == str(START + dt.timedelta(days=1)):
            (batch.staging / name).write_bytes(data[: len(data) // 2])  # half a file, then the process dies
            raise KeyboardInterrupt("killed")
        real_add(batch, name, data, records)

    monkeypatch.setattr(landing.Batch, "add", crash_on_orders)
    with pytest.raises(KeyboardInterrupt):
        land_days(settings, GENERATED)
    assert list((settings.raw / "orders").glob(f"ingestion_date={START + dt.timedelta(days=1)}/.batch_id=*.partial"))
    monkeypatch.setattr(landing.Batch, "add", real_add)
    again = land_days(settings, GENERATED)  # the first day's windows exist already: they land nothing new
    assert again.ok
    assert landed_records(settings.raw, "orders") == landed_records(reference.raw, "orders")
    assert not list(settings.raw.rglob(".batch_id=*"))
    first_day = again.reports[:7]
    assert all(r.outcome.rows_out == 0 for r in first_day if r.task != "land_clickstream"), first_day


def test_landing_the_same_days_again_lands_nothing_new(tmp_path):
    settings = LocalRunSettings(lakehouse=tmp_path / "lake", raw=tmp_path / "raw")
    assert land_days(settings, GENERATED).ok
    before = raw_files(settings.raw)
    again = land_days(settings, GENERATED)
    assert again.ok and all(r.outcome.rows_out == 0 for r in again.reports), again.reports
    assert raw_files(settings.raw) == before


def test_land_then_run_gives_the_tables_of_generating_the_same_days(engine, tmp_path):
    """`retailflow land --local --days 2` then `retailflow run`: silver and gold equal those of the generated days."""
    env = {**os.environ, "RETAILFLOW_SOURCE_API_KEY": KEY}
    landed = LocalRunSettings(lakehouse=tmp_path / "landed-lake", raw=tmp_path / "landed-raw")
    command = [sys.executable, "-m", "retailflow", "land", "--local", "--faults", "--days", "2", "--scale", "0.003"]
    command += ["--seed", "13", "--raw", str(landed.raw), "--lakehouse", str(landed.lakehouse)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert KEY not in result.stdout + result.stderr
    direct = LocalRunSettings(lakehouse=tmp_path / "direct-lake", raw=tmp_path / "direct-raw")
    generate(direct.raw, GeneratorSettings(scale=0.003, days=2, seed=13, start_date=_local_start_date()))
    for settings in (landed, direct):
        summary = run_local(settings, engine=engine)
        assert summary.ok, [(r.task, r.error) for r in summary.reports if r.error]
    a, b = open_lakehouse(engine, landed), open_lakehouse(engine, direct)
    for ref in (t for t in PIPELINE.tables() if t.schema in ("silver", "gold")):
        rows_a = sorted(tuple(str(v) for v in r) for r in a.read(ref).collect())
        rows_b = sorted(tuple(str(v) for v in r) for r in b.read(ref).collect())
        assert rows_a == rows_b, ref
    for path in (p for root in (landed.raw, landed.lakehouse) for p in root.rglob("*") if p.is_file()):
        assert KEY.encode() not in path.read_bytes(), path


def _local_start_date() -> dt.date:
    from retailflow.config import load_local

    return dt.date.fromisoformat(load_local().generator.start_date)


def test_the_landing_job_is_deployed_with_its_schedule_settings_driver_and_grants(stacks):
    prod = stacks["retailflow-prod"]
    (job,) = [j for j in prod["resource"]["databricks_job"].values() if j["name"] == "retailflow-prod-retail-landing"]
    assert job["schedule"]["quartz_cron_expression"] == "0 15 1 * * ?"
    keys = sorted(t["task_key"] for t in job["task"])
    assert keys == sorted(k for k in PIPELINE.tasks if k.startswith("land_"))
    assert all("depends_on" not in t for t in job["task"])  # sources are independent
    for task in job["task"]:
        settings = json.loads(task["python_wheel_task"]["named_parameters"]["landing"])
        assert settings["secret_scope"] == "retailflow-prod"
        assert {"pypi": {"package": "pg8000==1.31.6"}} in task["library"]
    sources = json.loads(job["task"][0]["python_wheel_task"]["named_parameters"]["landing"])["sources"]
    assert sources["orders"]["url"] == "https://sources.retailflow-prod.example/api/v1/orders"
    assert sources["products"]["password_secret"] == "source-db-password" and "password" not in sources["products"]
    assert sources["clickstream"]["inbox"] == "_inbox/clickstream"
    grants = [g for g in prod["resource"]["databricks_grants"].values() if g.get("volume", "").endswith("landing")]
    privileges = {p for g in grants for grant in g["grant"] for p in grant["privileges"]}
    assert "WRITE_VOLUME" in privileges


def test_a_batch_landed_just_before_a_crash_is_not_landed_again_by_a_later_window(published, tmp_path, monkeypatch):
    """The run stopped after renaming its batch, before logging the watermark; the next run, on a later day (a new
    window end), starts where the batch in RAW ends, not where the log does."""
    from retailflow.local.secrets import LocalSecrets
    from retailflow.local.sources.land import land_once
    from retailflow.workloads.runtime.landing import LandingSettings, SourceConnection
    from retailflow.workloads.runtime.ops import LANDING_LOG
    from retailflow.workloads.runtime.tables import Lakehouse

    run = LocalRunSettings(lakehouse=tmp_path / "lake", raw=tmp_path / "raw")
    store = LocalSecrets(given={"source-api-key": KEY})
    real_append = Lakehouse.append_rows

    def lose_the_log(lake, ref, rows):
        if ref == LANDING_LOG:
            raise RuntimeError("stopped before the log")
        real_append(lake, ref, rows)

    with LocalRestServer(create_app(published, KEY, None, ("orders",))) as server:
        settings = LandingSettings(
            "local", {"orders": SourceConnection("rest", f"{server.base_url}/orders", "source-api-key")}
        )
        monkeypatch.setattr(Lakehouse, "append_rows", lose_the_log)
        (stopped,) = land_once(run, settings, store, START, only=["orders"])
        assert stopped.status == "failed" and "stopped before the log" in (stopped.error or "")
        monkeypatch.setattr(Lakehouse, "append_rows", real_append)
        (later,) = land_once(run, settings, store, START + dt.timedelta(days=1), only=["orders"])
    assert later.status == "succeeded"
    expected = sorted(json.dumps(r, separators=(",", ":")) for _, r in published.records["orders"])
    assert landed_records(run.raw, "orders") == expected  # both days' records, each once
