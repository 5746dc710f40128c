{#- Parse an ISO-8601 string that carries an explicit offset ('Z' or +hh:mm) into a UTC timestamp; NULL when unparseable or offset-less. -#}
{% macro parse_iso_timestamp_utc(expression) -%}
    {{ return(adapter.dispatch('parse_iso_timestamp_utc')(expression)) }}
{%- endmacro %}

{% macro default__parse_iso_timestamp_utc(expression) -%}
    {#- An offset-less string would silently become session-local wall time: refuse it. -#}
    case
        when regexp_matches({{ expression }}, '(Z|[+-][0-9]{2}:?[0-9]{2})$')
            then timezone('UTC', try_cast({{ expression }} as timestamptz))
    end
{%- endmacro %}

{% macro spark__parse_iso_timestamp_utc(expression) -%}
    case
        when {{ expression }} rlike '(Z|[+-][0-9]{2}:?[0-9]{2})$'
            then to_utc_timestamp(try_to_timestamp({{ expression }}), 'UTC')
    end
{%- endmacro %}
