-- Per store and day: receipts, units and net sales of the point-of-sale channel. Incremental by day: the days whose
-- sales changed are rebuilt and merged (macros/changed_dates.sql), every day when the stores changed.
{{ config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key=['store_sk', 'sale_date'],
    not_matched_by_source_action='delete',
    dates_from=['gold.fact_sales', 'gold.dim_store'],
    date_column='sale_date',
) }}
select
    st.store_sk,
    st.store_id,
    s.sale_date,
    count(distinct s.document_id) as receipts,
    cast(sum(s.quantity) as bigint) as units,
    cast(sum(s.net_amount) as decimal(18, 2)) as net_amount
from {{ source('gold', 'dim_store') }} st  -- the small side first: the local engine builds a join from its left input
join {{ source('gold', 'fact_sales') }} s on s.store_sk = st.store_sk
where s.channel = 'store' and s.store_sk != -1 and {{ on_changed_dates('s.sale_date') }}
group by st.store_sk, st.store_id, s.sale_date
