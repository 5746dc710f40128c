{#- Parse an ISO-8601 date-time that carries an explicit offset ('Z' or +hh[[:]mm]) into a UTC timestamp; NULL when unparseable, offset-less, or a date without a time. -#}
{% macro parse_iso_timestamp_utc(expression) -%}
    {{ return(adapter.dispatch('parse_iso_timestamp_utc')(expression)) }}
{%- endmacro %}

{#- An offset-less string would silently become session-local wall time, and "2026-03-10"
    would match an offset pattern at its "-10": only a full date-time with an offset passes.
    Accepted offsets: Z or z, +hh, +hhmm, +hh:mm (RFC 3339 / ISO 8601). -#}
{% macro iso_timestamp_with_offset_pattern() -%}
    [0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)
{%- endmacro %}

{% macro default__parse_iso_timestamp_utc(expression) -%}
    case
        when regexp_full_match({{ expression }}, '{{ iso_timestamp_with_offset_pattern() }}')
            then timezone('UTC', try_cast(upper({{ expression }}) as timestamptz))
    end
{%- endmacro %}

{% macro spark__parse_iso_timestamp_utc(expression) -%}
    case
        when {{ expression }} rlike '^{{ iso_timestamp_with_offset_pattern() }}$'
            then to_utc_timestamp(try_to_timestamp(upper({{ expression }})), 'UTC')
    end
{%- endmacro %}
