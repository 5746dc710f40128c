{#
    Feeds the dispatched macro to_local_timestamp edge cases: DST starts in New York
    (2026-03-08), ends in Sydney (2026-04-05), starts in London (2026-03-29), a fractional
    zone (Asia/Kolkata) and a local date before the UTC date. Returns the cases that differ.
#}

with

cases as (

    select
        cast(edge_cases.utc_text as timestamp) as utc_at,
        edge_cases.time_zone,
        cast(edge_cases.expected_local_text as timestamp) as expected_local_at
    from (
        values
        ('2026-03-07 06:30:00', 'America/New_York', '2026-03-07 01:30:00'),
        ('2026-03-09 06:30:00', 'America/New_York', '2026-03-09 02:30:00'),
        ('2026-03-08 06:59:59', 'America/New_York', '2026-03-08 01:59:59'),
        ('2026-03-08 07:00:00', 'America/New_York', '2026-03-08 03:00:00'),
        ('2026-04-04 15:30:00', 'Australia/Sydney', '2026-04-05 02:30:00'),
        ('2026-04-05 16:30:00', 'Australia/Sydney', '2026-04-06 02:30:00'),
        ('2026-03-29 00:30:00', 'Europe/London', '2026-03-29 00:30:00'),
        ('2026-03-29 01:30:00', 'Europe/London', '2026-03-29 02:30:00'),
        ('2026-01-05 20:00:00', 'Asia/Kolkata', '2026-01-06 01:30:00'),
        ('2026-01-05 02:00:00', 'America/Sao_Paulo', '2026-01-04 23:00:00')
    ) as edge_cases (utc_text, time_zone, expected_local_text)

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
