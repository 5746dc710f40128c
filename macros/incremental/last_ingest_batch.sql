{#- The newest ingest batch an incremental model has already processed, as a compile-time integer (0 when the table is empty or this is not an incremental run); rows of later batches are new. `relation` reads the watermark from another relation than `this` (the stored state of a cumulative model). A stored table without the column (built by an older version of the model) also gives 0, so that the run reaches dbt's on_schema_change check and its one-line "re-run with --full-refresh" error instead of a binder error here. -#}
{% macro last_ingest_batch(column='last_ingest_batch_id', relation=none) -%}
    {%- if not is_incremental() -%}
        {{ return(0) }}
    {%- endif -%}
    {%- set stored = relation if relation is not none else this -%}
    {%- if load_relation(stored) is none -%}
        {{ return(0) }}
    {%- endif -%}
    {%- set stored_columns = adapter.get_columns_in_relation(stored) | map(attribute='name') | map('lower') | list -%}
    {%- if column | lower not in stored_columns -%}
        {{ return(0) }}
    {%- endif -%}
    {%- set value = get_max_value(stored, column, default=0) -%}
    {{ return(value | int) }}
{%- endmacro %}
