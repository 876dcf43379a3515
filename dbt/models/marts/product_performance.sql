-- Per product, both channels: units sold, documents (orders or receipts), gross, refunded and net amounts.
-- Summed per product and document first, then per product: a document is counted once per product without a
-- distinct count (which the local engine runs as one set of documents per product, twice as long), and the products'
-- attributes are joined to 300 rows instead of every fact.
with per_document as (
    select
        product_sk,
        document_id,
        sum(quantity) as quantity,
        sum(gross_amount) as gross_amount,
        sum(refunded_amount) as refunded_amount,
        sum(net_amount) as net_amount
    from {{ source('gold', 'fact_sales') }}
    where product_sk != -1
    group by product_sk, document_id
),
per_product as (
    select
        product_sk,
        sum(quantity) as units,
        count(*) as documents,
        sum(gross_amount) as gross_amount,
        sum(refunded_amount) as refunded_amount,
        sum(net_amount) as net_amount
    from per_document
    group by product_sk
)
select
    p.product_sk,
    p.sku,
    p.category,
    cast(s.units as bigint) as units,
    s.documents,
    cast(s.gross_amount as decimal(18, 2)) as gross_amount,
    cast(s.refunded_amount as decimal(18, 2)) as refunded_amount,
    cast(s.net_amount as decimal(18, 2)) as net_amount
from {{ source('gold', 'dim_product') }} p  -- the small side first: the local engine builds a join from its left input
join per_product s on s.product_sk = p.product_sk
