"""Test support code (not tests): the installed commands, and the dashboard's test tooling.

* :mod:`support.commands`: path of an installed ``engagement-*`` entry point;
* :mod:`support.sample_data`: a small deterministic warehouse with every table the dashboard reads
  (:mod:`support.sample_pages`: the tables of its pages after the overview).

Importable as ``support`` because pytest puts this test folder (which has no
``__init__.py``) on the import path when it collects the tests next to it (the
default "prepend" import mode).
"""
