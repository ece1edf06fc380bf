"""The course on JupyterHub (issue 22): a class on one server, from release to returned feedback.

One hub (``tools/hub.py``, ``deploy/jupyterhub/``), as ``make hub`` starts it, on a free localhost port
in ``/tmp/vae-course-hub-test``, with accounts named ``vct-*`` (a crashed run's are deleted first; every
account, server and file is removed at the end). Two tests on it:

* **end to end in a real browser** (Playwright and Debian's Chromium, as tests/test_browser.py): the
  instructor generates and releases 01_elbo in the formgrader; three students log in, fetch it from the
  Assignment List, open it (not marked modified), fill it (the solution; a wrong ``kl_normal`` from the
  mutation catalogue; ``posterior_linear_gaussian`` left blank), Validate (the solution's report is
  clean) and submit (the first student twice: the later submission is graded); the instructor collects,
  autogrades (tools.hub.AUTOGRADE), sees the three scores in the formgrader, grades a written answer by
  hand (its page's formulas typeset by the hub's MathJax), generates and releases feedback; each student
  fetches their feedback (their score, their messages, no hidden test, formulas typeset offline by the
  hub's MathJax, no raw LaTeX); no student can open another's server or the formgrader (in the browser)
  or read another's work or feedback, source/, the gradebook or autograded/, or list the exchange's
  inboxes (in a shell as that student, and in the terminal of their JupyterLab, typed in the browser).
  Screenshots in ``screenshots/test_hub/``.
* **load**: 30 students' servers start at once; the 30 fetch and submit at the same time through the
  hub's REST endpoints of nbgrader's server extension; every submission is collected, none lost or
  mixed up; the hub answers throughout (the slowest request is printed and written to
  ``screenshots/test_hub/load.json``).

Needs root, JupyterHub, Node.js and configurable-http-proxy (``make hub-setup``), and for the browser
test Playwright and Chromium (``make browser``); without them the tests are skipped with a message
(``VAE_COURSE_REQUIRE_HUB=1``, as in CI, makes that a failure).
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tools import hub as hubmod
from tools import notebooks as nbs

ROOT = nbs.REPO_ROOT
HUB_ROOT = Path("/tmp/vae-course-hub-test")
PREFIX = "vct-"
E2E = [f"{PREFIX}student{i}" for i in (1, 2, 3)]
LOAD = [f"{PREFIX}load{i:02d}" for i in range(1, 31)]
ASSIGNMENT = "01_elbo"
LOAD_ASSIGNMENT = "02_reparameterization"
SHOTS = Path(os.environ.get("VAE_COURSE_SCREENSHOTS") or ROOT / "screenshots") / "test_hub"
TIMEOUT_MS = 180_000
REQUIRE = os.environ.get("VAE_COURSE_REQUIRE_HUB") == "1"


def _missing_or_skip(what: str) -> None:
    message = f"hub test skipped: {what}"
    if REQUIRE:
        pytest.fail(message + " (VAE_COURSE_REQUIRE_HUB=1: CI insists)")
    pytest.skip(message)


@pytest.fixture(scope="module")
def hub():
    missing = hubmod.hub_requirements()
    if missing:
        _missing_or_skip("; ".join(missing) + " (make hub-setup)")
    # What a crashed run left: its hub, its accounts, its folder.
    if HUB_ROOT.exists():
        hubmod.Hub(root=HUB_ROOT, prefix=PREFIX).stop(timeout=20)
    for name in hubmod.accounts_with_prefix(PREFIX):
        hubmod.delete_account(name)
    shutil.rmtree(HUB_ROOT, ignore_errors=True)
    data = os.environ.get("VAE_COURSE_DATA")
    instance = hubmod.Hub(root=HUB_ROOT, prefix=PREFIX, port=hubmod.free_port(), students=E2E + LOAD,
                          expose_app=True, data=Path(data) if data else None)
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        started = time.monotonic()
        instance.setup()
        instance.start()
        print(f"hub set up and started in {time.monotonic() - started:.0f} s")
        yield instance
    finally:
        log = instance.log_tail(200_000)
        (SHOTS / "jupyterhub.log").write_text(log)
        instance.remove()
        left = hubmod.accounts_with_prefix(PREFIX)
        assert not left, f"accounts left behind: {left}"
        assert not HUB_ROOT.exists()


# --- notebooks: what each student writes ----------------------------------------------------------

def _solution_text(cell: dict) -> str:
    text = nbs.source_text(cell)
    if cell["cell_type"] == "markdown":  # a written answer: the model answer, without its rubric
        return text.split("**Rubric")[0].strip()
    return "\n".join(line for line in text.splitlines() if "### BEGIN SOLUTION" not in line
                     and "### END SOLUTION" not in line)


def _mutant(name: str):
    import importlib.util
    spec = importlib.util.spec_from_file_location("a01_elbo", ROOT / "tests" / "mutants" / "a01_elbo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return next(m for m in module.MUTANTS if m.name == name)


WRONG = "kl_missing_half"          # student 2: kl_normal without its 1/2
BLANK = "posterior_linear_gaussian"  # student 3 leaves this exercise as handed out


def _fills(released: dict, plan: str) -> dict[int, str]:
    """Cell index -> new source: every exercise and written answer with the solution, except what the
    plan changes ('solution', 'wrong' or 'blank')."""
    source = nbs.load(ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    by_id = {c["metadata"]["nbgrader"]["grade_id"]: c for c in source["cells"]
             if c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    fills = {}
    for index, cell in enumerate(released["cells"]):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id not in by_id:
            continue
        if plan == "blank" and grade_id == BLANK:
            continue
        if plan == "wrong" and grade_id == _mutant(WRONG).cell:
            fills[index] = _mutant(WRONG).code.strip()
        else:
            fills[index] = _solution_text(by_id[grade_id])
    return fills


def _points(grade_ids) -> float:
    points = nbs.autograded_points(nbs.load(ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"))
    return float(sum(points[g] for g in grade_ids))


def _manual_points() -> float:
    source = nbs.load(ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    return float(sum(nbs.points(c) for c in source["cells"] if nbs.is_grade(c) and c["cell_type"] == "markdown"))


def _hidden_lines() -> list[str]:
    """Distinctive lines of the hidden tests of 01_elbo (none may reach a student's feedback)."""
    lines, hidden = [], False
    for cell in nbs.load(ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")["cells"]:
        for line in nbs.source_text(cell).splitlines():
            if "BEGIN HIDDEN TESTS" in line:
                hidden = True
            elif "END HIDDEN TESTS" in line:
                hidden = False
            elif hidden and len(line.strip()) > 40:
                lines.append(line.strip())
    # a line a visible test also has (the student sees it anyway) is no leak
    released = "\n".join(nbs.source_text(c) for c in
                         nbs.load(ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")["cells"])
    return [line for line in lines if line not in released]


def _markdown_only_latex() -> list[str]:
    """LaTeX commands (``\\frac``...) that 01_elbo's text has only inside formulas (``$...$``): none
    may be visible in a feedback page once MathJax has typeset it."""
    cells = nbs.load(ROOT / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")["cells"]
    text = "\n".join(nbs.source_text(c) for c in cells if c["cell_type"] == "markdown")
    source = nbs.load(ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")["cells"]  # the solutions too
    code = "\n".join(nbs.source_text(c) for c in cells + source if c["cell_type"] == "code")
    math = re.compile(r"\$\$.+?\$\$|\$.+?\$", re.S)
    command = re.compile(r"\\[a-zA-Z]{3,}")
    inside = {m for formula in math.findall(text) for m in command.findall(formula)}
    return sorted(inside - set(command.findall(math.sub("", text))) - set(command.findall(code)))


# --- the browser ---------------------------------------------------------------------------------------

def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _js(page, body: str, arg=None):
    return page.evaluate(f"async (arg) => {{ const app = window.jupyterapp; const panel = app.shell.currentWidget;"
                         f" const nb = panel && panel.content; {body} }}", arg)


def _login(browser, hub, user: str, url: str):
    """A browser context of its own for ``user``: the hub's login page, then ``url``."""
    context = browser.new_context(viewport={"width": 1400, "height": 950})
    context.set_default_timeout(TIMEOUT_MS)

    def localhost_only(route):  # an offline classroom: nothing but the hub
        if route.request.url.startswith(hub.url):
            route.continue_()
        else:
            route.abort()

    context.route("**/*", localhost_only)
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#username_input")
    page.fill("#username_input", user)
    page.fill("#password_input", hub.passwords()[user])
    page.click("#login_submit")
    return context, page


def _wait_lab(page) -> None:
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=TIMEOUT_MS * 2)
    page.wait_for_selector("#jp-main-dock-panel")
    _js(page, "await app.restored;")


def _assignment_list(page):
    _js(page, "await app.commands.execute('nbgrader:open-assignment-list');")
    page.wait_for_selector("#released_assignments_list")
    for part in ("released", "fetched", "submitted"):
        page.wait_for_selector(f"#{part}_assignments_list_loading", state="hidden")


def _open_notebook(page, path: str) -> None:
    _js(page, "await app.commands.execute('docmanager:open', {path: arg, factory: 'Notebook'});", path)
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook .jp-Cell")
    page.wait_for_function("() => { const p = window.jupyterapp.shell.currentWidget;"
                           " return p && p.sessionContext && p.sessionContext.session?.kernel; }")
    _js(page, "await panel.context.ready; await panel.sessionContext.ready;"
              " await panel.sessionContext.session.kernel.info;")
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.sessionContext.kernelDisplayStatus"
                           " === 'idle' && window.jupyterapp.shell.currentWidget.model.getMetadata('language_info')")


def _fill_and_save(page, fills: dict[int, str]) -> None:
    _js(page, "for (const [i, code] of Object.entries(arg)) nb.widgets[Number(i)].model.sharedModel.setSource(code);"
              " await app.commands.execute('docmanager:save');", {str(k): v for k, v in fills.items()})
    page.wait_for_function("() => !window.jupyterapp.shell.currentWidget.context.model.dirty")


def _validate(page) -> str:
    page.click(".validate-button")
    dialog = page.locator(".jp-Dialog")
    dialog.wait_for(state="visible", timeout=600_000)
    page.wait_for_function("() => { const h = document.querySelector('.jp-Dialog .jp-Dialog-header');"
                           " return h && /Validat/.test(h.textContent) && !/Validating/.test(h.textContent); }",
                           timeout=600_000)
    return dialog.inner_text()


def _close_dialog(page) -> None:
    page.locator(".jp-Dialog button").last.click()
    page.locator(".jp-Dialog").wait_for(state="detached")


def _submissions(page) -> int:
    return page.locator("#submitted_assignments_list .nested_list_item").count()  # one per hand-in


def _submit(page) -> None:
    _assignment_list(page)
    before = _submissions(page)
    page.locator("#fetched_assignments_list button", has_text="Submit").first.click()
    page.wait_for_function(
        "(n) => document.querySelectorAll('#submitted_assignments_list .nested_list_item').length > n",
        arg=before, timeout=TIMEOUT_MS)


def _formgrader(page, hub, path: str) -> None:
    page.goto(f"{hub.url}/services/{hubmod.COURSE_ID}/formgrader/{path}")
    page.wait_for_load_state("networkidle")


def _assignment_action(page, column: str, modal_text: str | None = None) -> str:
    """Click the formgrader's button in ``column`` of 01_elbo's row; return the success modal's text."""
    row = page.locator("tr", has=page.locator("td.name", has_text=ASSIGNMENT))
    row.locator(f"td.{column} a").click()
    modal = page.locator("#success-modal, #error-modal").first
    modal.wait_for(state="visible", timeout=600_000)
    text = modal.inner_text()
    assert page.locator("#error-modal").count() == 0, text[-3000:]
    page.locator("#success-modal .modal-footer button").first.click()
    page.locator("#success-modal").wait_for(state="detached")
    page.wait_for_load_state("networkidle")
    return text


# --- the end-to-end test ------------------------------------------------------------------------------

def test_class_on_the_hub_in_a_browser(hub):
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing_or_skip("Playwright for Python is not installed (make browser)")
    from test_browser import _chromium  # the same Chromium as the browser test
    if _chromium() is None:
        _missing_or_skip("no Chromium (make browser: apt-get install chromium)")
    for old in SHOTS.glob("*.png"):
        old.unlink()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=["--no-sandbox", "--disable-gpu"])
        pages = {}
        try:
            _class(browser, hub, pages)
        except Exception:
            for name, page in pages.items():
                try:
                    _shot(page, f"failure_{name}")
                except Exception:  # noqa: BLE001, S110 (best effort: the failure itself is what counts)
                    pass
            raise
        finally:
            browser.close()


def _class(browser, hub, pages):
    course = hub.course_dir
    fg = f"{hub.url}/services/{hubmod.COURSE_ID}"
    timings = {}

    # 1. The instructor generates and releases 01_elbo in the formgrader (the course service).
    started = time.monotonic()
    _, teacher = _login(browser, hub, hub.instructor, f"{fg}/lab")
    pages["instructor"] = teacher
    _wait_lab(teacher)
    _js(teacher, "await app.commands.execute('nbgrader:open-formgrader');")
    frame = teacher.frame_locator("iframe").first
    frame.locator("table").first.wait_for()  # the formgrader loads inside JupyterLab (not a blank frame)
    assert "encountered an error" not in frame.locator("body").inner_text()
    _shot(teacher, "1a_instructor_formgrader_in_jupyterlab")
    _formgrader(teacher, hub, "manage_assignments")
    _assignment_action(teacher, "assign")
    _assignment_action(teacher, "release")
    row = teacher.locator("tr", has=teacher.locator("td.name", has_text=ASSIGNMENT))
    assert "released" in row.locator("td.status").inner_text()
    _shot(teacher, "1b_instructor_generated_and_released")
    timings["release"] = time.monotonic() - started

    # 2. Three students: fetch, open (not modified), fill, Validate, submit.
    plans = dict(zip(E2E, ("solution", "wrong", "blank"), strict=True))
    notebook = f"vae-course/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    reports = {}
    for number, (student, plan) in enumerate(plans.items(), start=1):
        started = time.monotonic()
        _, page = _login(browser, hub, student, f"{hub.url}/hub/")
        pages[student] = page
        _wait_lab(page)
        _assignment_list(page)
        released = page.locator("#released_assignments_list .list_item", has_text=ASSIGNMENT)
        released.locator("button", has_text="Fetch").click()
        page.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).first.wait_for()
        _shot(page, f"2{number}a_{plan}_fetched")
        _open_notebook(page, notebook)
        tab = page.locator(".lm-TabBar-tab.jp-mod-current[data-type='document-title']")
        assert "jp-mod-dirty" not in (tab.get_attribute("class") or ""), "the fetched notebook opened modified"
        assert not _js(page, "return panel.context.model.dirty;"), "the fetched notebook became dirty on opening"
        _shot(page, f"2{number}b_{plan}_opened")
        mine = nbs.load(hub.home(student) / notebook)
        if plan == "solution":  # first hand-in with the wrong kl_normal, then the fixed one
            _fill_and_save(page, _fills(mine, "wrong"))
            _submit(page)
            _open_notebook(page, notebook)
            time.sleep(1.1)  # a later timestamp
        _open_notebook(page, notebook)
        _fill_and_save(page, _fills(mine, plan))
        report = reports[student] = _validate(page)
        _shot(page, f"2{number}c_{plan}_validate")
        _close_dialog(page)
        if plan == "solution":
            assert "Success! Your notebook passes all the tests." in report, report[:3000]
            assert "ERROR" not in report and "timeout" not in report.lower() and "Timeout" not in report, report[:3000]
        elif plan == "wrong":
            assert "1/2" in report or "failed" in report.lower(), report[:3000]
        else:
            assert f"{BLANK}() is not written yet" in report, report[:3000]
        _submit(page)
        _shot(page, f"2{number}d_{plan}_submitted")
        timings[student] = time.monotonic() - started
    assert _submissions(pages[E2E[0]]) == 2

    # 3. The instructor collects, autogrades, sees the scores, grades a written answer, releases feedback.
    started = time.monotonic()
    _formgrader(teacher, hub, "manage_assignments")
    _assignment_action(teacher, "collect")
    for student in E2E:
        assert (course / "submitted" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").exists(), student
    hub.autograde(ASSIGNMENT)
    timings["autograde"] = time.monotonic() - started
    source = nbs.load(ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    full = _points(nbs.autograded_points(source))
    exercises = nbs.exercise_tests(source)
    cells = {student: _cell_scores(hub, student) for student in E2E}
    lost = {student: {g for g, (score, top) in cells[student].items() if score < top} for student in E2E}
    assert not lost[E2E[0]], f"the solution (handed in second) lost points on {lost[E2E[0]]}"
    assert set(_mutant(WRONG).fails) <= lost[E2E[1]] <= set(exercises[_mutant(WRONG).cell]), lost[E2E[1]]
    assert lost[E2E[2]] == set(exercises[BLANK]), lost[E2E[2]]  # that exercise's points, no other's
    expected = {student: full - _points(lost[student]) for student in E2E}
    assert _gradebook_scores(hub) == pytest.approx(expected)
    _formgrader(teacher, hub, f"manage_submissions/{ASSIGNMENT}")
    teacher.locator("table tbody tr", has_text=E2E[-1]).wait_for()
    for student in E2E:
        row = teacher.locator("table tbody tr", has_text=student).inner_text()
        assert f"{expected[student]:g} / {full + _manual_points():g}" in row, row
    _shot(teacher, "3a_instructor_submissions_with_scores")

    _formgrader(teacher, hub, f"gradebook/{ASSIGNMENT}/{ASSIGNMENT}")
    teacher.locator("table tbody tr a").first.click()
    teacher.wait_for_load_state("networkidle")
    # The page has loaded its grades and comments and typeset its formulas (the hub's MathJax: offline,
    # the CDN's would leave raw LaTeX and stop the page's script) before the instructor types a score.
    teacher.wait_for_function("() => window.formgrader && formgrader.loaded && formgrader.grades.loaded"
                              " && formgrader.comments.loaded && window.MathJax && MathJax.loaded === true")
    from test_browser import assert_formulas_render
    assert_formulas_render(teacher)
    answer = teacher.locator(".nbgrader_cell", has=teacher.locator("input.score")).first
    answer.locator("input.score").fill("3")
    answer.locator("input.score").press("Tab")
    answer.locator(".score-saved.glyphicon-ok").wait_for()
    comment = "Hand-graded: the Jensen step is right; say where q(z|x) > 0 is needed."
    answer.locator("textarea.comment").fill(comment)
    answer.locator("textarea.comment").press("Tab")
    answer.locator(".comment-saved.glyphicon-ok").wait_for()
    answer.scroll_into_view_if_needed()
    _shot(teacher, "3b_instructor_hand_grading")
    graded = _hand_graded_student(hub)
    assert graded in E2E, graded

    _formgrader(teacher, hub, "manage_assignments")
    _assignment_action(teacher, "generate-feedback")
    _assignment_action(teacher, "release-feedback")
    _shot(teacher, "3c_instructor_feedback_released")

    # 4. Each student fetches their feedback: their score, their messages, no hidden test.
    hidden = _hidden_lines()
    assert hidden, "01_elbo has hidden tests"
    latex = _markdown_only_latex()
    assert len(latex) >= 5, latex
    for number, (student, plan) in enumerate(plans.items(), start=1):
        page = pages[student]
        _assignment_list(page)
        page.locator("#submitted_assignments_list button", has_text="Fetch Feedback").first.click()
        page.locator("#submitted_assignments_list a", has_text="view feedback").first.wait_for()
        _shot(page, f"4{number}a_{plan}_feedback_fetched")
        files = sorted((hub.home(student) / "vae-course" / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
        assert files, f"no feedback in {student}'s home"
        relative = files[-1].relative_to(hub.home(student))
        assert f'<script src="{hubmod.MATHJAX_URL}' in files[-1].read_text(), "no hub MathJax in the feedback"
        page.goto(f"{hub.url}/user/{student}/files/{relative}")
        # Formulas render offline (the browser reaches nothing but the hub), with the hub's MathJax.
        from test_browser import assert_formulas_render  # the browser test's check of a feedback page
        assert_formulas_render(page)
        assert page.evaluate("() => [...document.scripts].map(s => s.src).filter(s => s.includes('MathJax.js'))") == [
            f"{hub.url}{hubmod.MATHJAX_URL}?config=TeX-AMS_CHTML-full,Safe"]
        text = page.inner_text("body")
        raw = [command for command in latex if command in text]
        assert not raw, f"raw LaTeX in {student}'s feedback: {raw}"
        _shot(page, f"4{number}b_{plan}_feedback")
        total = expected[student] + (3 if student == graded else 0)
        assert re.search(rf"\(Score: {total:g}(\.0)? / ", text), text[:2000]
        assert "HIDDEN TESTS" not in text
        leaked = [line for line in hidden if line in text]
        assert not leaked, f"hidden tests in {student}'s feedback: {leaked[:3]}"
        if plan == "wrong":
            assert re.search(_mutant(WRONG).message, text), "the wrong kl_normal's message is not in the feedback"
        if plan == "blank":
            assert f"{BLANK}() is not written yet" in text
        if student == graded:
            assert comment in text

    # 5. No student reads another's work, the instructor's course directory or the exchange's inbox.
    intruder, victim = E2E[1], E2E[0]
    page = pages[intruder]
    for url in (f"{hub.url}/user/{victim}/lab", f"{hub.url}/user/{victim}/files/{notebook}",
                f"{fg}/formgrader", f"{fg}/lab"):
        reply = page.goto(url)
        assert reply.status == 403 or "403" in page.inner_text("body"), (url, reply.status)
    _shot(page, "5a_student_cannot_open_another_server")
    reply = page.goto(f"{hub.url}/user/{intruder}/api/contents/..%2F{victim}")
    assert reply.status >= 400, reply.status
    feedback = sorted((hub.home(victim) / "vae-course" / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
    protected = [
        hub.home(victim) / notebook, feedback[-1],
        course / "submitted" / victim / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
        course / "autograded" / victim / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
        course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb",
        course / "gradebook.db",
        course / "feedback" / victim / ASSIGNMENT / f"{ASSIGNMENT}.html",
    ]
    inboxes = [hub.exchange / hubmod.COURSE_ID / "inbound", hub.exchange / hubmod.COURSE_ID / "feedback"]
    for path in protected:
        assert path.exists(), path
    # ... in a shell as the student (what `ssh` or `su` would give them) ...
    for path in protected:
        done = hub.as_user(intruder, ["cat", str(path)])
        assert done.returncode != 0 and "Permission denied" in done.stderr, (path, done.stdout[:200], done.stderr)
    for folder in inboxes:
        done = hub.as_user(intruder, ["ls", str(folder)])
        assert done.returncode != 0 and "Permission denied" in done.stderr, (folder, done.stdout, done.stderr)
    assert hub.as_user(intruder, ["ls", str(hub.exchange / hubmod.COURSE_ID / "outbound" / ASSIGNMENT)]).returncode == 0
    # ... and in the terminal of their own JupyterLab, typed in the browser (their server runs as them).
    lines = _terminal(page, hub, intruder, [("cat", p) for p in protected] + [("ls", f) for f in inboxes]
                      + [("ls", hub.exchange / hubmod.COURSE_ID / "outbound" / ASSIGNMENT)])
    assert lines[0] == f"USER {intruder}", lines
    for line in lines[1:-1]:
        assert line.startswith("DENIED ") and "Permission denied" in line, lines
    assert lines[-1].startswith("ALLOWED ") and lines[-1].endswith(f"outbound/{ASSIGNMENT}"), lines
    assert len(lines) == len(protected) + len(inboxes) + 2, lines
    _assignment_list(page)
    assert _submissions(page) == 1, "a student's Assignment List shows another's submission"
    (SHOTS / "timings.json").write_text(json.dumps({k: round(v, 1) for k, v in timings.items()}, indent=1))
    print("hub end-to-end timings (s): " + json.dumps({k: round(v) for k, v in timings.items()}))


def _terminal(page, hub, user: str, attempts: list[tuple[str, Path]]) -> list[str]:
    """Type, in a new terminal of ``user``'s JupyterLab, a command for each (command, path) that
    reports ALLOWED or DENIED (with the error); return the lines it wrote (first: USER <whoami>)."""
    page.goto(f"{hub.url}/user/{user}/lab")
    _wait_lab(page)
    _js(page, "await app.commands.execute('terminal:create-new');")
    page.wait_for_function("() => { const w = window.jupyterapp.shell.currentWidget; const s = w?.content?.session;"
                           " return s && s.connectionStatus === 'connected'; }")
    page.locator(".jp-Terminal:visible .xterm-screen").click()
    out = f"isolation-{int(time.time())}.txt"
    tries = "; ".join(
        f'for p in {" ".join(shlex.quote(str(path)) for c, path in attempts if c == command)};'
        f' do r=$({command} "$p" 2>&1 >/dev/null) && echo "ALLOWED $p" || echo "DENIED $p: $r"; done >> {out}'
        for command in dict.fromkeys(c for c, _ in attempts))
    page.keyboard.type(f"cd ~ && echo USER $(whoami) > {out}; {tries}; echo END >> {out}; cat {out}\n")
    result = hub.home(user) / out
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while not (result.exists() and result.read_text().endswith("END\n")):
        assert time.monotonic() < deadline, "the terminal did not run the commands"
        time.sleep(0.5)
    _shot(page, "5b_student_terminal_permission_denied")
    lines = result.read_text().splitlines()
    result.unlink()
    assert lines[-1] == "END", lines
    return lines[:-1]


def _gradebook_scores(hub) -> dict[str, float]:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{hub.course_dir / 'gradebook.db'}") as gb:
        return {s.student.id: float(s.code_score) for s in gb.assignment_submissions(ASSIGNMENT)}


def _cell_scores(hub, student: str) -> dict[str, tuple[float, float]]:
    """grade_id -> (score, max) of ``student``'s auto-graded cells of 01_elbo, from the gradebook."""
    from nbgrader.api import Gradebook
    auto = set(nbs.autograded_points(nbs.load(ROOT / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")))
    with Gradebook(f"sqlite:///{hub.course_dir / 'gradebook.db'}") as gb:
        notebook = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, student)
        return {g.name: (float(g.score), float(g.max_score)) for g in notebook.grades if g.name in auto}


def _hand_graded_student(hub) -> str | None:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{hub.course_dir / 'gradebook.db'}") as gb:
        for submission in gb.assignment_submissions(ASSIGNMENT):
            for notebook in submission.notebooks:
                if any(g.manual_score is not None and float(g.manual_score) == 3.0 for g in notebook.grades):
                    return submission.student.id
    return None


# --- load: 30 students at once through the REST endpoints ---------------------------------------------

def test_thirty_students_fetch_and_submit_at_once(hub):
    import requests

    hub.as_course(["nbgrader", "generate_assignment", LOAD_ASSIGNMENT, "--force"], check=True, timeout=600)
    hub.as_course(["nbgrader", "release_assignment", LOAD_ASSIGNMENT, "--force"], check=True, timeout=600)
    tokens = {u: hub.api("POST", f"/users/{u}/tokens", {"expires_in": 3600, "note": "load test",
                                                               "scopes": [f"access:servers!user={u}"]})["token"]
              for u in LOAD}
    started = time.monotonic()
    # All 30 servers start at once: the hub answers a spawn request when the server is up (or after
    # 10 s), so the requests go out together (start_timeout 300 s).
    with ThreadPoolExecutor(max_workers=len(LOAD)) as pool:
        list(pool.map(lambda user: hub.api("POST", f"/users/{user}/server", timeout=400), LOAD))
    deadline = time.monotonic() + 600
    while True:
        users = {u["name"]: u for u in hub.api("GET", "/users?limit=200")}
        waiting = [u for u in LOAD if not users[u].get("servers", {}).get("", {}).get("ready")]
        if not waiting:
            break
        assert time.monotonic() < deadline, f"servers not ready after 600 s: {waiting}\n{hub.log_tail()}"
        time.sleep(0.5)
    spawn_time = time.monotonic() - started

    latencies: dict[str, list[float]] = {"fetch": [], "read": [], "write": [], "submit": [], "hub": []}
    failures: list[str] = []
    lock = threading.Lock()
    running = threading.Event()
    running.set()

    def timed(kind, call):
        t0 = time.monotonic()
        reply = call()
        with lock:
            latencies[kind].append(time.monotonic() - t0)
        return reply

    def probe():  # is the hub answering while the students work?
        while running.is_set():
            try:
                reply = timed("hub", lambda: requests.get(f"{hub.url}/hub/api/", timeout=60))
                if reply.status_code != 200:
                    failures.append(f"hub probe: {reply.status_code}")
            except requests.RequestException as error:
                failures.append(f"hub probe: {error}")
            time.sleep(0.2)

    barrier = threading.Barrier(len(LOAD))

    def student(user: str) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"token {tokens[user]}"
        base = f"{hub.url}/user/{user}"
        form = {"course_id": hubmod.COURSE_ID, "assignment_id": LOAD_ASSIGNMENT}
        path = f"vae-course/{LOAD_ASSIGNMENT}/{LOAD_ASSIGNMENT}.ipynb"
        try:
            barrier.wait(timeout=120)
            reply = timed("fetch", lambda: session.post(f"{base}/assignments/fetch", data=form, timeout=300))
            reply.raise_for_status()
            reply = timed("read", lambda: session.get(f"{base}/api/contents/{path}", timeout=300))
            reply.raise_for_status()
            model = reply.json()
            model["content"]["metadata"]["vae_load_test"] = {"student": user}  # whose notebook this is
            reply = timed("write", lambda: session.put(f"{base}/api/contents/{path}", timeout=300, json={
                "type": "notebook", "format": "json", "content": model["content"]}))
            reply.raise_for_status()
            reply = timed("submit", lambda: session.post(f"{base}/assignments/submit", data=form, timeout=300))
            reply.raise_for_status()
            listed = reply.json()
            assert isinstance(listed, dict) and listed.get("success"), listed
        except Exception as error:  # noqa: BLE001 (every student's failure is reported)
            with lock:
                failures.append(f"{user}: {type(error).__name__}: {error}")

    prober = threading.Thread(target=probe, daemon=True)
    prober.start()
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(LOAD)) as pool:
        list(pool.map(student, LOAD))
    load_time = time.monotonic() - started
    running.clear()
    prober.join(timeout=70)

    collected = hub.as_course(["nbgrader", "collect", LOAD_ASSIGNMENT], check=True, timeout=600)
    owners = {}
    for user in LOAD:
        path = hub.course_dir / "submitted" / user / LOAD_ASSIGNMENT / f"{LOAD_ASSIGNMENT}.ipynb"
        if path.exists():
            owners[user] = json.loads(path.read_text()).get("metadata", {}).get("vae_load_test", {}).get("student")
    with ThreadPoolExecutor(max_workers=len(LOAD)) as pool:  # stopped together, as they started
        list(pool.map(lambda user: hub.api("DELETE", f"/users/{user}/server", timeout=120), LOAD))

    slowest = {kind: round(max(values), 2) for kind, values in latencies.items() if values}
    record = {"students": len(LOAD), "servers_ready_s": round(spawn_time, 1), "fetch_and_submit_s": round(load_time, 1),
              "slowest_s": slowest, "hub_probes": len(latencies["hub"]),
              "median_s": {k: round(sorted(v)[len(v) // 2], 2) for k, v in latencies.items() if v},
              "collected": len(owners), "cpus": os.cpu_count()}
    (SHOTS / "load.json").write_text(json.dumps(record, indent=1))
    print("hub load: " + json.dumps(record))
    assert not failures, failures[:10]
    assert sorted(owners) == sorted(LOAD), (f"collected {len(owners)} of {len(LOAD)}", collected.stdout[-2000:])
    mixed = {u: o for u, o in owners.items() if o != u}
    assert not mixed, f"submissions mixed up: {mixed}"
    assert latencies["hub"] and max(latencies["hub"]) < 10, f"the hub stalled: {slowest}"
