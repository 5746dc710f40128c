{#- What an incremental run of fct_viewing_sessions rebuilds, as compile-time literals (none on a full build): the watermark batch, the window's first day, the event days to read and which sessions or session days to write. -#}
{% macro viewing_sessions_rebuild(view_events, history_window) -%}
    {%- if not execute or not is_incremental() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set one_day = modules.datetime.timedelta(days=1) -%}
    {%- set watermark = last_ingest_batch() -%}
    {%- set window_start_value = get_max_value(history_window, 'window_start_date') -%}
    {%- set new_events = 'ingest_batch_id > ' ~ watermark -%}
    {%- set first_new_day_value = get_aggregate_value(view_events, 'min(activity_date)', where=new_events) -%}
    {%- set rebuild = {
        'watermark': watermark, 'window_start': none, 'read_from': none, 'also_read_day': none,
        'touched_only': false, 'keep_from': none, 'keep_days': none, 'drop_days': []
    } -%}
    {%- if window_start_value is none or first_new_day_value is none -%}
        {#- No new event: nothing to write (the post-hook still drops the days that left the window). -#}
        {%- if window_start_value is not none -%}
            {%- do rebuild.update({'window_start': modules.datetime.date.fromisoformat((window_start_value ~ '')[:10])}) -%}
        {%- endif -%}
        {{ return(rebuild) }}
    {%- endif -%}
    {%- set window_start = modules.datetime.date.fromisoformat((window_start_value ~ '')[:10]) -%}
    {%- set first_new_day = modules.datetime.date.fromisoformat((first_new_day_value ~ '')[:10]) -%}
    {#- Sessions are computed from the events from the day before the window on (as a full build does). -#}
    {%- set edge_day = window_start - one_day -%}
    {%- do rebuild.update({'window_start': window_start}) -%}
    {%- if first_new_day <= window_start -%}
        {#- New events on or before the window's first day: the window may have moved back (a data set
            younger than the window, with an event older than its first day). Rebuild every session. -#}
        {%- do rebuild.update({'read_from': edge_day, 'keep_from': window_start if incremental_overwrites() else none}) -%}
        {{ return(rebuild) }}
    {%- endif -%}
    {%- set touched = 'select session_id from ' ~ view_events ~ ' where ' ~ new_events
        ~ " and activity_date >= date '" ~ edge_day ~ "'" -%}
    {%- if incremental_overwrites() -%}
        {#- Whole session days are overwritten: the stored days of the touched sessions and the days of the
            new events (a session's new first day is one of the two). A stored day whose sessions are all
            touched may end up empty, which an overwrite would not clear: the pre-hook drops it first. -#}
        {%- set stored_days_sql -%}
            select
                stored.session_date,
                count(*) = count(touched.session_id) as is_all_touched
            from {{ this }} as stored
            left join (select distinct session_id from ({{ touched }}) as new_events) as touched
                on stored.session_id = touched.session_id
            group by stored.session_date
            having count(touched.session_id) > 0
        {%- endset -%}
        {%- set new_days_sql -%}
            select distinct activity_date from {{ view_events }}
            where {{ new_events }} and activity_date >= date '{{ window_start }}'
        {%- endset -%}
        {%- set days = [] -%}
        {%- set drop_days = [] -%}
        {%- for row in run_query(stored_days_sql).rows -%}
            {%- set day = modules.datetime.date.fromisoformat((row[0] ~ '')[:10]) -%}
            {%- if day >= window_start -%}
                {%- do days.append(day) -%}
                {%- if row[1] -%}
                    {%- do drop_days.append(day) -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for row in run_query(new_days_sql).rows -%}
            {%- set day = modules.datetime.date.fromisoformat((row[0] ~ '')[:10]) -%}
            {%- if day not in days -%}
                {%- do days.append(day) -%}
            {%- endif -%}
        {%- endfor -%}
        {#- One day before the first kept day: a session started the day before is seen whole, so it is
            not taken for a session of that day (events of a session never skip a whole day). -#}
        {%- set read_from = [edge_day, (days | min) - one_day] | max -%}
        {%- do rebuild.update({'read_from': read_from, 'keep_days': days | sort, 'drop_days': drop_days | sort}) -%}
    {%- else -%}
        {#- Rows are replaced by session_id: only the touched sessions, each from all its events. Their
            stored rows hold every event since their first day (session_date), the new events are from
            first_new_day on; the window's edge day is read too, where a session not stored (it started
            before the window) may have events. -#}
        {%- set stored_first_value = get_aggregate_value(
            this, 'min(session_date)', where='session_id in (' ~ touched ~ ')'
        ) -%}
        {%- set first_day = first_new_day -%}
        {%- if stored_first_value is not none -%}
            {%- set first_day = [first_day, modules.datetime.date.fromisoformat((stored_first_value ~ '')[:10])] | min -%}
        {%- endif -%}
        {%- set read_from = [edge_day, first_day] | max -%}
        {%- do rebuild.update({
            'read_from': read_from, 'also_read_day': edge_day if read_from > edge_day else none, 'touched_only': true
        }) -%}
    {%- endif -%}
    {{ return(rebuild) }}
{%- endmacro %}
