-- Per day: sessions that viewed a page, added to cart and checked out, and the share that checked out. Incremental by
-- day: the days whose events changed are rebuilt and merged (macros/changed_dates.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key=['event_date'],
    not_matched_by_source_action='delete',
    dates_from=['silver.clickstream'],
    date_column='event_date',
) }}
with steps as (
    select
        event_date,
        session_id,
        max(case when event_type = 'page_view' then 1 else 0 end) as viewed,
        max(case when event_type = 'add_to_cart' then 1 else 0 end) as added,
        max(case when event_type = 'checkout' then 1 else 0 end) as checked_out
    from {{ source('silver', 'clickstream') }}
    where {{ on_changed_dates('event_date') }}
    group by event_date, session_id
)
select
    event_date,
    count(*) as sessions,
    cast(sum(viewed) as bigint) as viewed_sessions,
    cast(sum(added) as bigint) as cart_sessions,
    cast(sum(checked_out) as bigint) as checkout_sessions,
    cast(sum(checked_out) / count(*) as decimal(9, 4)) as checkout_rate
from steps
group by event_date
