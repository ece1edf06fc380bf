"""The course in JupyterLab 4 (tools/labcompat.py, issue 14): notebooks that open clean, stubs that
name their function, the guide cell, the exchange and a local MathJax for the grading pages."""

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools import labcompat
from tools import notebooks as nbs

ROOT = nbs.REPO_ROOT


@pytest.mark.parametrize("path", labcompat.course_notebooks(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_notebook_has_the_metadata_jupyterlab_writes(path):
    nb = nbs.load(path)
    assert labcompat.incomplete_metadata(nb) == [], (
        f"{path.relative_to(ROOT)} would be marked modified when it opens: run python -m tools.labcompat "
        f"(source/, notebooks/) and python -m tools.release")


def test_normalize_metadata_writes_what_the_kernel_reports():
    nb = {"metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
                       "language_info": {"name": "python"}}}
    assert labcompat.incomplete_metadata(nb)
    assert labcompat.normalize_metadata(nb, version="3.11.4") is True
    assert labcompat.incomplete_metadata(nb) == []
    assert nb["metadata"]["language_info"]["version"] == "3.11.4"
    assert labcompat.normalize_metadata(nb, version="3.11.4") is False
    # The kernel's own report, key by key (what JupyterLab compares with the stored metadata).
    from jupyter_client.manager import start_new_kernel
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        reported = kc.kernel_info(reply=True, timeout=60)["content"]["language_info"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert reported == labcompat.language_info()


def test_release_keeps_the_version_the_source_was_stamped_with():
    # The student version must not depend on the machine that generates it (release/ is committed
    # and a test compares it with a fresh generate_assignment).
    nb = nbformat.from_dict({"cells": [], "metadata": {"kernelspec": dict(labcompat.KERNELSPEC),
                                                       "language_info": labcompat.language_info("3.11.2")},
                             "nbformat": 4, "nbformat_minor": 5})
    out, _ = labcompat.NormalizeMetadata().preprocess(nb, {})
    assert out["metadata"]["language_info"] == labcompat.language_info("3.11.2")
    bare = nbformat.from_dict({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    out, _ = labcompat.NormalizeMetadata().preprocess(bare, {})
    assert out["metadata"]["language_info"] == labcompat.language_info()


def test_stubs_name_the_function_to_write():
    source = "def elbo(x, z):\n    # YOUR CODE HERE\n    raise NotImplementedError()\n\n" \
             "class Net:\n    def forward(self, x):\n        raise NotImplementedError()\n\n" \
             "answer = None\nraise NotImplementedError()"
    named = labcompat.name_stubs(source)
    assert "raise NotImplementedError('elbo() is not written yet: replace this line with your code')" in named
    assert "        raise NotImplementedError('forward() is not written yet" in named
    assert named.splitlines()[-1] == ("raise NotImplementedError('this exercise is not written yet: replace "
                                      "this line with your code')")
    assert "raise NotImplementedError()" not in named


@pytest.mark.parametrize("assignment", nbs.assignments())
def test_release_stubs_say_which_function(assignment):
    release = nbs.load(nbs.release_notebook(assignment))
    for cell in release["cells"]:
        if cell["cell_type"] == "code" and nbs.is_solution(cell):
            text = nbs.source_text(cell)
            assert "raise NotImplementedError()" not in text, f"{nbs.grade_id(cell)}: a bare stub"
            assert "is not written yet" in text, f"{nbs.grade_id(cell)}: no named stub"


@pytest.mark.parametrize("assignment", nbs.assignments())
def test_every_assignment_tells_how_to_read_tests_and_validate(assignment):
    for path in (nbs.source_notebook(assignment), nbs.release_notebook(assignment)):
        nb = nbs.load(path)
        assert labcompat.has_guide_cell(nb), (
            f"{path.relative_to(ROOT)} lacks the cell '{labcompat.GUIDE_HEADING}': "
            f"python -m tools.labcompat adds it")
        index = next(i for i, c in enumerate(nb["cells"]) if labcompat.GUIDE_HEADING in nbs.source_text(c))
        assert nbs.source_text(nb["cells"][index]) == labcompat.GUIDE_TEXT, "old guide text: python -m tools.labcompat"
        assert index <= 2, f"{path.relative_to(ROOT)}: the guide cell should follow the title (cell {index})"


def test_ensure_guide_cell_is_idempotent():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# Title")])
    assert labcompat.ensure_guide_cell(nb) is True and labcompat.ensure_guide_cell(nb) is False
    assert [labcompat.GUIDE_HEADING in c.source for c in nb.cells] == [False, True]
    nb.cells[1].source = labcompat.GUIDE_HEADING + "\n\nold text"
    assert labcompat.ensure_guide_cell(nb) is True and nb.cells[1].source == labcompat.GUIDE_TEXT
    assert len(nb.cells) == 2


def test_course_config_sets_exchange_stubs_and_metadata(tmp_path):
    """nbgrader_config.py, loaded as nbgrader loads it."""
    from traitlets.config import Config
    config = Config()
    namespace = {"get_config": lambda: config, "__file__": str(ROOT / "nbgrader_config.py")}
    exec(compile((ROOT / "nbgrader_config.py").read_text(), "nbgrader_config.py", "exec"), namespace)
    steps = config.GenerateAssignment.preprocessors
    assert labcompat.NamedStubs in steps and steps[-1] is labcompat.NormalizeMetadata
    assert config.Exchange.root == str(ROOT / "exchange") and (ROOT / "exchange").is_dir()
    if labcompat.local_mathjax_dir() is None:
        assert "mathjax_url" not in config.HTMLExporter
    else:
        assert config.HTMLExporter.mathjax_url == "/static/mathjax/MathJax.js" + labcompat.MATHJAX_CONFIG


def test_mathjax_urls(monkeypatch, tmp_path):
    monkeypatch.setenv("VAE_COURSE_MATHJAX", str(tmp_path / "none"))
    monkeypatch.setattr(labcompat, "DEBIAN_MATHJAX", tmp_path / "missing")
    assert labcompat.mathjax_url() is None and labcompat.server_config() == {}
    folder = tmp_path / "mathjax"
    folder.mkdir()
    (folder / "MathJax.js").write_text("// MathJax")
    monkeypatch.setenv("VAE_COURSE_MATHJAX", str(folder))
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/ada/")
    assert labcompat.mathjax_url() == "/user/ada/static/mathjax/MathJax.js" + labcompat.MATHJAX_CONFIG
    monkeypatch.setenv("VAE_COURSE_MATHJAX_URL", "/services/mathjax/MathJax.js")  # the course hub's
    assert labcompat.mathjax_url() == "/services/mathjax/MathJax.js" + labcompat.MATHJAX_CONFIG
    monkeypatch.delenv("VAE_COURSE_MATHJAX_URL")
    assert labcompat.file_mathjax_url().startswith("file://") and "MathJax.js" in labcompat.file_mathjax_url()
    config = tmp_path / "prefix" / "etc" / "jupyter" / "jupyter_server_config.json"
    config.parent.mkdir(parents=True)
    config.write_text(json.dumps({"ServerApp": {"port": 9999}}))
    for _ in range(2):  # merged with what is there, idempotent
        assert labcompat.write_server_config(tmp_path / "prefix") == config
    assert json.loads(config.read_text()) == {"ServerApp": {"port": 9999, "extra_static_paths": [str(tmp_path)]}}
    monkeypatch.setenv("VAE_COURSE_MATHJAX", "cdn")  # the opt-out
    assert labcompat.mathjax_url() is None and labcompat.file_mathjax_url() is None


@pytest.mark.skipif(labcompat.local_mathjax_dir() is None, reason="no local MathJax (apt-get install libjs-mathjax)")
def test_feedback_html_loads_the_local_mathjax(tmp_path):
    """The HTML exporter, configured by the course, points at the local MathJax, not a CDN."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("$x^2$")])
    path = tmp_path / "f.ipynb"
    nbformat.write(nb, path)
    script = (
        "import sys; from traitlets.config import Config; from nbconvert import HTMLExporter\n"
        "c = Config(); ns = {'get_config': lambda: c, '__file__': sys.argv[1]}\n"
        "exec(open(sys.argv[1]).read(), ns)\n"
        "print(HTMLExporter(config=c).from_filename(sys.argv[2])[0])\n")
    html = subprocess.run([sys.executable, "-c", script, str(ROOT / "nbgrader_config.py"), str(path)],
                          capture_output=True, text=True, check=True, cwd=ROOT).stdout
    assert 'src="/static/mathjax/MathJax.js' in html and "cdnjs" not in html.split("MathJax.js")[0][-200:]
    assert Path(labcompat.local_mathjax_dir(), "MathJax.js").is_file()
