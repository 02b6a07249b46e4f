-- Move the rows that small writes keep inside the catalog (DuckLake's inlined
-- data) to Parquet files; return how many rows moved.
with

flushed as (
    select rows_flushed from ducklake_flush_inlined_data(current_database())
),

final as (
    select coalesce(sum(rows_flushed), 0)::bigint as rows_flushed from flushed
)

select * from final
