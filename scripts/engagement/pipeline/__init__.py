"""The main job: generate the landing zone, build it with dbt (in-process), summarise, export."""
