# Two commands matter: `make run` and `make test` (see README.md). Both build .venv from the
# pinned lock (requirements/lock.txt, hashes checked) and are quick when nothing changed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install tools run test lint bench lock clean

install: $(STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "aiswarm needs Python 3.11 or newer; set PYTHON=/path/to/python3.11"'
	$(PYTHON) -m venv $(VENV)

# pip shows its progress here: a first install downloads for a few minutes. Once the stamp is
# newer than the lock and pyproject.toml, make skips this recipe, so later runs start at once.
$(STAMP): requirements/lock.txt pyproject.toml | $(BIN)/python
	@echo "installing dependencies into $(VENV) (the first run takes a few minutes)..."
	$(BIN)/python -m pip install --disable-pip-version-check --require-hashes -r requirements/lock.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

# promtool, amtool and Alertmanager for the monitoring tests (prometheus/, alertmanager/, the
# Alertmanager round trip). Installed from Debian packages when missing, non-interactively;
# skipped when present. Needs root or sudo only when something is missing.
MONITORING_TOOLS := promtool amtool prometheus-alertmanager
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

tools:
	@missing=""; for tool in $(MONITORING_TOOLS); do command -v $$tool >/dev/null || missing=1; done; \
	if [ -n "$$missing" ]; then \
		echo "installing prometheus and prometheus-alertmanager (promtool, amtool) with apt-get..."; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
			prometheus prometheus-alertmanager; \
	fi

run: $(STAMP)
	$(BIN)/aiswarm run --mode paper

test: $(STAMP) tools
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff format --check src tests tools
	$(BIN)/ruff check src tests tools
	$(BIN)/mypy --strict
	$(BIN)/python tools/check_imports.py

bench: $(STAMP)
	$(BIN)/aiswarm bench events --json

# Re-pin every dependency (runtime, test and dev extras) after editing pyproject.toml.
lock:
	$(PYTHON) -m pip install --quiet uv
	$(PYTHON) -m uv pip compile pyproject.toml --extra test --extra dev --python-version 3.11 \
		--generate-hashes -o requirements/lock.txt

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
