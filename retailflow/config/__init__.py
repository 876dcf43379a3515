"""Environment configuration: YAML files validated once into typed objects."""

from retailflow.config.loader import (
    ConfigError,
    environment_names,
    load_environment,
    load_feature_environment,
    load_local,
    standard_environments,
)
from retailflow.config.models import ROLES, EnvironmentConfig, EnvironmentKind, LocalConfig

__all__ = [
    "ROLES",
    "ConfigError",
    "EnvironmentConfig",
    "EnvironmentKind",
    "LocalConfig",
    "environment_names",
    "load_environment",
    "load_feature_environment",
    "load_local",
    "standard_environments",
]
