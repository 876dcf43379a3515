"""The landing tasks' settings of an environment: each retail source's connection from the config's `sources`
(`retail.landing` says which kind each source is), rendered into the landing job by the stack and used by
`retailflow land`."""

from __future__ import annotations

from retailflow.config.models import SourcesSettings
from retailflow.workloads.retail.landing import LANDED_SOURCES
from retailflow.workloads.runtime.landing import LandingSettings, SourceConnection


def landing_settings(sources: SourcesSettings, secret_scope: str) -> LandingSettings:
    connections = {}
    for source in LANDED_SOURCES:
        if source.kind == "rest":
            connection = SourceConnection(
                "rest", url=f"{sources.api_base_url}/{source.name}", api_key_secret=sources.api_key_secret
            )
        elif source.kind == "sql":
            database = sources.database
            connection = SourceConnection(
                "sql",
                host=database.host,
                port=database.port,
                database=database.name,
                user_secret=database.user_secret,
                password_secret=database.password_secret,
            )
        else:
            connection = SourceConnection("files", inbox=f"{sources.inbox}/{source.name}")
        connections[source.name] = connection
    return LandingSettings(secret_scope, connections)
