"""The adapter file, parsed and validated: :class:`Adapter`, one :class:`Call` per mapped API function.

The format itself is documented in :mod:`reference.compare.submissions.adapter`. Every
mistake in a file raises ``ValueError`` naming the file and the key:

>>> Adapter.from_mapping({"examples": "cols"}, source="mine.toml")
Traceback (most recent call last):
...
ValueError: mine.toml: examples: must be one of "rows", "columns"; got "cols"
>>> a = Adapter.from_mapping({"examples": "columns", "backprop": "bprop"})
>>> a.calls["backprop"].args
('params', 'X', 'y', 'lambdas')
"""

from __future__ import annotations

import ast
import pathlib
import tomllib
from dataclasses import dataclass, field
from typing import Any, Mapping

from handgrad.types import PARAMS, PART_A, PART_B, Activations, Gradients

__all__ = ["Adapter", "Call", "Literal", "NotApplicable", "CONVENTIONS", "FIELDS", "QUANTITIES", "LAMBDA_QUANTITIES",
           "LAMBDAS_DECLARED", "declared_lambdas"]


class NotApplicable(Exception):
    """The problem cannot be put to the submission as it is declared (e.g. λ11 ≠ λ21 under tied λ)."""


#: Each convention and its values; the first is the API's own, the default.
CONVENTIONS: dict[str, tuple] = {
    "examples": ("rows", "columns"),
    "bias": ("flat", "column", "row"),
    "weights": ("out_in", "in_out"),
    "labels": (0, 1, "onehot"),
    "lambdas": ("four", "list", "matrix", "tied", "none"),
}

#: The fields of each part-B function's result.
FIELDS: dict[str, tuple[str, ...]] = {
    "forward": Activations._fields, "loss": ("loss",), "risk": ("risk",),
    "backprop": Gradients._fields, "gradient_descent": PARAMS,
}

SIZES = ("n", "d", "dh", "m")
LAMBDA_QUANTITIES = ("lambdas", "l11", "l12", "l21", "l22", "l1", "l2")
_NET = ("X", "params", *PARAMS, *SIZES)
#: The quantities each function's ``args`` and ``kwargs`` may name.
QUANTITIES: dict[str, tuple[str, ...]] = {
    "forward": _NET,
    "loss": (*_NET, "y"),
    "risk": (*_NET, "y", *LAMBDA_QUANTITIES),
    "backprop": (*_NET, "y", *LAMBDA_QUANTITIES, "input_gradient"),
    "gradient_descent": (*_NET, "y", *LAMBDA_QUANTITIES, "learning_rate", "steps"),
}
#: What ``[object]`` may name: no data (X, y), since one object serves forward as well as backprop.
OBJECT_QUANTITIES = ("params", *PARAMS, *SIZES, *LAMBDA_QUANTITIES, "learning_rate", "steps")
REDUCTIONS = {"loss": ("per_example", "sum", "mean"), "backprop": ("mean", "sum")}
#: Arguments when ``args`` and ``kwargs`` are not given: (of a function, of a method).
DEFAULT_ARGS = {
    "forward": (("params", "X"), ("X",)),
    "loss": (("params", "X", "y"), ("X", "y")),
    "risk": (("params", "X", "y", "lambdas"), ("X", "y")),
    "backprop": (("params", "X", "y", "lambdas"), ("X", "y")),
    "gradient_descent": (("params", "X", "y", "lambdas"), ("X", "y", "learning_rate", "steps")),
}
_CALL_KEYS = ("call", "args", "kwargs", "returns", "attributes", "locals", "reduction")


@dataclass(frozen=True)
class Literal:
    """A value passed as it is (a TOML number or boolean, or ``{ value = ... }``), not a quantity."""

    value: Any


@dataclass(frozen=True)
class Call:
    """Where one API function lives in the submission, what it takes and where its results are."""

    api: str
    module: str | None
    path: tuple[str, ...]
    args: tuple = ()
    kwargs: Mapping[str, Any] = field(default_factory=dict)
    #: None (part A), a field name (the whole value), a tuple of fields by position ("_" skips one),
    #: or {key of the returned mapping or attribute of the returned object: field}.
    returns: Any = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    locals: Mapping[str, str] = field(default_factory=dict)
    reduction: str | None = None

    @property
    def is_method(self) -> bool:
        """A method of a class, called on a new object built as ``[object]`` says."""
        return self.api in PART_B and len(self.path) == 2

    @property
    def where(self) -> str:
        return (f"{self.module}:" if self.module else "") + ".".join(self.path)


@dataclass(frozen=True)
class Adapter:
    """A submission's conventions (:data:`CONVENTIONS`) and where its API functions are."""

    examples: str = "rows"
    bias: str = "flat"
    weights: str = "out_in"
    labels: int | str = 0
    lambdas: str = "four"
    #: Constructor keyword arguments and attributes of the object a method is called on.
    init: Mapping[str, Any] = field(default_factory=dict)
    set: Mapping[str, Any] = field(default_factory=lambda: {p: p for p in PARAMS})
    calls: Mapping[str, Call] = field(default_factory=dict)
    source: str = "<adapter>"

    @classmethod
    def from_toml(cls, path) -> Adapter:
        """Read and validate an adapter file."""
        path = pathlib.Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"{path}: not valid TOML: {exc}") from None
        return cls.from_mapping(data, source=str(path))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any], *, source: str = "<adapter>") -> Adapter:
        """Validate a parsed adapter (as from TOML); ``source`` names it in error messages."""
        return _Parser(source).adapter(data)

    @property
    def notes(self) -> tuple[str, ...]:
        """What the declarations mean for the verdicts, in words (nothing here changes a value)."""
        out = []
        if self.lambdas == "tied":
            out.append("λ tied (one l1, l2 for both layers): a problem with λ11 ≠ λ21 or λ12 ≠ λ22 is not applicable")
        if self.lambdas == "none":
            out.append("no regularization: a problem with a λ ≠ 0 is not applicable")
        loss = self.calls.get("loss")
        if loss is not None and loss.reduction != "per_example":
            out.append(f"loss returns the batch {loss.reduction}: the per-example loss is its value on each example "
                       "alone")
        backprop = self.calls.get("backprop")
        if backprop is not None and backprop.reduction == "sum":
            out.append("backprop declares gradients summed over the batch: they are checked as returned, "
                       "against the gradients of the mean risk")
        return tuple(out)


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str):
        raise ValueError(f"{self.source}: {key}: {message}")

    def check_keys(self, key: str, table: Mapping, allowed) -> None:
        for k in table:
            if k not in allowed:
                self.fail(f"{key}.{k}" if key else k, f"unknown key (known: {', '.join(allowed)})")

    def table(self, key: str, value) -> Mapping:
        if not isinstance(value, Mapping):
            self.fail(key, f"must be a table; got {value!r}")
        for k in value:
            if not str(k).isidentifier():
                self.fail(f"{key}.{k}", "must be a Python name")
        return value

    def choice(self, key: str, value, allowed: tuple):
        if not any(type(value) is type(a) and value == a for a in allowed):
            shown = ", ".join(f'"{a}"' if isinstance(a, str) else str(a) for a in allowed)
            got = f'"{value}"' if isinstance(value, str) else repr(value)
            self.fail(key, f"must be one of {shown}; got {got}")
        return value

    def value(self, key: str, value, allowed: tuple[str, ...]):
        """A quantity's name, or a literal (a number, a boolean, ``{ value = ... }``)."""
        if isinstance(value, str):
            if value not in allowed:
                self.fail(key, f"unknown quantity {value!r} here (known: {', '.join(allowed)}; "
                               f"a literal string is written {{ value = {value!r} }})")
            return value
        if isinstance(value, Mapping) and set(value) == {"value"}:
            return Literal(value["value"])
        if isinstance(value, (bool, int, float)):
            return Literal(value)
        return self.fail(key, f"must be a quantity's name or a literal; got {value!r}")

    def adapter(self, data: Mapping) -> Adapter:
        self.check_keys("", data, (*CONVENTIONS, "object", *PART_A, *PART_B))
        conv = {k: self.choice(k, data[k], v) for k, v in CONVENTIONS.items() if k in data}
        tied = conv.get("lambdas") == "tied"
        obj = self.table("object", data.get("object", {}))
        self.check_keys("object", obj, ("init", "set"))
        init = {k: self.value(f"object.init.{k}", v, OBJECT_QUANTITIES)
                for k, v in self.table("object.init", obj.get("init", {})).items()}
        given = {k: self.value(f"object.set.{k}", v, OBJECT_QUANTITIES)
                 for k, v in self.table("object.set", obj.get("set", {})).items()}
        named = set(given.values())
        # a parameter not named in [object] set is set under its own name
        setting = {**({} if "params" in named else {p: p for p in PARAMS if p not in named}), **given}
        calls = {}
        for name in (*PART_A, *PART_B):
            if name in data:
                calls[name] = self.call(name, data[name], setting)
        self.check_lambdas(tied, {"object.init": init, "object.set": given, **{
            f"{c.api}.args": dict(enumerate(c.args)) for c in calls.values()}, **{
            f"{c.api}.kwargs": c.kwargs for c in calls.values()}})
        return Adapter(**conv, init=init, set=setting, calls=calls, source=self.source)

    def check_lambdas(self, tied: bool, places: dict[str, Mapping]) -> None:
        if tied:
            return
        for key, values in places.items():
            for v in values.values():
                if v in ("l1", "l2"):
                    self.fail(key, f"{v} is one λ shared by both layers: it needs lambdas = \"tied\"")

    def target(self, key: str, text) -> tuple[str | None, tuple[str, ...]]:
        if not isinstance(text, str):
            self.fail(key, f'must be a string, "function" or "Class.method" (after "module:" if need be); '
                           f"got {text!r}")
        module, _, rest = text.rpartition(":")
        path = tuple(rest.split("."))
        if len(path) > 2 or not all(p.isidentifier() for p in path) or (
                module and not all(p.isidentifier() for p in module.split("."))):
            self.fail(key, f'must be "function" or "Class.method" (after "module:" if need be); got {text!r}')
        return module or None, path

    def call(self, name: str, spec, setting: Mapping) -> Call:
        if name in PART_A or isinstance(spec, str):
            module, path = self.target(name, spec)
            spec = {"call": spec}
        else:
            spec = self.table(name, spec)
            self.check_keys(name, spec, _CALL_KEYS)
            if "call" not in spec:
                self.fail(f"{name}.call", "missing: where the function is")
            module, path = self.target(f"{name}.call", spec["call"])
        if name in PART_A:
            return Call(name, module, path)
        method = len(path) == 2
        return Call(name, module, path, *self.arguments(name, spec, method),
                    *self.outputs(name, spec, method, setting), reduction=self.reduction(name, spec))

    def arguments(self, name: str, spec: Mapping, method: bool) -> tuple[tuple, dict]:
        allowed = QUANTITIES[name]
        if "args" not in spec and "kwargs" not in spec:
            args = DEFAULT_ARGS[name][method]
            kwargs = {"learning_rate": "learning_rate", "steps": "steps"} if (
                name == "gradient_descent" and not method) else {}
            return args, kwargs
        raw = spec.get("args", [])
        if not isinstance(raw, list):
            self.fail(f"{name}.args", f"must be a list; got {raw!r}")
        args = tuple(self.value(f"{name}.args[{i}]", v, allowed) for i, v in enumerate(raw))
        kwargs = {k: self.value(f"{name}.kwargs.{k}", v, allowed)
                  for k, v in self.table(f"{name}.kwargs", spec.get("kwargs", {})).items()}
        return args, kwargs

    def outputs(self, name: str, spec: Mapping, method: bool, setting: Mapping) -> tuple[Any, dict, dict]:
        fields = FIELDS[name]
        returns, attributes, local = spec.get("returns"), spec.get("attributes", {}), spec.get("locals", {})
        if returns is None and not attributes and not local:
            if name == "gradient_descent" and method:
                back = {v: k for k, v in setting.items() if v in PARAMS}
                if len(back) < len(PARAMS):
                    self.fail(name, "say where the trained parameters are (returns or attributes)")
                return None, {back[p]: p for p in PARAMS}, {}
            returns = fields[0] if len(fields) == 1 else list(fields)
        seen: list[str] = []
        if isinstance(returns, str):
            returns = self.field(f"{name}.returns", returns, fields, seen)
        elif isinstance(returns, list):
            returns = tuple(f if f == "_" else self.field(f"{name}.returns[{i}]", f, fields, seen)
                            for i, f in enumerate(returns))
        elif isinstance(returns, Mapping):
            returns = {k: self.field(f"{name}.returns.{k}", f, fields, seen) for k, f in returns.items()}
        elif returns is not None:
            self.fail(f"{name}.returns", f"must be a field's name, a list or a table; got {returns!r}")
        if attributes and not method:
            self.fail(f"{name}.attributes", "needs a method (\"Class.method\"): a function has no object")
        attributes = {k: self.field(f"{name}.attributes.{k}", f, fields, seen)
                      for k, f in self.table(f"{name}.attributes", attributes).items()}
        local = {k: self.field(f"{name}.locals.{k}", f, fields, seen)
                 for k, f in self.table(f"{name}.locals", local).items()}
        return returns, attributes, local

    def field(self, key: str, value, fields: tuple[str, ...], seen: list[str]) -> str:
        if not isinstance(value, str) or value not in fields:
            self.fail(key, f"must be a field of the result ({', '.join(fields)}); got {value!r}")
        if value in seen:
            self.fail(key, f"{value} is already read from elsewhere")
        seen.append(value)
        return value

    def reduction(self, name: str, spec: Mapping) -> str | None:
        if name not in REDUCTIONS:
            if "reduction" in spec:
                self.fail(f"{name}.reduction", "only loss and backprop declare one")
            return None
        return self.choice(f"{name}.reduction", spec.get("reduction", REDUCTIONS[name][0]), REDUCTIONS[name])


#: What a Python adapter's module-level ``LAMBDAS`` may say (the grader reads it from the text).
LAMBDAS_DECLARED = ("four", "tied", "none")


def declared_lambdas(path) -> str:
    """A Python adapter's ``LAMBDAS`` declaration (:mod:`.adapting`), read from its text: nothing runs, in the
    grader's process. ValueError naming the file and line.

    >>> import tempfile
    >>> f = pathlib.Path(tempfile.mkdtemp(), "a.py"); _ = f.write_text('LAMBDAS = "tied"\\n')
    >>> declared_lambdas(f)
    'tied'
    """
    path = pathlib.Path(path)
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as exc:
        raise ValueError(f"{path}: syntax error at line {exc.lineno}: {exc.msg}") from None
    found, used = "four", set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "LAMBDAS" for t in node.targets):
            if not (isinstance(node.value, ast.Constant) and node.value.value in LAMBDAS_DECLARED):
                raise ValueError(f"{path}:{node.lineno}: LAMBDAS must be one of "
                                 f"{', '.join(repr(v) for v in LAMBDAS_DECLARED)} (a string, read without running)")
            found = node.value.value
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name in ("tied", "no_lambdas"):
                used.add((name, node.lineno))
    for name, line in sorted(used, key=lambda u: u[1]):
        want = {"tied": "tied", "no_lambdas": "none"}[name]
        if found != want:
            raise ValueError(f"{path}:{line}: {name}() needs the declaration LAMBDAS = \"{want}\" at the top level "
                             "(the grader reads it to know which problems to send)")
    return found
