{#
  Fails for every combination of the given columns that occurs more than once
  (a stand-in for dbt_utils.unique_combination_of_columns, which we cannot install).
#}
{% test unique_combination(model, combination_of_columns) %}

    {%- set columns_csv = combination_of_columns | join(', ') %}

    select {{ columns_csv }}, count(*) as n_rows
    from {{ model }}
    group by {{ columns_csv }}
    having count(*) > 1

{% endtest %}
