{#- on-run-start hook: make the file-backed sources readable on engines without DuckDB's read_parquet (Spark: an external table per source over its files). -#}
{% macro create_landing_views() -%}
    {{ return(adapter.dispatch('create_landing_views')()) }}
{%- endmacro %}

{#- DuckDB reads the files itself: each source's meta.external_location is a read_parquet() call. -#}
{% macro default__create_landing_views() -%}
    select 1
{%- endmacro %}

{#- For every enabled source with meta.landing_files (a path pattern under the landing root), an
    external Parquet table at the source's own name (schema = source name): the same files, the
    hive partition below meta.landing_partition_root (ingest_batch_id) and the union by name
    (mergeSchema) of the DuckDB sources. The landing root is the Spark conf
    spark.engagement.landing_dir (profiles.yml), so a cluster target points it at its bucket.
    Re-created on every run: Spark lists the files when the table is defined, and a run may
    bring new batches (dropping an external table never deletes its files). -#}
{% macro spark__create_landing_views() -%}
    {%- if execute -%}
        {%- set root = run_query('set spark.engagement.landing_dir').columns[1].values()[0] -%}
        {%- if not (root.startswith('/') or '://' in root or root.startswith('file:/')) -%}
            {#- Spark would resolve it under the database's directory and find no files. -#}
            {{ exceptions.raise_compiler_error(
                "spark: the landing root '" ~ root ~ "' (ENGAGEMENT_LANDING_DIR) must be an absolute path or a URI"
                ~ " on the spark target: Spark resolves a relative table path under its warehouse directory"
            ) }}
        {%- endif -%}
        {%- for node in graph.sources.values() if node.meta.get('landing_files') -%}
            {%- set relation = api.Relation.create(schema=node.schema, identifier=node.identifier) -%}
            {%- set options = {'path': root ~ '/' ~ node.meta['landing_files'], 'mergeSchema': 'true'} -%}
            {%- if node.meta.get('landing_partition_root') -%}
                {%- do options.update({'basePath': root ~ '/' ~ node.meta['landing_partition_root']}) -%}
            {%- endif -%}
            {%- do run_query('create schema if not exists ' ~ relation.schema) -%}
            {%- do run_query('drop table if exists ' ~ relation) -%}
            {%- call statement('create_landing_table') -%}
                create table {{ relation }}
                using parquet
                options (
                    {%- for key, value in options.items() %}
                    {{ key }} '{{ value }}'{% if not loop.last %},{% endif %}
                    {%- endfor %}
                )
            {%- endcall -%}
        {%- endfor -%}
        {%- if not spark_table_format() -%}
            {{ log(
                "spark: snapshot users_snapshot (and fct_privacy_erasures, which updates it) skipped: "
                ~ "plain Parquet has no MERGE, UPDATE or DELETE. Set ENGAGEMENT_SPARK_FILE_FORMAT "
                ~ "to delta or iceberg where that format is installed.",
                info=true
            ) }}
        {%- endif -%}
    {%- endif -%}
    select 1
{%- endmacro %}
