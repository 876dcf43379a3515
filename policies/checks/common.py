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
from retailflow.config.loader import FEATURE_TEMPLATE, environment_names
from retailflow.naming import environment_of_stack, is_feature_environment

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
    return environment_of_stack(stack) if stack else None


@cache
def config_for(environment: str) -> EnvironmentConfig | None:
    """The config of a stack's environment (a feature stack's: the feature template); None for a stack with no
    environment file (the checks' fixtures). A config that does not validate is an error, never a silent None."""
    name = FEATURE_TEMPLATE if is_feature_environment(environment) else environment
    return load_environment(name) if name in environment_names() else None


def environment_config(conf: dict[str, Any]) -> EnvironmentConfig | None:
    env = environment_name(conf)
    return config_for(env) if env else None
