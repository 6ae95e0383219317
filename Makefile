# Anjian — the commands a newcomer runs. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYPROJECTS := $(wildcard shared/pyproject.toml services/*/pyproject.toml deploy/local/pyproject.toml)

.PHONY: install run demo test test-fast clean-data help

help:
	@echo "make run    install what is missing, start infrastructure + 7 services + gateway"
	@echo "make demo   play the Hubei spot-check flow against the running platform"
	@echo "make test   run the whole test suite on real RabbitMQ, SecantusDB and S3"

install: $(VENV)/.installed
	@deploy/local/bin/install-system-deps

$(VENV)/.installed: requirements-dev.txt $(PYPROJECTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements-dev.txt
	@touch $@

run: install
	$(BIN)/anjian-run

demo: $(VENV)/.installed
	$(BIN)/anjian-demo

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean-data:
	rm -rf .anjian
