# Two commands: `make demo` and `make test`. Both set up everything they need from nothing.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint format office fonts browser bench bytecode templates samples clean

$(STAMP): pyproject.toml
	@command -v $(PY) >/dev/null 2>&1 || { echo "$(PY) not found; install Python 3.11"; exit 1; }
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# Real spreadsheet programs, for the tests that save workbooks the way schools do, and LibreOffice's
# Python bridge (python3-uno, for the system python3) for the tests that type into cells; chattr
# (e2fsprogs) makes a folder read-only even for root, for the test of an unwritable OUT.
OFFICE_PACKAGES := libreoffice-calc-nogui python3-uno gnumeric poppler-utils e2fsprogs
office:
	@if ! command -v soffice >/dev/null 2>&1 || ! command -v ssconvert >/dev/null 2>&1 \
		|| ! command -v pdftoppm >/dev/null 2>&1 || ! command -v chattr >/dev/null 2>&1 \
		|| ! dpkg -s python3-uno >/dev/null 2>&1; then \
		echo "Installing $(OFFICE_PACKAGES) (apt-get)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(OFFICE_PACKAGES) >/dev/null; \
	fi

# Debian's Chromium, for the tests that open report.html the way a reader does (Playwright drives
# it; browser downloads are impossible, so Playwright is never asked to install one).
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "Installing Chromium (apt-get)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; \
	fi


# Fonts for the scripts schools write in (Arabic, Urdu, Bengali, Chinese...), for charts and packs.
# matplotlib's font list is rebuilt afterwards, so it sees fonts installed after its first run.
FONT_PACKAGES := fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji
fonts: $(STAMP)
	@if command -v apt-get >/dev/null 2>&1 && ! fc-list 2>/dev/null | grep -q NotoSansCJK; then \
		echo "Installing Noto fonts (apt-get)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(FONT_PACKAGES) >/dev/null && \
		$(BIN)/python -c "import matplotlib.font_manager as f; f._load_fontmanager(try_read_cache=False)"; \
	fi

# The package compiled ahead, as a wheel install does: an editable install leaves it to the
# first import, and where PYTHONDONTWRITEBYTECODE is set every process would compile it again
# (a third of a second per process: the command and each of its workers).
bytecode: $(STAMP)
	@$(BIN)/python -m compileall -q src >/dev/null

demo: $(STAMP) fonts bytecode
	$(BIN)/sheetreview demo -o outputs/demo

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Everything the tests use is installed above, so a missing tool fails the suite, never skips.
test: $(STAMP) office fonts browser lint bytecode
	SHEETREVIEW_TOOLS_REQUIRED=1 $(BIN)/python -m pytest -q

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Regenerate what is committed: blank templates and the sample cohort.
templates: $(STAMP)
	$(BIN)/python -m devtools.templates

samples: $(STAMP)
	$(BIN)/python scripts/make_samples.py

bench: $(STAMP) bytecode
	$(BIN)/python bench/bench_generate.py
	$(BIN)/python bench/bench_ingest.py
	$(BIN)/python bench/bench_report.py
	$(BIN)/python bench/bench_groups.py
	$(BIN)/python bench/bench_foreign.py
	$(BIN)/python bench/bench_packs.py
	$(BIN)/python bench/bench_school_outputs.py
	$(BIN)/python bench/bench_pipeline.py
	$(BIN)/python bench/bench_demo.py

clean:
	rm -rf $(VENV) outputs/demo build *.egg-info
