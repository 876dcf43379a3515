"""The policy scan: every custom check proven on a failing and a passing fixture (checkov itself runs), the real
stacks pass with only listed exceptions, mutated stacks fail naming check and resource, parse errors fail,
SARIF is valid 2.1.0."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from retailflow.config import standard_environments
from retailflow.policies.report import to_markdown, to_sarif
from retailflow.policies.scan import (
    Finding,
    PolicyException,
    ScanReport,
    apply_exceptions,
    find_stack_files,
    run_checkov,
    scan,
)

HERE = Path(__file__).resolve().parent / "policies"
FIXTURES = HERE / "fixtures"
CUSTOM_CHECKS = sorted({p.name.rsplit("-", 1)[0] for p in FIXTURES.iterdir() if p.is_dir()})


@pytest.fixture(scope="module")
def fixture_results() -> dict[str, dict[str, set[str]]]:
    raw = run_checkov(sorted(FIXTURES.glob("*/cdk.tf.json")))
    results: dict[str, dict[str, set[str]]] = {}
    for outcome in ("passed", "failed"):
        for item in raw[outcome]:
            folder = Path(item["file_path"]).parent.name
            results.setdefault(folder, {"passed": set(), "failed": set()})[outcome].add(item["check_id"])
    assert not raw["parsing_errors"]
    return results


def test_every_custom_check_has_both_fixtures():
    checks_in_code = set()
    for module in (HERE.parents[1] / "policies" / "checks").glob("*.py"):
        checks_in_code.update(__import__("re").findall(r'"(RF_[A-Z]+_\d{3})"', module.read_text()))
    assert checks_in_code == set(CUSTOM_CHECKS)
    for check in CUSTOM_CHECKS:
        assert (FIXTURES / f"{check}-pass" / "cdk.tf.json").is_file() and (
            FIXTURES / f"{check}-fail" / "cdk.tf.json"
        ).is_file()


@pytest.mark.parametrize("check", CUSTOM_CHECKS)
def test_custom_check_fails_its_failing_fixture_and_passes_its_passing_one(fixture_results, check):
    assert check in fixture_results[f"{check}-fail"]["failed"]
    assert check in fixture_results[f"{check}-pass"]["passed"]
    assert check not in fixture_results[f"{check}-pass"]["failed"]


@pytest.fixture(scope="module")
def real_report(synth_dir) -> ScanReport:
    return scan(find_stack_files(synth_dir))


def test_real_stacks_pass_with_only_listed_exceptions(real_report):
    assert real_report.ok, (real_report.problems, [(f.stack, f.check_id, f.resource) for f in real_report.failures])
    assert {f.stack for f in real_report.excepted} == {c.stack_name for c in standard_environments()}
    prod_excepted = {f.check_id for f in real_report.excepted if f.stack == "retailflow-prod"}
    assert prod_excepted == {"CKV2_AZURE_1", "CKV2_AZURE_48", "CKV2_AZURE_21", "CKV_AZURE_33"}
    assert all(count > 20 for count in real_report.passed.values())


def test_sarif_is_valid_2_1_0(real_report, mutated_report):
    schema = json.loads((HERE / "sarif-schema-2.1.0.json").read_text())
    for report in (real_report, mutated_report):
        sarif = json.loads(to_sarif(report))
        jsonschema.validate(sarif, schema)
    results = json.loads(to_sarif(mutated_report))["runs"][0]["results"]
    assert any(r["ruleId"] == "RF_UC_004" and "suppressions" not in r for r in results)
    assert any("suppressions" in r for r in results)


def _mutate(stack: dict) -> None:
    resources = stack["resource"]
    account = next(iter(resources["azurerm_storage_account"].values()))
    account["public_network_access_enabled"] = True
    grants = resources["databricks_grants"]
    gold = next(g for g in grants.values() if g.get("schema", "").endswith(".gold"))
    reader = next(x for x in gold["grant"] if x["principal"].endswith("gold-readers"))
    reader["privileges"].append("MODIFY")
    job = next(iter(resources["databricks_job"].values()))
    del job["email_notifications"]
    vnet = next(iter(resources["azurerm_virtual_network"].values()))
    del vnet["tags"]


@pytest.fixture(scope="module")
def mutated_report(synth_dir, tmp_path_factory) -> ScanReport:
    target = tmp_path_factory.mktemp("mutated") / "retailflow-prod"
    shutil.copytree(synth_dir / "stacks" / "retailflow-prod", target)
    stack = json.loads((target / "cdk.tf.json").read_text())
    _mutate(stack)
    (target / "cdk.tf.json").write_text(json.dumps(stack, indent=2))
    return scan([target / "cdk.tf.json"])


def test_mutated_stack_fails_and_names_check_and_resource(mutated_report):
    failed = {(f.check_id, f.resource.split(".")[0]) for f in mutated_report.failures}
    assert ("RF_AZ_004", "azurerm_storage_account") in failed  # public storage in prod
    assert ("CKV_AZURE_59", "azurerm_storage_account") in failed
    assert ("RF_UC_004", "databricks_grants") in failed  # a reader with MODIFY
    assert ("RF_JOB_001", "databricks_job") in failed  # a job without notifications
    assert ("RF_AZ_003", "azurerm_virtual_network") in failed  # an untagged resource
    assert not mutated_report.ok
    markdown = to_markdown(mutated_report)
    assert "RF_UC_004" in markdown and "databricks_grants." in markdown


def test_a_parse_error_fails_the_scan(synth_dir, tmp_path):
    target = tmp_path / "retailflow-dev"
    target.mkdir()
    text = (synth_dir / "stacks" / "retailflow-dev" / "cdk.tf.json").read_text()
    (target / "cdk.tf.json").write_text(text[: len(text) // 2])
    report = scan([target / "cdk.tf.json"])
    assert not report.ok
    assert report.parsing_errors or any("could not read" in p for p in report.problems)


def _finding(check="CKV_X_1", resource="azurerm_storage_account.lake_account_1", stack="retailflow-dev") -> Finding:
    return Finding(check, "x", resource, stack, "f", 1)


def _exception(**changes) -> PolicyException:
    values = {
        "check_id": "CKV_X_1",
        "resource": "azurerm_storage_account.lake_account_*",
        "where": {"network.private": False},
        "reason": "a reason long enough to be real",
        "expires": dt.date(2030, 1, 1),
        **changes,
    }
    return PolicyException(**values)


def test_exceptions_expire_go_unused_and_follow_config():
    report = ScanReport(stacks=["retailflow-dev"], findings=[_finding()])
    apply_exceptions(report, [_exception()], dt.date(2026, 1, 1))
    assert report.ok and report.excepted
    expired = ScanReport(stacks=["retailflow-dev"], findings=[_finding()])
    apply_exceptions(expired, [_exception(expires=dt.date(2025, 1, 1))], dt.date(2026, 1, 1))
    assert not expired.ok and "expired on 2025-01-01" in expired.problems[0]
    unused = ScanReport(stacks=["retailflow-dev"], findings=[])
    apply_exceptions(unused, [_exception()], dt.date(2026, 1, 1))
    assert "is unused in dev" in unused.problems[0]
    other_config = ScanReport(stacks=["retailflow-dev"], findings=[_finding()])
    apply_exceptions(other_config, [_exception(where={"network.private": True})], dt.date(2026, 1, 1))
    assert not other_config.ok and other_config.failures and not other_config.excepted
    with pytest.raises(ValueError, match="'network.privat' is not an environment setting"):
        _exception(where={"network.privat": False})
