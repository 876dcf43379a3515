-- Per store and day: receipts, units and net sales of the point-of-sale channel.
select
    st.store_sk,
    st.store_id,
    s.sale_date,
    count(distinct s.document_id) as receipts,
    cast(sum(s.quantity) as bigint) as units,
    cast(sum(s.net_amount) as decimal(18, 2)) as net_amount
from {{ source('gold', 'dim_store') }} st  -- the small side first: the local engine builds a join from its left input
join {{ source('gold', 'fact_sales') }} s on s.store_sk = st.store_sk
where s.channel = 'store' and s.store_sk != -1
group by st.store_sk, st.store_id, s.sale_date
