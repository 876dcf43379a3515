-- Per product and day, both channels: units, documents (orders or receipts), gross, refunded and net amounts; what
-- product_performance sums. A document has one sale date, so its days' document counts add up to its distinct count.
-- Summed per product and document first: a document is counted once per product without a distinct count (which the
-- local engine runs as one set of documents per product, twice as long). Incremental by day: the days whose sales
-- changed are rebuilt and merged (macros/changed_dates.sql).
{{ config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key=['product_sk', 'sale_date'],
    not_matched_by_source_action='delete',
    dates_from=['gold.fact_sales'],
    date_column='sale_date',
) }}
with per_document as (
    select
        product_sk,
        sale_date,
        document_id,
        sum(quantity) as quantity,
        sum(gross_amount) as gross_amount,
        sum(refunded_amount) as refunded_amount,
        sum(net_amount) as net_amount
    from {{ source('gold', 'fact_sales') }}
    where product_sk != -1 and {{ on_changed_dates('sale_date') }}
    group by product_sk, sale_date, document_id
)
select
    product_sk,
    sale_date,
    cast(sum(quantity) as bigint) as units,
    count(*) as documents,
    cast(sum(gross_amount) as decimal(18, 2)) as gross_amount,
    cast(sum(refunded_amount) as decimal(18, 2)) as refunded_amount,
    cast(sum(net_amount) as decimal(18, 2)) as net_amount
from per_document
group by product_sk, sale_date
