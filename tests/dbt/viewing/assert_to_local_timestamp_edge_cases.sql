{#
    Feeds the dispatched macro to_local_timestamp edge cases: DST starts in New York
    (2026-03-08), ends in Sydney (2026-04-05), starts in London (2026-03-29), a fractional
    zone (Asia/Kolkata) and a local date before the UTC date. Returns the cases that differ.
#}

with

cases as (

    select
        cast('2026-03-07 06:30:00' as timestamp) as utc_at,
        'America/New_York' as time_zone,
        cast('2026-03-07 01:30:00' as timestamp) as expected_local_at
    union all
    select
        cast('2026-03-09 06:30:00' as timestamp) as utc_at,
        'America/New_York' as time_zone,
        cast('2026-03-09 02:30:00' as timestamp) as expected_local_at
    union all
    select
        cast('2026-03-08 06:59:59' as timestamp) as utc_at,
        'America/New_York' as time_zone,
        cast('2026-03-08 01:59:59' as timestamp) as expected_local_at
    union all
    select
        cast('2026-03-08 07:00:00' as timestamp) as utc_at,
        'America/New_York' as time_zone,
        cast('2026-03-08 03:00:00' as timestamp) as expected_local_at
    union all
    select
        cast('2026-04-04 15:30:00' as timestamp) as utc_at,
        'Australia/Sydney' as time_zone,
        cast('2026-04-05 02:30:00' as timestamp) as expected_local_at
    union all
    select
        cast('2026-04-05 16:30:00' as timestamp) as utc_at,
        'Australia/Sydney' as time_zone,
        cast('2026-04-06 02:30:00' as timestamp) as expected_local_at
    union all
    select
        cast('2026-03-29 00:30:00' as timestamp) as utc_at,
        'Europe/London' as time_zone,
        cast('2026-03-29 00:30:00' as timestamp) as expected_local_at
    union all
    select
        cast('2026-03-29 01:30:00' as timestamp) as utc_at,
        'Europe/London' as time_zone,
        cast('2026-03-29 02:30:00' as timestamp) as expected_local_at
    union all
    select
        cast('2026-01-05 20:00:00' as timestamp) as utc_at,
        'Asia/Kolkata' as time_zone,
        cast('2026-01-06 01:30:00' as timestamp) as expected_local_at
    union all
    select
        cast('2026-01-05 02:00:00' as timestamp) as utc_at,
        'America/Sao_Paulo' as time_zone,
        cast('2026-01-04 23:00:00' as timestamp) as expected_local_at

),

converted as (

    select
        utc_at,
        time_zone,
        expected_local_at,
        {{ to_local_timestamp('utc_at', 'time_zone') }} as local_at
    from cases

)

select * from converted
where local_at is distinct from expected_local_at
