{#- Materialization of a dimension whose incremental run rewrites only some keys' rows (stg_landing__users, dim_user, int_user_attribute_history: the day's changed users) and has no date to partition by: incremental (with upsert_strategy) where stored rows can be deleted or merged, i.e. DuckDB and Spark with a table format; on plain Parquet, where insert_overwrite of an unpartitioned table would keep only the rewritten keys, a table rebuilt whole every run (its full-refresh branch). -#}
{% macro keyed_upsert_materialization() -%}
    {{ return('incremental' if supports_row_deletes() else 'table') }}
{%- endmacro %}
