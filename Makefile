# The course's commands. Each creates .venv and installs the requirements when needed, so a fresh
# machine with Python 3.11 and pip runs them directly.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# nbgrader shells out to alembic: the environment's bin/ must be on PATH.
RUN := PATH="$(BIN):$$PATH"

.PHONY: demo test release lint leaks rubrics syllabus bench bench-full bench-autograde clean-outputs clean venv sandbox report

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
test: $(STAMP) sandbox
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
