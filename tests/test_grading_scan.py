"""The static scan of submissions (tools/grading/scan.py): every rule fires on the code it is
about, and the course's own solutions and unlocked cells give no finding."""

import json

import pytest

from tools import notebooks as nbs
from tools.grading import scan

FIRES = {
    "patch": [
        "torch.allclose = lambda *a, **k: True",
        "import numpy as np\nnp.testing.assert_allclose = print",
        "import math as m\nm.isclose = None",
        "from torch.distributions import Normal\nNormal.log_prob = lambda s, v: v",
        "torch.Tensor.__eq__ = lambda a, b: True",
        "setattr(torch, 'equal', lambda *a: True)",
        "import builtins\nbuiltins.isinstance = lambda *a: True",
        "__builtins__['abs'] = abs",
        "vars(torch)['allclose'] = 1\ntorch.__dict__['allclose'] = 1",
        "from unittest import mock\nmock.patch('torch.allclose')",
    ],
    "trace": ["import sys\nsys.settrace(f)", "sys.setprofile(f)", "import threading\nthreading.settrace(f)"],
    "frames": [
        "sys._getframe(1).f_locals", "import inspect\ninspect.currentframe().f_back", "inspect.stack()",
        "import gc\ngc.get_objects()", "gc.get_referrers(x)", "frame.f_globals['_want']", "g = globals()['_want']",
        "f.__closure__[0].cell_contents",
    ],
    "ipython": [
        "get_ipython().input_transformers_cleanup.append(f)", "ip = get_ipython()\nip.ast_transformers.append(t)",
        "ip.events.register('post_run_cell', f)", "ip.set_custom_exc((Exception,), h)",
        "ip.showtraceback = lambda *a: None", "import sys\nsys.displayhook = print", "sys.excepthook = print",
        "from IPython.core.interactiveshell import InteractiveShell", "import IPython",
    ],
    "tensor-subclass": ["class T(torch.Tensor):\n    pass", "from torch import Tensor\nclass T(Tensor): pass"],
    "torch-mode": [
        "from torch.overrides import TorchFunctionMode\nclass M(TorchFunctionMode): pass",
        "class A:\n    def __torch_function__(self, *a): pass",
    ],
    "files": [
        "open('/etc/passwd')", "open('../../source/a/a.ipynb')", "p = 'gradebook.db'",
        "from pathlib import Path\nPath('..') / 'nbgrader_config.py'", "open(f'{root}/source/x')",
    ],
    "process": [
        "import subprocess\nsubprocess.run(['ls'])", "import os\nos.system('ls')", "os.execv('/bin/sh', [])",
        "os.fork()", "os._exit(0)", "!ls ../..",
    ],
    "ctypes": ["import ctypes", "ctypes.c_int.from_address(0)"],
    "dynamic": [
        "exec('x = 1')", "eval(code)", "compile(src, 'f', 'exec')", "__import__('os')",
        "import importlib\nimportlib.import_module('os')", "import __main__", "import sys\nsys.modules['torch']",
    ],
}

HONEST = [
    "import torch\nimport torch.nn.functional as F\nfrom torch import nn\n",
    "def kl(qm, qv, pm, pv):\n    return 0.5 * (torch.log(pv / qv) + (qv + (qm - pm) ** 2) / pv - 1).sum(-1)",
    "class Encoder(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
    "        self.fc = nn.Linear(2, 2)\n"
    "    def forward(self, x):\n        return F.relu(self.fc(x))",
    "q = torch.distributions.Normal(torch.zeros(2), torch.ones(2))\nz = q.rsample()\nq.log_prob(z).sum()",
    "setattr(self, 'weight', w)\nmodel.eval()\nx = x / 2\nprint('a/b', 'loss: 1/2')",
    "import warnings\nwith warnings.catch_warnings():\n    warnings.simplefilter('ignore')",
    "from tqdm.auto import tqdm\nfor _ in tqdm(range(3)):\n    pass",
    "import matplotlib.pyplot as plt\nfig, ax = plt.subplots()\nax.set_title('p(x|z)')",
    "self.fc.weight.data = w\nself.register_buffer('mask', m)\nopt.zero_grad()",
    "from IPython.display import display\ndisplay(explorer.widget)",
]


@pytest.mark.parametrize("rule,code", [(rule, code) for rule, codes in FIRES.items() for code in codes])
def test_each_rule_fires(rule, code):
    found = scan.scan_source(code)
    assert any(r == rule for _, r, _ in found), f"{rule} missed in {code!r}: {found}"


@pytest.mark.parametrize("code", HONEST)
def test_honest_code_gives_no_finding(code):
    assert scan.scan_source(code) == []


def test_a_cell_that_does_not_parse_is_read_line_by_line():
    found = scan.scan_source("def broken(:\n    pass\ntorch.allclose = f\nimport ctypes\n")
    assert {(line, rule) for line, rule, _ in found} == {(3, "patch"), (4, "ctypes")}


def test_the_lines_are_reported_with_their_cell():
    nb = {"cells": [
        {"cell_type": "code", "source": "x = 1\n", "metadata": {}},
        {"cell_type": "code", "source": "def f():\n    return 1\ntorch.equal = f\n",
         "metadata": {"nbgrader": {"solution": True, "grade_id": "f", "grade": False, "locked": False}}},
        {"cell_type": "code", "source": "torch.allclose = f\n",
         "metadata": {"nbgrader": {"grade": True, "locked": True, "grade_id": "test_f", "solution": False}}},
    ]}
    found = scan.scan_notebook(nb)
    assert [(f["cell"], f["grade_id"], f["line"], f["code"]) for f in found] == [(1, "f", 3, "torch.equal = f")]


@pytest.mark.parametrize("assignment", nbs.assignments())
def test_the_course_solutions_give_no_finding(assignment):
    found = scan.scan_notebook(nbs.load(nbs.source_notebook(assignment)))
    assert found == [], json.dumps(found, indent=1)


def test_command_writes_the_report(tmp_path):
    notebook = tmp_path / "submitted" / "mallory" / "a" / "a.ipynb"
    notebook.parent.mkdir(parents=True)
    notebook.write_text(json.dumps({"cells": [{"cell_type": "code", "metadata": {},
                                               "source": "import ctypes\ntorch.allclose = f\n"}]}))
    (tmp_path / "submitted" / "alice" / "a").mkdir(parents=True)
    (tmp_path / "submitted" / "alice" / "a" / "a.ipynb").write_text(json.dumps({"cells": []}))
    assert scan.main(["a", "--root", str(tmp_path)]) == 0
    report = (tmp_path / "reports" / "a" / "integrity.md").read_text()
    assert "## mallory / a" in report and "`torch.allclose = f`" in report and "alice" in report
    data = json.loads((tmp_path / "reports" / "a" / "integrity.json").read_text())
    assert {f["line"] for f in data["students"]["mallory"]["a"]["suspicious"]} == {1, 2}
