-- Per product, both channels: units sold, documents (orders or receipts), gross, refunded and net amounts.
select
    p.product_sk,
    p.sku,
    p.category,
    cast(sum(s.quantity) as bigint) as units,
    count(distinct s.document_id) as documents,
    cast(sum(s.gross_amount) as decimal(18, 2)) as gross_amount,
    cast(sum(s.refunded_amount) as decimal(18, 2)) as refunded_amount,
    cast(sum(s.net_amount) as decimal(18, 2)) as net_amount
from {{ source('gold', 'dim_product') }} p  -- the small side first: the local engine builds a join from its left input
join {{ source('gold', 'fact_sales') }} s on s.product_sk = p.product_sk
where s.product_sk != -1
group by p.product_sk, p.sku, p.category
