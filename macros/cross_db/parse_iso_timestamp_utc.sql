{#- Parse an ISO-8601 string that carries an explicit offset ('Z' or +hh:mm) into a UTC timestamp; NULL when unparseable or offset-less. -#}
{% macro parse_iso_timestamp_utc(expression) -%}
    {{ return(adapter.dispatch('parse_iso_timestamp_utc')(expression)) }}
{%- endmacro %}

{% macro default__parse_iso_timestamp_utc(expression) -%}
    {#- An offset-less string would silently become session-local wall time: refuse it.
        Accepted offsets: Z or z, +hh, +hhmm, +hh:mm (RFC 3339 / ISO 8601). -#}
    case
        when regexp_matches({{ expression }}, '([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$')
            then timezone('UTC', try_cast(upper({{ expression }}) as timestamptz))
    end
{%- endmacro %}

{% macro spark__parse_iso_timestamp_utc(expression) -%}
    case
        when {{ expression }} rlike '([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$'
            then to_utc_timestamp(try_to_timestamp(upper({{ expression }})), 'UTC')
    end
{%- endmacro %}
