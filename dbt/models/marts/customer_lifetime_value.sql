-- Per customer (every version of it): orders that count in revenue (paid, shipped, delivered, refunded), their net
-- amount (net of refunds, docs/semantics.md) and the first and last order dates. Current attributes only.
with versions as (
    select customer_sk, customer_id from {{ source('gold', 'dim_customer') }} where customer_sk != -1
),
current_customers as (
    select customer_id, segment, loyalty_tier, country
    from {{ source('gold', 'dim_customer') }}
    where is_current and customer_sk != -1
),
orders as (
    select v.customer_id, o.order_id, o.order_date, o.net_amount
    from versions v  -- the smaller side first: the local engine builds a join from its left input
    join {{ source('gold', 'fact_orders') }} o on o.customer_sk = v.customer_sk
    where o.status in ('paid', 'shipped', 'delivered', 'refunded')
)
select
    c.customer_id,
    c.segment,
    c.loyalty_tier,
    c.country,
    count(o.order_id) as orders,
    cast(coalesce(sum(o.net_amount), 0) as decimal(18, 2)) as lifetime_value,
    min(o.order_date) as first_order_date,
    max(o.order_date) as last_order_date
from current_customers c
left join orders o on o.customer_id = c.customer_id
group by c.customer_id, c.segment, c.loyalty_tier, c.country
