{#- The newest ingest batch an incremental model has already processed, as a compile-time integer (0 when the table is empty or this is not an incremental run); rows of later batches are new. -#}
{% macro last_ingest_batch(column='last_ingest_batch_id', relation=none) -%}
    {%- if not is_incremental() -%}
        {{ return(0) }}
    {%- endif -%}
    {%- set value = get_max_value(relation if relation is not none else this, column, default=0) -%}
    {{ return(value | int) }}
{%- endmacro %}
