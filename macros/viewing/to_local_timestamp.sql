{#- Convert a UTC timestamp (naive, UTC wall time) to the wall-clock time of an IANA time zone, DST-correct. -#}
{% macro to_local_timestamp(ts, tz) -%}
    {{ return(adapter.dispatch('to_local_timestamp')(ts, tz)) }}
{%- endmacro %}

{% macro default__to_local_timestamp(ts, tz) -%}
    {#- DuckDB (ICU): timezone('UTC', naive) reads the naive value as UTC wall time and gives a
        TIMESTAMPTZ whatever the session TimeZone is (a bare ::timestamptz cast would use the
        session zone); timezone(tz, timestamptz) then gives the naive wall time in tz. -#}
    timezone({{ tz }}, timezone('UTC', cast({{ ts }} as timestamp)))
{%- endmacro %}

{% macro spark__to_local_timestamp(ts, tz) -%}
    from_utc_timestamp({{ ts }}, {{ tz }})
{%- endmacro %}
