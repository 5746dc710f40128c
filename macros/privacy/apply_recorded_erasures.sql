{#- Post-hook SQL of fct_privacy_erasures: erase from `relation` the users whose requests this run recorded (delete, or with `erased_values` an update that keeps the row as a placeholder); empty when this run recorded none. -#}
{% macro apply_recorded_erasures(relation, tombstones, erased_values=none) -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set this_run = "dbt_invocation_id = '" ~ invocation_id ~ "'" -%}
    {%- if get_aggregate_value(this, 'count(*)', default=0, where=this_run) | int == 0 -%}
        {{ return('') }}
    {%- endif -%}
    {%- set erased_users -%}
        select tombstones.user_id
        from {{ tombstones }} as tombstones
        where tombstones.recorded_batch_id in (select erasures.recorded_batch_id from {{ this }} as erasures where erasures.{{ this_run }})
    {%- endset -%}
    {%- if erased_values -%}
        {%- set sql -%}
            update {{ relation }} set
            {%- for column, value in erased_values.items() %}
                {{ column }} = {{ value }}{% if not loop.last %},{% endif %}
            {%- endfor %}
            where user_id in ({{ erased_users }})
        {%- endset -%}
    {%- else -%}
        {%- set sql -%}
            delete from {{ relation }} where user_id in ({{ erased_users }})
        {%- endset -%}
    {%- endif -%}
    {{ return(sql) }}
{%- endmacro %}
