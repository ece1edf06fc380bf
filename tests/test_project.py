"""The project's own files agree with each other and with the README."""

import re
import subprocess
import sys

import yaml

from tools.notebooks import REPO_ROOT


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[ ;]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_and_requirements_name_the_same_packages():
    pip_names = {_name(line) for line in (REPO_ROOT / "requirements.txt").read_text().splitlines()
                 if line.strip() and not line.startswith("#")}
    env = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    conda = {}
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            conda.update({_name(p): p for p in dep["pip"]})
        else:
            conda[_name(dep)] = dep
    conda_names = set(conda) - {"python", "pip"}
    assert pip_names == conda_names, (
        f"only in requirements.txt: {pip_names - conda_names}; only in environment.yml: {conda_names - pip_names}")
    pip_lines = {line.strip() for line in (REPO_ROOT / "requirements.txt").read_text().splitlines()
                 if line.strip() and not line.startswith("#")}
    assert pip_lines == {conda[n] for n in conda_names}, "the version bounds differ"


def test_gitignore_covers_generated_files():
    ignored = (REPO_ROOT / ".gitignore").read_text().splitlines()
    for entry in ("data/", "submitted/", "autograded/*", "feedback/", "gradebook.db", "checkpoints/", ".venv/"):
        assert entry in ignored, f".gitignore misses {entry}"


def test_readme_commands_exist_in_the_makefile():
    readme = (REPO_ROOT / "README.md").read_text()
    makefile = (REPO_ROOT / "Makefile").read_text()
    for target in re.findall(r"^\s*make (\w[\w-]*)", readme, re.MULTILINE):
        assert re.search(rf"^{target}:", makefile, re.MULTILINE), f"README runs `make {target}`, Makefile lacks it"
    assert "make demo" in readme and "make test" in readme
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()


def test_ruff_is_clean_on_code_and_notebooks():
    done = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=REPO_ROOT,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
