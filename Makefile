# Streaming engagement analytics: one entry point for every job.
#   make run    generate the demo data set, build everything with dbt, print the metrics
#   make test   the whole suite: sqlfluff lint, dbt build on generated test data, pytest
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DBT_PROFILES_DIR := $(CURDIR)

# Paths (warehouse, landing zone, dashboard and stream folders) are not set here: every
# command reads them from the environment with the defaults in scripts/engagement/settings.py
# (`$(BIN)/python -m engagement.settings` lists them).

# The demo data set: tens of thousands of users over about two months.
DEMO_USERS ?= 30000
DEMO_DAYS ?= 60
DEMO_START ?= 2026-01-01
DEMO_SEED ?= 42

# The web dashboard (Streamlit) reads the Parquet snapshot in $ENGAGEMENT_DASHBOARD_DIR, never the warehouse.
DASHBOARD_APP := scripts/engagement/dashboard/app.py
DASHBOARD_PORT ?= 8501
STREAMLIT_FLAGS := --server.headless true --browser.gatherUsageStats false --server.address 127.0.0.1 \
	--server.port $(DASHBOARD_PORT) --client.toolbarMode viewer

# Stream mode: the generator on a simulated clock plus the micro-batch runner (and the dashboard).
STREAM_USERS ?= 30000
STREAM_SPEED ?= 60
STREAM_INTERVAL ?= 30
# Stream mode's folder is $ENGAGEMENT_STREAM_DIR (default data/stream); `make stream STREAM_DIR=...` sets it.
ifdef STREAM_DIR
export ENGAGEMENT_STREAM_DIR := $(STREAM_DIR)
endif

# Stream mode's ingestion. files: the generator writes the landing files (default).
# broker: it publishes to Kafka topics (the bundled Tansu broker on 127.0.0.1, or the cluster
# $ENGAGEMENT_KAFKA_BOOTSTRAP_SERVERS names) and the landing sink writes the files.
MODE ?= files
PARTITIONS ?= 4

# The data set `make test` builds with dbt (small: CI must stay fast).
TEST_DIR := data/test
TEST_ARGS := --users 4000 --days 21 --start-date 2026-03-01 --seed 7 --faults default

.PHONY: help install run generate build summary test lint dbt-test pytest bench bench-scale docs clean dashboard browser stream bench-stream \
	freshness fault-test
.PHONY: airflow-install airflow-manifest airflow-test run-spark

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: $(STAMP) ## create .venv with the pinned dependencies and the package (quick when already done)

# The lock is the exact set of versions; the package itself is installed editable on top,
# without resolving again (--no-deps), and pip check proves the lock satisfies pyproject.toml.
$(STAMP): requirements.lock pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: python3.11 not found" >&2; exit 1; }
	@echo "install: [1/3] creating $(VENV) with the $$(grep -c '==' requirements.lock) pinned packages of requirements.lock" \
		"(about 2 minutes and 0.8 GB the first time)"
	@$(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@echo "install: [2/3] installing this package (editable)"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@echo "install: [3/3] pip check"
	@$(BIN)/python -m pip check --disable-pip-version-check
	@rm -f $(VENV)/.installed-*
	@touch $@

# Make variables that must be positive integers, checked before anything is installed.
define check-positive
@for pair in $(foreach var,$(1),$(var)=$($(var))); do \
	[[ "$${pair#*=}" =~ ^[1-9][0-9]*$$ ]] || { echo "error: $${pair%%=*} must be a positive integer (got '$${pair#*=}')" >&2; exit 2; }; \
done
endef

run: ## the main job: generate demo data, dbt build, print the latest day's metrics (full dbt log: logs/dbt.log)
	$(call check-positive,DEMO_USERS DEMO_DAYS)
	@$(MAKE) --no-print-directory install
	$(BIN)/engagement-run --users $(DEMO_USERS) --days $(DEMO_DAYS) \
		--start-date $(DEMO_START) --seed $(DEMO_SEED) --faults default

generate: ## only generate the demo landing zone
	$(call check-positive,DEMO_USERS DEMO_DAYS)
	@$(MAKE) --no-print-directory install
	$(BIN)/engagement-generate --users $(DEMO_USERS) --days $(DEMO_DAYS) \
		--start-date $(DEMO_START) --seed $(DEMO_SEED) --faults default \
		--out "$$($(BIN)/python -m engagement.settings ENGAGEMENT_LANDING_DIR)"

build: install ## only ingest the new landing files and run dbt build on them
	@$(BIN)/python -m engagement.pipeline.preflight --landing
	$(BIN)/engagement-ingest
	$(BIN)/dbt build

summary: install ## only print the metrics summary from the warehouse
	@$(BIN)/python -m engagement.pipeline.preflight --warehouse
	$(BIN)/engagement-summary

# Source freshness by arrival: the newest arrival hour the ingest step has read (never a
# timestamp inside a record). Exit status 1 when a landing source is past error_after.
freshness: install ## dbt source freshness of the landing zone (view events: warn after 2 h, error after 6 h)
	$(BIN)/dbt source freshness --select source:landing

test: install lint dbt-test pytest ## the whole suite (ends with pytest's summary line; installs no system package)

# A file the dbt templater cannot compile is skipped with only a warning: lint fails on that too.
lint: install ## sqlfluff lint of every model (dbt templater), then no DuckDB-only SQL outside dispatched macros
	rm -rf $(TEST_DIR)/lint && mkdir -p $(TEST_DIR)/lint
	ENGAGEMENT_DUCKDB_PATH=$(TEST_DIR)/lint/lint.duckdb $(BIN)/sqlfluff lint models tests/dbt 2>&1 | tee $(TEST_DIR)/lint/lint.log
	@! grep -A2 "Skipped file" $(TEST_DIR)/lint/lint.log || { echo "lint: sqlfluff skipped the files above" >&2; exit 1; }
	$(BIN)/python -m engagement.portability

dbt-test: install ## dbt build (models, seeds, snapshots, data and unit tests) on generated test data
	rm -rf $(TEST_DIR)/build && mkdir -p $(TEST_DIR)/build
	$(BIN)/engagement-generate $(TEST_ARGS) --out $(TEST_DIR)/build/landing --quiet
	$(BIN)/engagement-ingest --landing-dir $(TEST_DIR)/build/landing
	ENGAGEMENT_LANDING_DIR=$(TEST_DIR)/build/landing ENGAGEMENT_DUCKDB_PATH=$(TEST_DIR)/build/warehouse.duckdb \
		$(BIN)/dbt build --target-path $(TEST_DIR)/build/target

pytest: install ## the pytest suite (generator, pipeline end-to-end, metric recomputation, fault suite)
	$(BIN)/python -m pytest

fault-test: install ## only the fault suite (tests/faults: injected faults replayed and built; 11 min on 2 busy cores)
	$(BIN)/python -m pytest tests/faults

# `make bench BENCH_SCALE=10m` (or seed): presets of the scale benchmark (README "Scale benchmark").
BENCH_SCALE ?= 1m

bench: install ## benchmarks: generator throughput, then the pipeline at scale (BENCH_SCALE=1m|10m|seed)
	$(BIN)/engagement-bench generator
	nice $(BIN)/engagement-bench scale --scale $(BENCH_SCALE)

bench-scale: install ## only the pipeline at scale: phases, history 7/30/90, MAU both ways (BENCH_SCALE=1m|10m|seed)
	nice $(BIN)/engagement-bench scale --scale $(BENCH_SCALE)

dashboard: install ## serve the web dashboard on localhost:8501 (exports the warehouse first when it is newer)
	@$(BIN)/engagement-export --if-stale || echo "dashboard: serving the previous snapshot" >&2
	@echo "dashboard: http://localhost:$(DASHBOARD_PORT)/  (Ctrl-C to stop)"
	$(BIN)/streamlit run $(DASHBOARD_APP) $(STREAMLIT_FLAGS)

stream: install ## stream mode (MODE=files|broker): generator at 60x + micro-batch runner every 30 s + dashboard (snapshots in $STREAM_DIR/dashboard); Ctrl-C stops
	stream_dir="$$($(BIN)/python -m engagement.settings ENGAGEMENT_STREAM_DIR)"; mkdir -p "$$stream_dir"; \
	ENGAGEMENT_DASHBOARD_DIR="$$stream_dir/dashboard" \
		$(BIN)/streamlit run $(DASHBOARD_APP) $(STREAMLIT_FLAGS) > "$$stream_dir/dashboard.log" 2>&1 & dashboard=$$!; \
	trap 'kill $$dashboard 2>/dev/null || true' EXIT INT TERM; \
	echo "dashboard: http://localhost:$(DASHBOARD_PORT)/  (log: $$stream_dir/dashboard.log)"; \
	$(BIN)/engagement-stream --with-generator --users $(STREAM_USERS) --days $(DEMO_DAYS) \
		--start-date $(DEMO_START) --seed $(DEMO_SEED) --speed $(STREAM_SPEED) --interval $(STREAM_INTERVAL) \
		--mode $(MODE) --partitions $(PARTITIONS) $(if $(DURATION),--duration $(DURATION))

bench-stream: install ## stream benchmark: lag and batch duration at 1/100 of the seed scale (~12 min)
	$(BIN)/engagement-bench stream

browser: ## install Debian's chromium for the dashboard's browser test (needs root; quick when present)
	@scripts/install_browser.sh || { test -z "$${CI:-}" && \
		echo "browser: going on without chromium: the dashboard's browser test will be skipped" >&2; }

docs: install ## dbt docs generate (serve with: .venv/bin/dbt docs serve)
	$(BIN)/dbt docs generate

# --- Airflow (dags/): its own venv, because Airflow brings ~100 packages the project does not need ---
# .venv-airflow = requirements.lock + requirements-airflow.txt (Airflow 3.3.2, astronomer-cosmos 1.15.1 and
# what they pull in, pinned, with the lock as constraints) + this package (editable, --no-deps).
AIRFLOW_VENV := .venv-airflow
AIRFLOW_BIN := $(AIRFLOW_VENV)/bin
AIRFLOW_STAMP := $(AIRFLOW_VENV)/.installed-$(shell cat requirements.lock requirements-airflow.txt pyproject.toml | cksum | cut -d' ' -f1)

airflow-install: $(AIRFLOW_STAMP) ## create .venv-airflow (Airflow + cosmos + the project) for the DAGs in dags/

$(AIRFLOW_STAMP): requirements.lock requirements-airflow.txt pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: python3.11 not found" >&2; exit 1; }
	@echo "airflow-install: creating $(AIRFLOW_VENV) (about 3 minutes the first time)"
	$(PYTHON) -m venv $(AIRFLOW_VENV)
	$(AIRFLOW_BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(AIRFLOW_BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock -r requirements-airflow.txt
	$(AIRFLOW_BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(AIRFLOW_BIN)/python -m pip check --disable-pip-version-check
	rm -f $(AIRFLOW_VENV)/.installed-*
	touch $@

airflow-manifest: airflow-install ## the dbt manifest the DAG renders from (target/airflow/manifest.json)
	$(AIRFLOW_BIN)/dbt parse --quiet --target-path target/airflow

airflow-test: airflow-manifest ## only the Airflow test: `airflow dags test` on a tiny data set (~2-3 min)
	$(BIN)/python -m pytest tests/python/test_airflow_dags.py -q

# --- Spark (README "Running on Spark"): the same project on the spark target of profiles.yml ---
# A local Spark session inside dbt (pyspark 3.5, needs Java 17), plain Parquet tables; the session's
# warehouse dir, metastore and derby.log go to $ENGAGEMENT_SPARK_DIR (default data/spark). The landing
# root must be absolute there: Spark resolves a relative table path under the database's directory.
SPARK_DEMO_DIR := data/spark-demo
SPARK_DEMO_ARGS := --users 2000 --days 14 --start-date 2026-03-01 --seed 42 --faults default

run-spark: install ## the build on the spark target (local Spark session, Java 17) of a 2,000-user data set
	@command -v java >/dev/null || { echo "run-spark: error: java not found (pyspark 3.5 needs Java 17)" >&2; exit 1; }
	@test -d $(SPARK_DEMO_DIR)/landing/view_events || \
		$(BIN)/engagement-generate $(SPARK_DEMO_ARGS) --out $(SPARK_DEMO_DIR)/landing --quiet
	$(BIN)/engagement-ingest --landing-dir $(SPARK_DEMO_DIR)/landing
	ENGAGEMENT_TARGET=spark ENGAGEMENT_LANDING_DIR=$(CURDIR)/$(SPARK_DEMO_DIR)/landing \
		$(BIN)/dbt build --target-path $(SPARK_DEMO_DIR)/target

clean: ## remove generated data and build output (keeps .venv)
	rm -rf data target logs

# --- churn model (issue 11) ---------------------------------------------------------------
# The model is fitted on its own generator run (seed 2024), never on the data it is judged
# on; make churn-fit rebuilds that training warehouse and rewrites seeds/churn_model_*.csv
# (deterministic: the same seeds come out every time). make churn-validation judges the
# committed model on the demo warehouse of make run (seed 42: held out).
CHURN_TRAIN_DIR := data/churn-train
CHURN_TRAIN_ARGS := --users 6000 --days 60 --start-date 2026-01-01 --seed 2024 --faults default
.PHONY: churn-fit churn-validation

churn-fit: install ## refit the churn model on its training data (seed 2024) and rewrite seeds/churn_model_*.csv (~4 min)
	rm -rf $(CHURN_TRAIN_DIR) && mkdir -p $(CHURN_TRAIN_DIR)
	$(BIN)/engagement-generate $(CHURN_TRAIN_ARGS) --out $(CHURN_TRAIN_DIR)/landing --quiet
	$(BIN)/engagement-ingest --landing-dir $(CHURN_TRAIN_DIR)/landing
	ENGAGEMENT_LANDING_DIR=$(CHURN_TRAIN_DIR)/landing ENGAGEMENT_DUCKDB_PATH=$(CHURN_TRAIN_DIR)/warehouse.duckdb \
		sh -c '$(BIN)/dbt seed --full-refresh --target-path $(CHURN_TRAIN_DIR)/target -q && \
		$(BIN)/dbt run --select +int_user_churn_features --target-path $(CHURN_TRAIN_DIR)/target -q'
	$(BIN)/engagement-churn-fit --duckdb-path $(CHURN_TRAIN_DIR)/warehouse.duckdb --landing-dir $(CHURN_TRAIN_DIR)/landing

churn-validation: install ## the churn model vs the recency and frequency baselines on the demo warehouse (after make run)
	$(BIN)/engagement-churn-validation
