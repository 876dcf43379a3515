"""Secrets on this machine: environment variables (`RETAILFLOW_<KEY>`, e.g. `RETAILFLOW_SOURCE_API_KEY` for
`source-api-key`), else an untracked `.env` at the project root; or values the command made up for its own run."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from dotenv import dotenv_values

from retailflow.workloads.runtime.secrets import MissingSecret, Secret


def variable(key: str) -> str:
    return "RETAILFLOW_" + key.upper().replace("-", "_")


class LocalSecrets:
    def __init__(self, dotenv: Path | None = None, given: Mapping[str, str] | None = None) -> None:
        self._dotenv = dotenv
        self._given = dict(given or {})

    def get(self, key: str) -> Secret:
        if key in self._given:
            return Secret(self._given[key])
        name = variable(key)
        if name in os.environ:
            return Secret(os.environ[name])
        if self._dotenv is not None and self._dotenv.is_file():
            value = dotenv_values(self._dotenv).get(name)
            if value is not None:
                return Secret(value)
        where = f" or {self._dotenv}" if self._dotenv is not None else ""
        raise MissingSecret(f"secret {key!r}: set {name} in the environment{where}")
