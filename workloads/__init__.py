"""RetailFlow runtime: what Databricks jobs install. Imports pyspark only; never cdktf, jsii, checkov or pysail."""
