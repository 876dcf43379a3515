"""RetailFlow's own checkov checks (checkov has none for the databricks provider). Loaded with
`--external-checks-dir policies/checks`; each module registers its checks when checkov executes it."""
