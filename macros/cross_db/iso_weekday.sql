{#- ISO day of the week of a date or timestamp: 1 = Monday .. 7 = Sunday (an integer on both engines). -#}
{% macro iso_weekday(date_or_timestamp) -%}
    {{ return(adapter.dispatch('iso_weekday')(date_or_timestamp)) }}
{%- endmacro %}

{% macro default__iso_weekday(date_or_timestamp) -%}
    cast(extract(isodow from {{ date_or_timestamp }}) as integer)
{%- endmacro %}

{#- Spark's dayofweek() counts from Sunday = 1; DAYOFWEEK_ISO is the ISO numbering. -#}
{% macro spark__iso_weekday(date_or_timestamp) -%}
    cast(extract(dayofweek_iso from {{ date_or_timestamp }}) as integer)
{%- endmacro %}
