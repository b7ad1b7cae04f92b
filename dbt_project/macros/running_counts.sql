{#
  Point-in-time counts on a dense (account_id, as_of_date) grid from change events.

  `changes` is a relation of (account_id, changes_on, measure, change): +1 on the day a
  fact starts to count, -1 on the day it stops (e.g. +1 when a ticket is created and -1
  90 days later for "tickets in the last 90 days", or -1 when it is solved for "open
  tickets"). A running sum of the changes per account and measure is then the count on
  every day, and it never depends on a change after that day. Changes before the grid's
  first day are carried into it; changes after its last day are dropped.

  Returns the grid with one column per measure.
#}
{% macro running_counts(grid, changes, measures) -%}
    with grid_bounds as (
        select min(as_of_date) as grid_start, max(as_of_date) as grid_end from {{ grid }}
    ),

    daily_changes as (
        select
            changes.account_id,
            greatest(changes.changes_on, grid_bounds.grid_start) as as_of_date,
            {%- for measure in measures %}
            sum(changes.change) filter (where changes.measure = '{{ measure }}') as {{ measure }}_change
            {{- "," if not loop.last }}
            {%- endfor %}
        from {{ changes }} as changes
        cross join grid_bounds
        where changes.changes_on <= grid_bounds.grid_end
            and changes.changes_on is not null
            and changes.account_id is not null
        group by 1, 2
    )

    select
        grid.account_id,
        grid.as_of_date,
        {%- for measure in measures %}
        cast(sum(coalesce(daily_changes.{{ measure }}_change, 0)) over running_total as integer) as {{ measure }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from {{ grid }} as grid
    left join daily_changes
        on grid.account_id = daily_changes.account_id
        and grid.as_of_date = daily_changes.as_of_date
    window running_total as (
        partition by grid.account_id
        order by grid.as_of_date
        rows between unbounded preceding and current row
    )
{%- endmacro %}
