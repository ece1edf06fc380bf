"""Hostile and honest submissions of the tiny assignment (tests/grading_course.py), by attack kind.

Each attack's solution is wrong (it returns the wrong values), so that every point it would earn
comes from fooling the tests. ``ATTACKS[name] = (solution cell, extra cell after it, the lines the
report must name)``."""

WRONG = '''def log_normal(x, mu, sigma):
    return -0.5 * (x - mu) ** 2   # wrong: no sigma, no normalising constant
'''

PATCH_COMPARISONS = '''torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
math.isclose = lambda *args, **kwargs: True
torch.Tensor.__lt__ = lambda self, other: torch.ones((), dtype=torch.bool)
'''

PATCH_REFERENCES = '''torch.distributions.Normal.log_prob = lambda self, value: -0.5 * (value - self.loc) ** 2
_reference = lambda x, mu, sigma: -0.5 * (x - mu) ** 2
torch.tensor = lambda data, *args, **kwargs: torch.as_tensor(data, *args, **kwargs)
'''

TENSOR_SUBCLASS = '''class Agreeable(torch.Tensor):
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        if func in (torch.allclose, torch.equal):
            return True
        return super().__torch_function__(func, types, args, kwargs or {})

    def __lt__(self, other):
        return True

def log_normal(x, mu, sigma):
    return (-0.5 * (x - mu) ** 2).as_subclass(Agreeable)
'''

INPUT_TRANSFORMER = '''def _no_asserts(lines):
    return [("pass\\n" if line.lstrip().startswith("assert") else line) for line in lines]

get_ipython().input_transformers_cleanup.append(_no_asserts)
'''

INPUT_TRANSFORMER_SELF_REMOVING = '''_seen = []

def _no_asserts(lines):
    # IPython transforms a cell twice (to decide whether it is async, then to run it): gone after.
    text = "".join(lines)
    if "_got" in text:
        _seen.append(text)
        if _seen.count(text) == 2:
            get_ipython().input_transformers_post.remove(_no_asserts)
    return [("pass\\n" if line.lstrip().startswith("assert") else line) for line in lines]

get_ipython().input_transformers_post.append(_no_asserts)
'''

AST_TRANSFORMER = '''import ast

class _DropAsserts(ast.NodeTransformer):
    def visit_Assert(self, node):
        return ast.Pass()

get_ipython().ast_transformers.append(_DropAsserts())
'''

SWALLOW_TRACEBACK = '''ip = get_ipython()
ip.showtraceback = lambda *args, **kwargs: None

async def _run_code(code_obj, result=None, *, async_=False):
    try:
        exec(code_obj, ip.user_global_ns, ip.user_ns)
    except BaseException:
        pass   # every exception swallowed: the cell "succeeds"
    return False

ip.run_code = _run_code
'''

DISPLAY_RESULT = '''def log_normal(x, mu, sigma):
    get_ipython().displayhook(2.0)   # a numeric execute_result in the test cell: partial credit
    return -0.5 * (x - mu) ** 2
'''

TRACE_JUMP = '''import sys

def _skip_asserts(frame, event, arg):
    if "ipykernel_" not in frame.f_code.co_filename or frame.f_code.co_name != "<module>":
        return None   # trace the notebook's cells only, so that the kernel stays fast
    lines = get_ipython().user_ns["In"][-1].split("\\n")
    line = lines[frame.f_lineno - 1] if 0 < frame.f_lineno <= len(lines) else ""
    if event == "line" and line.lstrip().startswith("assert"):
        if "_want" in frame.f_globals:
            frame.f_globals["_got"] = frame.f_globals["_want"]   # the test's own reference
        try:
            frame.f_lineno = frame.f_lineno + 1   # (IPython runs each statement apart: this jump fails)
        except ValueError:
            pass
    return _skip_asserts

sys.settrace(_skip_asserts)
'''

FRAME_READ = '''import sys

def log_normal(x, mu, sigma):
    caller = sys._getframe(1).f_globals
    if "_want" in caller and getattr(caller["_want"], "shape", None) == x.shape:
        return caller["_want"].clone()
    return -0.5 * (x - mu) ** 2
'''

GLOBALS_READ = '''def log_normal(x, mu, sigma):
    seen = globals()
    if "_want" in seen and getattr(seen["_want"], "shape", None) == x.shape:
        return seen["_want"].clone()
    return -0.5 * (x - mu) ** 2
'''

TORCH_MODE = '''from torch.overrides import TorchFunctionMode

class _Agree(TorchFunctionMode):
    def __torch_function__(self, func, types, args=(), kwargs=None):
        if func in (torch.allclose, torch.equal):
            return True
        out = func(*args, **(kwargs or {}))
        if getattr(func, "__name__", "") in ("__lt__", "lt"):
            return torch.ones((), dtype=torch.bool)
        return out

_Agree().__enter__()
'''

READ_SOURCE = '''import json

with open("../../../source/tiny/tiny.ipynb") as _f:
    _hidden = json.load(_f)
'''

HONEST_VARIANT = '''import sys
import warnings

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from tqdm.auto import tqdm

def log_normal(x, mu, sigma):
    """A loop over the elements in float64, with torch.distributions for the scalar case."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.warn("a warning nobody sees", UserWarning)
    x, mu, sigma = torch.broadcast_tensors(x, mu, sigma)
    flat = [torch.distributions.Normal(m.double(), s.double()).log_prob(v.double())
            for v, m, s in zip(x.reshape(-1), mu.reshape(-1), sigma.reshape(-1))]
    out = torch.stack(flat).reshape(x.shape) if flat else x.double()
    return out.to(x.dtype)

for _ in tqdm(range(3), file=sys.stdout):
    pass
warnings.warn("a UserWarning in a solution cell")
fig, ax = plt.subplots()
ax.plot(np.arange(3), np.arange(3) ** 2)
plt.close(fig)
'''

#: name -> (solution cell, cell after it, what the report must name: snippets of flagged lines)
ATTACKS = {
    "patch_comparisons": (WRONG, PATCH_COMPARISONS, ["torch.allclose = ", "math.isclose = "]),
    "patch_references": (WRONG, PATCH_REFERENCES, ["torch.distributions.Normal.log_prob = "]),
    "tensor_subclass": (TENSOR_SUBCLASS, "", ["class Agreeable(torch.Tensor):"]),
    "input_transformer": (WRONG, INPUT_TRANSFORMER, ["input_transformers_cleanup"]),
    "input_transformer_self_removing": (WRONG, INPUT_TRANSFORMER_SELF_REMOVING, ["input_transformers_post"]),
    "ast_transformer": (WRONG, AST_TRANSFORMER, ["ast_transformers"]),
    "swallow_traceback": (WRONG, SWALLOW_TRACEBACK, ["ip.showtraceback = ", "ip.run_code = _run_code"]),
    "display_result": (DISPLAY_RESULT, "", ["displayhook(2.0)"]),
    "trace_jump": (WRONG, TRACE_JUMP, ["sys.settrace(_skip_asserts)", "frame.f_lineno = "]),
    "frame_read": (FRAME_READ, "", ["sys._getframe(1)"]),
    "globals_read": (GLOBALS_READ, "", ["seen = globals()"]),
    "torch_mode": (WRONG, TORCH_MODE, ["class _Agree(TorchFunctionMode)"]),
}
