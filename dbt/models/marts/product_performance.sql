-- Per product, both channels: units sold, documents (orders or receipts), gross, refunded and net amounts, summed
-- from the product's days (product_daily_sales); the products' attributes are joined to 300 rows, not every fact.
with per_product as (
    select
        product_sk,
        sum(units) as units,
        sum(documents) as documents,
        sum(gross_amount) as gross_amount,
        sum(refunded_amount) as refunded_amount,
        sum(net_amount) as net_amount
    from {{ ref('product_daily_sales') }}
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
