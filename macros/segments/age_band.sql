{#- Age band used for segmentation: under_18, 18_24, 25_34, 35_44, 45_54, 55_64, 65_plus, unknown. -#}
{% macro age_band(age) -%}
    case
        when {{ age }} is null then 'unknown'
        when {{ age }} < 18 then 'under_18'
        when {{ age }} < 25 then '18_24'
        when {{ age }} < 35 then '25_34'
        when {{ age }} < 45 then '35_44'
        when {{ age }} < 55 then '45_54'
        when {{ age }} < 65 then '55_64'
        else '65_plus'
    end
{%- endmacro %}
