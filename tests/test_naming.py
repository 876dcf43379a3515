import pytest

from retailflow.naming import (
    AZURE_NAME_RULES,
    NamingError,
    azure_name,
    catalog_name,
    check_feature_slug,
    feature_slug,
    stable_hash,
    validate_azure_name,
)


@pytest.mark.parametrize(
    ("branch", "slug"),
    [
        ("Feature/ABC-123_New-Thing", "abc-123-new-thing-91e125"),
        ("refs/heads/feat/checkout--v2", "checkout-v2-" + stable_hash("feat/checkout--v2")),
        ("user/jane/Fix THE bug!!", "jane-fix-the-bug-" + stable_hash("user/jane/Fix THE bug!!")),
        ("123-start-with-digit", "f123-start-with-d-" + stable_hash("123-start-with-digit")),
    ],
)
def test_feature_slug(branch, slug):
    assert feature_slug(branch) == slug and check_feature_slug(slug) == slug


def test_long_branch_is_capped_with_a_stable_hash():
    branch = "feature/" + "very-long-branch-name-" * 6
    slug = feature_slug(branch)
    assert len(slug) <= 24 and slug == feature_slug(branch) and slug != feature_slug(branch + "x")


@pytest.mark.parametrize("branch", ["!!!", "", "///", "_-_"])
def test_unusable_names_are_rejected(branch):
    with pytest.raises(NamingError, match="cannot make a slug"):
        feature_slug(branch)


@pytest.mark.parametrize("resource_type", sorted(AZURE_NAME_RULES))
def test_every_azure_name_is_valid_with_the_longest_feature_slug(resource_type):
    longest = "feature-" + feature_slug("feature/" + "x" * 80)
    for env in ("dev", "prod", longest):
        name = azure_name(
            resource_type,
            prefix="rfabcd",
            environment=env,
            region_code="eus2",
            subscription_id="3f6a2b1c-4d5e-4f70-8a9b-0c1d2e3f4a01",
            qualifier="container",
        )
        validate_azure_name(resource_type, name)
        assert len(name) <= AZURE_NAME_RULES[resource_type].max_length


def test_globally_unique_names_differ_per_subscription():
    a = azure_name("storage_account", prefix="rf", environment="dev", region_code="weu", subscription_id="a")
    b = azure_name("storage_account", prefix="rf", environment="dev", region_code="weu", subscription_id="b")
    assert a != b and a.isalnum() and len(a) <= 24


def test_catalog_names():
    assert catalog_name("prod") == "retailflow_prod"
    assert catalog_name("feature-abc-1") == "retailflow_feat_abc_1"
