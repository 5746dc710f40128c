"""Run the dbt project end to end: generate (optional), build, summarise."""
