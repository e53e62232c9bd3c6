# pmsheets developer commands. `make test` is exactly what CI runs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: all lint test coverage demo bench bench-large clean libreoffice chromium screenshots

all: test

# Create the virtual environment and install the package with its test extra.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,lint]'
	touch $(STAMP)

# Lint and type gate (CI runs it before the tests): ruff's rules and format, then mypy --strict.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Run the whole test suite.
test: $(STAMP)
	$(BIN)/python -m pytest

# The whole suite with branch coverage of pmsheets and sheets_emulator ([tool.coverage] in pyproject.toml).
coverage: $(STAMP)
	$(BIN)/python -m pytest --cov --cov-report=term

# Build a demo register in demo/, check it (validate exits 1: the demo has error findings), write its post-mortem drafts.
demo: $(STAMP)
	rm -rf demo && mkdir -p demo
	cp config.example.yaml demo/pmsheets.yaml
	$(BIN)/pmsheets --config demo/pmsheets.yaml init --xlsx demo/register.xlsx --demo
	$(BIN)/pmsheets --config demo/pmsheets.yaml validate; test $$? -le 1
	@echo "Demo register: demo/register.xlsx (its Findings tab now lists the findings above)."
	$(BIN)/pmsheets --config demo/pmsheets.yaml generate
	@echo "Post-mortem drafts: demo/docs/postmortems/ (postmortems.publish: local; the git and Google Docs modes: docs/postmortems.md)."
	$(BIN)/pmsheets --config demo/pmsheets.yaml report
	$(BIN)/pmsheets --config demo/pmsheets.yaml export
	@echo "Weekly report previews and the Excel snapshot: demo/reports/ (see docs/reports.md)."

# Quick benchmarks, a few minutes (what each measures, and the figures: BENCHMARKS.md).
bench: $(STAMP)
	$(BIN)/python bench/validate.py
	$(BIN)/python bench/sheets_cycle.py --sizes 1000 10000
	$(BIN)/python bench/publish.py --drafts 1 50
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	$(BIN)/python bench/export.py

# The register at the Sheets limit of 10,000,000 cells through the emulator: run, export and a real worker (about 10 minutes, 4 GiB).
bench-large: $(STAMP)
	$(BIN)/python bench/scale.py

# Install headless LibreOffice Calc (Debian) so the office-suite tests run instead of skipping.
libreoffice:
	command -v soffice >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-calc-nogui >/dev/null; }

# Install headless Chromium (Debian) so the e-mail rendering test runs instead of skipping.
chromium:
	command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Redraw the report emails' pictures in docs/images (desktop and phone width) after changing a template.
screenshots: $(STAMP) chromium
	$(BIN)/python -m tests.report_screenshots docs/images

clean:
	rm -rf $(VENV) demo build *.egg-info
