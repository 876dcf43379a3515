{% macro register_lake_tables() %}
  {#- Locally, each source table is a Delta folder of the lakehouse: registered in this session's catalog, and so is
      each mart already built (RETAILFLOW_BUILT_MARTS, a JSON list the local runner passes), so that an incremental
      model finds its table. On Databricks the sources and marts are Unity Catalog tables already: nothing to do. -#}
  {% if execute and target.name == 'local' %}
    {% for source in graph.sources.values() %}
      {% do register_lake_table(source.schema, source.name) %}
    {% endfor %}
    {% set built = fromjson(env_var('RETAILFLOW_BUILT_MARTS', '[]')) %}
    {% for node in graph.nodes.values() if node.resource_type == 'model' and node.name in built %}
      {% do register_lake_table(node.schema, node.alias) %}
    {% endfor %}
  {% endif %}
{% endmacro %}

{% macro register_lake_table(schema, name) %}
  {#- The lakehouse's Delta folder <schema>/<name> as the table schema.name of this session. -#}
  {% do run_query("CREATE DATABASE IF NOT EXISTS " ~ schema) %}
  {% do run_query("CREATE TABLE IF NOT EXISTS " ~ schema ~ "." ~ name ~ " USING delta LOCATION '"
                  ~ var('lakehouse') ~ "/" ~ schema ~ "/" ~ name ~ "'") %}
{% endmacro %}

{% macro generate_schema_name(custom_schema_name, node) -%}
  {#- The marts go to the `marts` schema as named, not `<target schema>_marts`. -#}
  {{ custom_schema_name if custom_schema_name else target.schema }}
{%- endmacro %}
