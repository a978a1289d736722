# govarchive: `make run` crawls the configured sources and serves the archive;
# `make test` runs the whole test suite. Both set up .venv on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM_STAMP := $(VENV)/.chromium
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)
DB ?= archive.db
SOURCES ?= sources.toml
MAX_PAGES ?= 200
PORT ?= 8001
BENCH_ARTICLES ?= 5000

.PHONY: run demo test bench screenshots install clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e '.[test]'
	touch $(STAMP)

# A source that cannot be reached is reported by the crawl; the archive is served regardless.
run: $(STAMP)
	-$(BIN)/govarchive crawl --all --sources $(SOURCES) --db $(DB) --max-pages $(MAX_PAGES)
	$(BIN)/govarchive serve --db $(DB) --port $(PORT)

demo: $(STAMP)
	$(BIN)/govarchive demo --port $(PORT)

# The browser tests drive Debian's chromium through Playwright, which never downloads a browser
# of its own here. CI runs as root; elsewhere apt-get goes through sudo.
$(CHROMIUM_STAMP): | $(STAMP)
	test -x /usr/bin/chromium || ( $(SUDO) apt-get update && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium fonts-dejavu-core )
	touch $@

# One test process per core: most tests wait on crawls and servers of their own, and the
# suite took 29 minutes in one process on two cores, 14 in two (fresh clone, idle machine).
# The project's own modules are compiled first: where PYTHONDONTWRITEBYTECODE is set (as on the
# machine this was written on), every process the suite starts (commands, crawlers, fork
# servers) compiled them again, 0.09 s of CPU each.
test: $(STAMP) $(CHROMIUM_STAMP)
	$(BIN)/python -m compileall -q archive crawler benchmarks
	$(BIN)/python -m pytest -n auto --dist worksteal

bench: $(STAMP)
	$(BIN)/python benchmarks/crawl_bench.py --articles $(BENCH_ARTICLES)
	$(BIN)/python benchmarks/warc_bench.py --records $(BENCH_ARTICLES)
	$(BIN)/python benchmarks/export_bench.py --rows 20000
	$(BIN)/python benchmarks/frontier_bench.py --urls 100000 --seconds 45
	$(BIN)/python benchmarks/search_bench.py --articles 1000000
	$(BIN)/python benchmarks/concurrent_bench.py --articles 1500 --rate 60
	$(BIN)/python benchmarks/syndication_bench.py --notices 25000
	GOVARCHIVE_RESUME_KILLS=10 $(BIN)/python -m pytest -q tests/test_resume.py

# The README's pictures of the reading room, taken of a fresh demo archive.
screenshots: $(STAMP) $(CHROMIUM_STAMP)
	$(BIN)/python docs/take_screenshots.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache
