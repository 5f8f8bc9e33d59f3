# Two entry points: `make run` starts the bot, `make test` runs the checks.
# Both create .venv and install the project from its own files when needed.

PYTHON ?= python3
# The suite runs on two workers (one per core of the reference machine), each test
# file on one worker; PYTEST_WORKERS= runs it in one process.
PYTEST_WORKERS ?= -n 2 --dist loadfile
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test clean messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/python -m bot $(ARGS)

test: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/python -m pytest $(PYTEST_WORKERS) $(PYTEST_ARGS)

clean:
	rm -rf $(VENV)

# Refresh the translation catalogs after changing user-facing strings.
messages: $(VENV)/.installed-test
	$(BIN)/pybabel extract --no-location --sort-output -k N_ -k translate -k ngettext:1,2 \
		-o bot/locale/bot.pot bot cogs
	for lang in fr en; do \
		if [ -f bot/locale/$$lang/LC_MESSAGES/bot.po ]; then \
			$(BIN)/pybabel update --no-fuzzy-matching -i bot/locale/bot.pot -d bot/locale -D bot -l $$lang; \
		else \
			$(BIN)/pybabel init -i bot/locale/bot.pot -d bot/locale -D bot -l $$lang; \
		fi; \
	done
