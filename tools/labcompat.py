"""What the course's notebooks and pages need to behave in JupyterLab 4 (issue 14).

* **Metadata** (``normalize_metadata``, ``NormalizeMetadata``): JupyterLab writes the kernel's
  ``kernelspec`` and full ``language_info`` (its Python version included) into a notebook when a
  kernel starts; a notebook whose stored metadata differs is marked modified the moment it opens.
  The release step (``nbgrader generate_assignment``, via ``nbgrader_config.py``) and
  ``python -m tools.labcompat`` (source/ and notebooks/) write what this environment's kernel
  reports, so opening a notebook does not dirty it.
* **Named stubs** (``NamedStubs``): the ``raise NotImplementedError()`` that replaces a solution
  says which function to write.
* **Local MathJax** (``local_mathjax_dir``, ``mathjax_url``): the formgrader and feedback pages
  load MathJax 2 from Debian's ``libjs-mathjax`` when it is installed, served by the course's
  Jupyter server under ``/static/mathjax/`` (``make lab-setup`` writes that server setting).

* **The guide cell** (``ensure_guide_cell``): every assignment says, after its title, how to read
  its test cells and the Validate report, and that Validate takes a minute.

``python -m tools.labcompat`` normalises source/ and notebooks/ in place (and adds the guide cell
to assignments that lack it);
``python -m tools.labcompat --check`` lists the notebooks that would change;
``python -m tools.labcompat --student-config`` installs the students' nbgrader settings into this
environment (``write_student_config``).
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearSolutions, NbGraderPreprocessor

from . import notebooks as nbs

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


def language_info(version: str | None = None) -> dict:
    """What ipykernel reports as ``language_info`` (the kernel runs this environment's Python)."""
    if version is None:
        version = ".".join(str(part) for part in sys.version_info[:3])
    return {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
        "version": version,
    }


def normalize_metadata(nb: dict, version: str | None = None) -> bool:
    """Give ``nb`` the kernelspec and language_info JupyterLab would write; True if it changed."""
    metadata = nb.setdefault("metadata", {})
    wanted = {"kernelspec": dict(KERNELSPEC), "language_info": language_info(version)}
    changed = any(metadata.get(key) != value for key, value in wanted.items())
    metadata.update(wanted)
    return changed


def incomplete_metadata(nb: dict) -> list[str]:
    """What JupyterLab would add or change on opening ``nb`` (whatever Python 3 version runs it)."""
    metadata = nb.get("metadata", {})
    problems = []
    if metadata.get("kernelspec") != KERNELSPEC:
        problems.append(f"kernelspec is {metadata.get('kernelspec')}, JupyterLab writes {KERNELSPEC}")
    info = metadata.get("language_info", {})
    expected = language_info(str(info.get("version", "")))
    if info != expected or not re.fullmatch(r"3\.\d+\.\d+", str(info.get("version", ""))):
        problems.append(f"language_info is {info}, JupyterLab writes {language_info()}")
    return problems


class NormalizeMetadata(NbGraderPreprocessor):
    """nbgrader preprocessor (last in ``GenerateAssignment.preprocessors``): release notebooks
    carry the full kernelspec and language_info. The Python version is the one the source
    notebook was stamped with (``python -m tools.labcompat``), not this machine's, so the
    student version generated on any machine equals the committed one."""

    def preprocess(self, nb, resources):
        stamped = str(nb.get("metadata", {}).get("language_info", {}).get("version", ""))
        normalize_metadata(nb, version=stamped if re.fullmatch(r"3\.\d+\.\d+", stamped) else None)
        return nb, resources


_STUB = re.compile(r"^(?P<indent>\s*)raise NotImplementedError\(\)\s*$")
_DEF = re.compile(r"^(?P<indent>\s*)(?:async\s+)?def\s+(?P<name>\w+)\s*\(")


def stub_message(lines: list[str], index: int) -> str:
    """The message of the stub at ``lines[index]``: the enclosing function's name, if any."""
    indent = len(_STUB.match(lines[index]).group("indent"))
    for line in reversed(lines[:index]):
        found = _DEF.match(line)
        if found and len(found.group("indent")) < indent:
            return f"{found.group('name')}() is not written yet: replace this line with your code"
    return "this exercise is not written yet: replace this line with your code"


def name_stubs(source: str) -> str:
    """Turn each bare ``raise NotImplementedError()`` line into one that says what to write."""
    lines = source.split("\n")
    for index, line in enumerate(lines):
        found = _STUB.match(line)
        if found:
            lines[index] = f'{found.group("indent")}raise NotImplementedError({stub_message(lines, index)!r})'
    return "\n".join(lines)


class NamedStubs(ClearSolutions):
    """nbgrader's ClearSolutions whose stub says which function is missing:
    ``NotImplementedError: elbo() is not written yet: replace this line with your code``."""

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if cell.cell_type == "code" and "raise NotImplementedError()" in cell.source:
            cell.source = name_stubs(cell.source)
        return cell, resources


# --- How to read the tests and the Validate report -------------------------------------------------
#: The heading of the cell every assignment carries after its title (``ensure_guide_cell``).
GUIDE_HEADING = "### How to check your work: test cells and the Validate button"
GUIDE_TEXT = GUIDE_HEADING + """

* **Test cells.** Under each exercise is a cell of *visible* tests: run it after writing the function.
  It is silent when the tests pass and ends in an error whose **last line** says what is off when they
  do not. The autograder adds hidden tests, so make your code right in general, not just for these.
* **Unfinished exercises** end in `NotImplementedError: <name>() is not written yet: replace this
  line with your code`. That is expected until you write `<name>`; delete the `raise` line when you do.
* **Validate** (the button in the notebook's toolbar) runs the whole notebook in a fresh kernel, in
  quick mode, as the autograder does. It takes a minute or more, and JupyterLab does not respond
  until its report appears: click it once and wait. On a partly done notebook the report is long.
  It lists first the written answers still at `YOUR ANSWER HERE` ("You did not provide a
  response"), then one full traceback per failing cell. Read it from the top, and in each traceback
  only the **last line** (`NotImplementedError`: not written yet; `AssertionError: ...`: a test's
  message). Fix the first real failure first: later errors (a `NameError`) often follow from it.
* Before handing in: *Kernel → Restart Kernel and Run All Cells*, then Validate."""


def has_guide_cell(nb: dict) -> bool:
    return any(c["cell_type"] == "markdown" and GUIDE_HEADING in nbs.source_text(c) for c in nb["cells"])


def ensure_guide_cell(nb) -> bool:
    """Insert the guide cell after the title cell of ``nb`` (an nbformat notebook), or bring its text
    up to date; True if ``nb`` changed."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and GUIDE_HEADING in nbs.source_text(cell):
            if nbs.source_text(cell) == GUIDE_TEXT:
                return False
            cell.source = GUIDE_TEXT
            return True
    cell = nbformat.v4.new_markdown_cell(GUIDE_TEXT)
    nb.cells.insert(1, cell)
    return True


# --- MathJax without the internet ----------------------------------------------------------------
#: Where Debian's libjs-mathjax (MathJax 2.7) puts MathJax.js.
DEBIAN_MATHJAX = Path("/usr/share/javascript/mathjax")
#: The URL path the course's Jupyter server serves it under (``ServerApp.extra_static_paths``).
STATIC_PREFIX = "static/mathjax/"
MATHJAX_CONFIG = "?config=TeX-AMS_CHTML-full,Safe"


def local_mathjax_dir() -> Path | None:
    """The folder holding a local MathJax 2 (``MathJax.js``), or None. ``VAE_COURSE_MATHJAX``
    names another folder; ``VAE_COURSE_MATHJAX=cdn`` keeps the CDN (feedback files sent by e-mail
    and opened from disk, online)."""
    if os.environ.get("VAE_COURSE_MATHJAX") == "cdn":
        return None
    for folder in (os.environ.get("VAE_COURSE_MATHJAX"), DEBIAN_MATHJAX):
        if folder and (Path(folder) / "MathJax.js").is_file():
            return Path(folder)
    return None


def mathjax_url(base_url: str | None = None) -> str | None:
    """The server-relative URL of the local MathJax (for the formgrader and feedback pages, served
    by Jupyter), or None when there is none. ``base_url`` defaults to JupyterHub's
    ``JUPYTERHUB_SERVICE_PREFIX`` or ``/``. ``VAE_COURSE_MATHJAX_URL`` names a MathJax.js every
    user reaches instead (the course hub's ``/services/mathjax/MathJax.js``: feedback generated by
    the course service is read through each student's own server)."""
    if local_mathjax_dir() is None:
        return None
    if os.environ.get("VAE_COURSE_MATHJAX_URL"):
        return os.environ["VAE_COURSE_MATHJAX_URL"] + MATHJAX_CONFIG
    base = base_url or os.environ.get("JUPYTERHUB_SERVICE_PREFIX") or "/"
    return base.rstrip("/") + "/" + STATIC_PREFIX + "MathJax.js" + MATHJAX_CONFIG


def file_mathjax_url() -> str | None:
    """A ``file://`` URL of the local MathJax, for pages opened from disk (the rubric sheets)."""
    folder = local_mathjax_dir()
    return None if folder is None else (folder / "MathJax.js").as_uri() + MATHJAX_CONFIG


def server_config() -> dict:
    """Jupyter server settings that serve the local MathJax under /static/mathjax/."""
    folder = local_mathjax_dir()
    return {"ServerApp": {"extra_static_paths": [str(folder.parent)]}} if folder else {}


def write_server_config(prefix: str | Path = sys.prefix) -> Path | None:
    """Add :func:`server_config` to ``<prefix>/etc/jupyter/jupyter_server_config.json`` (merged
    with what is there), which every ``jupyter lab`` of this environment reads. Idempotent."""
    folder = local_mathjax_dir()
    if folder is None:
        return None
    if folder.name != "mathjax":  # served as static/<folder name>/
        raise ValueError(f"the local MathJax folder must be called 'mathjax', got {folder}")
    target = Path(prefix) / "etc" / "jupyter" / "jupyter_server_config.json"
    config = json.loads(target.read_text()) if target.is_file() else {}
    paths = config.setdefault("ServerApp", {}).setdefault("extra_static_paths", [])
    if str(folder.parent) not in paths:
        paths.append(str(folder.parent))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(config, indent=2) + "\n")
    return target


# --- Students' nbgrader settings --------------------------------------------------------------------
#: The nbgrader settings students need wherever they run Validate (a JupyterHub home, a copy of an
#: assignment folder): the course's time limit per cell, and a timed-out cell failing the report.
STUDENT_CONFIG = nbs.REPO_ROOT / "deploy" / "student" / "nbgrader_config.py"


def write_student_config(prefix: str | Path = sys.prefix) -> Path:
    """Install :data:`STUDENT_CONFIG` as ``<prefix>/etc/jupyter/nbgrader_config.py``, which nbgrader
    reads from any folder (before the course root's own nbgrader_config.py, which wins there).
    Idempotent; refuses to replace a different file that is not an earlier copy of ours."""
    target = Path(prefix) / "etc" / "jupyter" / "nbgrader_config.py"
    text = STUDENT_CONFIG.read_text(encoding="utf-8")
    if target.is_file():
        old = target.read_text(encoding="utf-8")
        if old == text:
            return target
        if old.split("\n", 1)[0] != text.split("\n", 1)[0]:
            raise FileExistsError(f"{target} exists and is not the course's student config: merge "
                                  f"{STUDENT_CONFIG} into it by hand")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")
    return target


def course_notebooks() -> list[Path]:
    """The notebooks students or instructors open: source/, release/ and notebooks/."""
    root = nbs.REPO_ROOT
    return sorted([*root.glob("source/*/*.ipynb"), *root.glob("release/*/*.ipynb"), *root.glob("notebooks/*.ipynb")])


def main(argv: list[str]) -> int:
    check = "--check" in argv
    if "--student-config" in argv:
        print(f"wrote {write_student_config()}")
        return 0
    if "--server-config" in argv:
        written = write_server_config()
        print(f"wrote {written}" if written else "no local MathJax (apt-get install libjs-mathjax): nothing written")
        return 0
    paths = [Path(a) for a in argv if not a.startswith("--")] or [
        p for p in course_notebooks() if "release" not in p.parts]
    changed = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        # The guide cell belongs in assignments (source/<a>/<a>.ipynb), not in companion notebooks.
        guide = path.parent.parent.name == "source" and path.stem == path.parent.name
        if (guide and ensure_guide_cell(nb)) | normalize_metadata(nb):
            changed.append(path)
            if not check:
                nbformat.write(nb, path)
    for path in changed:
        print(("would normalise " if check else "normalised ") + str(path))
    return 1 if (check and changed) else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
