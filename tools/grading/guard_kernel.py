"""The integrity guard's code that runs *inside* the grading kernel.

``tools.grading.integrity.InjectGuard`` ships the source of :func:`install` in a prologue cell that
runs before any student code; the function must therefore be self-contained (it imports what it
needs itself). It snapshots what the test cells rely on, installs an audit hook (which Python
cannot remove) and binds ``__vae_guard__`` in the notebook's namespace. The epilogue appended to
each auto-graded test cell calls ``__vae_guard__(nonce, names)``: when every check passes it prints
``HMAC(key, nonce)`` (the canary that CheckGuard looks for), otherwise it raises. The key only
lives in an HMAC object (not readable from Python) and in the grader's process.
"""

# ruff: noqa: C901, PLR0915 (one closure on purpose: the guard's state must not be a module global)


def install(key_hex, settings):  # noqa: C901
    import ast
    import builtins
    import ctypes
    import hashlib
    import hmac
    import importlib
    import json
    import linecache
    import os
    import site
    import sys
    import sysconfig
    import threading

    shell = get_ipython()  # noqa: F821 (the kernel's IPython shell)
    user_ns = shell.user_ns
    user_globals = shell.user_module.__dict__
    missing = object()

    mac = hmac.new(bytes.fromhex(key_hex), digestmod="sha256")
    del key_hex

    _id, _len, _type, _vars, _getattr = id, len, type, vars, getattr
    _isinstance, _str, _sorted, _list, _tuple, _dict, _set = isinstance, str, sorted, list, tuple, dict, set
    getframe, gettrace, getprofile = sys._getframe, sys.gettrace, sys.getprofile
    thread_gettrace = getattr(threading, "gettrace", lambda: threading._trace_hook)
    thread_getprofile = getattr(threading, "getprofile", lambda: threading._profile_hook)
    sha256, dump, realpath, abspath, fspath = hashlib.sha256, ast.dump, os.path.realpath, os.path.abspath, os.fspath
    json_dumps = json.dumps
    out_write, out_flush = sys.stdout.write, sys.stdout.flush
    guard_file = getframe(0).f_code.co_filename
    prologue_file = getframe(1).f_code.co_filename
    cell_dir = os.path.dirname(prologue_file) + "/"

    # ---- modules the tests use, imported before any student code ------------------------------
    modules = {}
    for name in settings["modules"]:
        try:
            modules[name] = importlib.import_module(name)
        except Exception:  # noqa: BLE001 (a module the notebook does not have: its tests cannot use it)
            pass
    expected_names = {}
    for alias, (module, attr) in settings["aliases"].items():
        obj = modules.get(module)
        if obj is not None and attr:
            obj = _getattr(obj, attr, None)
        if obj is not None:
            expected_names[alias] = obj
    builtin_values = _dict(_vars(builtins))

    # ---- trusted files: code there is library code, the rest is notebook code -------------------
    trusted_prefixes = _set()
    for path in [sys.prefix, sys.base_prefix, sys.exec_prefix, sysconfig.get_paths().get("stdlib", ""),
                 *site.getsitepackages(), site.getusersitepackages() or "", *settings.get("trusted_dirs", []),
                 *(os.path.dirname(_getattr(m, "__file__", None) or "") for n, m in modules.items()
                   if n.split(".")[0] in settings.get("trusted_packages", ()))]:
        if path:
            trusted_prefixes.add(realpath(path).rstrip("/") + "/")
            trusted_prefixes.add(abspath(path).rstrip("/") + "/")
    trusted_prefixes = _tuple(trusted_prefixes)
    proxy_suffixes = ("/inspect.py", "/ctypes/__init__.py", "/subprocess.py", "/os.py", "/pty.py", "/bdb.py",
                      "/pdb.py")
    test_files = _set()
    file_kind = {}

    def kind_of(filename):
        kind = file_kind.get(filename)
        if kind is None:
            if filename in (guard_file, prologue_file):
                kind = "guard"
            elif filename.startswith("<frozen ") or filename.startswith(trusted_prefixes):
                kind = "library"
            else:
                kind = "notebook"
            file_kind[filename] = kind
        if kind == "notebook" and filename in test_files:
            return "test"
        return kind

    # ---- the audit hook: what notebook code does that no exercise needs -----------------------
    frame_attrs = {"f_back", "tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_code"}
    watched = {"sys._getframe": "frame access", "sys._current_frames": "frame access",
               "gc.get_objects": "garbage-collector introspection",
               "gc.get_referrers": "garbage-collector introspection",
               "gc.get_referents": "garbage-collector introspection", "sys.settrace": "trace function",
               "sys.setprofile": "trace function", "subprocess.Popen": "child process", "os.system": "child process",
               "os.fork": "child process", "os.forkpty": "child process", "os.posix_spawn": "child process",
               "os.exec": "child process", "os.spawn": "child process", "os.kill": "child process",
               "sys.addaudithook": "audit hook", "compile": "code compiled from a string",
               "code.__new__": "code object built", "function.__new__": "function built from a code object"}
    protected = _tuple(realpath(p) for p in settings.get("protected", []))
    own_dir = realpath(os.getcwd()) + "/"
    events, busy = [], []
    expected_code = {nonce: (text_hash, _tuple(node_hashes)) for nonce, text_hash, node_hashes in settings["cells"]}
    by_text = {text_hash: nonce for nonce, (text_hash, _) in expected_code.items()}
    locked_texts = _set(settings.get("locked_cells", ()))
    compiled_nodes = {}  # nonce -> node hashes compiled from that cell file, in order

    def record(kind, detail, frame):
        code = frame.f_code if frame is not None else None
        events.append({"count": shell.execution_count - 1, "kind": kind, "detail": detail,
                       "line": frame.f_lineno if frame is not None else None,
                       "file": code.co_filename if code is not None else None})

    def culprit(frame):
        """The first frame that is not a thin stdlib wrapper (inspect, subprocess, ctypes...)."""
        while frame is not None and frame.f_code.co_filename.endswith(proxy_suffixes):
            frame = frame.f_back
        return frame

    def hook(event, args):
        # An exception here would make the audited operation fail: honest code must never see one.
        try:
            audit(event, args)
        except Exception:  # noqa: BLE001, S110
            pass

    def audit(event, args):
        if busy:
            return
        if event == "open":
            path = args[0]
            if _isinstance(path, int) or not protected:
                return
            busy.append(1)
            try:
                full = realpath(abspath(fspath(path) if not _isinstance(path, bytes) else path.decode()))
                if full.startswith(protected) and not (full + "/").startswith(own_dir):
                    record("course file access", full, culprit(getframe(2)))
            except Exception:  # noqa: BLE001 (an odd path is not evidence)
                pass
            finally:
                busy.pop()
            return
        if event == "object.__getattr__":
            if args[1] not in frame_attrs:
                return
            kind = "frame access"
        elif event == "compile":
            busy.append(1)
            try:
                on_compile(args[0], args[1])
            finally:
                busy.pop()
            if not _isinstance(args[0], (_str, bytes)) or args[1] in test_files:
                return
            kind = watched[event]
        else:
            kind = watched.get(event)
            if kind is None:
                if event.startswith("ctypes."):
                    kind = "ctypes"
                elif event.startswith(("os.exec", "os.spawn", "os.posix_spawn")):
                    kind = "child process"
                else:
                    return
        busy.append(1)
        try:
            frame = culprit(getframe(2))
            if frame is not None and kind_of(frame.f_code.co_filename) == "notebook":
                detail = event if event != "object.__getattr__" else "." + args[1]
                record(kind, detail, frame)
        finally:
            busy.pop()

    current = [None]  # the test cell whose statements IPython is compiling

    def on_compile(source, filename):
        # Python reports a compiled string as its UTF-8 bytes with the file name, a compiled
        # AST with no file name: IPython parses a cell's text, then compiles statement by statement.
        if _isinstance(source, (bytes, _str)):
            data = source if _isinstance(source, bytes) else source.encode()
            text_hash = sha256(data).hexdigest()
            if text_hash in locked_texts:
                test_files.add(_str(filename))
            nonce = by_text.get(text_hash)
            if nonce is not None:
                current[0] = nonce
                compiled_nodes[nonce] = []
                test_files.add(_str(filename))
            elif _isinstance(filename, _str) and filename.startswith(cell_dir):
                current[0] = None  # another cell
        elif _isinstance(source, ast.AST) and current[0] is not None:
            for node in _getattr(source, "body", ()):
                compiled_nodes[current[0]].append(sha256(dump(node).encode()).hexdigest())

    # ---- what the checks compare --------------------------------------------------------------
    def dict_of(obj):
        d = _getattr(obj, "__dict__", None)
        if _type(d).__name__ == "mappingproxy":
            import gc
            referents = gc.get_referents(d)
            d = referents[0] if referents and _isinstance(referents[0], _dict) else None
        return d if _isinstance(d, _dict) else None

    read_version = ctypes.c_uint64.from_address if sys.version_info[:2] == (3, 11) else None

    def version(d):
        # CPython 3.11 keeps a per-dict version tag (PEP 509) right after ma_used; it changes on
        # every write, so a patch that restores itself before the check is still seen.
        return read_version(_id(d) + 24).value if read_version is not None else None

    namespaces = []  # (label, dict, trusted copy, mode, [last seen version])

    def track(label, obj, mode):
        d = dict_of(obj)
        if d is not None and not any(d is n[1] for n in namespaces):
            if mode == "strict" and _isinstance(obj, _type):
                mode = "class"  # a class: a written-and-restored attribute is a patch too
            namespaces.append((label, d, _dict(d), mode, [version(d)]))

    strict_modules = ["torch", "torch.nn", "torch.nn.functional", "torch.linalg", "torch.special", "torch.fft",
                      "torch.testing", "torch.distributions", "math", "cmath", "numpy", "numpy.linalg",
                      "numpy.testing", "operator", "ast", "hmac", "json"]
    for name in strict_modules:
        if name not in modules:
            try:
                modules[name] = importlib.import_module(name)
            except Exception:  # noqa: BLE001
                continue
        track(name, modules[name], "strict")
    # globals() is how a student's function would read a test's variables: record who calls it.
    builtin_globals = builtins.globals

    def globals():  # noqa: A001 (the built-in's stand-in)
        frame = getframe(1)
        if busy:
            return frame.f_globals
        busy.append(1)
        try:
            if kind_of(frame.f_code.co_filename) == "notebook":
                record("namespace access", "globals()", frame)
        finally:
            busy.pop()
        return frame.f_globals

    globals.__doc__ = builtin_globals.__doc__
    builtins.globals = globals

    builtin_values["globals"] = globals
    track("builtins", builtins, "values")
    torch = modules.get("torch")
    tensor_classes = []
    if torch is not None:
        tensor_classes = [c for c in _type.mro(torch.Tensor) if c is not object]
        for cls in tensor_classes:
            track(f"{cls.__module__}.{cls.__qualname__}", cls, "strict")
        track("torch.nn.Module", torch.nn.Module, "strict")
        track("torch.nn.Parameter", torch.nn.Parameter, "strict")
        track("torch.Size", torch.Size, "strict")
        dist = modules.get("torch.distributions")
        for mod_name, mod in _sorted(sys.modules.items(), key=lambda kv: kv[0]):
            if mod is None or not mod_name.startswith(("torch.distributions", "torch.nn.functional")):
                continue
            track(mod_name, mod, "strict")
            for value in _list(_vars(mod).values()):
                if _isinstance(value, _type) and _getattr(value, "__module__", "").startswith("torch.distributions"):
                    track(f"{value.__module__}.{value.__qualname__}", value, "strict")
        del dist
    for mod_name, mod in _sorted(sys.modules.items(), key=lambda kv: kv[0]):
        if mod is not None and (mod_name == "helpers" or mod_name.startswith("helpers.")):
            track(mod_name, mod, "callables")
    # The IPython and kernel machinery a test cell's result passes through.
    machinery = {"shell": shell, "input transformer manager": shell.input_transformer_manager,
                 "compiler": shell.compile, "display hook": shell.displayhook, "display publisher": shell.display_pub,
                 "events": shell.events, "kernel": _getattr(shell, "kernel", None),
                 "session": _getattr(_getattr(shell, "kernel", None), "session", None), "stdout": sys.stdout,
                 "traceback formatter": shell.InteractiveTB, "history": shell.history_manager}
    instance_checked = ("shell", "input transformer manager", "compiler", "display hook", "display publisher",
                        "events", "kernel", "session")
    for obj in machinery.values():
        if obj is None:
            continue
        for cls in _type.mro(_type(obj)):
            if cls is not object and cls.__module__.split(".")[0] in ("IPython", "ipykernel", "jupyter_client"):
                track(f"{cls.__module__}.{cls.__qualname__}", cls, "callables")
    instance_methods = {}
    for label, obj in machinery.items():
        if label not in instance_checked or obj is None or not _isinstance(_getattr(obj, "__dict__", None), _dict):
            continue
        names = {n for cls in _type.mro(_type(obj)) for n, v in _vars(cls).items() if callable(v)}
        instance_methods[label] = (obj, names, {n: obj.__dict__.get(n, missing) for n in names})

    def current_hooks():
        tm = shell.input_transformer_manager
        return {
            "shell.input_transformers_cleanup": _tuple(shell.input_transformers_cleanup),
            "shell.input_transformers_post": _tuple(shell.input_transformers_post),
            "input transformer manager": (tm, _tuple(tm.cleanup_transforms), _tuple(tm.line_transforms),
                                          _tuple(tm.token_transformers)),
            "shell.ast_transformers": _tuple(shell.ast_transformers),
            "shell.compile": shell.compile,
            "display hook": (sys.displayhook, shell.displayhook, shell.display_pub, shell.display_trap),
            "exception handling": (sys.excepthook, shell.CustomTB, _tuple(shell.custom_exceptions),
                                   shell.InteractiveTB, shell.SyntaxTB),
            "kernel": (_getattr(shell, "kernel", None), _getattr(_getattr(shell, "kernel", None), "session", None),
                       _getattr(_getattr(shell, "kernel", None), "iopub_socket", None)),
            "sys.stdout / sys.stderr": (sys.stdout, sys.stderr),
            "trace function (sys.settrace)": gettrace(),
            "profile function (sys.setprofile)": getprofile(),
            "thread trace/profile hooks": (thread_gettrace(), thread_getprofile()),
            "the notebook namespace": (shell.user_ns, shell.user_module, user_globals.get("__builtins__", missing)),
        }

    hooks = current_hooks()

    def callbacks():
        return {(name, _id(cb)): cb for name, cbs in shell.events.callbacks.items() for cb in cbs}

    known_callbacks = callbacks()

    def check_callbacks(problems):
        # Libraries register callbacks (matplotlib's inline backend does); notebook code may not.
        now = callbacks()
        for key, cb in now.items():
            if key in known_callbacks:
                continue
            fn = _getattr(cb, "__func__", cb)
            code = _getattr(fn, "__code__", None)
            if (code is not None and kind_of(code.co_filename) == "notebook") or (
                    code is None and _type(cb).__module__ == "__main__"):
                problems.append(f"notebook code registered an IPython {key[0]} callback")
            else:
                known_callbacks[key] = cb

    def modes():
        if torch is None:
            return ()
        c = torch._C
        state = [("torch function modes", c._len_torch_function_stack()),
                 ("torch dispatch modes", c._len_torch_dispatch_stack())]
        keys = _getattr(c, "_TorchDispatchModeKey", None)
        if keys is not None and _getattr(c, "_get_dispatch_mode", None) is not None:
            for key in _getattr(keys, "__members__", {}).values():
                state.append((f"torch dispatch mode {key}", c._get_dispatch_mode(key) is not None))
        return _tuple(state)

    mode_state = modes()

    def all_subclasses(cls):
        seen, todo = _set(), [cls]
        while todo:
            for sub in _type.__subclasses__(todo.pop()):
                if sub not in seen:
                    seen.add(sub)
                    todo.append(sub)
        return seen

    tensor_subclasses = all_subclasses(torch.Tensor) if torch is not None else _set()

    def notebook_defined(cls):
        if cls.__module__ == "__main__" or cls.__module__ not in sys.modules:
            return True
        for klass in _type.mro(cls):
            for value in _vars(klass).values():
                code = _getattr(_getattr(value, "__func__", value), "__code__", None)
                if code is not None and kind_of(code.co_filename) in ("notebook", "test"):
                    return True
            if klass is torch.Tensor:
                break
        return False

    # ---- the checks ------------------------------------------------------------------------------
    method_type = _type(shell.excepthook)

    def same(a, b):
        if _isinstance(a, _tuple) and _isinstance(b, _tuple):
            return _len(a) == _len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
        if _type(a) is method_type and _type(b) is method_type:  # a bound method is made at each access
            return a.__func__ is b.__func__ and a.__self__ is b.__self__
        return a is b

    # ipykernel rebinds input() for every request; a distribution's default validation is a setting.
    ignored_keys = {"__warningregistry__", "_validate_args", "input", "raw_input", "getpass", "_", "__", "___"}

    def library_wrapper(now, value):
        seen = 0
        inner = now
        while inner is not None and seen < 5:
            code = _getattr(_getattr(inner, "__func__", inner), "__code__", None)
            if code is None or kind_of(code.co_filename) != "library":
                return False
            inner = _getattr(inner, "__wrapped__", None)
            if inner is value:
                return True
            seen += 1
        return False

    def check_namespaces(problems):
        for label, d, trusted, mode, seen in namespaces:
            v = version(d)
            if v is not None and v == seen[0]:
                continue
            changed = []
            for key, value in trusted.items():
                now = d.get(key, missing)
                if now is value or key in ignored_keys:
                    continue
                if mode == "callables" and not (callable(value) or callable(now)):
                    continue
                if library_wrapper(now, value):
                    trusted[key] = now  # torch wraps some of its functions on first use (torch._dynamo)
                    continue
                changed.append(key)
            added = [k for k in d if k not in trusted and mode in ("strict", "class")
                     and not _isinstance(d[k], _type(sys)) and k != "__warningregistry__"]
            # A problem stays: the version is not updated, so every later test cell sees it too.
            if changed or added:
                names = ", ".join(f"{label}.{k}" for k in _sorted(changed + added)[:5])
                problems.append(f"{names} {'was' if _len(changed + added) == 1 else 'were'} replaced or added "
                                "(the tests' functions must be the library's own)")
            elif mode == "class" and v is not None and _len(d) == _len(trusted):
                problems.append(f"{label} was written to and restored while the notebook ran (a temporary patch)")
            else:
                seen[0] = v

    def check_machinery(problems):
        now = current_hooks()
        for label, value in hooks.items():
            if not same(value, now[label]):
                problems.append(f"{label} changed (the grader's view of a cell must be IPython's own)")
        for label, (obj, names, snap) in instance_methods.items():
            d = obj.__dict__
            bad = [n for n in names if d.get(n, missing) is not snap[n]]
            if bad:
                problems.append(f"methods of the {label} were replaced: {', '.join(_sorted(bad)[:5])}")
        if modes() != mode_state:
            problems.append("a torch function or dispatch mode is active (it can change what torch returns)")
        if torch is not None:
            new = [c for c in all_subclasses(torch.Tensor) - tensor_subclasses if notebook_defined(c)]
            if new:
                problems.append("the notebook defines a subclass of torch.Tensor "
                                f"({', '.join(_sorted(c.__qualname__ for c in new)[:3])}); return plain tensors")

    def notebook_made(value):
        code = _getattr(_getattr(value, "__func__", value), "__code__", None)
        if code is not None:
            return kind_of(code.co_filename) in ("notebook", "test")
        return _getattr(_type(value), "__module__", "") == "__main__" or (
            _isinstance(value, _type) and _getattr(value, "__module__", "") == "__main__")

    def check_names(problems, names):
        for name in names:
            value = user_globals.get(name, missing)
            if value is missing:
                continue
            if name in expected_names:
                if value is not expected_names[name]:
                    problems.append(f"the name {name!r} no longer refers to what the notebook imports")
            elif name in builtin_values and value is not builtin_values[name] and notebook_made(value):
                # (a library's function, e.g. numpy's abs after `from numpy import *`, is let be)
                problems.append(f"the built-in {name!r} is shadowed by a notebook definition")

    def check_defs(problems, defs):
        # The test's own reference functions (defined in a locked cell or the test cell) must
        # still be the code of those cells.
        for name in defs:
            value = user_globals.get(name, missing)
            code = _getattr(_getattr(value, "__func__", value), "__code__", None)
            if value is not missing and (code is None or code.co_filename not in test_files):
                problems.append(f"the test's reference {name!r} was replaced by notebook code")

    def check_code(problems, nonce):
        text_hash, node_hashes = expected_code[nonce]
        if nonce not in compiled_nodes:
            problems.append("the test cell's code was changed before it ran (an input transformer?)")
        elif settings.get("python") == sys.version and _tuple(compiled_nodes[nonce]) != node_hashes:
            problems.append("the test cell's code was changed after it was parsed (an AST transformer?)")

    confirmed = _set()
    reported = [0]

    def confirm(nonce, names, defs=()):
        problems = []
        if nonce not in expected_code:
            problems.append("unknown test cell")
        elif nonce in confirmed:
            problems.append("the test cell's confirmation ran twice")
        else:
            check_code(problems, nonce)
        check_machinery(problems)
        check_callbacks(problems)
        check_namespaces(problems)
        check_names(problems, names)
        check_defs(problems, defs)
        count = shell.execution_count - 1  # IPython counts the running cell before it runs
        during = _sorted({f"{e['kind']} ({e['detail']})" for e in events[reported[0]:] if e["count"] == count})
        if during:
            problems.append("while the test ran, notebook code used " + "; ".join(during[:4]))
        notes = events[reported[0]:]
        reported[0] = _len(events)
        confirmed.add(nonce)
        if problems:
            # What the audit hook saw goes to the instructor's report all the same.
            out_write("\n" + nonce + " " + json_dumps(notes) + "\n")
            out_flush()
            raise GradingGuardError("the grader could not confirm this test ran: " + "; ".join(problems))
        token = mac.copy()
        token.update(nonce.encode())
        out_write("\n" + token.hexdigest() + " " + json_dumps(notes) + "\n")
        out_flush()

    class GradingGuardError(Exception):
        pass

    GradingGuardError.__module__ = "grader"
    confirm.__name__ = confirm.__qualname__ = "__vae_guard__"
    user_ns["__vae_guard__"] = confirm

    # ---- leave no trace of the prologue's source (it held the key) -----------------------------
    hm = shell.history_manager
    for hist in (hm.input_hist_parsed, hm.input_hist_raw):
        if _len(hist) > 1:
            del hist[-1]
    for name in ("_i", "_ii", "_iii", "_i1"):
        user_ns.pop(name, None)
    linecache.cache.pop(prologue_file, None)
    shell.execution_count = 1  # the first notebook cell gets [1], as without the guard
    sys.addaudithook(hook)
