{{
    config(
        materialized=stored_state_materialization(),
    )
}}

{#
    int_user_activity_states as stored when this run started: the state its incremental
    run starts from. Built before it in every run (it is the state's parent), so on plain
    Parquet, where the state is overwritten whole and Spark cannot overwrite a table the
    query reads, the state reads this copy instead of `this`; elsewhere this is a view of
    the state table (nothing copied), i.e. `this` under another name.

    The state table is read through stored_relation, not ref(): the back edge of the
    cumulative loop (the state reads its own previous version), which dbt's DAG cannot
    hold. Before the state's first build there is nothing stored: no rows.
#}

{%- set states = stored_relation('int_user_activity_states') %}

with

stored_states as (

    {%- if states is not none %}
    select
        user_id,
        first_activity_date,
        last_activity_date,
        activity_history_bitmask,
        last_activity_before_history,
        last_ingest_batch_id
    from {{ states }}
    {%- else %}
    select
        cast(null as bigint) as user_id,
        cast(null as date) as first_activity_date,
        cast(null as date) as last_activity_date,
        cast(null as {{ bitmask_wide_type() }}) as activity_history_bitmask,
        cast(null as date) as last_activity_before_history,
        cast(null as bigint) as last_ingest_batch_id
    where false
    {%- endif %}

)

select * from stored_states
