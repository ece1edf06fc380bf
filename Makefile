# The course's commands. Each creates .venv and installs the requirements when needed, so a fresh
# machine with Python 3.11 and pip runs them directly.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# Students' nbgrader settings (Validate's time limit per cell), read by nbgrader from any folder.
STUDENT_CONFIG := $(VENV)/etc/jupyter/nbgrader_config.py
# nbgrader shells out to alembic: the environment's bin/ must be on PATH.
RUN := PATH="$(BIN):$$PATH"

.PHONY: demo test release lint leaks rubrics syllabus bench bench-full bench-quick bench-autograde clean-outputs clean venv sandbox report lab lab-setup browser grade feedback export postgres bench-grade hub hub-setup hub-stop hub-remove

venv: $(STAMP) $(STUDENT_CONFIG) sandbox

$(STUDENT_CONFIG): deploy/student/nbgrader_config.py $(STAMP)
	$(BIN)/python -m tools.labcompat --student-config

## sandbox: bubblewrap, which autograding runs student code in (installed with apt-get as root)
sandbox:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing bubblewrap (the autograding sandbox)"; \
	    apt-get install -y bubblewrap >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y bubblewrap; }; \
	  else \
	    echo "WARNING: bubblewrap (bwrap) is missing: nbgrader autograde will refuse to run until it is installed:"; \
	    echo "  sudo apt-get install bubblewrap   (Fedora: dnf install bubblewrap; Arch: pacman -S bubblewrap)"; \
	  fi; }

## lab-setup: a local MathJax (Debian's libjs-mathjax, apt as root) served by this environment's Jupyter
## server, so the formgrader, feedback and rubric pages render formulas offline. Quick when done.
lab-setup: $(STAMP)
	@test -f /usr/share/javascript/mathjax/MathJax.js || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing libjs-mathjax (formulas offline in the grading and feedback pages)"; \
	    apt-get install -y libjs-mathjax fonts-mathjax >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y libjs-mathjax fonts-mathjax; }; \
	  else \
	    echo "NOTE: no local MathJax: the formgrader and feedback pages load it from a CDN (needs internet):"; \
	    echo "  sudo apt-get install libjs-mathjax fonts-mathjax   then: make lab-setup"; \
	  fi; }
	@$(BIN)/python -m tools.labcompat --server-config

## browser: what tests/test_browser.py needs: Chromium (apt as root) and Playwright for Python (pip). Quick when done.
browser: $(STAMP) lab-setup
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium (the browser test)"; \
	    apt-get install -y chromium fonts-dejavu-core >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y chromium fonts-dejavu-core; }; \
	  else \
	    echo "NOTE: no Chromium: tests/test_browser.py will be skipped (sudo apt-get install chromium)"; \
	  fi; }
	@$(BIN)/python -c "import playwright.sync_api" 2>/dev/null || $(BIN)/python -m pip install "playwright>=1.40"

## hub-setup: what the course's JupyterHub needs (deploy/jupyterhub/): Node.js and patchelf (apt as root),
## configurable-http-proxy pinned in deploy/jupyterhub/package-lock.json (npm ci). Quick when done.
HUB_NPM := deploy/jupyterhub/node_modules/.bin/configurable-http-proxy
hub-setup: $(STAMP) sandbox lab-setup
	@for tool in node:nodejs npm:npm patchelf:patchelf; do \
	  command -v $${tool%%:*} >/dev/null 2>&1 || { \
	    if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	      echo "installing $${tool#*:} (the course hub)"; \
	      apt-get install -y $${tool#*:} >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y $${tool#*:}; }; \
	    else \
	      echo "NOTE: $${tool%%:*} is missing: the course hub needs it (sudo apt-get install $${tool#*:})"; \
	    fi; }; \
	done
	@test deploy/jupyterhub/package-lock.json -ot $(HUB_NPM) 2>/dev/null || \
	  { command -v npm >/dev/null 2>&1 && cd deploy/jupyterhub && npm ci --no-audit --no-fund --loglevel=error && touch node_modules/.bin/configurable-http-proxy; }

## hub: the course on JupyterHub, localhost only, as root: prints the URL and the accounts (README, "The course on JupyterHub")
HUB_PORT ?= 8000
HUB_STUDENTS ?= 3
hub: hub-setup
	$(RUN) $(BIN)/python -m tools.hub start --port $(HUB_PORT) --students $(HUB_STUDENTS)

## hub-stop: stop the course hub (accounts, homes and the course directory are kept)
hub-stop:
	$(RUN) $(BIN)/python -m tools.hub stop

## hub-remove: stop the course hub and delete its accounts, their homes and its folder (/srv/vae-course-hub)
hub-remove:
	$(RUN) $(BIN)/python -m tools.hub remove

## lab: JupyterLab on the course (students: open release/<assignment>/<assignment>.ipynb)
lab: $(STAMP) $(STUDENT_CONFIG) lab-setup
	$(RUN) $(BIN)/jupyter lab

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	$(BIN)/python -m tools.labcompat --student-config
	touch $(STAMP)

## demo: generate release/, autograde the reference and blank submissions, print the grades
demo: $(STAMP) $(STUDENT_CONFIG) sandbox
	$(RUN) $(BIN)/python -m tools.demo

## test: the whole test suite (helpers, notebooks under nbval, release sync, leaks, pipeline, mutants)
test: $(STAMP) $(STUDENT_CONFIG) sandbox browser postgres hub-setup
	$(RUN) $(BIN)/python -m pytest -n 2 --dist loadscope

## release: regenerate the student versions in release/ from source/
release: $(STAMP)
	$(RUN) $(BIN)/python -m tools.release

## lint: ruff on the Python code and the notebooks
lint: $(STAMP)
	$(BIN)/ruff check .

## leaks: list every graded line (in any spelling) that visible code, companions or helpers/ hold
leaks: $(STAMP)
	$(RUN) $(BIN)/python -m tools.leaks

## rubrics: grading sheets for teaching assistants (question, points, model answer, rubric) in rubrics/
rubrics: $(STAMP)
	$(RUN) $(BIN)/python -m tools.rubrics

## syllabus: rewrite the syllabus table of README.md from the notebooks (points) and tools/syllabus.py
syllabus: $(STAMP)
	$(BIN)/python -m tools.syllabus

## bench: input-pipeline benchmark (in-memory batches vs DataLoader + ToTensor)
bench: $(STAMP)
	$(RUN) $(BIN)/python benchmarks/input_pipeline.py

## bench-full: run one assignment in full mode (the student's) and print its wall time: make bench-full A=03_vae
A ?= 03_vae
bench-full: $(STAMP)
	$(RUN) $(BIN)/python -m benchmarks.full_mode $(A)

## bench-quick: every assignment in quick mode (autograding's; budget 90 s each), wall time and slowest cells
bench-quick: $(STAMP)
	@for a in $$(ls source); do $(RUN) $(BIN)/python -m benchmarks.full_mode $$a --quick --slowest 3 || exit 1; done

## bench-autograde: autograde time per submission with and without the sandbox: make bench-autograde GA=01_elbo N=3
GA ?= 01_elbo
N ?= 3
bench-autograde: $(STAMP) sandbox
	$(RUN) $(BIN)/python -m benchmarks.autograde_cost $(GA) $(N)

## grade: autograde a class in parallel, one nbgrader process per student: make grade A=01_elbo JOBS=4
## (STUDENTS="s1 s2" for some; FORCE=1 redoes students already graded; SCHEDULER=tcp://host:8786 for Dask)
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
CLASSGRADE_ARGS = --jobs $(JOBS) $(foreach s,$(STUDENTS),--student $(s)) $(if $(FORCE),--force) \
	$(if $(SCHEDULER),--scheduler $(SCHEDULER))
grade: $(STAMP) sandbox
	$(RUN) $(BIN)/python -m tools.grading.classgrade autograde $(A) $(CLASSGRADE_ARGS)

## feedback: generate_feedback for a class in parallel: make feedback A=01_elbo JOBS=4
feedback: $(STAMP)
	$(RUN) $(BIN)/python -m tools.grading.classgrade feedback $(A) $(CLASSGRADE_ARGS)

## export: nbgrader's grades.csv and, beside it, grades_canvas.csv and grades_moodle.csv for an LMS
export: $(STAMP)
	$(RUN) $(BIN)/python -m tools.grading.classgrade export --to grades.csv --lms canvas --lms moodle

## postgres: PostgreSQL server and client from the distribution (apt as root), for a class's gradebook and its tests
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing postgresql (the class gradebook's tests)"; \
	    apt-get install -y postgresql >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y postgresql; }; \
	  else \
	    echo "NOTE: no PostgreSQL: its tests will be skipped (sudo apt-get install postgresql)"; \
	  fi; }

## bench-grade: a synthetic class graded serially and in parallel (1, 2, all cores): make bench-grade GA=01_elbo CLASS_N=40
CLASS_N ?= 40
bench-grade: $(STAMP) sandbox
	$(RUN) $(BIN)/python -m benchmarks.class_grading --assignment $(GA) --n $(CLASS_N)

## report: scan the submissions of one assignment for code no exercise needs: make report A=01_elbo
report: $(STAMP)
	$(RUN) $(BIN)/python -m tools.grading.scan $(A)

## clean-outputs: strip outputs from the source notebooks before committing
clean-outputs: $(STAMP)
	$(BIN)/jupyter nbconvert --clear-output --inplace source/*/*.ipynb notebooks/*.ipynb

clean:
	rm -rf submitted autograded/*/ feedback reports gradebook.db gradebook.db.lock grades.csv grades_canvas.csv grades_moodle.csv
