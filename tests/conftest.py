"""Shared fixtures: one local engine and one synth of every stack per session (per worker under `make pytest`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from retailflow.naming import feature_slug
from retailflow.node import use_project_node

ROOT = Path(__file__).resolve().parents[1]
FEATURE_BRANCH = "Feature/ABC-123_New-Thing"
FEATURE_SLUG = feature_slug(FEATURE_BRANCH)
FEATURE_STACK = f"retailflow-feature-{FEATURE_SLUG}"

use_project_node()  # jsii runs on the project's own Node, as the CLI's does


@pytest.fixture(scope="session")
def engine():
    from retailflow.local.engine import start_local

    active = start_local()
    yield active
    active.close()


@contextmanager
def group_buckets_set(spark, value: int | str | None) -> Iterator[None]:
    """The session's window bucket setting (`runtime.group_window`) set to `value` (None: unset) while the block
    runs, and restored after it."""
    from retailflow.workloads.runtime.group_window import GROUP_BUCKETS

    def put(setting: str | None) -> None:
        if setting is None:
            spark.conf.unset(GROUP_BUCKETS)
        else:
            spark.conf.set(GROUP_BUCKETS, setting)

    before = spark.conf.get(GROUP_BUCKETS, None)
    put(None if value is None else str(value))
    try:
        yield
    finally:
        put(before)


@pytest.fixture(params=[None, 1, 1024], ids=["a partition per key", "every key in one bucket", "1024 buckets"])
def window_form(request, engine):
    """The session's windows over each key's rows in each form (`runtime.group_window`): one window partition per
    key (as on Spark), every key in one hash bucket (each row told from its neighbour by its key alone), and the
    local engine's buckets. The session's setting is restored after the test."""
    with group_buckets_set(engine.spark, request.param):
        yield request.param


@pytest.fixture(scope="session")
def synth_dir(tmp_path_factory) -> Path:
    """dev, stg, prod and a feature stack, synthesized once into a temporary cdktf.out."""
    from retailflow.stacks.app import build_app

    out = tmp_path_factory.mktemp("cdktf.out")
    app, _ = build_app(outdir=out, feature=FEATURE_BRANCH)
    app.synth()
    return out


@pytest.fixture(scope="session")
def stacks(synth_dir: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted((synth_dir / "stacks").glob("*/cdk.tf.json"))}


def resources(stack: dict, resource_type: str) -> dict[str, dict]:
    return stack.get("resource", {}).get(resource_type, {})


def only(stack: dict, resource_type: str) -> dict:
    found = list(resources(stack, resource_type).values())
    assert len(found) == 1, f"expected one {resource_type}, found {len(found)}"
    return found[0]
