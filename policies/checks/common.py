"""Helpers shared by the custom checks: unwrapping checkov's HCL-style values, and the environment of a resource.

checkov wraps every attribute of a `terraform_json` resource in a list; the cdktf metadata path
(`retailflow-<env>/...`) says which stack, and so which environment's config, a resource belongs to.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from checkov.common.models.enums import CheckCategories
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from retailflow.config import EnvironmentConfig, load_environment
from retailflow.governance import PIPELINE

READER_ROLES = ("bronze_reader", "silver_reader", "gold_reader", "analytics")
SECRET_LITERAL = re.compile(
    r"(?i)(dapi[0-9a-f]{32}|AccountKey=|SharedAccessKey=|-----BEGIN [A-Z ]*PRIVATE KEY|password\s*[:=]|"
    r"secret\s*[:=]|token\s*[:=]\s*\S{8,}|eyJ[A-Za-z0-9_-]{20,}\.|AKIA[0-9A-Z]{16}|sig=[A-Za-z0-9%]{20,})"
)


class RetailFlowCheck(BaseResourceCheck):
    """A custom check: its id, what it checks, its category and the resource types it applies to."""

    def __init__(self, id_: str, name: str, category: CheckCategories, resources: list[str]) -> None:
        super().__init__(name=name, id=id_, categories=[category], supported_resources=resources)


def value(conf: dict[str, Any], key: str, default: Any = None) -> Any:
    """The attribute as written (checkov's single-element list unwrapped)."""
    found = conf.get(key, default)
    while isinstance(found, list) and len(found) == 1:
        found = found[0]
    return found


def blocks(conf: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """A nested block list (`task`, `grant`, ...) as a list of dicts, whatever checkov's wrapping."""
    found = conf.get(key) or []
    items: list[Any] = list(found) if isinstance(found, list) else [found]
    flat: list[dict[str, Any]] = []
    while items:
        item = items.pop(0)
        if isinstance(item, list):
            items[0:0] = item
        elif isinstance(item, dict):
            flat.append(item)
    return flat


def privileges(grant: dict[str, Any]) -> list[str]:
    """A grant block's privileges as a list of strings."""
    found = value(grant, "privileges") or []
    return [str(p) for p in (found if isinstance(found, list) else [found])]


def stack_name(conf: dict[str, Any]) -> str | None:
    metadata = value(conf, "//") or {}
    path = (metadata.get("metadata") or {}).get("path", "") if isinstance(metadata, dict) else ""
    return path.split("/", 1)[0] or None


def environment_name(conf: dict[str, Any]) -> str | None:
    stack = stack_name(conf)
    if not stack or not stack.startswith("retailflow-"):
        return None
    return stack.removeprefix("retailflow-")


@cache
def config_for(environment: str) -> EnvironmentConfig | None:
    try:
        return load_environment("feature" if environment.startswith("feature-") else environment)
    except Exception:
        return None


def environment_config(conf: dict[str, Any]) -> EnvironmentConfig | None:
    env = environment_name(conf)
    return config_for(env) if env else None


def principals_by_role(config: EnvironmentConfig) -> dict[str, str]:
    return {**config.groups.by_role(), PIPELINE: config.service_principal.application_id}
