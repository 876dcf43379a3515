"""Import only the provider resources we use.

The prebuilt provider packages import every one of their resource modules from their package `__init__` (1,529
modules for azurerm: ~35 s and ~1 GB RSS here). Each resource module only needs the package's `_jsii` assembly
module, so we register the package object without running its `__init__`; `from cdktf_cdktf_provider_azurerm.x
import X` then loads just `x` and the assembly. The registration is idempotent and does nothing when the provider
packages are not installed (the Databricks runtime wheel never has them).
"""

from __future__ import annotations

import importlib.util
import sys

PROVIDER_PACKAGES = ("cdktf_cdktf_provider_azurerm", "cdktf_cdktf_provider_databricks")


def register_lazy_provider_packages() -> None:
    for name in PROVIDER_PACKAGES:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.submodule_search_locations is None:
            continue
        sys.modules[name] = importlib.util.module_from_spec(spec)
