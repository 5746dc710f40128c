"""engagement: the Python side of the streaming-engagement analytics project.

Sub-packages and modules (each command is a ``[project.scripts]`` entry point):

* :mod:`engagement.generator`: synthetic landing-zone generator (``engagement-generate``,
  ``engagement-stream-events``);
* :mod:`engagement.pipeline`: the main job, generate + ``dbt build`` + summary
  (``engagement-run``, ``engagement-summary``), and the dashboard export (``engagement-export``);
* :mod:`engagement.stream`: the micro-batch runner of stream mode (``engagement-stream``);
* :mod:`engagement.dashboard`: the Streamlit dashboard;
* :mod:`engagement.bench`: benchmarks (``engagement-bench generator|stream``);
* :mod:`engagement.churn_validation`: the churn score against outcomes (``engagement-churn-validation``);
* :mod:`engagement.settings` (every environment variable), :mod:`engagement.cli` (shared
  argument parsing), :mod:`engagement.snapshot` (the dashboard snapshot contract).
"""
