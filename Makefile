# The README's two commands: `make serve` and `make test`. Both install from the locks (pinned,
# hashed) into a fresh .venv of its own, without system site-packages, so that nothing installed
# elsewhere on the machine can hide a missing pin.
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test

serve: $(VENV)/.runtime
	$(BIN)/policy-api serve

test: $(VENV)/.test
	$(BIN)/python -m pytest

$(VENV)/.runtime: requirements.lock pyproject.toml
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --requirement requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	touch $@

# The test tools too, and the npm packages of the generated-client tests (tests/clients/package-lock.json).
$(VENV)/.test: requirements-test.lock pyproject.toml tests/clients/package-lock.json
	python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --requirement requirements-test.lock
	$(BIN)/python -m pip install --quiet --no-deps --editable .
	npm ci --prefix tests/clients --silent --no-audit --no-fund
	touch $@ $(VENV)/.runtime
