"""Who sees what of the retail tables: the PII columns with their masks, and the tables filtered by a reader's
country entitlements. No pyspark here: the stacks render these rules without the engine (`runtime.access`)."""

from __future__ import annotations

from retailflow.workloads.runtime.access import ENTITLED_COUNTRIES, PII, ColumnRule, TableRule

CUSTOMER_PII = (
    ColumnRule("email", PII, "email_domain"),
    ColumnRule("first_name", PII, "initial"),
    ColumnRule("last_name", PII, "initial"),
)
TABLE_RULES = (
    TableRule("gold.dim_customer", CUSTOMER_PII, ENTITLED_COUNTRIES.name),
    TableRule("silver.customer_changes", CUSTOMER_PII),
    TableRule("silver.customers", CUSTOMER_PII, ENTITLED_COUNTRIES.name),
)
