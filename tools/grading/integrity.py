"""Test cells that student code cannot fool from inside the kernel (as far as that is possible).

Two nbgrader preprocessors, listed around the executing preprocessor in ``nbgrader_config.py``:

- :class:`InjectGuard` (before execution) inserts a prologue cell that runs before any student
  code (:mod:`tools.grading.guard_kernel`): it imports what the tests use, snapshots it, installs an
  audit hook and binds ``__vae_guard__``. To each auto-graded test cell it appends one line,
  ``__vae_guard__(nonce, names)``, which runs only when the test ran to its end without an
  exception, re-checks everything and prints a canary: ``HMAC(key, nonce)``, with a key made for
  this notebook in this process.
- :class:`CheckGuard` (after execution, before ``SaveAutoGrades``) confirms each test cell's canary
  (exactly once, in its own output), removes the prologue cell, the appended line and the canary,
  and turns every test cell it cannot confirm into a failure that says why. Its verdicts and a
  static scan of the student's cells (:mod:`tools.grading.scan`) go to
  ``reports/<assignment>/integrity.md`` (+ ``.json``).

nbgrader gives a code cell its points when its outputs hold no error (and partial credit for a
numeric ``execute_result``): a hidden exception, a swallowed traceback or a display hook would
earn points without the canary. With it, a test cell earns points only when its own code really
ran to the end under the library functions it was written against.
"""

from __future__ import annotations

import ast
import hashlib
import hmac
import inspect
import json
import re
import secrets
import sys
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import List, Unicode

from . import guard_kernel, scan

#: Metadata namespace of the course's own cell marks (the prologue cell, guarded test cells).
META = "vae_course"
#: resources[RESOURCES] carries what CheckGuard needs from InjectGuard.
RESOURCES = "vae_guard"
ERROR_NAME = "GradingGuardError"
UNCONFIRMED = "the grader could not confirm this test ran"

#: Modules imported (and snapshotted) before any student code, besides what the notebook imports.
BASE_MODULES = ("torch", "torch.nn", "torch.nn.functional", "torch.distributions", "numpy", "math", "helpers")
#: Course-root entries that student code has no reason to open while being graded.
PROTECTED = ("source", "gradebook.db", "nbgrader_config.py", "submitted", "autograded", "feedback", "reports")


def is_test_cell(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and meta.get("grade", False) and not meta.get("solution", False)


def import_aliases(sources: list[str]) -> dict[str, tuple[str, str | None]]:
    """Names that top-level imports in ``sources`` bind: alias -> (module, attribute or None)."""
    aliases: dict[str, tuple[str, str | None]] = {}
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                for item in node.names:
                    if item.asname:
                        aliases[item.asname] = (item.name, None)
                    else:
                        top = item.name.split(".")[0]
                        aliases[top] = (top, None)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for item in node.names:
                    if item.name != "*":
                        aliases[item.asname or item.name] = (node.module, item.name)
    return aliases


def referenced_names(source: str) -> list[str]:
    """Global names a cell reads and never binds itself (the ones student code could rebind)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    loads, stores = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loads if isinstance(node.ctx, ast.Load) else stores).add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            stores.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            stores.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            stores.add(node.arg)
    return sorted(loads - stores)


def _loaded(source: str) -> set[str]:
    try:
        return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    except SyntaxError:
        return set()


def transformed(source: str) -> str:
    """The text IPython parses for a plain-Python cell (its standard input transformations)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def code_fingerprint(source: str) -> tuple[str, list[str]]:
    """What the kernel must compile for this cell: the text's hash, then each statement's."""
    text = transformed(source)
    try:
        body = ast.parse(text).body
    except SyntaxError:
        body = []
    return (hashlib.sha256(text.encode()).hexdigest(),
            [hashlib.sha256(ast.dump(node).encode()).hexdigest() for node in body])


def token(key_hex: str, nonce: str) -> str:
    return hmac.new(bytes.fromhex(key_hex), nonce.encode(), "sha256").hexdigest()


def defined_functions(source: str) -> set[str]:
    """Names a cell binds with ``def`` at its top level."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    return {node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}


def epilogue(nonce: str, names: list[str], defs: list[str]) -> str:
    return (f"__vae_guard__({nonce!r}, {tuple(names)!r}, {tuple(defs)!r})"
            "  # the grader's check: this test ran to its end\n")


def prologue(key_hex: str, settings: dict) -> str:
    body = inspect.getsource(guard_kernel.install).replace("def install(", "def __vae_guard_install__(", 1)
    return (f"# The grader's integrity guard (removed from the graded notebook).\n{body}\n"
            f"__vae_guard_install__({key_hex!r}, {settings!r})\ndel __vae_guard_install__\n")


def _course_root(preprocessor) -> Path:
    from nbgrader.coursedir import CourseDirectory

    return Path(CourseDirectory(parent=preprocessor).root).resolve()


class InjectGuard(NbGraderPreprocessor):
    """Before execution: the prologue cell and one checking line at the end of each test cell."""

    extra_modules = List(Unicode(), help="More modules to import and snapshot before student code.").tag(config=True)

    def preprocess(self, nb, resources):
        root = _course_root(self)
        info = resources.get("nbgrader", {})
        source_nb = root / "source" / info.get("assignment", "") / f"{info.get('notebook', '')}.ipynb"
        # Trusted imports: the instructor's notebook (the submission's import cell is the student's).
        trusted = nbformat.read(source_nb, as_version=4) if source_nb.is_file() else nb
        trusted_code = [c.source for c in trusted.cells if c.cell_type == "code"]
        aliases = import_aliases(trusted_code)
        key = secrets.token_hex(32)
        cells, fingerprints = {}, []
        locked = [c for c in nb.cells if c.cell_type == "code" and not is_test_cell(c)
                  and c.metadata.get("nbgrader", {}).get("locked") and not c.metadata["nbgrader"].get("solution")]
        locked_defs = set().union(*(defined_functions(c.source) for c in locked))
        for cell in nb.cells:
            if not is_test_cell(cell):
                continue
            nonce = secrets.token_hex(16)
            original = cell.source
            names = referenced_names(original)
            defs = sorted((set(names) & locked_defs) | (defined_functions(original) & _loaded(original)))
            cell.source = (original + ("" if original.endswith("\n") or not original else "\n")
                           + epilogue(nonce, names, defs))
            text_hash, node_hashes = code_fingerprint(cell.source)
            fingerprints.append((nonce, text_hash, node_hashes))
            cell.metadata.setdefault(META, {})["guard_nonce"] = nonce
            cells[nonce] = {"original": original, "token": token(key, nonce), "nonce": nonce,
                            "grade_id": cell.metadata["nbgrader"].get("grade_id")}
        modules = sorted({*BASE_MODULES, *self.extra_modules, *(m for m, _ in aliases.values())})
        settings = {
            "modules": modules,
            "aliases": {name: list(target) for name, target in aliases.items()},
            "cells": fingerprints,
            "locked_cells": [code_fingerprint(c.source)[0] for c in locked],
            "protected": [str(root / name) for name in PROTECTED],
            "trusted_dirs": [str(root / "helpers")],
            "trusted_packages": ["helpers"],
            "python": sys.version,
        }
        guard = nbformat.v4.new_code_cell(prologue(key, settings), metadata={META: {"guard": "prologue"}})
        nb.cells.insert(0, guard)
        resources[RESOURCES] = {"cells": cells, "root": str(root)}
        return nb, resources


def _error(message: str):
    return nbformat.v4.new_output("error", ename=ERROR_NAME, evalue=message, traceback=[f"{ERROR_NAME}: {message}"])


def _notes(text: str) -> list:
    try:
        notes = json.loads(text)
    except ValueError:
        return []
    return [n for n in notes if isinstance(n, dict)] if isinstance(notes, list) else []


def _take_token(cell, tok: str, nonce: str) -> tuple[int, bool, list]:
    """Remove the guard's lines from the cell's outputs: the canary ``<token> <notes>`` (printed
    when every check passed) or ``<nonce> <notes>`` (printed before a failed check raises).
    Returns how often the canary was there, whether exactly once in stdout, and the audit notes."""
    count = sum(str(out).count(tok) for out in cell.outputs)
    notes, in_stdout = [], False
    patterns = [(re.compile(r"\n?" + key + r" (\[[^\n]*\])\n?"), key == tok) for key in (tok, nonce)]
    kept = []
    for out in cell.outputs:
        if out.output_type == "stream" and out.name == "stdout":
            for pattern, is_token in patterns:
                match = pattern.search(out.text)
                if match:
                    in_stdout = in_stdout or is_token
                    notes.extend(_notes(match.group(1)))
                    out.text = pattern.sub("", out.text, count=1)
            if not out.text:
                continue
        kept.append(out)
    cell.outputs = kept
    return count, in_stdout and count == 1, notes


class CheckGuard(NbGraderPreprocessor):
    """After execution: confirm each test cell's canary, strip the guard, report."""

    def preprocess(self, nb, resources):
        state = resources.get(RESOURCES)
        if not state:
            return nb, resources
        info = resources.get("nbgrader", {})
        verdicts, events = [], []
        prologue_error = None
        for cell in [c for c in nb.cells if c.get("metadata", {}).get(META, {}).get("guard") == "prologue"]:
            errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
            if errors:
                prologue_error = f"{errors[0].ename}: {errors[0].evalue}"
                self.log.error("The integrity guard failed to start: %s", prologue_error)
            nb.cells.remove(cell)
        counts = {c.get("execution_count"): i for i, c in enumerate(nb.cells) if c.cell_type == "code"}
        for index, cell in enumerate(nb.cells):
            nonce = cell.get("metadata", {}).get(META, {}).pop("guard_nonce", None)
            if nonce is None:
                continue
            if not cell.metadata[META]:
                del cell.metadata[META]
            entry = state["cells"][nonce]
            cell.source = entry["original"]
            verdict, notes = self._settle(cell, entry, prologue_error)
            events.extend(notes)
            if verdict:
                verdicts.append({"cell": index, "grade_id": entry["grade_id"], "why": verdict})
                self.log.warning("%s: %s", entry["grade_id"], verdict)
        for event in events:
            where = counts.get(event.get("count"))
            event["cell"] = where
            event["grade_id"] = (nb.cells[where].metadata.get("nbgrader", {}).get("grade_id")
                                 if where is not None else None)
        if prologue_error:
            verdicts.insert(0, {"cell": None, "grade_id": None, "why": f"the guard failed to start: {prologue_error}"})
        scan.update_report(Path(state["root"]), info.get("assignment", "?"), info.get("student", "?"),
                           info.get("notebook", "?"), suspicious=scan.scan_notebook(nb),
                           tamper=verdicts, events=events)
        return nb, resources

    def _settle(self, cell, entry, prologue_error):
        count, once, notes = _take_token(cell, entry["token"], entry["nonce"])
        results = [o for o in cell.outputs if o.output_type == "execute_result"]
        if results:
            # The appended line is the cell's last statement, so a result here was displayed by
            # notebook code (nbgrader would read a number as partial credit).
            cell.outputs = [o for o in cell.outputs if o.output_type != "execute_result"]
            notes.append({"count": cell.get("execution_count"), "kind": "result displayed in a test cell",
                          "detail": "removed: nbgrader would read it as partial credit", "line": None})
        errors = [o for o in cell.outputs if o.output_type == "error"]
        for out in errors:
            # IPython shows the lines around a failing assert: the appended line may be one of them.
            out.traceback = ["\n".join(line for line in str(entry).split("\n") if "__vae_guard__" not in line)
                             for entry in out.get("traceback", [])]
        for out in errors:
            if out.ename == ERROR_NAME:
                out.traceback = [f"{ERROR_NAME}: {out.evalue}"]
                return out.evalue, notes
            if prologue_error and "__vae_guard__" in str(out.get("evalue", "")):
                message = f"{UNCONFIRMED}: the grader's integrity guard failed to start; tell your instructor"
                cell.outputs = [_error(message)]
                return message, notes
        if errors:
            return None, notes  # an ordinary failure: the cell scores 0 already
        if once:
            return None, notes
        why = ("its confirmation was printed more than once" if count > 1 else
               "its confirmation never appeared (an exception was hidden, the cell's code was changed, or its "
               "output was intercepted)")
        message = f"{UNCONFIRMED}: {why}"
        cell.outputs.insert(0, _error(message))
        return message, notes
