{#- Generic test, the inverse of relationships: fails for every row whose `column_name` value is also in `field` of `to` (a model that must leave out the keys of another, e.g. the users on the suppression list). -#}
{% test not_in_relation(model, column_name, to, field) %}

select tested.*
from {{ model }} as tested
inner join {{ to }} as excluded
    on tested.{{ column_name }} = excluded.{{ field }}

{% endtest %}
