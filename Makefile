# channelsim: `make run` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
.DEFAULT_GOAL := run

VENV := .venv
PY := $(VENV)/bin/python
UV := $(VENV)/bin/uv
# every installer's output goes here; a failed step names it. apt-get's has a file of its
# own, outside .venv: it may run while make creates .venv
LOG := $(VENV)/install.log
APT_LOG := .apt-install.log
PYENV_ROOT ?= $(shell pyenv root 2>/dev/null || echo $(HOME)/.pyenv)
# uv uses the interpreter make found, never one of its own downloads
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1
# Python keeps the bytecode it compiles: every run, worker and test process would
# otherwise compile pandas, matplotlib and the rest anew (seconds each)
unexport PYTHONDONTWRITEBYTECODE

# the project's sources: the installed copy is rebuilt when one changes
SOURCES := pyproject.toml $(shell find src -type f \( -name '*.py' -o -name '*.yaml' -o -name '*.csv' -o -name '*.json' \) 2>/dev/null)
# the tests run sweeps on every launcher, the dashboard and the notebooks
TEST_EXTRAS := dev,ray,slurm,viz,notebooks,optuna,sensitivity,calibrate

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

# $(call step,WHAT,COMMAND[,LOG]): one line for the step, the command's output in the log
define step
echo "• $(1)"; \
{ echo "=== $(1)"; $(2); } >>$(or $(3),$(LOG)) 2>&1 \
|| { echo "error: $(1) failed; the installers' output is in $(or $(3),$(LOG)):" >&2; \
     tail -n 15 $(or $(3),$(LOG)) >&2; exit 1; }
endef

$(VENV)/.created:
	@py=$$($(find_python)) || { echo "error: channelsim needs Python 3.12 or newer; none found among: $(CANDIDATES)" >&2; exit 1; }; \
	rm -rf $(VENV); mkdir -p $(VENV); \
	$(call step,creating $(VENV) with $$py,"$$py" -m venv --clear $(VENV)); \
	$(call step,installing uv into $(VENV),$(PY) -m pip install --disable-pip-version-check uv); \
	touch $@

# the project as users install it: built into a wheel and installed, not editable
$(VENV)/.installed: $(VENV)/.created $(SOURCES)
	@$(call step,installing channelsim into $(VENV),$(UV) pip install --python $(PY) --reinstall-package channelsim .)
	@rm -rf build; touch $@

$(VENV)/.dev: $(VENV)/.installed
	@$(call step,installing channelsim[$(TEST_EXTRAS)] into $(VENV),$(UV) pip install --python $(PY) --reinstall-package channelsim '.[$(TEST_EXTRAS)]')
	@rm -rf build; touch $@

$(VENV)/.viz: $(VENV)/.installed
	@$(call step,installing channelsim[viz] into $(VENV),$(UV) pip install --python $(PY) --reinstall-package channelsim '.[viz]')
	@rm -rf build; touch $@

$(VENV)/.notebooks: $(VENV)/.installed
	@$(call step,installing channelsim[notebooks] into $(VENV),$(UV) pip install --python $(PY) --reinstall-package channelsim '.[notebooks]')
	@rm -rf build; touch $@

# Debian packages: a Chinese font for figures and the page in the case's terms (--lang zh)
# and, for the browser test, /usr/bin/chromium. Installed with apt, in one go, when missing
# (as root; otherwise make says what to install and goes on).
HAS_FONT := $(PY) -c 'from channelsim.labels import font_rc; font_rc("zh")' >/dev/null 2>&1
define install_debs
if [ -n "$(strip $(1))" ]; then \
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
    export DEBIAN_FRONTEND=noninteractive; \
    $(call step,installing $(1) with apt-get,apt-get update -q && apt-get install -y -q --no-install-recommends $(1),$(APT_LOG)); \
  else echo "note: as root, apt-get install $(1) ($(2))" >&2; fi; \
fi
endef

fonts: $(VENV)/.installed
	@$(HAS_FONT) || { $(call install_debs,fonts-wqy-zenhei,for --lang zh); }

# The tests' packages, checked without the venv (fontconfig knows the fonts by the names in
# labels.CJK_FONTS), so that apt-get runs while uv installs the Python packages
HAS_FONT_FC := fc-list : family 2>/dev/null | grep -q -e 'WenQuanYi Zen Hei' -e 'Noto Sans CJK SC' \
	-e 'Noto Sans SC' -e 'Source Han Sans SC'
debs-test:
	@debs=""; $(HAS_FONT_FC) || debs="fonts-wqy-zenhei"; \
	test -x /usr/bin/chromium || debs="$$debs chromium"; \
	$(call install_debs,$$debs,for --lang zh and the browser test)

.PHONY: run test lint format clean install dashboard notebooks screenshots fonts debs-test bench golden levers-doc

install: $(VENV)/.installed

run: $(VENV)/.installed fonts
	$(VENV)/bin/channelsim

# the interactive page on http://127.0.0.1:8765 (ARGS="--lang zh --port 8800")
dashboard: $(VENV)/.viz fonts
	$(VENV)/bin/channelsim dashboard $(ARGS)

# the dashboard's pictures in docs/figures/ (dashboard.png, dashboard_compare.png,
# dashboard_map.png), taken in Chromium with the browser tests' driver
screenshots: $(VENV)/.dev debs-test fonts
	$(PY) -m tests.screenshots

# JupyterLab on notebooks/, from the project's venv (ARGS="--port 8899 --no-browser");
# as root, as on a fresh CI machine, it must be told that is meant
notebooks: $(VENV)/.notebooks
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $$([ "$$(id -u)" = 0 ] && echo --allow-root) $(ARGS)

# The suite on both cores; the tests import the installed package, not src/. Two test
# processes (pytest-xdist) take a test file each at a time, longest first (tests/conftest.py);
# beside them, in a process of its own, the stylized facts, whose batches of runs fill both
# cores themselves: either side fills the other's idle moments. Its report follows theirs.
CASE_STUDY := tests/test_case_study.py
test:
	@$(MAKE) --no-print-directory -j 2 $(VENV)/.dev debs-test
	@echo "• ruff check and ruff format --check"
	@$(VENV)/bin/ruff check -q . && $(VENV)/bin/ruff format --check -q .
	@log=$$(mktemp); \
	$(PY) -m pytest -q -p no:cacheprovider --durations=25 $(CASE_STUDY) > $$log 2>&1 & facts=$$!; \
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder --durations=25 \
		--ignore=$(CASE_STUDY); rest=$$?; \
	wait $$facts; status=$$?; \
	echo "• $(CASE_STUDY)"; cat $$log; rm -f $$log; \
	test $$rest -eq 0 && test $$status -eq 0

# timings against the targets and Mesa's Boltzmann-wealth example (BENCHMARKS.md), then
# this checkout against BENCH_AGAINST side by side, alternating (its package built once
# into .venv/bench/<sha>/)
BENCH_AGAINST ?= HEAD~1
bench: $(VENV)/.installed
	$(PY) -m benchmarks --against $(BENCH_AGAINST)

# rewrite tests/golden/*.json on purpose, for a change that means to move results
golden: $(VENV)/.installed
	$(PY) -m tests.golden

# rewrite docs/LEVERS.md from the schema and measured runs, after a change that moves costs
levers-doc: $(VENV)/.installed
	$(PY) -m channelsim.experiment.levers_doc docs/LEVERS.md

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache outputs $(APT_LOG)
