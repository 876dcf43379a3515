"""Environment files: every real file validates; each kind of bad edit is one clear line naming the field."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from retailflow.config import ConfigError, load_environment, load_feature_environment, load_local, standard_environments


def test_every_environment_validates():
    configs = standard_environments()
    assert [c.promotion for c in configs] == sorted(c.promotion or 0 for c in configs)  # in promotion order
    names = [c.name for c in configs]
    assert names.index("dev") < names.index("stg") < names.index("prod")
    prod = load_environment("prod")
    assert prod.network.private and not prod.workspace.public_network_access
    assert prod.catalog == "retailflow_prod" and prod.stack_name == "retailflow-prod"
    assert load_local().catalog == "retailflow_local"


@pytest.fixture
def env_dir(tmp_path: Path) -> Path:
    target = tmp_path / "environments"
    shutil.copytree(ROOT / "environments", target)
    return target


def edit(env_dir: Path, name: str, change) -> None:
    path = env_dir / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data))


BAD_EDITS = {
    "missing field": (lambda d: d["network"].pop("vnet_cidr"), "network.vnet_cidr", "required field is missing"),
    "wrong type": (lambda d: d["storage"].update(soft_delete_days="seven"), "storage.soft_delete_days", "integer"),
    "unknown key": (
        lambda d: d["workspace"].update(public_acess=True),
        "workspace.public_acess",
        "unknown key 'public_acess' (did you mean 'public_network_access'?)",
    ),
    "true as a number": (lambda d: d["jobs"].update(max_retries=True), "jobs.max_retries", "valid integer"),
    "unknown time zone": (
        lambda d: d["jobs"]["schedule"].update(timezone="Mars/Olympus_Mons"),
        "jobs.schedule.timezone",
        "unknown time zone 'Mars/Olympus_Mons'",
    ),
    "a 26-digit number": (
        lambda d: d["budget"].update(monthly_amount=10**25),
        "budget.monthly_amount",
        "less than or equal to 100000000",
    ),
    "malformed CIDR": (lambda d: d["network"].update(vnet_cidr="10.10.0/33"), "network.vnet_cidr", "IPv4"),
    "overlapping subnets": (
        lambda d: d["network"].update(container_subnet_cidr="10.10.2.0/24"),
        "network",
        "overlaps",
    ),
    "subnet outside the VNet": (
        lambda d: d["network"].update(private_endpoint_subnet_cidr="10.99.0.0/24"),
        "network",
        "outside vnet_cidr",
    ),
    "bad cron": (lambda d: d["jobs"]["schedule"].update(cron="0 61 2 * * ?"), "jobs.schedule.cron", "minutes"),
    "cron field count": (lambda d: d["jobs"]["schedule"].update(cron="0 2 * * *"), "jobs.schedule.cron", "6 or 7"),
    "bad email": (lambda d: d["alerts"].update(emails=["not-an-email"]), "alerts.emails.0", "pattern"),
    "bad uuid": (lambda d: d["unity_catalog"].update(metastore_id="abc"), "unity_catalog.metastore_id", "pattern"),
    "unknown location": (lambda d: d["azure"].update(location="moon"), "azure.location", "unknown Azure location"),
    "bad replication": (lambda d: d["storage"].update(replication="XYZ"), "storage.replication", "LRS"),
    "job cluster without spec": (lambda d: d["compute"].update(mode="job_cluster"), "compute", "job_cluster section"),
    "log retention too short": (
        lambda d: d["monitoring"].update(log_retention_days=3),
        "monitoring.log_retention_days",
        "greater than or equal to 30",
    ),
    "empty group": (lambda d: d["groups"].update(admin=""), "groups.admin", "at least 1"),
    "sources over http": (
        lambda d: d["sources"].update(api_base_url="http://sources.example/api"),
        "sources.api_base_url",
        "a deployed environment reaches its sources over https",
    ),
    "a secret value for a secret name": (
        lambda d: d["sources"]["database"].update(password_secret="Pa55 word!"),
        "sources.database.password_secret",
        "pattern",
    ),
    "entitlement for a clear role": (
        lambda d: d["access"]["country_entitlements"].update(admin=["NL"]),
        "access.country_entitlements",
        "'admin' is not a role with row entitlements",
    ),
    "lower-case country": (
        lambda d: d["access"]["country_entitlements"].update(analytics=["nl"]),
        "access.country_entitlements.analytics.0",
        "pattern",
    ),
    "azurerm state incomplete": (lambda d: d["state"].pop("container_name"), "state", "container_name"),
}


@pytest.mark.parametrize("case", sorted(BAD_EDITS))
def test_bad_edit_names_the_field(env_dir: Path, case: str):
    change, field, rule = BAD_EDITS[case]
    edit(env_dir, "dev", change)
    with pytest.raises(ConfigError) as err:
        load_environment("dev", env_dir)
    message = str(err.value)
    assert message.startswith(str(env_dir / "dev.yaml") + ": "), message
    assert f": {field}: " in message or f": {field}." in message, message
    assert rule in message, message
    assert "\n" not in message


def test_local_engine_memory_budget_is_validated(env_dir: Path):
    assert load_local(env_dir).engine.memory_budget_mb == 896
    edit(env_dir, "local", lambda d: d["engine"].update(memory_budget_mb=16))
    with pytest.raises(ConfigError, match=r"local\.yaml: engine\.memory_budget_mb: .*greater than or equal to 128"):
        load_local(env_dir)


def test_a_production_environment_must_stay_private_whatever_its_name(env_dir: Path):
    edit(
        env_dir, "prod", lambda d: d["workspace"].update(public_network_access=True, ip_access_list=["203.0.113.0/24"])
    )
    with pytest.raises(ConfigError, match="prod.yaml: .*a production environment must be private"):
        load_environment("prod", env_dir)
    edit(env_dir, "stg", lambda d: d.update(production=True))
    with pytest.raises(
        ConfigError, match="stg.yaml: .*a production environment's storage.replication must be in the GRS"
    ):
        load_environment("stg", env_dir)


def test_name_must_match_file(env_dir: Path):
    edit(env_dir, "stg", lambda d: d.update(name="staging"))
    with pytest.raises(ConfigError, match="does not match the file name"):
        load_environment("stg", env_dir)


def test_invalid_yaml_names_line(env_dir: Path):
    (env_dir / "dev.yaml").write_text("name: dev\nnetwork: [unclosed\n")
    with pytest.raises(ConfigError, match=r"line \d+, column \d+: not valid YAML"):
        load_environment("dev", env_dir)


def test_feature_environment_from_branch():
    config, expires = load_feature_environment("Feature/ABC-123_New-Thing")
    assert config.name == "feature-abc-123-new-thing-91e125"
    assert config.catalog == "retailflow_feat_abc_123_new_thing_91e125"
    assert (expires - __import__("datetime").date.today()).days == config.feature.ttl_days


def test_cli_reports_a_bad_file_in_one_line_without_traceback(env_dir: Path):
    edit(env_dir, "dev", lambda d: d["network"].update(host_subnet_cidr="300.1.1.1/22"))
    env = {**os.environ, "RETAILFLOW_ENVIRONMENTS_DIR": str(env_dir)}
    result = subprocess.run(
        [sys.executable, "-m", "retailflow", "envs"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "network.host_subnet_cidr" in result.stderr and "dev.yaml" in result.stderr


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: dev\nname: dev\nkind: standard\n",
            r"dev\.yaml: line 2, column 1: not valid YAML \(duplicate key 'name'",
        ),
        ("name: " + "[" * 5000 + "]" * 5000 + "\n", r"dev\.yaml: nested too deeply to be a configuration"),
    ],
    ids=["duplicate key", "deep nesting"],
)
def test_yaml_that_is_not_a_configuration_is_one_line_naming_the_file(env_dir: Path, text: str, expected: str):
    (env_dir / "dev.yaml").write_text(text)
    with pytest.raises(ConfigError, match=expected) as raised:
        load_environment("dev", env_dir)
    assert "\n" not in str(raised.value)


def test_an_impossible_generator_start_date_is_refused_where_it_is_written(env_dir: Path):
    edit(env_dir, "local", lambda d: d["generator"].update(start_date="2026-02-30"))
    with pytest.raises(ConfigError, match=r"local\.yaml: generator\.start_date: '2026-02-30' is not a calendar date"):
        load_local(env_dir)
