# Anjian — the commands a newcomer runs. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PYPROJECTS := $(wildcard shared/pyproject.toml services/*/pyproject.toml deploy/local/pyproject.toml)

.PHONY: install run demo test test-fast test-faults bench asyncapi clean-data help

help:
	@echo "make run    install what is missing, start infrastructure + 8 services + gateway"
	@echo "make demo   play the Hubei spot-check flow against the running platform"
	@echo "make test   run the whole test suite on real RabbitMQ, SecantusDB and S3"
	@echo "make test-faults  only the fault and hostile-input tests (tests/faults, tests/security; part of make test)"
	@echo "make bench  measure this machine and the platform under load; writes bench/results.json"
	@echo "make asyncapi  regenerate docs/asyncapi.yaml and the event schema snapshots from the models"

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

# Faults (broker, database, S3 and service processes killed) and hostile input (forged tokens,
# other tenants' ids, oversized bodies, schemathesis); `make test` runs them too.
test-faults: install
	$(BIN)/python -m pytest tests/faults tests/security $(PYTEST_ARGS)

# Load: the embedded infrastructure and five services as processes, wrk from outside (≈4 min).
bench: install
	$(BIN)/python bench/run.py

# The event catalog (PLAT-03): docs/asyncapi.yaml and one JSON-schema snapshot per event version,
# generated from shared/src/anjian_shared/events/. Refuses (exit 1) a change that breaks a published version.
asyncapi: $(VENV)/.installed
	$(BIN)/python -m anjian_shared.asyncapi --snapshots shared/src/anjian_shared/events/schemas --out docs/asyncapi.yaml

clean-data:
	rm -rf .anjian
