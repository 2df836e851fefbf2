# rehsos — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test test-sqlite test-postgres test-spark check format messages lock bench install clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "rehsos needs Python 3.11 or newer (set PYTHON=python3.11)")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

install: $(STAMP)
	$(BIN)/rehsos compile-translations

run: install
	$(BIN)/rehsos migrate --noinput
	$(BIN)/rehsos load-demo
	$(BIN)/rehsos serve --host $(HOST) --port $(PORT)

test: install test-sqlite test-postgres

# -rfEs lists failures, errors and the one-line reason of a skipped test (no chromium: browser tests skipped).
# The SQLite run ignores a DATABASE_URL exported for the app.
test-sqlite: install
	env -u DATABASE_URL $(BIN)/python -m pytest -n 2 --dist loadfile -rfEs -m "not spark"

# A fresh database on REHSOS_TEST_PG (default postgres://postgres@127.0.0.1:5432);
# skipped with one line when no server answers, unless CI=true.
test-postgres: install
	$(BIN)/python -m rehsos.devtools.pgtest -n 2 --dist loadfile -rfEs -m "not spark"

# The Spark path of duplicate detection, on a local Spark session (needs Java): adds pyspark
# from requirements/spark.lock (the main lock plus the `spark` extra) to the venv.
test-spark: install
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/spark.lock
	env -u DATABASE_URL $(BIN)/python -m pytest -m spark -rfEs

check: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/rehsos makemigrations --check --dry-run
	$(BIN)/python -m rehsos.devtools.messages --check

messages: install
	$(BIN)/python -m rehsos.devtools.messages --update

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock:
	uv pip compile pyproject.toml --extra dev --generate-hashes --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 -o requirements.lock
	uv pip compile pyproject.toml --extra dev --extra spark --generate-hashes --python-version 3.11 \
	  --python-platform x86_64-manylinux_2_28 -o requirements/spark.lock

bench: install
	$(BIN)/python bench/foundation.py

clean:
	rm -rf $(VENV) var
