{#- The table format of the spark target (env ENGAGEMENT_SPARK_FILE_FORMAT, the models' +file_format in dbt_project.yml): delta, iceberg or hudi, or none for plain Parquet (no MERGE, DELETE or UPDATE, no snapshots). -#}
{% macro spark_table_format() -%}
    {%- set file_format = env_var('ENGAGEMENT_SPARK_FILE_FORMAT', 'parquet') -%}
    {{ return(file_format if file_format in ['delta', 'iceberg', 'hudi'] else none) }}
{%- endmacro %}
