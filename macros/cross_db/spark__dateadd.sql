{#- dbt.dateadd on Spark, overriding dbt-spark's (it renders `cast(n - 1 * 3600 as int)` and goes through whole unix seconds, dropping fractions): a timestamp `interval` parts after a date or timestamp, as DuckDB's date + interval gives it. -#}
{% macro spark__dateadd(datepart, interval, from_date_or_timestamp) -%}
    {%- set seconds_per_part = {'hour': 3600, 'minute': 60, 'second': 1, 'millisecond': 0.001, 'microsecond': 0.000001} -%}
    {%- set months_per_part = {'month': 1, 'quarter': 3, 'year': 12} -%}
    {%- if datepart in ['day', 'week'] -%}
        (cast({{ from_date_or_timestamp }} as timestamp)
            + make_interval(0, 0, 0, cast(({{ interval }}) * {{ 7 if datepart == 'week' else 1 }} as int), 0, 0, 0))
    {%- elif datepart in months_per_part -%}
        (cast({{ from_date_or_timestamp }} as timestamp)
            + make_interval(0, cast(({{ interval }}) * {{ months_per_part[datepart] }} as int), 0, 0, 0, 0, 0))
    {%- elif datepart in seconds_per_part -%}
        (cast({{ from_date_or_timestamp }} as timestamp)
            + make_interval(0, 0, 0, 0, 0, 0, cast(({{ interval }}) * {{ seconds_per_part[datepart] }} as decimal(18, 6))))
    {%- else -%}
        {{ exceptions.raise_compiler_error("spark__dateadd: datepart '" ~ datepart ~ "' is not implemented") }}
    {%- endif -%}
{%- endmacro %}
