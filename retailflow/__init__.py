"""RetailFlow: the Azure + Databricks platform (CDKTF constructs) and the medallion pipelines that run on it.

`retailflow` is the single import root: `retailflow.constructs`, `retailflow.stacks`, `retailflow.workloads` and
`retailflow.policies` are the top-level folders of the repository.
"""

from retailflow._provider_bindings import register_lazy_provider_packages

register_lazy_provider_packages()
