{#- Tenure band of a user on a day from the days since sign-up: bands start at each edge of var engagement__tenure_band_edges ([0, 7, 30, 90, 365] -> 0_6, 7_29, 30_89, 90_364, 365_plus); before_signup below the first edge, unknown when NULL. -#}
{% macro tenure_band(days_since_signup, edges=none) -%}
    {%- set edges = edges if edges is not none else var('engagement__tenure_band_edges') -%}
    {%- if edges | length == 0 or edges | sort != edges or edges | unique | list | length != edges | length -%}
        {{ exceptions.raise_compiler_error(
            "tenure_band edges must be a non-empty, strictly increasing list of days, got " ~ edges
        ) }}
    {%- endif -%}
    case
        when {{ days_since_signup }} is null then 'unknown'
        when {{ days_since_signup }} < {{ edges[0] }} then 'before_signup'
        {%- for edge in edges[1:] %}
        when {{ days_since_signup }} < {{ edge }} then '{{ edges[loop.index0] }}_{{ edge - 1 }}'
        {%- endfor %}
        else '{{ edges[-1] }}_plus'
    end
{%- endmacro %}
