"""Preprocessors for what cells print, between execution and the gradebook.

``NormalizeOutputs``: nbgrader 0.9.6 scores a test cell 0 when it wrote *anything* to stderr
(``utils.determine_grade``), so a correct function that makes torch emit a ``UserWarning`` loses
the cell. Here stderr text of a cell that did not raise is kept for the reader but no longer
counts as a failure; a cell that raised still has its ``error`` output and still scores 0.

``CapOutputs`` (replaces nbgrader's ``LimitOutput``, which counts lines only, so one 100 MB line
went through whole): every cell's outputs are cut to ``max_cell_chars`` characters and
``max_lines`` lines, the notebook's to ``max_notebook_chars``, with a note that says what was cut.
It never removes an output nor changes its type: an ``error`` stays an error (the cell still
scores 0), an ``execute_result`` stays one. Cuts are reported in ``reports/<assignment>/problems.md``.
"""

from __future__ import annotations

from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

from . import report

#: Metadata marking a stream that was stderr (the feedback and the reader can still tell).
STDERR_META = {"vae_course": {"stream": "stderr"}}


class NormalizeOutputs(NbGraderPreprocessor):
    """stderr output of a cell is not a failure of the cell; an exception is."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        for i, output in enumerate(cell.outputs):
            if output.output_type == "stream" and output.get("name") == "stderr":
                cell.outputs[i] = NotebookNode(output_type="display_data", metadata=STDERR_META,
                                               data={"text/plain": output.get("text", "")})
        return cell, resources


def _size(output) -> int:
    if output.output_type == "stream":
        return len(output.get("text", ""))
    if output.output_type == "error":
        return len(output.get("evalue", "")) + sum(len(line) for line in output.get("traceback", []))
    return sum(len(v) if isinstance(v, str) else len(str(v)) for v in output.get("data", {}).values())


class CapOutputs(NbGraderPreprocessor):
    """Cut outputs per cell and per notebook, by characters and lines, with a note."""

    max_cell_chars = Integer(
        100_000,
        help="Characters of output one cell keeps (text, tracebacks, images' base64 together).").tag(config=True)
    max_notebook_chars = Integer(
        5_000_000, help="Characters of output the whole notebook keeps.").tag(config=True)
    max_lines = Integer(1000, help="Lines of text one cell keeps.").tag(config=True)

    def preprocess(self, nb, resources):
        self._left = self.max_notebook_chars
        self._cuts = []
        nb, resources = super().preprocess(nb, resources)
        if self._cuts:
            assignment, student, notebook = report.where(resources)
            for cell_name, before, after in self._cuts:
                report.add(assignment, student, notebook, cell_name, "output cut",
                           f"{before:,} characters of output, {after:,} kept (CapOutputs limits in nbgrader_config.py)",
                           log=self.log)
        return nb, resources

    def _note(self, cut: int) -> str:
        return (f"\n... [{cut:,} characters of output cut here: the course keeps at most {self.max_cell_chars:,} "
                f"per cell, {self.max_lines:,} lines, {self.max_notebook_chars:,} per notebook] ...\n")

    def _cut_text(self, text: str, budget: int, keep_end: bool = False) -> tuple[str, bool]:
        lines = text.split("\n")
        if len(text) <= budget and len(lines) <= self.max_lines:
            return text, False
        if len(lines) > self.max_lines:
            lines = lines[-self.max_lines:] if keep_end else lines[:self.max_lines]
            text = "\n".join(lines)
        budget = max(budget, 0)
        kept = text[-budget:] if keep_end else text[:budget]
        if keep_end:
            return self._note(len(text) - len(kept)) + kept if budget else self._note(len(text)), True
        return kept + self._note(len(text) - len(kept)), True

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.get("outputs"):
            return cell, resources
        before = sum(_size(o) for o in cell.outputs)
        budget = min(self.max_cell_chars, self._left)
        cut_any = False
        for output in cell.outputs:
            cut = False
            if output.output_type == "stream":
                output.text, cut = self._cut_text(output.get("text", ""), budget)
            elif output.output_type == "error":
                # The message is at the end of a traceback: keep the end.
                tb, cut = self._cut_text("\n".join(output.get("traceback", [])), budget, keep_end=True)
                output.traceback = tb.split("\n")
                output.evalue, cut_value = self._cut_text(output.get("evalue", ""), max(budget, 1000))
                cut = cut or cut_value
            elif "data" in output:
                data = output.data
                if _size(output) > budget:
                    text = data.get("text/plain", "")
                    text = "\n".join(text) if isinstance(text, list) else text
                    shown, _ = self._cut_text(text, budget)
                    dropped = sorted(k for k in data if k != "text/plain")
                    note = f"\n[not shown: {', '.join(dropped)} (over the output limit)]" if dropped else ""
                    output.data = NotebookNode({"text/plain": shown + note})
                    cut = True
            budget -= _size(output)
            cut_any = cut_any or cut
        after = sum(_size(o) for o in cell.outputs)
        self._left -= after
        if cut_any:
            name = cell.metadata.get("nbgrader", {}).get("grade_id") or f"#{index}"
            self._cuts.append((name, before, after))
        return cell, resources
