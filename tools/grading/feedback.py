"""Feedback without the hidden tests.

The autograded notebook nbgrader renders as feedback holds every test cell as the gradebook
stored it, i.e. *with* the ``### BEGIN/END HIDDEN TESTS`` regions (nbgrader's SaveCells runs
before ClearHiddenTests in generate_assignment), and its error outputs are IPython tracebacks that
quote the failing hidden line (nbgrader issues #917, #1363). ``HideHiddenTests`` (in
``GenerateFeedback.preprocessors``) keeps, for each test cell, the visible tests as written and
whether it passed with its points (nbgrader's own feedback header), and replaces:

- each hidden region by one comment line saying that hidden tests ran there;
- every traceback of a test cell by its last line, ``ExceptionType: message`` (the message the
  test's author wrote; no source line, no frame);
- the other outputs of a test cell with hidden tests (printed text, results, displays, which may
  show reference values) by a note;
- the traceback of any other cell when it quotes a hidden line (a later cell calling something a
  hidden test defined) by its last line, too.

``FeedbackExporter`` (``GenerateFeedback.exporter_class``) makes the feedback page load MathJax from
``HTMLExporter.mathjax_url`` (the local MathJax the course configures): nbgrader's feedback template
calls nbconvert's ``mathjax()`` macro without an argument, i.e. always the CDN, so offline every
formula stayed raw LaTeX.
"""

from __future__ import annotations

import re

from nbconvert.exporters import HTMLExporter
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def strip_hidden(source: str, note: str) -> tuple[str, bool]:
    """``source`` without its hidden regions (markers included); each region becomes ``note``,
    indented like its marker. An unclosed region runs to the end of the cell."""
    out, hidden, found = [], False, False
    for line in source.splitlines(keepends=True):
        if not hidden and BEGIN in line:
            hidden = found = True
            indent = line[:len(line) - len(line.lstrip())]
            out.append(f"{indent}{note}\n")
        elif hidden:
            if END in line:
                hidden = False
        else:
            out.append(line)
    return "".join(out), found


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def hidden_lines(source: str) -> set[str]:
    """The stripped, non-trivial lines inside the hidden regions of ``source``."""
    lines, hidden = set(), False
    for line in source.splitlines():
        if BEGIN in line:
            hidden = True
        elif END in line:
            hidden = False
        elif hidden and len(line.strip()) >= 8:
            lines.add(line.strip())
    return lines


def _is_test(cell) -> bool:
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


def _error_line(output) -> str:
    return f"{output.get('ename', 'Error')}: {output.get('evalue', '')}".rstrip(": ") or "Error"


class HideHiddenTests(NbGraderPreprocessor):
    """Strip hidden tests, tracebacks and hidden-test outputs from test cells in feedback."""

    note = Unicode("# (hidden tests ran here; they are not shown)",
                   help="What replaces a hidden-test region in the feedback.").tag(config=True)
    output_note = Unicode("(output of a cell with hidden tests: not shown)").tag(config=True)

    def preprocess(self, nb, resources):
        secret = set().union(*(hidden_lines(c.source) for c in nb.cells if _is_test(c)))
        shown = {line.strip() for c in nb.cells if c.cell_type == "code"
                 for line in strip_hidden(c.source, "")[0].splitlines()}
        self._secret = secret - shown  # a line also written in visible code is no secret
        return super().preprocess(nb, resources)

    def _short_error(self, output) -> NotebookNode:
        return NotebookNode(output_type="error", ename=output.get("ename", "Error"),
                            evalue=output.get("evalue", ""), traceback=[_error_line(output)])

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if not _is_test(cell):
            for i, output in enumerate(cell.get("outputs", [])):
                if output.output_type == "error":
                    text = ANSI.sub("", "\n".join(output.get("traceback", [])))
                    if any(line in text for line in self._secret):
                        cell.outputs[i] = self._short_error(output)
            return cell, resources
        cell.source, had_hidden = strip_hidden(cell.source, self.note)
        outputs = []
        for output in cell.get("outputs", []):
            if output.output_type == "error":
                outputs.append(self._short_error(output))
            elif not had_hidden:
                outputs.append(output)
        if had_hidden and len(outputs) < len(cell.get("outputs", [])):
            outputs.insert(0, NotebookNode(output_type="stream", name="stdout", text=self.output_note + "\n"))
        cell.outputs = outputs
        return cell, resources


# --- MathJax in the feedback page ---------------------------------------------------------------------
#: nbconvert's ``mathjax()`` macro, called without a URL (nbgrader's feedback and formgrade templates).
CDN_MATHJAX = re.compile(r'<script src="https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/[^"]*">')


def use_mathjax(page: str, url: str) -> str:
    """``page`` with its CDN MathJax script replaced by ``url``."""
    return CDN_MATHJAX.sub(lambda _: f'<script src="{url}">', page)


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback exporter (HTML, its ``feedback`` template), with MathJax from
    ``HTMLExporter.mathjax_url`` rather than always from the CDN."""

    def from_notebook_node(self, nb, resources=None, **kw):
        output, resources = super().from_notebook_node(nb, resources, **kw)
        if self.mathjax_url != HTMLExporter.mathjax_url.default_value:
            output = use_mathjax(output, self.mathjax_url)
        return output, resources
