"""`retailflow land`: the landing tasks on this machine.

`--local` makes the source systems first: the generator's days, published by a REST API and a PostgreSQL database
and dropped as files (`published`, `rest_server`, `database`), then lands day after day as the landing job would on
each of those days. Without it, the landing tasks read the sources `local.yaml` names, now.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

from retailflow.config.models import SourceDatabase, SourcesSettings
from retailflow.landing import landing_settings
from retailflow.local.generator import GeneratorSettings, generate
from retailflow.local.run import LocalRunSettings, open_engine, open_lakehouse
from retailflow.local.secrets import LocalSecrets, variable
from retailflow.local.sources.database import LocalDatabase
from retailflow.local.sources.published import publish
from retailflow.local.sources.rest_server import Faults, LocalRestServer, create_app
from retailflow.project import project_root
from retailflow.workloads.retail.graph import PIPELINE
from retailflow.workloads.retail.landing import LANDED_SOURCES
from retailflow.workloads.retail.tasks import RETAIL
from retailflow.workloads.runtime.context import RunOptions
from retailflow.workloads.runtime.landing import LandingSettings
from retailflow.workloads.runtime.runner import TaskReport, new_run_id, run_task
from retailflow.workloads.runtime.secrets import SecretStore

LOCAL_SCOPE = "local"
API_KEY_SECRET, DB_USER_SECRET, DB_PASSWORD_SECRET = "source-api-key", "source-db-user", "source-db-password"


@dataclass
class LandingRun:
    reports: list[TaskReport]
    faults_met: dict[str, int]

    @property
    def ok(self) -> bool:
        return all(r.status == "succeeded" for r in self.reports)


def land_days(
    run: LocalRunSettings,
    generator: GeneratorSettings,
    faults: Faults | None = None,
    timeout_seconds: float = 10.0,
) -> LandingRun:
    """Make the local source systems from `generator`'s days and land each day into `run.raw`, in order."""
    import os

    api_key = os.environ.get(variable(API_KEY_SECRET)) or secrets.token_urlsafe(24)
    work = Path(tempfile.mkdtemp(prefix="retailflow-sources-"))
    try:
        generate(work / "generated", generator)
        published = publish(work / "generated", generator.start_date, generator.days)
        rest_sources = tuple(s.name for s in LANDED_SOURCES if s.kind == "rest")
        app = create_app(published, api_key, faults, rest_sources)
        with LocalRestServer(app) as server, LocalDatabase(published) as database:
            sources = SourcesSettings(
                api_base_url=server.base_url,
                api_key_secret=API_KEY_SECRET,
                database=SourceDatabase(
                    host=database.socket_dir,
                    port=database.port,
                    name="postgres",
                    user_secret=DB_USER_SECRET,
                    password_secret=DB_PASSWORD_SECRET,
                ),
            )
            settings = _with_timeout(landing_settings(sources, LOCAL_SCOPE), timeout_seconds)
            store = LocalSecrets(
                given={API_KEY_SECRET: api_key, DB_USER_SECRET: database.user, DB_PASSWORD_SECRET: database.password}
            )
            reports: list[TaskReport] = []
            for day in range(generator.days):
                for source, path in published.drops.get(day, []):
                    inbox = run.raw / sources.inbox / source
                    inbox.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(path, inbox / path.name)
                reports += land_once(run, settings, store, generator.start_date + dt.timedelta(days=day))
        return LandingRun(reports, dict(faults.met) if faults else {})
    finally:
        shutil.rmtree(work, ignore_errors=True)


def land_configured(run: LocalRunSettings, sources: SourcesSettings, only: list[str] | None) -> list[TaskReport]:
    """Land now from the sources `local.yaml` names, with secrets from the environment or `.env`."""
    settings = landing_settings(sources, LOCAL_SCOPE)
    unknown = sorted(set(only or ()) - set(settings.sources))
    if unknown:
        raise ValueError(f"unknown source {unknown[0]!r} (one of {', '.join(sorted(settings.sources))})")
    return land_once(run, settings, LocalSecrets(dotenv=project_root() / ".env"), None, only)


def land_once(
    run: LocalRunSettings,
    settings: LandingSettings,
    store: SecretStore,
    as_of: dt.date | None,
    only: list[str] | None = None,
) -> list[TaskReport]:
    engine = open_engine(run)
    try:
        lake = open_lakehouse(engine, run)
        options = RunOptions(
            raw_root=run.raw, run_id=new_run_id(), to_date=as_of, landing=settings.to_json(), secrets=store
        )
        reports = []
        for source in LANDED_SOURCES:
            if only and source.name not in only:
                continue
            declaration = PIPELINE.tasks[f"land_{source.name}"]
            try:  # the sources are independent: one that fails does not stop the others
                reports.append(run_task(RETAIL, options.context(lake, engine.capabilities, declaration)))
            except Exception as err:
                reports.append(TaskReport(declaration.key, "failed", error=f"{type(err).__name__}: {err}"))
        return reports
    finally:
        engine.close()


def _with_timeout(settings: LandingSettings, seconds: float) -> LandingSettings:
    return replace(settings, sources={k: replace(v, timeout_seconds=seconds) for k, v in settings.sources.items()})
