{#- dbt.datediff on Spark, overriding dbt-spark's (its millisecond difference lacks parentheses and came out up to 1,150x too large): whole parts between two dates or timestamps, as DuckDB's date_diff counts them (boundaries crossed). -#}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- set seconds_per_part = {'hour': 3600, 'minute': 60, 'second': 1} -%}
    {%- if datepart == 'day' -%}
        datediff(cast({{ second_date }} as date), cast({{ first_date }} as date))
    {%- elif datepart == 'millisecond' -%}
        (unix_millis(cast({{ second_date }} as timestamp)) - unix_millis(cast({{ first_date }} as timestamp)))
    {%- elif datepart == 'microsecond' -%}
        (unix_micros(cast({{ second_date }} as timestamp)) - unix_micros(cast({{ first_date }} as timestamp)))
    {%- elif datepart in seconds_per_part -%}
        (
            unix_seconds(date_trunc('{{ datepart }}', cast({{ second_date }} as timestamp)))
            - unix_seconds(date_trunc('{{ datepart }}', cast({{ first_date }} as timestamp)))
        ) div {{ seconds_per_part[datepart] }}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "spark__datediff: datepart '" ~ datepart ~ "' is not implemented in this project (day, hour, minute, second, millisecond, microsecond are)"
        ) }}
    {%- endif -%}
{%- endmacro %}
