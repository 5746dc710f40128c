{#- A select of the user_ids whose current profile (dim_user) changed in ingest batches after the calling model's watermark: the users whose "as of now" segment columns a day-grain analysis model rewrites on every kept day. -#}
{% macro profile_changed_users() -%}
    {{ return(
        "select user_id from " ~ ref('dim_user') ~ " where profile_last_ingest_batch_id > " ~ last_ingest_batch()
    ) }}
{%- endmacro %}
