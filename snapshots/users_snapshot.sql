{% snapshot users_snapshot %}

{{
    config(
        unique_key='user_id',
        strategy='timestamp',
        updated_at='updated_at',
        hard_deletes='ignore',
    )
}}

{#
    The users whose profile may have changed since the last snapshot run: those with a
    change record in a newer ingest batch than any the snapshot has captured. A profile
    version comes only from a new change record, so leaving out the rest loses nothing
    (hard_deletes: ignore; erasures are fct_privacy_erasures' job), and dbt compares a
    day's changed users against the current versions instead of every user.
    The watermark is a compile-time literal; 0 on the first run, or when the stored
    snapshot predates the column, i.e. every user, as a full comparison would.
#}

{%- set stored_columns = [] -%}
{%- if execute and load_relation(this) is not none -%}
    {%- set stored_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
{%- endif -%}
{%- set watermark = 0 -%}
{%- if 'last_ingest_batch_id' in stored_columns -%}
    {%- set watermark = get_max_value(this, 'last_ingest_batch_id', default=0) | int -%}
{%- endif %}

select * from {{ ref('stg_landing__users') }}
where last_ingest_batch_id > {{ watermark }}

{% endsnapshot %}
