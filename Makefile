# The two set-up commands of the README: `make demo` and `make test`. Each creates .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test venv cassettes bench clean

$(BIN)/sfhotfix: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

venv: $(BIN)/sfhotfix

test: venv
	$(BIN)/python -m pytest -q

# the bundled example: the hotfix sandbox compared with the example repository's production branch
demo: venv
	$(BIN)/python examples/demo.py

# record the org and Git-host cassettes again, against the emulators in tests/ (no real org or host)
cassettes: venv
	rm -f cassettes/org/*.yaml
	SFHOTFIX_RECORD=all $(BIN)/python -m pytest -q tests/test_org.py tests/test_gate.py tests/test_hosts.py \
		tests/test_hosts_gate.py tests/test_sync.py

bench: venv
	$(BIN)/python benchmarks/convert.py

clean:
	rm -rf $(VENV) demo-output benchmarks/work
