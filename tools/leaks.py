"""Leaks of graded code, found whatever its spelling.

The rule (docs/authoring.md): no notebook's *visible* code (what ``release/`` shows: code outside
``### BEGIN/END SOLUTION`` and ``### BEGIN/END HIDDEN TESTS``), no companion notebook and no module
of ``helpers/`` may contain a graded line of *any* assignment. Comparing text would miss a copy
with other variable names, another operand order or ``.exp()`` for ``torch.exp``, so both sides
are compared in a canonical form of their expressions:

* local names (variables, arguments) become ``v0, v1, ...`` in order of appearance; names bound
  by imports, builtins and the file's own top-level functions are kept, with import aliases
  resolved (``F.softplus`` and ``torch.nn.functional.softplus`` are one function);
* ``x.exp()``, ``torch.exp(x)`` and ``math.exp(x)`` are one call; ``sqrt``, ``square``, ``pow``,
  ``mul``, ``add``, ``sub``, ``div``, ``matmul`` become operators; ``x / c`` is ``(1/c) * x``,
  ``a / b`` is ``a * b ** -1``; ``exp(a) ** c`` is ``exp(c * a)``;
* sums and products are flattened, their numeric constants folded and their operands sorted;
  ``a - b`` is ``a + (-1) * b`` and an overall sign moves out of a sum and out of ``sum``/``mean``;
* keyword arguments that do not change the mathematics (``dtype``, ``device``, ``generator``, ...)
  are dropped and ``dim=`` becomes positional; conversions (``.double()``, ``.detach()``,
  ``.item()``, ``float(x)``) are transparent; a draw of noise (``torch.randn_like(mu)``) is
  compared like a local ``eps``;
* a local that is bound once, by ``name = expression``, is replaced by its expression (in the same
  cell or function), so a formula split over temporaries is still the formula.

A graded line is looked up among the canonical forms of all visible expressions (code cells, and
the code spans of markdown cells, which students read too) when it is significant: its *weight*
(the number of operations that compute something: arithmetic, calls; not ``.flatten()``,
``.detach()``, ``.shape``) reaches ``LINE_WEIGHT`` and it involves at least ``MIN_LOCALS``
distinct local names. A part of a graded line (a subtree of its expression) counts from
``PART_WEIGHT`` on. ``torch.randn(n, k, generator=g)`` (a draw of noise: weight 0, compared like
a local ``eps``) or ``x.flatten(1)`` (0) never count; ``return m + torch.sqrt(v) * eps`` (3),
``mu + torch.exp(0.5 * logvar) * eps`` (4) or the closed-form Gaussian KL (7) do;
``(x - m) ** 2 / v`` (3), a part of the Gaussian log-density, does not.

**Structure under other names.** Visible code can also be a template of a graded function without
a single heavy line in common: the same loop calling the same graded functions, the same updates,
in the same order, with other names (``self.u[k]`` for ``p[:, :k]``). So each graded function, and
each loop in one, is also compared as a *skeleton*: one step per statement, in order, loops and
branches flattened between markers. A step keeps what a statement *does*, not its names: its kind
(an assignment and its number of targets; an update ``x = x - y`` or ``x -= y`` and its operator; a
bare call; a return and its number of values; a loop), and the functions it calls (graded
functions of the course by name, library functions by their last name, ``self.<module>(...)`` as
one name, a draw of noise (``randn``, ``rsample``, ``sample``) as one name, data plumbing such as
``reshape``, ``expand``, ``flip`` left out). Steps weigh what they carry: a call of a graded
top-level function 2 (graded methods are called by everybody's names, ``log_prob``), another step
that computes 1 (an update, a loop), a return 1/2, plain plumbing 1/4.
Two skeletons are aligned in order (a longest common subsequence); two steps of the same kind
count with their weight, scaled by how many called functions they share (half for none), by 3/4
when their arities differ and by 1/2 when only one of them carries a value (assigns a name it
reads, ``z, log_det = flow(z, ...)``). A visible function (or a cell's top-level code) is a leak of a
graded function when the alignment covers ``STRUCT_SHARE`` of the graded skeleton's weight and at
least ``STRUCT_WEIGHT``; a visible loop is a leak of a graded loop that calls a graded function
when it covers ``LOOP_SHARE`` and at least ``LOOP_WEIGHT``; either way the alignment must hold a
loop or a call of a graded function (a straight-line preamble shared by every VAE, encode, draw,
log-density, is not a template). The thresholds leave a margin on the course as it is: the
template they were set on (06 [31] and [35] of commit 3382ce6: 0.86 and 3.0 of the graded loop,
0.72 and 7.7 of the graded function) is found, and the closest visible code elsewhere covers 0.49
and 5.3 of a graded function and 0.52 and 1.8 of a graded loop; a copy with every name changed is
found (tests/test_leaks.py).

``python -m tools.leaks`` prints every leak in the course, of lines and of structure.
"""

from __future__ import annotations

import ast
import builtins
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from . import notebooks as nbs

LINE_WEIGHT = 3   # a whole graded line (the expression of a statement)
PART_WEIGHT = 4   # a part of one
MIN_LOCALS = 2
STRUCT_SHARE, STRUCT_WEIGHT = 0.6, 6.0   # a graded function's skeleton, covered by a visible block
LOOP_SHARE, LOOP_WEIGHT = 0.75, 3.0      # a graded loop (one that calls a graded function), by a visible loop

# Module paths whose functions are compared by their last name: torch.exp = math.exp = x.exp().
FLAT_MODULES = ("torch.nn.functional", "torch.special", "torch", "math", "numpy")
# Tensor methods that are also functions of those modules: x.sum(-1) = torch.sum(x, -1).
TENSOR_FUNCTIONS = frozenset("""
    exp log log1p expm1 log2 log10 sqrt rsqrt square pow abs sum mean prod std var logsumexp softmax
    log_softmax sigmoid tanh relu softplus clamp clip max min argmax argmin amax amin matmul mm bmm mul
    add sub div true_divide neg negative t transpose diagonal trace cumsum cumprod gather logaddexp sin
    cos erf lgamma digamma norm outer dot squeeze unsqueeze flatten reshape nonzero sort topk multiply
    subtract divide reciprocal logdet slogdet cholesky inverse triu tril diag cholesky_inverse
""".split())
# Calls that move, reshape or convert data without computing anything: weight 0.
PLUMBING = frozenset("""
    flatten reshape view view_as reshape_as unsqueeze squeeze detach clone to float double long int bool
    half item contiguous expand expand_as requires_grad_ numel size tolist cpu cuda numpy type_as len
    range tuple list dict enumerate zip tensor as_tensor isinstance print type iter next repeat permute
    broadcast_to stack cat zeros_like ones_like zeros ones
""".split())
# Conversions that change no value: x.double(), x.detach(), x.item(), float(x) are x.
TRANSPARENT = frozenset("float double half long int bool item detach clone contiguous cpu cuda to numpy requires_grad_"
                        " type_as".split())
# Draws of noise: a call is a fresh random variable, compared like a local (eps).
NOISE = frozenset("randn randn_like rand rand_like normal".split())
# Keyword arguments that do not change the mathematics.
IGNORED_KEYWORDS = frozenset("dtype device generator requires_grad layout pin_memory non_blocking memory_format out"
                             .split())
_BUILTINS = frozenset(dir(builtins))


# --------------------------------------------------------------------------------------------------
# Canonical trees


@dataclass(frozen=True, eq=False)
class Node:
    """A canonical expression: ``kind`` (``+``, ``*``, ``**``, ``call``, ``local``, ...), a ``label``
    (function or attribute name, constant), children, and the AST node it came from."""

    kind: str
    label: str = ""
    children: tuple[Node, ...] = ()
    origin: ast.AST | None = field(default=None, compare=False)

    def render(self, names: dict[str, str] | None) -> str:
        """The form as text; locals renamed through ``names`` (filled in order of appearance), or
        all shown as ``_`` when ``names`` is None."""
        if self.kind == "local":
            if names is None:
                return "_"
            return names.setdefault(self.label, f"v{len(names)}")
        if not self.children:
            return f"{self.kind}:{self.label}" if self.label else self.kind
        inner = ", ".join(child.render(names) for child in self.children)
        return f"{self.kind}{':' + self.label if self.label else ''}({inner})"

    @property
    def form(self) -> str:
        return self.render({})

    @property
    def exact_key(self) -> str:
        """The form with the locals' own names (equal expressions, not only alike ones)."""
        return self.render(_Identity())

    @property
    def shape_key(self) -> str:
        return self.render(None)

    def walk(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            yield from child.walk()

    @property
    def weight(self) -> int:
        return sum(n.own_weight for n in self.walk())

    @property
    def own_weight(self) -> int:
        if self.kind == "+":
            return len(self.children) - 1
        if self.kind == "*":
            factors = [c for c in self.children if not (c.kind == "num" and float(c.label) in (1.0, -1.0))]
            return max(len(factors) - 1, 0)
        if self.kind == "**":
            exponent = self.children[1]
            return 0 if exponent.kind == "num" and float(exponent.label) == -1.0 else 1
        if self.kind == "@":
            return len(self.children) - 1
        if self.kind == "call":
            return 0 if self.label in PLUMBING else 1
        if self.kind in ("method", "callv", "cmp", "ifexp", "T"):
            return 0 if self.label in PLUMBING else 1
        if self.kind == "[]":
            value = self.children[0]
            return 0 if value.kind == "attr" and value.label == "shape" else 1
        if self.kind in ("and", "or"):
            return len(self.children) - 1
        return 0

    @property
    def locals(self) -> set[str]:
        return {n.label for n in self.walk() if n.kind == "local"}


class _Identity(dict):
    def setdefault(self, key, default=None):
        return key


def _num(value: float) -> Node:
    value = float(value)
    if value == 0.0:
        value = 0.0  # -0.0
    return Node("num", repr(value))


def _is_num(node: Node) -> bool:
    return node.kind == "num"


def _value(node: Node) -> float:
    return float(node.label)


def _sorted(children: Iterable[Node]) -> tuple[Node, ...]:
    return tuple(sorted(children, key=lambda n: n.shape_key))


def _product(factors: Iterable[Node], origin=None, flip: bool = True) -> Node:
    """A flattened product with one numeric coefficient (first) and sorted factors; a negative
    coefficient of a single sum goes into the sum when that keeps its first term positive."""
    coefficient, rest = 1.0, []
    for factor in factors:
        if factor.kind == "*":
            for sub in factor.children:
                if _is_num(sub):
                    coefficient *= _value(sub)
                else:
                    rest.append(sub)
        elif _is_num(factor):
            coefficient *= _value(factor)
        else:
            rest.append(factor)
    rest = _collect_powers(rest)
    if not rest:
        return _num(coefficient)
    if coefficient == 1.0 and len(rest) == 1:
        return rest[0]
    if flip and coefficient < 0 and len(rest) == 1 and rest[0].kind == "+":
        flipped = _sum([_product([_num(-1.0), t], flip=False) for t in rest[0].children], flip=False)
        if flipped.kind == "+":
            return _product([_num(-coefficient), flipped], origin, flip=False)
    children = _sorted(rest)
    if coefficient != 1.0:
        children = (_num(coefficient), *children)
    return Node("*", "", children, origin)


def _collect_powers(factors: list[Node]) -> list[Node]:
    """x * x = x ** 2, x * x ** -1 = 1: equal bases with numeric exponents are merged."""
    exponents: dict[str, list] = {}
    for factor in factors:
        if factor.kind == "**" and _is_num(factor.children[1]):
            base, e = factor.children[0], _value(factor.children[1])
        else:
            base, e = factor, 1.0
        entry = exponents.setdefault(base.exact_key, [base, 0.0, factor])
        entry[1] += e
    merged = []
    for base, e, first in exponents.values():
        if e == 0.0:
            continue
        merged.append(base if e == 1.0 else _power(base, _num(e), first.origin))
    return merged


def _negate(node: Node, flip: bool = True) -> Node:
    return _product([_num(-1.0), node], node.origin, flip)


def _coefficient(node: Node) -> tuple[float, Node]:
    """``c, rest`` with node == c * rest."""
    if _is_num(node):
        return _value(node), _num(1.0)
    if node.kind == "*" and _is_num(node.children[0]):
        return _value(node.children[0]), _product(node.children[1:], node.origin)
    return 1.0, node


def _sum(terms: Iterable[Node], origin=None, flip: bool = True) -> Node:
    """A flattened sum, numeric constants folded, terms sorted; the sign of the first term is
    taken out (``b - a`` is ``-(a - b)``)."""
    constant, rest = 0.0, []
    flat = []
    for term in terms:
        if term.kind == "+":
            flat.extend(term.children)
        elif (term.kind == "*" and len(term.children) == 2 and _is_num(term.children[0])
              and _value(term.children[0]) == -1.0 and term.children[1].kind == "+"):
            flat.extend(_product([_num(-1.0), t], flip=False) for t in term.children[1].children)
        else:
            flat.append(term)
    for term in flat:
        for sub in (term,):
            if _is_num(sub):
                constant += _value(sub)
            else:
                rest.append(sub)
    if not rest:
        return _num(constant)
    if constant:
        rest.append(_num(constant))
    if len(rest) == 1:
        return rest[0]
    # Sorted by shape; among terms of one shape the positive ones first.
    signed = sorted((_coefficient(t) for t in rest), key=lambda cr: (cr[1].shape_key, cr[0] < 0, abs(cr[0])))
    sign = -1.0 if signed[0][0] < 0 else 1.0
    children = tuple(_product([_num(sign * c), r], flip=False) for c, r in signed)
    total = Node("+", "", children, origin)
    return _negate(total, flip) if sign < 0 else total


def _power(base: Node, exponent: Node, origin=None) -> Node:
    if _is_num(exponent):
        e = _value(exponent)
        if e == 1.0:
            return base
        if base.kind == "**" and _is_num(base.children[1]):
            return _power(base.children[0], _num(_value(base.children[1]) * e), origin)
        if base.kind == "call" and base.label == "exp" and len(base.children) == 1:
            return Node("call", "exp", (_product([exponent, base.children[0]]),), origin)
        if base.kind == "*" and _is_num(base.children[0]) and _value(base.children[0]) > 0:
            # (c * x) ** e = c ** e * x ** e
            rest = _product(base.children[1:])
            return _product([_num(_value(base.children[0]) ** e), _power(rest, exponent)], origin)
    return Node("**", "", (base, exponent), origin)


def _matmul(operands: Iterable[Node], origin=None) -> Node:
    flat = []
    for operand in operands:
        flat.extend(operand.children if operand.kind == "@" else (operand,))
    return Node("@", "", tuple(flat), origin)


# --------------------------------------------------------------------------------------------------
# From Python's AST to canonical trees


@dataclass
class Scope:
    """The single-assignment locals of one cell or function: name -> value expression."""

    values: dict[str, ast.expr]
    parent: Scope | None = None

    def lookup(self, name: str) -> ast.expr | None:
        scope = self
        while scope is not None:
            if name in scope.values:
                return scope.values[name]
            scope = scope.parent
        return None


def _bindings(body: Iterable[ast.AST], lines_ok) -> dict[str, ast.expr]:
    """The names of a scope (nested functions left out) bound exactly once on the lines
    ``lines_ok`` accepts, by ``name = expr``: name -> expr."""
    counts: dict[str, int] = {}
    simple: dict[str, ast.expr] = {}

    def bind(name, node):
        # Only bindings the reader sees count (release/ shows no hidden test that rebinds a name).
        if not hasattr(node, "lineno") or lines_ok(node):
            counts[name] = counts.get(name, 0) + 1

    def visit(node):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda):
            if not isinstance(node, ast.Lambda):
                bind(node.name, node)
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
            bind(node.id, node)
        elif isinstance(node, ast.alias):
            bind((node.asname or node.name).split(".")[0], node)
        elif isinstance(node, ast.arg):
            bind(node.arg, node)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bind(node.name, node)
        if (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
                and lines_ok(node)):
            simple[node.targets[0].id] = node.value
        for child in ast.iter_child_nodes(node):
            visit(child)

    for statement in body:
        visit(statement)
    once = {name: value for name, value in simple.items() if counts.get(name) == 1}
    return once


def _function_args(node) -> list[ast.arg]:
    a = node.args
    return [*a.posonlyargs, *a.args, *a.kwonlyargs, *([a.vararg] if a.vararg else []),
            *([a.kwarg] if a.kwarg else [])]


class Canonicaliser:
    """Turns expressions of one file (cell, module) into canonical trees.

    ``globals_`` maps names bound by imports to their module paths (``F`` -> ``torch.nn.functional``);
    ``defined`` holds the file's top-level functions and classes (kept by name).
    """

    def __init__(self, globals_: dict[str, str], defined: set[str]):
        self.globals = globals_
        self.defined = defined
        self._inlining: set[int] = set()

    # -- names ---------------------------------------------------------------------------------
    def _path(self, node: ast.expr) -> str | None:
        """The dotted global path of ``torch.nn.functional.softplus``-like expressions."""
        if isinstance(node, ast.Name):
            if node.id in self.globals:
                return self.globals[node.id]
            return None
        if isinstance(node, ast.Attribute):
            base = self._path(node.value)
            return f"{base}.{node.attr}" if base else None
        return None

    @staticmethod
    def _flat(path: str) -> str:
        for module in FLAT_MODULES:
            if path.startswith(module + ".") and "." not in path[len(module) + 1:]:
                return path[len(module) + 1:]
        return path

    # -- expressions ---------------------------------------------------------------------------
    def convert(self, node: ast.expr, scope: Scope | None, inline: bool) -> Node:
        c = lambda n: self.convert(n, scope, inline)  # noqa: E731
        if isinstance(node, ast.Constant):
            if isinstance(node.value, bool) or node.value is None:
                return Node("const", repr(node.value), (), node)
            if isinstance(node.value, int | float):
                return _num(node.value)
            return Node("const", repr(node.value), (), node)
        if isinstance(node, ast.Name):
            return self._name(node, scope, inline)
        if isinstance(node, ast.Attribute):
            path = self._path(node)
            if path:
                return Node("global", self._flat(path), (), node)
            if node.attr in ("T", "mT", "H"):
                return Node("T", "", (c(node.value),), node)
            return Node("attr", node.attr, (c(node.value),), node)
        if isinstance(node, ast.BinOp):
            return self._binop(node, c)
        if isinstance(node, ast.UnaryOp):
            operand = c(node.operand)
            if isinstance(node.op, ast.USub):
                return _negate(operand)
            if isinstance(node.op, ast.UAdd):
                return operand
            return Node(type(node.op).__name__, "", (operand,), node)
        if isinstance(node, ast.Call):
            return self._call(node, c)
        if isinstance(node, ast.Compare):
            return self._compare(node, c)
        if isinstance(node, ast.BoolOp):
            return Node(type(node.op).__name__.lower(), "", _sorted(c(v) for v in node.values), node)
        if isinstance(node, ast.Subscript):
            return Node("[]", "", (c(node.value), c(node.slice)), node)
        if isinstance(node, ast.Slice):
            parts = (node.lower, node.upper, node.step)
            return Node("slice", "", tuple(c(p) if p else Node("none") for p in parts), node)
        if isinstance(node, ast.Tuple | ast.List):
            return Node("seq", "", tuple(c(e) for e in node.elts), node)
        if isinstance(node, ast.Starred):
            return Node("star", "", (c(node.value),), node)
        if isinstance(node, ast.IfExp):
            return Node("ifexp", "", (c(node.test), c(node.body), c(node.orelse)), node)
        if isinstance(node, ast.JoinedStr):
            return Node("fstring", "", (), node)
        # Anything else (lambda, comprehension, dict, ...): its kind and its sub-expressions.
        children = tuple(c(child) for child in ast.iter_child_nodes(node) if isinstance(child, ast.expr))
        return Node(type(node).__name__, "", children, node)

    def _name(self, node: ast.Name, scope: Scope | None, inline: bool) -> Node:
        name = node.id
        bound_here = scope is not None and scope.lookup(name) is not None
        if inline and bound_here:
            value = scope.lookup(name)
            if id(value) not in self._inlining:
                self._inlining.add(id(value))
                try:
                    return self.convert(value, scope, inline)
                finally:
                    self._inlining.discard(id(value))
        if name in self.globals:
            return Node("global", self._flat(self.globals[name]), (), node)
        if name in self.defined or (name in _BUILTINS and not bound_here):
            return Node("global", name, (), node)
        return Node("local", name, (), node)

    def _binop(self, node: ast.BinOp, c) -> Node:
        left, right = c(node.left), c(node.right)
        op = node.op
        if isinstance(op, ast.Add):
            return _sum([left, right], node)
        if isinstance(op, ast.Sub):
            return _sum([left, _negate(right)], node)
        if isinstance(op, ast.Mult):
            return _product([left, right], node)
        if isinstance(op, ast.Div):
            if _is_num(right) and _value(right) != 0:
                return _product([_num(1.0 / _value(right)), left], node)
            return _product([left, _power(right, _num(-1.0))], node)
        if isinstance(op, ast.Pow):
            return _power(left, right, node)
        if isinstance(op, ast.MatMult):
            return _matmul([left, right], node)
        return Node(type(op).__name__, "", (left, right), node)

    def _compare(self, node: ast.Compare, c) -> Node:
        operands = [c(node.left), *(c(x) for x in node.comparators)]
        ops = [type(o).__name__ for o in node.ops]
        if len(ops) == 1:
            swap = {"Gt": "Lt", "GtE": "LtE"}
            if ops[0] in swap:
                ops, operands = [swap[ops[0]]], operands[::-1]
            elif ops[0] in ("Eq", "NotEq", "Is", "IsNot"):
                operands = list(_sorted(operands))
        return Node("cmp", ",".join(ops), tuple(operands), node)

    def _call(self, node: ast.Call, c) -> Node:
        func = node.func
        args = [c(a) for a in node.args]
        keywords = {k.arg: c(k.value) for k in node.keywords if k.arg not in IGNORED_KEYWORDS}
        path = self._path(func)
        if path:
            name = self._flat(path)
        elif isinstance(func, ast.Name) and (func.id in self.defined or func.id in _BUILTINS):
            name = func.id
        elif isinstance(func, ast.Attribute) and func.attr in TENSOR_FUNCTIONS | PLUMBING:
            name = func.attr
            args = [c(func.value), *args]
        elif isinstance(func, ast.Attribute):
            return self._finish_call("method", func.attr, [c(func.value), *args], keywords, node)
        else:
            return self._finish_call("callv", "", [c(func), *args], keywords, node)
        return self._function(name, args, keywords, node)

    def _function(self, name: str, args: list[Node], keywords: dict[str, Node], node) -> Node:
        if name in NOISE:
            return Node("local", f"~noise{id(node)}", (), node)
        if name in TRANSPARENT and args and (len(args) == 1 or name in ("to", "type_as", "requires_grad_")):
            return args[0]
        for key in ("dim", "axis"):
            if key in keywords and len(args) == 1:
                args.append(keywords.pop(key))
        if not keywords:
            if name == "sqrt" and len(args) == 1:
                return _power(args[0], _num(0.5), node)
            if name == "rsqrt" and len(args) == 1:
                return _power(args[0], _num(-0.5), node)
            if name == "square" and len(args) == 1:
                return _power(args[0], _num(2.0), node)
            if name == "reciprocal" and len(args) == 1:
                return _power(args[0], _num(-1.0), node)
            if name == "pow" and len(args) == 2:
                return _power(args[0], args[1], node)
            if name in ("mul", "multiply") and len(args) == 2:
                return _product(args, node)
            if name == "add" and len(args) == 2:
                return _sum(args, node)
            if name in ("sub", "subtract") and len(args) == 2:
                return _sum([args[0], _negate(args[1])], node)
            if name in ("div", "divide", "true_divide") and len(args) == 2:
                return _product([args[0], _power(args[1], _num(-1.0))], node)
            if name in ("neg", "negative") and len(args) == 1:
                return _negate(args[0])
            if name in ("matmul", "mm", "bmm") and len(args) == 2:
                return _matmul(args, node)
            if name == "t" and len(args) == 1:
                return Node("T", "", (args[0],), node)
            if name in ("sum", "mean") and args:
                # sum(c * x) = c * sum(x): a sign or factor may sit inside or outside.
                coefficient, rest = _coefficient(args[0])
                if coefficient != 1.0:
                    inner = self._finish_call("call", name, [rest, *args[1:]], {}, node)
                    return _product([_num(coefficient), inner], node)
        return self._finish_call("call", name, args, keywords, node)

    @staticmethod
    def _finish_call(kind, name, args, keywords, node) -> Node:
        children = list(args)
        for key in sorted(keywords, key=lambda k: (k is None, k or "")):  # None: a **mapping
            children.append(Node("kw", key, (keywords[key],)))
        return Node(kind, name, tuple(children), node)


# --------------------------------------------------------------------------------------------------
# Code units: a notebook cell or a Python file, with the lines of its marked regions


@dataclass
class Unit:
    """One piece of code: ``where`` (a path relative to the course root), ``cell`` (index in the
    notebook, None for a .py file), its text, the lines inside solution and hidden-test regions,
    and the names the whole file imports and defines."""

    where: str
    cell: int | None
    text: str
    solution_lines: set[int]
    hidden_lines: set[int]
    grade_id: str | None = None
    globals: dict[str, str] = field(default_factory=dict)
    defined: set[str] = field(default_factory=set)
    markdown: bool = False   # the code spans of a markdown cell

    @property
    def label(self) -> str:
        if self.cell is None:
            return self.where
        return f"{self.where} cell {self.cell}" + (" (markdown, code spans)" if self.markdown else "")

    def tree(self) -> ast.Module:
        try:
            return ast.parse(self.text)
        except SyntaxError as error:
            raise SyntaxError(f"{self.label}: cannot parse the code ({error})") from None

    def line(self, number: int) -> str:
        lines = self.text.splitlines()
        return lines[number - 1].strip() if 0 < number <= len(lines) else ""


def _regions(text: str) -> tuple[set[int], set[int]]:
    """1-based line numbers inside (and including the markers of) solution and hidden-test regions."""
    solution, hidden, state = set(), set(), None
    for number, line in enumerate(text.splitlines(), start=1):
        if "### BEGIN SOLUTION" in line:
            state = "solution"
        elif "### BEGIN HIDDEN TESTS" in line:
            state = "hidden"
        if state == "solution":
            solution.add(number)
        elif state == "hidden":
            hidden.add(number)
        if "### END SOLUTION" in line or "### END HIDDEN TESTS" in line:
            state = None
    return solution, hidden


def _file_names(texts: Iterable[str]) -> tuple[dict[str, str], set[str]]:
    """Import aliases -> module paths, and top-level def/class names, over a file's code."""
    imported, defined = {}, set()
    for text in texts:
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.asname:
                        imported[alias.asname] = alias.name
                    else:
                        top = alias.name.split(".")[0]
                        imported[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for alias in node.names:
                    imported[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        defined |= {n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)}
    return imported, defined


_CODE_SPAN = re.compile(r"```(?:python)?\n?(.*?)```|``(.+?)``|`([^`\n]+)`", re.S)


def markdown_code(text: str) -> str:
    """The code spans and fenced blocks of a markdown cell that parse as Python, one per line group."""
    pieces = []
    for match in _CODE_SPAN.finditer(text):
        code = next(g for g in match.groups() if g is not None).strip()
        try:
            ast.parse(code)
        except SyntaxError:
            continue
        pieces.append(code)
    return "\n".join(pieces)


def notebook_units(path: Path, root: Path = nbs.REPO_ROOT) -> list[Unit]:
    """The code cells of a notebook, and the code spans of its markdown cells (not of written
    answers: their model answers stay in source/)."""
    nb = nbs.load(path)
    where = str(Path(path).resolve().relative_to(root)) if Path(path).is_absolute() else str(path)
    code_cells = [nbs.source_text(c) for c in nb["cells"] if c["cell_type"] == "code"]
    imported, defined = _file_names(code_cells)
    units = []
    for index, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            text = nbs.source_text(cell)
            solution, hidden = _regions(text)
        elif cell["cell_type"] == "markdown" and not nbs.is_solution(cell):
            text, solution, hidden = markdown_code(nbs.source_text(cell)), set(), set()
            if not text:
                continue
        else:
            continue
        units.append(Unit(where, index, text, solution, hidden, nbs.grade_id(cell), imported, defined,
                          markdown=cell["cell_type"] == "markdown"))
    return units


def python_units(path: Path, root: Path = nbs.REPO_ROOT) -> list[Unit]:
    text = Path(path).read_text(encoding="utf-8")
    imported, defined = _file_names([text])
    return [Unit(str(Path(path).resolve().relative_to(root)), None, text, set(), set(), None, imported, defined)]


# --------------------------------------------------------------------------------------------------
# Expressions of a unit, by region


@dataclass(frozen=True)
class Expression:
    unit: Unit
    node: Node
    line: int          # the expression's first line
    function: str      # the enclosing function or method ("" at the top level)
    root: bool         # the whole expression of a statement (a "line"), not a part of one
    inlined: bool      # single-assignment locals replaced by their values


def _lines(node: ast.AST) -> range:
    return range(node.lineno, (node.end_lineno or node.lineno) + 1)


def _statement_values(statement: ast.stmt) -> list[ast.expr]:
    """The expressions that make a statement's line: the value of an assignment or return, the
    expression of an expression statement (the elements, when it is a tuple)."""
    value = getattr(statement, "value", None) if isinstance(
        statement, ast.Assign | ast.AugAssign | ast.AnnAssign | ast.Return | ast.Expr) else None
    if value is None:
        return []
    return list(value.elts) + [value] if isinstance(value, ast.Tuple) else [value]


def _expressions(unit: Unit, keep) -> list[Expression]:
    """Canonical forms of every expression of ``unit`` whose lines ``keep(lines)`` accepts, in two
    versions: as written, and with single-assignment locals replaced by their values."""
    tree = unit.tree()
    canon = Canonicaliser(unit.globals, unit.defined)
    lines_ok = lambda n: keep(_lines(n))  # noqa: E731
    out: list[Expression] = []
    roots: set[int] = set()

    def visit_body(body, scope: Scope, function: str):
        for statement in body:
            visit(statement, scope, function)

    def visit(node, scope, function):
        if isinstance(node, ast.stmt):
            roots.update(id(v) for v in _statement_values(node))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            values = _bindings(node.body if isinstance(node.body, list) else [node.body], lines_ok)
            for arg in _function_args(node):
                values.pop(arg.arg, None)
            inner = Scope(values, scope)
            for default in [*node.args.defaults, *node.args.kw_defaults]:
                if default is not None:
                    visit(default, scope, function)
            if isinstance(node, ast.Lambda):
                visit(node.body, inner, function)
            else:
                visit_body(node.body, inner, f"{function}.{node.name}" if function else node.name)
            return
        if isinstance(node, ast.ClassDef):
            visit_body(node.body, scope, f"{function}.{node.name}" if function else node.name)
            return
        if isinstance(node, ast.expr) and keep(_lines(node)):
            for inline in (False, True):
                out.append(Expression(unit, canon.convert(node, scope, inline), node.lineno, function,
                                      id(node) in roots, inline))
        for child in ast.iter_child_nodes(node):
            visit(child, scope, function)

    module_values = _bindings(tree.body, lines_ok)
    visit_body(tree.body, Scope(module_values), "")
    return out


def graded_expressions(unit: Unit) -> list[Expression]:
    """The expressions inside the unit's ``### BEGIN/END SOLUTION`` regions."""
    if not unit.solution_lines:
        return []
    return _expressions(unit, lambda lines: all(n in unit.solution_lines for n in lines))


def visible_expressions(unit: Unit) -> list[Expression]:
    """The expressions a student sees: outside solution and hidden-test regions."""
    hidden = unit.solution_lines | unit.hidden_lines
    return _expressions(unit, lambda lines: not any(n in hidden for n in lines))


def significant(node: Node, whole_line: bool = True) -> bool:
    """Heavy enough to identify a solution: a whole graded line from ``LINE_WEIGHT`` on, a part of
    one from ``PART_WEIGHT`` on, and at least ``MIN_LOCALS`` distinct local names."""
    weight = LINE_WEIGHT if whole_line else PART_WEIGHT
    return node.weight >= weight and len(node.locals) >= MIN_LOCALS


# --------------------------------------------------------------------------------------------------
# Leaks


@dataclass(frozen=True)
class Leak:
    visible: Expression
    graded: Expression
    matched: Node          # the graded (sub)expression found in the visible code

    @property
    def graded_function(self) -> str:
        """``assignment:function`` (``03_vae:VAE.negative_elbo_bound``)."""
        return f"{Path(self.graded.unit.where).stem}:{self.graded.function or self.graded.unit.grade_id or '?'}"

    @property
    def graded_line(self) -> str:
        return self.graded.unit.line(getattr(self.matched.origin, "lineno", self.graded.line))

    @property
    def visible_line(self) -> str:
        return self.visible.unit.line(self.visible.line)


def find_leaks(graded_units: Iterable[Unit], visible_units: Iterable[Unit]) -> list[Leak]:
    """Every visible expression whose canonical form equals a significant graded line or part of
    one. One leak per visible unit, graded function and matched form (the first line it is seen
    on, preferring code as written to code with locals replaced), and per visible line and
    graded function only the heaviest match."""
    index: dict[str, list[Expression]] = {}
    for unit in visible_units:
        for expression in visible_expressions(unit):
            if significant(expression.node):
                index.setdefault(expression.node.form, []).append(expression)
    found: dict[tuple, Leak] = {}
    for unit in graded_units:
        for expression in graded_expressions(unit):
            for sub in expression.node.walk():
                if not significant(sub, whole_line=sub is expression.node and expression.root):
                    continue
                for visible in index.get(sub.form, ()):
                    leak = Leak(visible, expression, sub)
                    key = (visible.unit.where, visible.unit.cell, leak.graded_function, sub.form)
                    rank = (visible.inlined, visible.line)
                    if key not in found or rank < (found[key].visible.inlined, found[key].visible.line):
                        found[key] = leak
    heaviest: dict[tuple, Leak] = {}
    for leak in found.values():
        key = (leak.visible.unit.where, leak.visible.unit.cell, leak.visible.line, leak.graded_function)
        if key not in heaviest or leak.matched.weight > heaviest[key].matched.weight:
            heaviest[key] = leak
    return sorted(heaviest.values(), key=lambda leak: (leak.visible.unit.where, leak.visible.unit.cell or 0,
                                                       leak.visible.line, leak.graded_function))


# --------------------------------------------------------------------------------------------------
# Structure: skeletons of graded functions and loops, under any names

#: Calls that move data about without computing (left out of a step's called functions).
STRUCT_PLUMBING = PLUMBING | TRANSPARENT | frozenset(
    "flip roll chunk split new_zeros new_ones new_full full_like zeros_like ones_like".split())
#: Draws of noise: one name, however they are spelled.
STRUCT_NOISE = NOISE | frozenset({"rsample", "sample"})


@dataclass(frozen=True)
class Step:
    """One statement of a skeleton: ``kind`` (``=``, ``update<Op>``, ``call``, ``return``, ``loop``,
    ``if``, ``else``, ``end``), its number of targets or values, the functions it calls, its weight."""

    kind: str
    arity: int = 0
    calls: frozenset[str] = frozenset()
    weight: float = 0.0
    line: int = 0
    carried: bool = False   # a name it assigns is also read by it (z, log_det = flow(z, ...))

    def label(self) -> str:
        called = f" {'/'.join(sorted(self.calls))}" if self.calls else ""
        return f"{self.kind}{called}{' (carried)' if self.carried else ''}"


@dataclass(frozen=True)
class Block:
    """A function body, a cell's top-level code or a loop body, as a skeleton."""

    unit: Unit
    name: str          # ``PlanarFlowVAE.posterior``, ``<cell>``, ``loop in PlanarFlowVAE.posterior``
    loop: bool
    line: int
    steps: tuple[Step, ...]

    @property
    def weight(self) -> float:
        return sum(step.weight for step in self.steps)


class Skeletons:
    """Skeletons of one unit's code; ``graded`` holds the names of the course's graded functions."""

    def __init__(self, unit: Unit, graded: frozenset[str]):
        self.unit, self.graded = unit, graded
        self.canon = Canonicaliser(unit.globals, unit.defined)

    def calls(self, node: ast.AST) -> frozenset[str]:
        names = set()
        for sub in ast.walk(node):
            if not isinstance(sub, ast.Call):
                continue
            func, path = sub.func, self.canon._path(sub.func)
            if path:
                name = self.canon._flat(path).rsplit(".", 1)[-1]
            elif isinstance(func, ast.Name):
                known = func.id in self.unit.defined or func.id in self.graded or func.id in _BUILTINS
                name = func.id if known else "<local>"
            elif isinstance(func, ast.Attribute):
                own = isinstance(func.value, ast.Name) and func.value.id == "self"
                name = "self.<module>" if own and func.attr not in self.graded else func.attr
            else:
                name = "<local>"
            if name in STRUCT_NOISE:
                name = "<noise>"
            if name not in STRUCT_PLUMBING:
                names.add(name)
        return frozenset(names)

    def steps(self, body: Iterable[ast.stmt]) -> list[Step]:
        out: list[Step] = []
        for st in body:
            if isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant):
                continue  # a docstring
            if isinstance(st, ast.For | ast.AsyncFor | ast.While):
                out += [Step("loop", weight=1.0, line=st.lineno), *self.steps(st.body),
                        Step("end", line=st.lineno)]
            elif isinstance(st, ast.If):
                out += [Step("if", weight=0.25, line=st.lineno), *self.steps(st.body)]
                if st.orelse:
                    out += [Step("else", line=st.lineno), *self.steps(st.orelse)]
                out.append(Step("end", line=st.lineno))
            elif isinstance(st, ast.With | ast.AsyncWith | ast.Try):
                out += self.steps(st.body)
            elif isinstance(st, ast.AugAssign):
                out.append(Step(f"update{type(st.op).__name__}", 1, self.calls(st.value), 1.0, st.lineno))
            elif isinstance(st, ast.Assign | ast.AnnAssign) and st.value is not None:
                out.append(self._assignment(st))
            elif isinstance(st, ast.Return) and st.value is not None:
                arity = len(st.value.elts) if isinstance(st.value, ast.Tuple) else 1
                out.append(Step("return", arity, self.calls(st.value), 0.5, st.lineno))
            elif isinstance(st, ast.Expr):
                calls = self.calls(st.value)
                out.append(Step("call", 0, calls, self._weight(calls), st.lineno))
        return out

    def _assignment(self, st: ast.Assign | ast.AnnAssign) -> Step:
        target = st.targets[0] if isinstance(st, ast.Assign) else st.target
        value = st.value
        # x = x - y is the update x -= y
        if (isinstance(target, ast.Name) and isinstance(value, ast.BinOp) and isinstance(value.left, ast.Name)
                and value.left.id == target.id):
            return Step(f"update{type(value.op).__name__}", 1, self.calls(value.right), 1.0, st.lineno)
        arity = len(target.elts) if isinstance(target, ast.Tuple) else 1
        calls = self.calls(value)
        stored = {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}
        carried = any(isinstance(n, ast.Name) and n.id in stored for n in ast.walk(value))
        return Step("=", arity, calls, self._weight(calls), st.lineno, carried)

    def _weight(self, calls: frozenset[str]) -> float:
        return 2.0 if calls & self.graded else 1.0 if calls else 0.25


def _step_score(graded: Step, visible: Step) -> float:
    if graded.kind != visible.kind:
        return 0.0
    if graded.kind in ("loop", "if", "else", "end"):
        return graded.weight
    union = graded.calls | visible.calls
    shared = len(graded.calls & visible.calls) / len(union) if union else 1.0
    alike = (1.0 if graded.arity == visible.arity else 0.75) * (1.0 if graded.carried == visible.carried else 0.5)
    return graded.weight * alike * (0.5 + 0.5 * shared)


def align(graded: tuple[Step, ...], visible: tuple[Step, ...]) -> tuple[float, list[tuple[Step, Step]]]:
    """The heaviest in-order alignment of two skeletons: (its weight, the aligned pairs)."""
    n, m = len(graded), len(visible)
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            best[i][j] = max(best[i - 1][j], best[i][j - 1],
                             best[i - 1][j - 1] + _step_score(graded[i - 1], visible[j - 1]))
    pairs, i, j = [], n, m
    while i and j:
        if best[i][j] == best[i - 1][j]:
            i -= 1
        elif best[i][j] == best[i][j - 1]:
            j -= 1
        else:
            if _step_score(graded[i - 1], visible[j - 1]) > 0:
                pairs.append((graded[i - 1], visible[j - 1]))
            i, j = i - 1, j - 1
    return best[n][m], pairs[::-1]


def _functions(body: Iterable[ast.stmt], prefix: str = "") -> Iterator[tuple[str, ast.FunctionDef]]:
    for st in body:
        if isinstance(st, ast.FunctionDef | ast.AsyncFunctionDef):
            yield f"{prefix}{st.name}", st
            yield from _functions(st.body, f"{prefix}{st.name}.")
        elif isinstance(st, ast.ClassDef):
            yield from _functions(st.body, f"{prefix}{st.name}.")


def _loops(body: Iterable[ast.stmt]) -> list[ast.For | ast.While]:
    return [n for st in body for n in ast.walk(st) if isinstance(n, ast.For | ast.AsyncFor | ast.While)]


def _code(body: Iterable[ast.stmt]) -> list[ast.stmt]:
    return [st for st in body if not (isinstance(st, ast.Expr) and isinstance(st.value, ast.Constant))]


def graded_names(graded_units: Iterable[Unit]) -> frozenset[str]:
    """The top-level functions whose bodies are graded (inside solution regions). Graded methods are
    left out: their names (``log_prob``, ``sample``, ``forward``) are everybody's."""
    return frozenset(name for unit in graded_units for name, _ in _graded_functions(unit) if "." not in name)


def _graded_functions(unit: Unit) -> Iterator[tuple[str, ast.FunctionDef]]:
    for name, fn in _functions(unit.tree().body):
        body = _code(fn.body)
        if body and all(n in unit.solution_lines for st in body for n in _lines(st)):
            yield name, fn


def graded_blocks(unit: Unit, graded: frozenset[str]) -> list[Block]:
    """Every graded function of ``unit``, and every loop in one that calls a graded function."""
    sk, out = Skeletons(unit, graded), []
    for name, fn in _graded_functions(unit):
        out.append(Block(unit, name, False, fn.lineno, tuple(sk.steps(fn.body))))
        for loop in _loops(fn.body):
            steps = tuple(sk.steps(loop.body))
            if any(step.weight >= 2 for step in steps):
                out.append(Block(unit, f"loop in {name}", True, loop.lineno, steps))
    return out


def visible_blocks(unit: Unit, graded: frozenset[str]) -> list[Block]:
    """Every function, the top-level code and every loop that ``unit`` shows (outside solution and
    hidden-test regions)."""
    if unit.markdown:
        return []
    hidden = unit.solution_lines | unit.hidden_lines
    shown = lambda st: not any(n in hidden for n in _lines(st))  # noqa: E731
    sk, tree, out = Skeletons(unit, graded), unit.tree(), []
    top = [st for st in tree.body if shown(st) and not isinstance(
        st, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Import | ast.ImportFrom)]
    if top:
        out.append(Block(unit, "<cell>" if unit.cell is not None else "<module>", False, top[0].lineno,
                         tuple(sk.steps(top))))
    for name, fn in _functions(tree.body):
        body = [st for st in fn.body if shown(st)]
        if body:
            out.append(Block(unit, name, False, fn.lineno, tuple(sk.steps(body))))
    for loop in _loops(st for st in tree.body if shown(st)):
        if shown(loop):
            out.append(Block(unit, f"loop on line {loop.lineno}", True, loop.lineno, tuple(sk.steps(loop.body))))
    return out


@dataclass(frozen=True)
class StructureLeak:
    visible: Block
    graded: Block
    weight: float                       # the aligned weight
    pairs: tuple[tuple[Step, Step], ...]

    @property
    def share(self) -> float:
        return self.weight / self.graded.weight

    @property
    def graded_function(self) -> str:
        return f"{Path(self.graded.unit.where).stem}:{self.graded.name}"


def find_structure_leaks(graded_units: Iterable[Unit], visible_units: Iterable[Unit]) -> list[StructureLeak]:
    """Every visible block whose skeleton covers a graded function's (``STRUCT_SHARE``, at least
    ``STRUCT_WEIGHT``) or a graded loop's (``LOOP_SHARE``, at least ``LOOP_WEIGHT``): per visible
    block and graded function, the heaviest match. The graded code's own cell is not compared."""
    graded_units = list(graded_units)
    names = graded_names(graded_units)
    graded = [b for unit in graded_units for b in graded_blocks(unit, names)]
    found: dict[tuple, StructureLeak] = {}
    for unit in visible_units:
        for block in visible_blocks(unit, names):
            for g in graded:
                if g.loop != block.loop or (g.unit.where, g.unit.cell) == (unit.where, unit.cell):
                    continue
                share, least = (LOOP_SHARE, LOOP_WEIGHT) if g.loop else (STRUCT_SHARE, STRUCT_WEIGHT)
                if g.weight < least:
                    continue
                weight, pairs = align(g.steps, block.steps)
                # Anchored: the alignment holds a loop or a call of a graded function, not only a
                # generic straight-line preamble (encode, draw noise, log-density).
                anchored = any(gs.kind == "loop" or gs.weight >= 2 for gs, _ in pairs)
                if anchored and weight >= least and weight >= share * g.weight:
                    leak = StructureLeak(block, g, weight, tuple(pairs))
                    key = (unit.where, unit.cell, block.name, leak.graded_function.split(":")[0],
                           g.name.removeprefix("loop in "))
                    if key not in found or weight > found[key].weight:
                        found[key] = leak
    return sorted(found.values(), key=lambda leak: (leak.visible.unit.where, leak.visible.unit.cell or 0,
                                                    leak.visible.line, leak.graded_function))


def format_structure_leaks(leaks: list[StructureLeak]) -> str:
    out = []
    for leak in leaks:
        out.append(f"{leak.visible.unit.label}, line {leak.visible.line}: {leak.visible.name} has the structure of "
                   f"graded {leak.graded_function} ({leak.share:.0%} of its skeleton, weight {leak.weight:.2f})")
        for graded, visible in leak.pairs:
            if graded.weight >= 1:
                out.append(f"    {graded.label()} (graded line {graded.line})  ~  {visible.label()} "
                           f"(line {visible.line})")
    return "\n".join(out)


def course_units(root: Path = nbs.REPO_ROOT) -> tuple[list[Unit], list[Unit]]:
    """(graded, visible): the solution cells of every source notebook; every source notebook,
    companion notebook and helpers module."""
    graded, visible = [], []
    for assignment in sorted(p.parent.name for p in (root / "source").glob("*/*.ipynb")
                             if p.stem == p.parent.name):
        units = notebook_units(root / "source" / assignment / f"{assignment}.ipynb", root)
        graded += [u for u in units if u.solution_lines]
        visible += units
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        visible += notebook_units(path, root)
    for path in sorted((root / "helpers").rglob("*.py")):
        visible += python_units(path, root)
    return graded, visible


def format_leaks(leaks: list[Leak]) -> str:
    """One paragraph per visible line: where it is, the line, and the graded code it holds."""
    paragraphs: dict[tuple, list[Leak]] = {}
    for leak in leaks:
        paragraphs.setdefault((leak.visible.unit.label, leak.visible.line), []).append(leak)
    out = []
    for (label, line), group in paragraphs.items():
        out.append(f"{label}, line {line}: {group[0].visible_line}")
        for leak in group:
            out.append(f"    is graded code of {leak.graded_function} "
                       f"(weight {leak.matched.weight}): {leak.graded_line}")
    return "\n".join(out)


def main(argv=None) -> int:
    graded, visible = course_units()
    leaks, structure = find_leaks(graded, visible), find_structure_leaks(graded, visible)
    if leaks:
        print(format_leaks(leaks))
    if structure:
        print(format_structure_leaks(structure))
    if not (leaks or structure):
        print("no leaks")
    return 1 if leaks or structure else 0


if __name__ == "__main__":
    sys.exit(main())
