"""engagement.generator (streamsim): synthetic landing-zone generator for the project.

Simulates a video-streaming service's users, catalog and view events and lands them
as gzipped JSONL (or Parquet) files partitioned by arrival time. See ``cli.py`` for the
command line and ``faults.py`` for the injected data-quality faults.
"""

__version__ = "1.0.0"
