{% macro register_lake_tables() %}
  {#- Locally, each source table is a Delta folder of the lakehouse: registered in this session's catalog. On
      Databricks the sources are Unity Catalog tables already: nothing to do. -#}
  {% if execute and target.name == 'local' %}
    {% for source in graph.sources.values() %}
      {% do run_query("CREATE DATABASE IF NOT EXISTS " ~ source.schema) %}
      {% do run_query("CREATE TABLE IF NOT EXISTS " ~ source.schema ~ "." ~ source.name ~ " USING delta LOCATION '"
                      ~ var('lakehouse') ~ "/" ~ source.schema ~ "/" ~ source.name ~ "'") %}
    {% endfor %}
  {% endif %}
{% endmacro %}

{% macro generate_schema_name(custom_schema_name, node) -%}
  {#- The marts go to the `marts` schema as named, not `<target schema>_marts`. -#}
  {{ custom_schema_name if custom_schema_name else target.schema }}
{%- endmacro %}
