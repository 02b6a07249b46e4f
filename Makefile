# The commands a newcomer needs: make run, make test, make bench.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DB := data/backlog_radar.sqlite
PORT ?= 8501
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# statsmodels' fits are small: BLAS threads only fight each other (and the
# second test worker) on a 2-core machine, and run 5-10x slower for it.
export OPENBLAS_NUM_THREADS := 1

.PHONY: run test test-fast lint bench bench-scale sample messages chromium postgresql nginx clean

# The app and the worker that runs the scheduled jobs of backlog_radar.toml;
# stopping make (Ctrl-C) stops both.
run: $(VENV)/.installed $(DB)
	$(PY) -m analytics worker --db $(DB) & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(PY) -m streamlit run serve.py --server.port $(PORT) --server.address localhost

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	# convert-store reads stores written before DuckLake with the DuckDB that wrote them.
	$(PY) -m pip install --quiet --no-deps --target $(VENV)/legacy-duckdb duckdb==2.0.1
	touch $@

$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

# The built-in sample: simulate the desk, then import its export through the
# normal import path, so the sample exercises the same code as real data.
$(DB): | $(VENV)/.installed
	$(PY) -m analytics sample --out data/sample
	$(PY) -m analytics import data/sample/tickets.csv --source sample --db $(DB)
	$(PY) -m analytics import-events data/sample/events.csv --source sample --db $(DB)

sample: $(VENV)/.installed
	rm -rf $(DB) $(DB)-wal $(DB)-shm $(DB).files
	$(MAKE) $(DB)

# Browser tests and the PDF report drive Debian's Chromium, never a downloaded
# browser; the PDF tests read text with poppler's pdftotext.
chromium:
	@if [ ! -x /usr/bin/chromium ] || ! command -v pdftotext >/dev/null; then \
		if command -v apt-get >/dev/null; then \
			$(SUDO) apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium poppler-utils; \
		else echo "Chromium or pdftotext is missing: install chromium and poppler-utils"; exit 1; fi; \
	fi

# The shared store's tests run Debian's PostgreSQL server, a throwaway cluster
# of their own in a temporary folder (tests/pg.py); never a system cluster.
postgresql:
	@if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then \
		if command -v apt-get >/dev/null; then \
			$(SUDO) apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq postgresql; \
		else echo "PostgreSQL is missing: install postgresql"; exit 1; fi; \
	fi

# The tests of several app servers behind a proxy run Debian's nginx binary
# with a config of their own on a loopback port (tests/nginx.py); they never
# use the system's nginx service, which installing the package may start.
nginx:
	@if [ ! -x /usr/sbin/nginx ]; then \
		if command -v apt-get >/dev/null; then \
			$(SUDO) apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq nginx; \
		else echo "nginx is missing: install nginx"; exit 1; fi; \
	fi

lint: $(VENV)/.dev-installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: lint chromium postgresql nginx
	$(VENV)/bin/pytest -q -n 2 --dist worksteal

# Everything but the browser tests (marked slow): a few minutes, for the edit-test loop.
test-fast: lint postgresql
	$(VENV)/bin/pytest -q -n 2 --dist worksteal -m "not slow"

bench: $(VENV)/.installed
	$(PY) -m pip install --quiet -r benchmarks/requirements.txt
	$(PY) benchmarks/bench_import.py
	$(PY) benchmarks/bench_metrics.py
	$(PY) benchmarks/bench_forecast.py
	$(PY) benchmarks/bench_pages_browser.py
	$(PY) benchmarks/bench_load.py --serve

# Ten million tickets: simulated, imported, then every page timed (cached in
# benchmarks/out/ after the first run).
bench-scale: $(VENV)/.installed
	$(PY) benchmarks/bench_scale.py
	$(PY) benchmarks/bench_scale_app.py

clean:
	rm -rf $(VENV) data/sample $(DB) $(DB)-wal $(DB)-shm $(DB).files tests/artifacts

# The translation catalogue: find every message in the code (Babel), and merge
# the new ones into each language's catalogue for a translator to fill in.
# tests/test_i18n.py fails while one is missing.
MESSAGE_KEYWORDS := --no-default-keywords -k _ -k N_ -k n_:1,2 -k gettext:2 -k ngettext:2,3
messages: $(VENV)/.installed
	$(VENV)/bin/pybabel -q extract -F babel.cfg $(MESSAGE_KEYWORDS) --no-location --sort-output \
		--project "Backlog Radar" -o analytics/locale/messages.pot .
	$(VENV)/bin/pybabel -q update -i analytics/locale/messages.pot -d analytics/locale \
		--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
