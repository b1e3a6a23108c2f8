# Set-up and everyday commands. The environment is built from requirements.lock (exact
# versions, with hashes), so every machine runs the same dbt, Sail and Spark.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: setup dev demo test lint unit e2e bench spark adapter-suite browser ci-deps lineage-screenshot report-screenshot docs lock clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -c 'import sys; assert sys.version_info[:2] == (3, 11), "weblogs needs Python 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	touch $(STAMP)

# The development set-up: besides the project, the benchmark (bench/, a tool of its own that
# the weblogs package never imports), editable. Its dependencies are in the same lock.
dev: $(DEV_STAMP)

$(DEV_STAMP): $(STAMP) bench/pyproject.toml
	$(BIN)/python -m pip install --quiet --no-deps --editable bench
	touch $(DEV_STAMP)

# The main job on the embedded engine: generate demo logs, ingest, dbt build, verify, and
# write demo/report.html.
demo: setup
	$(BIN)/weblogs demo

# Everything CI runs: lint, then every test (unit, end to end, Apache Spark, browser, dbt's
# adapter suite on both engines), on TEST_WORKERS processes, each taking whole test files so a file's shared build or Spark server starts once.
# Most tests wait on dbt and JVM start-up, so two workers fill two cores. The 25 slowest tests
# are listed at the end, where the suite's time goes.
TEST_WORKERS ?= 2
test: lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadfile --durations=25

# ruff, ruff format, sqlfluff and dbt parse, as the pre-commit hooks run them.
lint: dev
	$(BIN)/pre-commit run --all-files --show-diff-on-failure

unit: dev
	$(BIN)/python -m pytest -m "not e2e and not spark and not browser"

e2e: dev
	$(BIN)/python -m pytest -m e2e

# The benchmark (docs/benchmark.md): the pipeline beside PySpark, DuckDB and a regex bound.
# BENCH_SIZES=2000 for a quick look; the full run took 50 minutes on a busy 2-core machine.
BENCH_SIZES ?= 0.5M,1M,2M,4M
bench: dev
	$(BIN)/weblogs-bench --sizes $(BENCH_SIZES) --out bench/results/results.json

# The project on a local Apache Spark Connect server (JVM), compared with the embedded engine.
spark: dev
	$(BIN)/python -m pytest -m spark

# dbt's adapter suite alone, on both engines (docs/targets.md); `make test` runs it too.
adapter-suite: dev
	$(BIN)/python -m pytest -n 2 --dist loadfile tests/python/test_adapter_suite_sail.py \
		tests/python/test_adapter_suite_sail_relations.py tests/python/test_adapter_suite_spark.py

# What the JVM Spark and browser tests need beyond Python: a Java runtime and Chromium
# (Debian packages, installed only when missing; needs root).
ci-deps:
	@command -v java >/dev/null && command -v chromium >/dev/null || { \
		apt-get update -qq && \
		apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless chromium; }

# Chromium for the browser tests, without its recommended packages, as ci-deps installs it:
# with them, it installed 130 packages.
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && \
		apt-get install -y -qq --no-install-recommends chromium; }

# Refresh docs/lineage.png, the lineage picture in the README.
lineage-screenshot: dev
	WEBLOGS_LINEAGE_SCREENSHOT=$(CURDIR)/docs/lineage.png $(BIN)/python -m pytest -m browser tests/python/test_docs_lineage.py

# Refresh docs/report.png, the picture of `weblogs report` (the browser test takes it).
report-screenshot: dev
	WEBLOGS_REPORT_SCREENSHOT=$(CURDIR)/docs/report.png $(BIN)/python -m pytest -m browser tests/python/test_report.py

docs: setup
	$(BIN)/dbt docs generate --profiles-dir profiles
	$(BIN)/dbt docs serve --profiles-dir profiles

# Re-resolve the lock after changing dependencies in pyproject.toml.
lock:
	$(PYTHON) -m venv /tmp/weblogs-lock && /tmp/weblogs-lock/bin/pip install --quiet pip-tools
	/tmp/weblogs-lock/bin/pip-compile --quiet --extra dev --extra databricks --generate-hashes \
		--strip-extras --allow-unsafe --no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf target logs warehouse demo
