{#- First activity_date an incremental run of a day-grain analysis model rebuilds (every row of every day from it on), as a compile-time date; none when nothing changed or the run is not incremental. See _macros.yml. -#}
{% macro analysis_rebuild_from(days_after=0, profile_changes=false) -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set watermark = last_ingest_batch() -%}
    {%- set one_day = modules.datetime.timedelta(days=1) -%}
    {#- Each bound reads only rows of the batches after the watermark (zone maps prune the rest). -#}
    {%- set changed = get_aggregate_value(
        ref('fct_daily_activity'), 'min(activity_date)', where='last_ingest_batch_id > ' ~ watermark
    ) -%}
    {%- set candidates = [] -%}
    {%- if changed is not none -%}
        {%- do candidates.append(changed - modules.datetime.timedelta(days=days_after)) -%}
    {%- endif -%}
    {%- set erased = erased_user_rebuild_from(ref('fct_privacy_erasures')) -%}
    {%- if erased is not none -%}
        {%- do candidates.append(erased) -%}
    {%- endif -%}
    {%- if profile_changes -%}
        {%- set profiled = get_aggregate_value(
            ref('int_user_attribute_history'), 'min(cast(valid_from as date))',
            where='ingest_batch_id > ' ~ watermark
        ) -%}
        {%- if profiled is not none -%}
            {%- do candidates.append(profiled) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if candidates and days_after > 0 -%}
        {#- Days after the newest stored one may have become complete without a change on them. -#}
        {%- set probe = candidates | min - one_day -%}
        {%- set stored_until = get_max_value(this, 'activity_date', where="activity_date >= date '" ~ probe ~ "'") -%}
        {%- if stored_until is none -%}
            {%- set stored_until = get_max_value(this, 'activity_date') -%}
        {%- endif -%}
        {%- if stored_until is not none -%}
            {%- do candidates.append(stored_until + one_day) -%}
        {%- endif -%}
    {%- endif -%}
    {{ return(candidates | min if candidates else none) }}
{%- endmacro %}
