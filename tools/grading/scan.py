"""A static scan of submissions for code that no exercise needs, and the instructor's report.

``scan_notebook(nb)`` reads every code cell a student can edit (solution cells first, then the
other unlocked cells) with ``ast`` (a cell that does not parse is read line by line) and lists
what no exercise of the course needs: patching torch, numpy, math or builtins, trace functions,
frame and garbage-collector introspection, IPython hooks, tensor subclasses and torch modes,
paths outside the working directory, child processes, ctypes, code built from strings, tricks with
``__builtins__`` and imports. A finding is a lead for the instructor, not a verdict.

The report, ``reports/<assignment>/integrity.md`` (+ ``.json``), lists per student and notebook
these findings with their lines, the tamper verdicts of ``CheckGuard`` and what the kernel's audit
hook saw. ``nbgrader autograde`` writes it (CheckGuard); so does::

    python -m tools.grading.scan <assignment>      # (make report A=<assignment>) over submitted/
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

from . import report

#: Packages whose objects the tests rely on: assigning to their attributes is patching them.
PROTECTED_PACKAGES = {"torch", "numpy", "math", "cmath", "builtins", "operator", "helpers", "sys", "IPython",
                      "ipykernel", "inspect", "gc", "warnings", "scipy", "functools"}
FRAME_ATTRS = {"f_back", "f_locals", "f_globals", "f_builtins", "f_code", "f_trace", "f_lineno", "tb_frame",
               "gi_frame", "cr_frame", "ag_frame", "__closure__", "cell_contents", "co_consts", "__code__"}
IPYTHON_ATTRS = {"input_transformers_cleanup", "input_transformers_post", "input_transformer_manager",
                 "ast_transformers", "displayhook", "display_pub", "set_custom_exc", "showtraceback",
                 "_showtraceback", "showsyntaxerror", "excepthook", "run_cell", "run_cell_async", "transform_cell",
                 "transform_ast", "run_ast_nodes", "run_code", "CustomTB", "custom_exceptions",
                 "register_magic_function"}
CALLS = {
    "sys.settrace": ("trace", "sets a trace function"), "sys.setprofile": ("trace", "sets a profile function"),
    "threading.settrace": ("trace", "sets a trace function for threads"),
    "threading.setprofile": ("trace", "sets a profile function for threads"),
    "sys._getframe": ("frames", "reads the call stack's frames"), "sys._current_frames": ("frames", "reads frames"),
    "inspect.currentframe": ("frames", "reads the call stack's frames"),
    "inspect.stack": ("frames", "reads the call stack's frames"), "inspect.trace": ("frames", "reads frames"),
    "inspect.getouterframes": ("frames", "reads the call stack's frames"),
    "inspect.getsource": ("frames", "reads source code at run time"),
    "gc.get_objects": ("frames", "searches every live object"), "gc.get_referrers": ("frames", "searches referrers"),
    "gc.get_referents": ("frames", "searches referents"),
    "get_ipython": ("ipython", "uses the IPython shell"),
    "sys.addaudithook": ("ipython", "installs an audit hook"),
    "os.system": ("process", "runs a shell command"), "os.popen": ("process", "runs a shell command"),
    "os.fork": ("process", "forks the kernel"), "os.forkpty": ("process", "forks the kernel"),
    "os.kill": ("process", "sends a signal"), "os._exit": ("process", "ends the kernel"),
    "os.chdir": ("files", "changes the working directory"), "os.posix_spawn": ("process", "starts a process"),
    "exec": ("dynamic", "runs code built at run time"), "eval": ("dynamic", "evaluates code built at run time"),
    "compile": ("dynamic", "compiles code built at run time"), "__import__": ("dynamic", "imports dynamically"),
    "importlib.import_module": ("dynamic", "imports dynamically"), "importlib.reload": ("dynamic", "reloads a module"),
    "types.CodeType": ("dynamic", "builds a code object"), "types.FunctionType": ("dynamic", "builds a function"),
    "marshal.loads": ("dynamic", "loads a code object"), "globals": ("frames", "reads the notebook's globals"),
    "setattr": ("patch", "sets an attribute by name"), "object.__setattr__": ("patch", "sets an attribute by name"),
    "delattr": ("patch", "deletes an attribute by name"),
}
CALL_PREFIXES = {"subprocess.": ("process", "starts a child process"), "os.exec": ("process", "replaces the kernel"),
                 "os.spawn": ("process", "starts a child process"), "ctypes.": ("ctypes", "uses ctypes"),
                 "unittest.mock.": ("patch", "monkeypatches with unittest.mock"), "mock.": ("patch", "monkeypatches"),
                 "torch.overrides.": ("torch-mode", "uses torch's override machinery"),
                 "torch.utils._python_dispatch.": ("torch-mode", "uses a torch dispatch mode"),
                 "torch._C._push_on_torch": ("torch-mode", "pushes a torch mode"),
                 "torch._C._set_": ("patch", "changes torch's internal state")}
SUSPICIOUS_IMPORTS = {"ctypes": "ctypes", "cffi": "ctypes", "subprocess": "process", "pty": "process",
                      "builtins": "dynamic", "importlib": "dynamic", "marshal": "dynamic", "gc": "frames",
                      "inspect": "frames", "IPython": "ipython", "ipykernel": "ipython", "unittest.mock": "patch",
                      "sqlite3": "files", "__main__": "dynamic", "torch.overrides": "torch-mode",
                      "torch.utils._python_dispatch": "torch-mode",
                      "multiprocessing": "process", "signal": "process", "atexit": "process"}
# Showing a figure or a widget (docs/authoring.md recommends ``from IPython.display import display``).
HARMLESS_IMPORTS = ("IPython.display",)
PATH_WORDS = re.compile(r"(^|/)(source|submitted|autograded|feedback|release)(/|$)|gradebook\.db|nbgrader_config|"
                        r"\.ipynb_checkpoints|(^|/)\.\.(/|$)|^~|^/[A-Za-z_.]")


@dataclass
class Finding:
    cell: int  # index in the notebook
    grade_id: str | None
    line: int  # line within the cell
    rule: str
    what: str
    code: str


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):  # get_ipython().x
        inner = _dotted(node.func)
        return ".".join([f"{inner}()", *reversed(parts)]) if inner else None
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self, aliases: dict[str, str]):
        self.aliases = aliases  # local name -> dotted origin: "np" -> "numpy", "Normal" -> "torch.distributions.Normal"
        self.found: list[tuple[int, str, str]] = []

    def add(self, node, rule, what):
        self.found.append((getattr(node, "lineno", 1), rule, what))

    def resolve(self, dotted: str | None) -> str | None:
        if not dotted:
            return None
        head, _, rest = dotted.partition(".")
        base = self.aliases.get(head, head)
        return f"{base}.{rest}" if rest else base

    def visit_Import(self, node):
        for item in node.names:
            self.aliases[(item.asname or item.name).split(".")[0] if not item.asname else item.asname] = (
                item.name if item.asname else item.name.split(".")[0])
            self._import(node, item.name)

    def visit_ImportFrom(self, node):
        module = node.module or ""
        for item in node.names:
            self.aliases[item.asname or item.name] = f"{module}.{item.name}"
            self._import(node, f"{module}.{item.name}")
        self._import(node, module)

    def _import(self, node, name):
        if name in HARMLESS_IMPORTS or name.startswith(tuple(m + "." for m in HARMLESS_IMPORTS)):
            return
        for mod, rule in SUSPICIOUS_IMPORTS.items():
            if name == mod or name.startswith(mod + "."):
                self.add(node, rule, f"imports {name}")
                return
        if name.split(".")[-1] in ("TorchFunctionMode", "TorchDispatchMode"):
            self.add(node, "torch-mode", f"imports {name}")

    def _target(self, target, node):
        if isinstance(target, (ast.Tuple, ast.List)):
            for elt in target.elts:
                self._target(elt, node)
            return
        if isinstance(target, ast.Subscript):
            base = self.resolve(_dotted(target.value)) or ""
            if base.endswith(("__dict__", "__builtins__", "sys.modules")) or base in ("builtins", "__builtins__"):
                self.add(node, "patch", f"writes into {base}")
            return
        if isinstance(target, ast.Attribute):
            full = self.resolve(_dotted(target)) or ""
            root = full.split(".")[0]
            if target.attr in IPYTHON_ATTRS:
                self.add(node, "ipython", f"assigns {full or '.' + target.attr}")
            elif root in PROTECTED_PACKAGES or root == "__builtins__":
                self.add(node, "patch", f"assigns {full}")
            elif target.attr in ("f_trace", "f_lineno", "__class__", "__code__"):
                self.add(node, "frames", f"assigns .{target.attr}")

    def visit_Assign(self, node):
        for target in node.targets:
            self._target(target, node)
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._target(node.target, node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._target(node.target, node)
        self.generic_visit(node)

    def visit_Delete(self, node):
        for target in node.targets:
            self._target(target, node)
        self.generic_visit(node)

    def visit_Call(self, node):
        name = self.resolve(_dotted(node.func))
        if name:
            short = name.replace("get_ipython().", "get_ipython.")
            hit = CALLS.get(name) or CALLS.get(name.split(".")[-1] if name.startswith("builtins.") else "")
            if hit is None:
                hit = next((v for p, v in CALL_PREFIXES.items() if name.startswith(p)), None)
            if name in ("exec", "eval", "compile") and node.args and isinstance(node.args[0], ast.Constant) \
                    and name == "eval" and isinstance(node.args[0].value, str) and node.args[0].value.isidentifier():
                hit = None
            if name in ("setattr", "delattr", "object.__setattr__") and node.args:
                target = self.resolve(_dotted(node.args[0])) or ""
                if target.split(".")[0] not in PROTECTED_PACKAGES | {"__builtins__"}:
                    hit = None  # setattr(self, ...) and friends are ordinary Python
                else:
                    hit = ("patch", f"sets an attribute of {target} by name")
            if hit:
                self.add(node, hit[0], f"{hit[1]} ({short}())")
            elif name.endswith((".register", ".set_custom_exc")) and ("events" in name or "ipython" in name):
                self.add(node, "ipython", f"registers an IPython hook ({short}())")
            elif name.endswith("__enter__") and "Mode" in name:
                self.add(node, "torch-mode", f"enters a mode ({short}())")
        self.generic_visit(node)

    def visit_Constant(self, node):
        value = node.value
        if not isinstance(value, str) or not 0 < len(value) < 300 or "\n" in value:
            return
        if ("/" in value and PATH_WORDS.search(value)) or value in ("gradebook.db", "..", "source"):
            self.add(node, "files", f"names a path outside the working directory ({value!r})")

    def visit_Attribute(self, node):
        if node.attr in FRAME_ATTRS and isinstance(node.ctx, ast.Load):
            self.add(node, "frames", f"reads .{node.attr}")
        elif node.attr in IPYTHON_ATTRS and isinstance(node.ctx, ast.Load):
            dotted = self.resolve(_dotted(node)) or ""
            if "ipython" in dotted.lower() or dotted.startswith(("sys.", "shell.", "ip.")):
                self.add(node, "ipython", f"reads {dotted}")
        elif node.attr == "modules" and self.resolve(_dotted(node)) == "sys.modules":
            self.add(node, "dynamic", "reads sys.modules")
        elif node.attr in ("__dict__", "__builtins__", "__subclasses__", "__globals__", "__mro__", "__bases__") \
                and isinstance(node.ctx, ast.Load):
            self.add(node, "dynamic", f"reads .{node.attr}")
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in ("__builtins__", "__main__"):
            self.add(node, "dynamic", f"uses {node.id}")
        self.generic_visit(node)

    def visit_ClassDef(self, node):
        for base in node.bases:
            name = self.resolve(_dotted(base)) or ""
            last = name.split(".")[-1]
            if last in ("Tensor", "Parameter", "TensorBase", "_TensorBase") or "torch.Tensor" in name:
                self.add(node, "tensor-subclass", f"defines a subclass of {name} ({node.name})")
            elif last in ("TorchFunctionMode", "TorchDispatchMode", "BaseTorchFunctionMode"):
                self.add(node, "torch-mode", f"defines a torch mode ({node.name})")
        for item in node.body:
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and item.name in (
                    "__torch_function__", "__torch_dispatch__"):
                self.add(item, "torch-mode", f"defines {item.name} in {node.name}")
        self.generic_visit(node)


def _shell_lines(source: str) -> tuple[str, list[tuple[int, str]]]:
    """IPython's ``!cmd`` and ``%magic`` lines: blanked for ``ast``, reported by themselves."""
    found, lines = [], source.split("\n")
    for i, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(("!", "%")):
            found.append((i + 1, "shell command" if stripped.startswith(("!", "%%bash", "%%sh", "%system", "%sx"))
                          else f"IPython magic {stripped.split()[0]}"))
            lines[i] = line[: len(line) - len(stripped)] + "pass"
    return "\n".join(lines), found


def scan_source(source: str, aliases: dict[str, str] | None = None) -> list[tuple[int, str, str]]:
    """(line, rule, what) for one cell's code."""
    code, shell = _shell_lines(source)
    found = [(line, "process" if what == "shell command" else "ipython", what) for line, what in shell]
    scanner = _Scanner(dict(aliases or {}))
    try:
        scanner.visit(ast.parse(code))
    except SyntaxError:
        # A cell that does not parse is read line by line: every line that parses on its own.
        for number, line in enumerate(code.split("\n"), 1):
            try:
                tree = ast.parse(line.strip())
            except SyntaxError:
                continue
            for node in ast.walk(tree):
                if hasattr(node, "lineno"):
                    node.lineno = number
            scanner.visit(tree)
    found.extend(scanner.found)
    return sorted(set(found))


def _is_locked(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("locked")) or (meta.get("grade") and not meta.get("solution"))


def scan_notebook(nb) -> list[dict]:
    """Findings in the code cells a student can edit: solution cells first, then the others."""
    cells = [(i, c) for i, c in enumerate(nb["cells"]) if c.get("cell_type") == "code" and not _is_locked(c)
             and not c.get("metadata", {}).get("vae_course", {}).get("guard")]
    cells.sort(key=lambda ic: (not ic[1].get("metadata", {}).get("nbgrader", {}).get("solution", False), ic[0]))
    findings = []
    for index, cell in cells:
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        lines = source.split("\n")
        for line, rule, what in scan_source(source):
            code = lines[line - 1].strip() if 0 < line <= len(lines) else ""
            findings.append(asdict(Finding(index, cell.get("metadata", {}).get("nbgrader", {}).get("grade_id"),
                                           line, rule, what, code[:200])))
    return findings


# ---- the report --------------------------------------------------------------------------------

def report_paths(root: Path, assignment: str) -> tuple[Path, Path]:
    folder = Path(root) / "reports" / assignment
    return folder / "integrity.json", folder / "integrity.md"


def update_report(root: Path, assignment: str, student: str, notebook: str, *, suspicious: list[dict],
                  tamper: list[dict] | None = None, events: list[dict] | None = None) -> Path:
    """Set one (student, notebook) entry of the report; ``tamper``/``events`` None keeps what autograde wrote."""
    json_path, md_path = report_paths(root, assignment)
    with report.locked(json_path.parent):  # other nbgrader processes may update it at once
        try:
            data = json.loads(json_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            data = {}
        data.setdefault("assignment", assignment)
        entry = data.setdefault("students", {}).setdefault(student, {}).setdefault(notebook, {})
        entry["suspicious"] = suspicious
        if tamper is not None:
            entry["tamper"] = tamper
        if events is not None:
            entry["events"] = events
        report.write_atomic(json_path, json.dumps(data, indent=1, sort_keys=True))
        report.write_atomic(md_path, markdown(data))
    return md_path


def _where(item: dict) -> str:
    cell = item.get("cell")
    name = item.get("grade_id")
    return f"cell {cell}" + (f" ({name})" if name else "") if cell is not None else "notebook"


def markdown(data: dict) -> str:
    out = [f"# Integrity report: {data.get('assignment')}", "",
           "Tamper verdicts (test cells scored 0 because the grader could not confirm they ran), what the "
           "kernel's audit hook saw notebook code do, and code that no exercise needs. A finding is a lead for "
           "a human, not proof.", ""]
    flagged = {s: nbs for s, nbs in data.get("students", {}).items()
               if any(e.get("tamper") or e.get("suspicious") or e.get("events") for e in nbs.values())}
    clean = sorted(set(data.get("students", {})) - set(flagged))
    out.append(f"{len(flagged)} submission(s) flagged; nothing found in: {', '.join(clean) or '-'}.")
    for student in sorted(flagged):
        for notebook, entry in sorted(flagged[student].items()):
            out += ["", f"## {student} / {notebook}"]
            for item in entry.get("tamper") or []:
                out.append(f"- **tampering** {_where(item)}: {item['why']}")
            for item in entry.get("events") or []:
                in_library = "site-packages" in str(item.get("file")) or "/lib/python" in str(item.get("file"))
                line = "" if item.get("line") is None or in_library else f", line {item['line']}"
                out.append(f"- **seen at run time** {_where(item)}{line}: {item.get('kind')} ({item.get('detail')})")
            for item in entry.get("suspicious") or []:
                out.append(f"- {_where(item)}, line {item['line']} [{item['rule']}]: {item['what']}: "
                           f"`{item['code'].replace('`', chr(39))}`")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment")
    parser.add_argument("--root", default=".", help="the course root (default: the current folder)")
    args = parser.parse_args(argv)
    root = Path(args.root).resolve()
    submitted = sorted((root / "submitted").glob(f"*/{args.assignment}/*.ipynb"))
    if not submitted:
        print(f"no submissions of {args.assignment} under {root / 'submitted'}", file=sys.stderr)
        return 1
    md_path = None
    for path in submitted:
        student = path.parents[1].name
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
            suspicious = scan_notebook(nb)
        except (OSError, ValueError, KeyError, TypeError) as error:
            suspicious = [asdict(Finding(-1, None, 0, "unreadable", f"the notebook cannot be read: {error}", ""))]
        md_path = update_report(root, args.assignment, student, path.stem, suspicious=suspicious)
    print(f"{len(submitted)} notebook(s) scanned: {md_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
