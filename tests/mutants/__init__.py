"""Mutation catalogues, one module per assignment, named like the assignment's folder
(``tests/mutants/a00_pytorch_warmup.py`` for ``source/00_pytorch_warmup``): ``MUTANTS`` (wrong
implementations) and ``ALTERNATIVES`` (other correct ones). See ``tools/mutation.py``."""
