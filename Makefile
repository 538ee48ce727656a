# channelsim: `make run` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
.DEFAULT_GOAL := run

VENV := .venv
PY := $(VENV)/bin/python
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $(HOME)/.pyenv)

# Interpreter candidates, tried by running them: a pyenv shim that is on the
# PATH but not selected fails here and is skipped.
CANDIDATES := python3.13 python3.12 python3 \
	$(wildcard $(PYENV_ROOT)/versions/3.1[2-9]*/bin/python3) \
	$(wildcard /usr/local/bin/python3.1[2-9] /usr/bin/python3.1[2-9])

define find_python
for c in $(CANDIDATES); do \
  if "$$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then \
    command -v "$$c" || echo "$$c"; exit 0; fi; \
done; exit 1
endef

$(VENV)/.created:
	@py=$$($(find_python)) || { echo "error: channelsim needs Python 3.12 or newer; none found among: $(CANDIDATES)" >&2; exit 1; }; \
	echo "Creating $(VENV) with $$py"; \
	"$$py" -m venv $(VENV) && $(PY) -m pip install -q --upgrade pip && touch $@

$(VENV)/.installed: $(VENV)/.created pyproject.toml
	$(PY) -m pip install -q -e .
	@touch $@

# Debian packages: a Chinese font for figures and the page in the case's terms (--lang zh)
# and, for the browser test, /usr/bin/chromium. Installed with apt, in one go, when missing
# (as root; otherwise make says what to install and goes on).
HAS_FONT := $(PY) -c 'from channelsim.labels import font_rc; font_rc("zh")' >/dev/null 2>&1
define install_debs
if [ -n "$(strip $(1))" ]; then \
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
    echo "Installing $(1) with apt-get"; \
    export DEBIAN_FRONTEND=noninteractive; \
    (apt-get update -q && apt-get install -y -q --no-install-recommends $(1)) >/dev/null \
    || { echo "error: apt-get install $(1) failed" >&2; exit 1; }; \
  else echo "note: as root, apt-get install $(1) ($(2))" >&2; fi; \
fi
endef

fonts: $(VENV)/.installed
	@$(HAS_FONT) || { $(call install_debs,fonts-wqy-zenhei,for --lang zh); }

debs-test: $(VENV)/.installed
	@debs=""; $(HAS_FONT) || debs="fonts-wqy-zenhei"; \
	test -x /usr/bin/chromium || debs="$$debs chromium"; \
	$(call install_debs,$$debs,for --lang zh and the browser test)

# the tests run sweeps on every launcher, the dashboard and the notebooks, so every
# extra installs into the one venv
$(VENV)/.dev: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[dev,ray,slurm,viz,notebooks,optuna,sensitivity]'
	@touch $@

$(VENV)/.viz: $(VENV)/.installed
	$(PY) -m pip install -q -e '.[viz]'
	@touch $@

.PHONY: run test lint format clean install dashboard fonts debs-test bench golden

install: $(VENV)/.installed

run: $(VENV)/.installed fonts
	$(VENV)/bin/channelsim

# the interactive page on http://127.0.0.1:8765 (ARGS="--lang zh --port 8800")
dashboard: $(VENV)/.viz fonts
	$(VENV)/bin/channelsim dashboard $(ARGS)

test: $(VENV)/.dev debs-test
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m pytest -q

# timings against the targets and Mesa's Boltzmann-wealth example (BENCHMARKS.md)
bench: $(VENV)/.installed
	$(PY) -m benchmarks

# rewrite tests/golden/*.json on purpose, for a change that means to move results
golden: $(VENV)/.installed
	$(PY) -m tests.golden

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache outputs
