"""The cdktf app: one stack per standard environment, plus a feature stack when one is requested."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from retailflow.cdk import App
from retailflow.config import ConfigError, load_environment, load_feature_environment, standard_environments
from retailflow.config.loader import FEATURE_TEMPLATE
from retailflow.constructs.workload import wheel_output_dir
from retailflow.stacks.environment_stack import EnvironmentStack
from retailflow.stacks.feature_stack import FeatureStack
from retailflow.wheel import build_wheel

FEATURE_VARIABLE = "RETAILFLOW_FEATURE"
FEATURE_CONTEXT_KEY = "feature"
FEATURE_SLUG_VARIABLE = "RETAILFLOW_FEATURE_SLUG"
FEATURE_SLUG_CONTEXT_KEY = "featureSlug"


def _requested(app: App, context_key: str, variable: str) -> str | None:
    value = app.node.try_get_context(context_key) or os.environ.get(variable)
    return str(value) if value else None


def requested_feature(app: App) -> str | None:
    """`cdktf synth -c feature=<branch>` or `RETAILFLOW_FEATURE=<branch>`."""
    return _requested(app, FEATURE_CONTEXT_KEY, FEATURE_VARIABLE)


def requested_feature_slug(app: App) -> str | None:
    """`cdktf synth -c featureSlug=<slug>` or `RETAILFLOW_FEATURE_SLUG=<slug>`: a feature stack by its slug alone
    (to destroy it without its branch)."""
    return _requested(app, FEATURE_SLUG_CONTEXT_KEY, FEATURE_SLUG_VARIABLE)


def build_app(
    outdir: str | Path | None = None,
    environments: Sequence[str] | None = None,
    feature: str | None = None,
    feature_slug: str | None = None,
) -> tuple[App, list[str]]:
    """Compose the stacks; returns the app and the stack names, in promotion order. Without `outdir`, cdktf's own
    default applies (`cdktf.out`, or the CLI's `--output` through CDKTF_OUTDIR)."""
    app = App(outdir=str(outdir)) if outdir is not None else App()
    configs = standard_environments()
    if environments:
        unknown = sorted(set(environments) - {c.name for c in configs})
        if unknown:
            known = ", ".join(c.name for c in configs)
            raise ConfigError(f"--env: unknown environment {unknown[0]!r} (known: {known})")
        configs = [c for c in configs if c.name in environments]
    names = []
    wheel = build_wheel(wheel_output_dir())  # once: every stack deploys the same bytes (promotion never rebuilds)
    template = load_environment(FEATURE_TEMPLATE)
    assert template.feature is not None
    for config in configs:
        # The base environment admits the feature environments' job principal to its workspace.
        hosted = (
            (template.service_principal.application_id,) if template.feature.base_environment == config.name else ()
        )
        EnvironmentStack(app, config, wheel, feature_principals=hosted)
        names.append(config.stack_name)
    feature = feature or requested_feature(app)
    feature_slug = feature_slug or requested_feature_slug(app)
    if feature or feature_slug:
        config, _ = load_feature_environment(feature, slug=feature_slug)
        assert config.feature is not None
        base = load_environment(config.feature.base_environment)
        FeatureStack(app, config, base, wheel)
        names.append(config.stack_name)
    return app, names
