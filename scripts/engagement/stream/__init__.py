"""Stream mode: build the near-real-time part of the project every N seconds.

``engagement-stream`` is one long-lived process that

* holds an exclusive, non-blocking ``flock`` on ``<warehouse>.lock`` for its whole life,
  so two runners can never write the same warehouse (the second exits 1): :mod:`.lock`;
* every ``interval`` seconds runs ``dbt build`` on the real-time selection in-process
  (``engagement.pipeline.dbt.ParsedProjectDbt``: the project parsed once, no dbt start-up
  or parsing per batch), retrying a failed batch (bounded attempts, exponential
  backoff), until stopped, after ``--duration`` or after ``--max-batches``: :mod:`.runner`;
* records each batch in ``main.pipeline_runs`` (duration, new files and events, lag from
  the newest included file's landing to visibility) and prints one line: :mod:`.runlog`;
* refreshes the dashboard snapshot (``engagement.pipeline.export``) after each
  successful batch;
* with ``--with-generator``, lands the history and runs the stream generator next to
  itself, and stops it on exit: :mod:`.supervisor`;
* stops between batches on SIGINT/SIGTERM (a second Ctrl-C aborts): :mod:`.cli`.

Why a failed or interrupted batch never leaves half-applied state: each model is applied
atomically by dbt-duckdb (one transaction per model), and every model in the selection
converges on re-run. ``stg_landing__view_events`` appends only files it has not loaded
(anti-join on file name); ``fct_view_events`` reloads everything staged after its own
arrival watermark (delete+insert on event_id); ``dim_media`` and the real-time marts are
tables rebuilt whole. So after a batch that died between two models, the next successful
batch produces exactly what one clean build of the same landing zone produces
(``tests/python/test_stream_runner.py`` injects such a failure and checks it).
"""
