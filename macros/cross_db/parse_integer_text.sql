{#- A landed text field as an integer when it is one, written plainly (optional minus, digits only, small enough for `type`); NULL otherwise, so that "104.7", "1e3" and "abc" never round or cast into a number. -#}
{% macro parse_integer_text(expression, type='bigint') -%}
    {{ return(adapter.dispatch('parse_integer_text')(expression, type)) }}
{%- endmacro %}

{#- At most 18 digits always fit a bigint, at most 9 an integer. -#}
{% macro integer_text_pattern(type) -%}
    -?[0-9]{1,{{ 9 if type == 'integer' else 18 }}}
{%- endmacro %}

{% macro default__parse_integer_text(expression, type) -%}
    case
        when regexp_full_match(trim({{ expression }}), '{{ integer_text_pattern(type) }}')
            then cast(trim({{ expression }}) as {{ type }})
    end
{%- endmacro %}

{% macro spark__parse_integer_text(expression, type) -%}
    case
        when trim({{ expression }}) rlike '^{{ integer_text_pattern(type) }}$'
            then cast(trim({{ expression }}) as {{ type }})
    end
{%- endmacro %}
