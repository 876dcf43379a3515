"""Load `environments/*.yaml` into typed objects; any problem is one ConfigError naming file, field and rule."""

from __future__ import annotations

import datetime as dt
import difflib
import os
import typing
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from retailflow.config.models import EnvironmentConfig, EnvironmentKind, LocalConfig
from retailflow.naming import NamingError, check_feature_slug, feature_environment_name, feature_slug
from retailflow.project import project_root

FEATURE_TEMPLATE = "feature"
LOCAL = "local"

M = TypeVar("M", bound=BaseModel)


class ConfigError(ValueError):
    """A configuration problem, as one line: `<file>: <field>: <rule>`."""


def _environments_dir(directory: Path | None) -> Path:
    if directory is not None:
        return directory
    configured = os.environ.get("RETAILFLOW_ENVIRONMENTS_DIR")
    return Path(configured) if configured else project_root() / "environments"


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (YAML would keep the last silently)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r} (it is given twice)", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _read_yaml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(f"{path}: no such environment file")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "?"
        raise ConfigError(f"{path}: {where}: not valid YAML ({getattr(err, 'problem', err)})") from None
    except UnicodeDecodeError as err:
        raise ConfigError(f"{path}: not UTF-8 text ({err.reason})") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deeply to be a configuration") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of settings, got {type(data).__name__}")
    return data


def _did_you_mean(model: type[BaseModel], location: tuple[int | str, ...]) -> str:
    """` (did you mean X?)` for a misspelt key, from the settings the model has at that place."""
    for part in location[:-1]:
        field = model.model_fields.get(part) if isinstance(part, str) else None
        annotation = field.annotation if field is not None else None
        nested = [
            a for a in (annotation, *typing.get_args(annotation)) if isinstance(a, type) and issubclass(a, BaseModel)
        ]
        if not nested:
            return ""
        model = nested[0]
    close = difflib.get_close_matches(str(location[-1]), list(model.model_fields), n=1)
    return f" (did you mean {close[0]!r}?)" if close else " (not a setting)"


def _describe(err: ValidationError, path: Path, model: type[BaseModel]) -> str:
    first = err.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or "(top level)"
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        message = "required field is missing"
    elif first["type"] == "extra_forbidden":
        message = f"unknown key {first['loc'][-1]!r}" + _did_you_mean(model, first["loc"])
    elif "input" in first and first["type"] not in ("value_error",) and not isinstance(first["input"], dict):
        message = f"{message} (got {first['input']!r})"
    more = f" (+{len(err.errors()) - 1} more)" if len(err.errors()) > 1 else ""
    return f"{path}: {field}: {message}{more}"


def _validate(model: type[M], data: dict[str, Any], path: Path) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise ConfigError(_describe(err, path, model)) from None


def environment_names(directory: Path | None = None) -> list[str]:
    """Every environment file's name, the feature template and `local` included."""
    return sorted(p.stem for p in _environments_dir(directory).glob("*.yaml"))


def load_environment(name: str, directory: Path | None = None) -> EnvironmentConfig:
    path = _environments_dir(directory) / f"{name}.yaml"
    config = _validate(EnvironmentConfig, _read_yaml(path), path)
    if config.name != name:
        raise ConfigError(f"{path}: name: {config.name!r} does not match the file name {name!r}")
    return config


def standard_environments(directory: Path | None = None) -> list[EnvironmentConfig]:
    """Every file whose kind is `standard`, in promotion order (its `promotion` field)."""
    configs = []
    for name in environment_names(directory):
        if name in (FEATURE_TEMPLATE, LOCAL):
            continue
        configs.append(load_environment(name, directory))
    wrong = [c.name for c in configs if c.kind != EnvironmentKind.STANDARD]
    if wrong:
        raise ConfigError(f"{wrong[0]}.yaml: kind: must be 'standard' (only feature.yaml is a feature template)")
    places: dict[int | None, str] = {}
    for config in configs:
        if config.promotion in places:
            raise ConfigError(
                f"{config.name}.yaml: promotion: {config.promotion} is also {places[config.promotion]}.yaml's place"
            )
        places[config.promotion] = config.name
    return sorted(configs, key=lambda c: c.promotion or 0)


def load_feature_environment(
    branch: str | None = None,
    directory: Path | None = None,
    today: dt.date | None = None,
    slug: str | None = None,
) -> tuple[EnvironmentConfig, dt.date]:
    """The feature environment of a branch-like name (or of its slug), from `feature.yaml`, and the day it would
    expire if created `today` (a deployed one keeps the expiry fixed at its creation, in its state)."""
    try:
        slug = check_feature_slug(slug) if slug is not None else feature_slug(branch or "")
    except NamingError as err:
        raise ConfigError(str(err)) from None
    path = _environments_dir(directory) / f"{FEATURE_TEMPLATE}.yaml"
    data = _read_yaml(path)
    if data.get("kind") != EnvironmentKind.FEATURE.value:
        raise ConfigError(f"{path}: kind: the feature template must have kind 'feature'")
    data["name"] = feature_environment_name(slug)
    config = _validate(EnvironmentConfig, data, path)
    assert config.feature is not None
    start = today or dt.date.fromisoformat(os.environ.get("RETAILFLOW_FEATURE_CREATED_ON", dt.date.today().isoformat()))
    return config, start + dt.timedelta(days=config.feature.ttl_days)


def load_local(directory: Path | None = None) -> LocalConfig:
    path = _environments_dir(directory) / f"{LOCAL}.yaml"
    return _validate(LocalConfig, _read_yaml(path), path)
