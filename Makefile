# The course's commands. Each creates .venv and installs the requirements when needed, so a fresh
# machine with Python 3.11 and pip runs them directly.
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed
# nbgrader shells out to alembic: the environment's bin/ must be on PATH.
RUN := PATH="$(BIN):$$PATH"

.PHONY: demo test release lint bench bench-full clean-outputs clean venv report

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -r requirements.txt
	$(BIN)/python -m pip install --no-deps -e .
	touch $(STAMP)

## demo: generate release/, autograde the reference and blank submissions, print the grades
demo: $(STAMP)
	$(RUN) $(BIN)/python -m tools.demo

## test: the whole test suite (helpers, notebooks under nbval, release sync, leaks, pipeline, mutants)
test: $(STAMP)
	$(RUN) $(BIN)/python -m pytest -n 2 --dist loadscope

## release: regenerate the student versions in release/ from source/
release: $(STAMP)
	$(RUN) $(BIN)/python -m tools.release

## lint: ruff on the Python code and the notebooks
lint: $(STAMP)
	$(BIN)/ruff check .

## bench: input-pipeline benchmark (in-memory batches vs DataLoader + ToTensor)
bench: $(STAMP)
	$(RUN) $(BIN)/python benchmarks/input_pipeline.py

## bench-full: run one assignment in full mode (the student's) and print its wall time: make bench-full A=03_vae
A ?= 03_vae
bench-full: $(STAMP)
	$(RUN) $(BIN)/python -m benchmarks.full_mode $(A)

## report: scan the submissions of one assignment for code no exercise needs: make report A=01_elbo
report: $(STAMP)
	$(RUN) $(BIN)/python -m tools.grading.scan $(A)

## clean-outputs: strip outputs from the source notebooks before committing
clean-outputs: $(STAMP)
	$(BIN)/jupyter nbconvert --clear-output --inplace source/*/*.ipynb notebooks/*.ipynb

clean:
	rm -rf submitted autograded/*/ feedback gradebook.db grades.csv
