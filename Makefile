# Two commands do all set-up on a fresh machine:
#   make demo   builds .venv, installs evalkit and runs it on the bundled sample municipality
#   make test   builds .venv if needed and runs the whole test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
SAMPLE := data_samples/exempelkommun
# Exact, hashed versions the suite was tested with (runtime + dev + notebooks, and the build tools).
LOCK := requirements.lock
BUILD_LOCK := requirements-build.lock
UV_VERSION := 0.13.9

.PHONY: demo test env sysdeps sample clean lock

env: $(STAMP)

# Installs only what the lock files name, checked against their hashes, so a new machine gets the versions
# that were tested; evalkit itself goes in without dependency resolution. Its bytecode is written as pip writes
# it for an installed package: an editable install leaves that to the first run, and with PYTHONDONTWRITEBYTECODE
# set (as on the project machine) every run compiled evalkit's 84 modules again (0.56 s of `evalkit report`).
$(STAMP): pyproject.toml $(LOCK) $(BUILD_LOCK)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(BUILD_LOCK)
	$(PY) -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	$(PY) -m pip check
	$(PY) -m compileall -q evalkit
	$(PY) -m ipykernel install --user --name python3 >/dev/null 2>&1 || true
	touch $(STAMP)

# Refresh the lock files to the newest versions the registry serves today (then run `make test` and commit
# both files if it passes). Python 3.11.7 is the project machine's interpreter.
lock:
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet uv==$(UV_VERSION)
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --extra notebooks --generate-hashes --upgrade \
	  --python-version 3.11.7 --custom-compile-command "make lock" -o $(LOCK)
	printf 'pip\nsetuptools\nwheel\n' | $(VENV)/bin/uv pip compile - --generate-hashes --upgrade \
	  --python-version 3.11.7 --custom-compile-command "make lock" -o $(BUILD_LOCK)

CONFIGS := $(SAMPLE)/ibic.toml $(SAMPLE)/rehab_pilot.toml $(SAMPLE)/flexible_codes.toml

demo: $(STAMP)
	$(VENV)/bin/evalkit check $(CONFIGS)
	for c in $(CONFIGS); do $(VENV)/bin/evalkit report $$c --force || exit 1; done
	@echo "The reports are in reports/ (open the .docx in Word or LibreOffice)."

test: $(STAMP) sysdeps
	$(PY) -m pytest -q

# Rendering tests convert reports and audit forms with LibreOffice and read PDFs with poppler.
sysdeps:
	@if ! command -v soffice >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then \
	  echo "installing LibreOffice and poppler-utils for the rendering tests"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	    libreoffice-writer libreoffice-calc poppler-utils fonts-liberation >/dev/null; \
	fi

# Regenerate the sample municipality from its seeded script (outputs are committed).
sample: $(STAMP)
	$(PY) $(SAMPLE)/generate.py
	$(PY) $(SAMPLE)/generate_survey.py
	$(PY) $(SAMPLE)/generate_interviews.py
	$(PY) $(SAMPLE)/generate_audit.py

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
