{#- A double rounded to `digits` decimals as DuckDB rounds it: on the exact binary value, halves away from zero (2.65 is 2.64999... in binary: 2.6). -#}
{% macro round_double(expression, digits) -%}
    {{ return(adapter.dispatch('round_double')(expression, digits)) }}
{%- endmacro %}

{% macro default__round_double(expression, digits) -%}
    round({{ expression }}, {{ digits }})
{%- endmacro %}

{#- Spark's round() of a double rounds its shortest decimal string half up (2.65 -> 2.7). Here:
    y = |x| * 10^digits in double; only when y lands exactly on a half can the exact product lie on
    either side of it, and its rounding error e (Dekker's product: x split into 26-bit halves, so
    every partial product is exact) says which; e = 0 is a true half, rounded away from zero. -#}
{% macro spark__round_double(expression, digits) -%}
    {%- set scale = 10 ** digits -%}
    {%- set x = '(' ~ expression ~ ')' -%}
    {%- set y = '(abs(' ~ x ~ ') * ' ~ scale ~ ')' -%}
    {%- set c = '(abs(' ~ x ~ ') * cast(134217729 as double))' -%}
    {%- set high = '(' ~ c ~ ' - (' ~ c ~ ' - abs(' ~ x ~ ')))' -%}
    {%- set error = '((' ~ high ~ ' * ' ~ scale ~ ' - ' ~ y ~ ') + (abs(' ~ x ~ ') - ' ~ high ~ ') * ' ~ scale ~ ')' -%}
    (case when {{ x }} < 0 then -1 else 1 end
        * case
            when {{ y }} - floor({{ y }}) = 0.5
                then floor({{ y }}) + case when {{ error }} < 0 then 0 else 1 end
            else round({{ y }})
        end
        / cast({{ scale }} as double))
{%- endmacro %}
