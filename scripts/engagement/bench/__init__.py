"""Benchmarks that print figures (never timed assertions): ``engagement-bench <name>``.

Each benchmark is a module with ``configure(parser)`` (its options) and ``run(args)``
(returns the exit status), listed in :data:`engagement.bench.cli.BENCHMARKS`; a new
benchmark is a new module plus one entry there.
"""
