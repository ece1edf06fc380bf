# The course's commands. Each creates .venv and installs the requirements when needed, so a fresh
# machine with Python 3.11 and pip runs them directly.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# nbgrader shells out to alembic: the environment's bin/ must be on PATH.
RUN := PATH="$(BIN):$$PATH"

.PHONY: demo test release lint leaks rubrics syllabus bench bench-full bench-autograde clean-outputs clean venv sandbox report lab lab-setup browser

venv: $(STAMP) sandbox

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

## lab: JupyterLab on the course (students: open release/<assignment>/<assignment>.ipynb)
lab: $(STAMP) lab-setup
	$(RUN) $(BIN)/jupyter lab

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $(STAMP)

## demo: generate release/, autograde the reference and blank submissions, print the grades
demo: $(STAMP) sandbox
	$(RUN) $(BIN)/python -m tools.demo

## test: the whole test suite (helpers, notebooks under nbval, release sync, leaks, pipeline, mutants)
test: $(STAMP) sandbox browser
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

## bench-autograde: autograde time per submission with and without the sandbox: make bench-autograde GA=01_elbo N=3
GA ?= 01_elbo
N ?= 3
bench-autograde: $(STAMP) sandbox
	$(RUN) $(BIN)/python -m benchmarks.autograde_cost $(GA) $(N)

## report: scan the submissions of one assignment for code no exercise needs: make report A=01_elbo
report: $(STAMP)
	$(RUN) $(BIN)/python -m tools.grading.scan $(A)

## clean-outputs: strip outputs from the source notebooks before committing
clean-outputs: $(STAMP)
	$(BIN)/jupyter nbconvert --clear-output --inplace source/*/*.ipynb notebooks/*.ipynb

clean:
	rm -rf submitted autograded/*/ feedback reports gradebook.db grades.csv
