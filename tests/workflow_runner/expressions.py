"""GitHub Actions `${{ }}` expressions: the subset the repowarden templates use.

Semantics follow GitHub's documentation ("Evaluate expressions in workflows and
actions"): loose equality with number coercion, case-insensitive string
comparison, `&&`/`||` returning an operand, missing properties evaluating to
null. Anything outside the subset (an unknown function or context, `*` filters)
raises ExpressionError instead of being guessed at, so a template that starts
using something new fails loudly here first.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


class ExpressionError(Exception):
    """An expression this evaluator does not understand, or cannot evaluate."""


# ---------------------------------------------------------------- tokens

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>0x[0-9a-fA-F]+|-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<op>==|!=|<=|>=|&&|\|\||[<>!().,\[\]])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_-]*)
  | (?P<star>\*)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN_RE.match(source, pos)
        if match is None:
            raise ExpressionError(f"unexpected character {source[pos]!r} at {pos} in {source!r}")
        kind = match.lastgroup or ""
        if kind == "star":
            raise ExpressionError(f"object filters ('*') are not supported: {source!r}")
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    return tokens


# ---------------------------------------------------------------- syntax tree


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class ContextRef:
    name: str


@dataclass(frozen=True)
class Index:
    target: Node
    key: Node


@dataclass(frozen=True)
class Not:
    operand: Node


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


Node = Literal | ContextRef | Index | Not | Binary | Call

STATUS_FUNCTIONS = frozenset({"success", "failure", "cancelled", "always"})
FUNCTIONS = (
    frozenset({"contains", "startswith", "endswith", "format", "join", "tojson", "fromjson"})
    | STATUS_FUNCTIONS
)
CONTEXTS = frozenset(
    {"github", "env", "inputs", "steps", "needs", "runner", "job", "secrets", "vars"}
)
_PRECEDENCE = {"||": 1, "&&": 2, "==": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4}


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0

    def error(self, message: str) -> ExpressionError:
        return ExpressionError(f"{message} in expression {self.source!r}")

    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, text: str | None = None) -> Token:
        token = self.peek()
        if token is None:
            raise self.error("unexpected end")
        if text is not None and token.text != text:
            raise self.error(f"expected {text!r} at {token.pos}, found {token.text!r}")
        self.i += 1
        return token

    def parse(self) -> Node:
        if not self.tokens:
            raise self.error("empty expression")
        node = self.binary(1)
        if self.peek() is not None:
            token = self.peek()
            assert token is not None
            raise self.error(f"unexpected {token.text!r} at {token.pos}")
        return node

    def binary(self, level: int) -> Node:
        left = self.unary()
        while True:
            token = self.peek()
            if token is None or token.kind != "op" or _PRECEDENCE.get(token.text, 0) < level:
                return left
            self.i += 1
            right = self.binary(_PRECEDENCE[token.text] + 1)
            left = Binary(token.text, left, right)

    def unary(self) -> Node:
        token = self.peek()
        if token is not None and token.text == "!":
            self.i += 1
            return Not(self.unary())
        return self.postfix(self.primary())

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "string":
            return Literal(token.text[1:-1].replace("''", "'"))
        if token.kind == "number":
            text = token.text
            value = int(text, 16) if text.startswith("0x") else float(text)
            return Literal(value)
        if token.text == "(":
            node = self.binary(1)
            self.take(")")
            return node
        if token.kind == "ident":
            word = token.text
            nxt = self.peek()
            if nxt is not None and nxt.text == "(":
                return self.call(word)
            if word == "true":
                return Literal(True)
            if word == "false":
                return Literal(False)
            if word == "null":
                return Literal(None)
            if word.lower() not in CONTEXTS:
                raise self.error(f"unknown context {word!r} (known: {', '.join(sorted(CONTEXTS))})")
            return ContextRef(word.lower())
        raise self.error(f"unexpected {token.text!r} at {token.pos}")

    def call(self, name: str) -> Node:
        if name.lower() not in FUNCTIONS:
            raise self.error(f"unknown function {name}() (known: {', '.join(sorted(FUNCTIONS))})")
        self.take("(")
        args: list[Node] = []
        if self.peek() is not None and self.peek().text != ")":  # type: ignore[union-attr]
            args.append(self.binary(1))
            while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
                self.i += 1
                args.append(self.binary(1))
        self.take(")")
        return Call(name.lower(), tuple(args))

    def postfix(self, node: Node) -> Node:
        while (token := self.peek()) is not None and token.text in (".", "["):
            self.i += 1
            if token.text == ".":
                key = self.take()
                if key.kind != "ident":
                    raise self.error(f"expected a property name after '.' at {key.pos}")
                node = Index(node, Literal(key.text))
            else:
                inner = self.binary(1)
                self.take("]")
                node = Index(node, inner)
        return node


def parse(source: str) -> Node:
    return _Parser(source).parse()


# ---------------------------------------------------------------- values


def truthy(value: Any) -> bool:
    if value is None or value is False:
        return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        return not (value == 0 or math.isnan(value))
    if isinstance(value, str):
        return value != ""
    return True


def to_number(value: Any) -> float:
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0.0
        try:
            return float(int(text, 16)) if text.lower().startswith("0x") else float(text)
        except ValueError:
            return math.nan
    return math.nan


def to_string(value: Any) -> str:
    """How GitHub turns a value into text inside `${{ }}` interpolation."""
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=2)


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "object"


def loose_equal(left: Any, right: Any) -> bool:
    lk, rk = _kind(left), _kind(right)
    if lk == rk == "string":
        return left.casefold() == right.casefold()
    if lk == rk == "object":
        return left is right
    if lk == rk:
        return bool(left == right)
    if "object" in (lk, rk):
        return False
    a, b = to_number(left), to_number(right)
    return not (math.isnan(a) or math.isnan(b)) and a == b


def _compare(op: str, left: Any, right: Any) -> bool:
    if _kind(left) == _kind(right) == "string":
        a, b = left.casefold(), right.casefold()
    else:
        a, b = to_number(left), to_number(right)  # type: ignore[assignment]
        if math.isnan(a) or math.isnan(b):  # type: ignore[arg-type]
            return False
    return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]


def _format(template: str, *args: Any) -> str:
    out: list[str] = []
    i = 0
    while i < len(template):
        ch = template[i]
        if template.startswith("{{", i):
            out.append("{")
            i += 2
        elif template.startswith("}}", i):
            out.append("}")
            i += 2
        elif ch == "{":
            end = template.find("}", i)
            index = template[i + 1 : end] if end != -1 else ""
            if not index.isdigit() or int(index) >= len(args):
                raise ExpressionError(f"format(): bad placeholder in {template!r}")
            out.append(to_string(args[int(index)]))
            i = end + 1
        elif ch == "}":
            raise ExpressionError(f"format(): unmatched '}}' in {template!r}")
        else:
            out.append(ch)
            i += 1
    return "".join(out)


# ---------------------------------------------------------------- evaluation

StatusCheck = Callable[[str], bool]


class Evaluator:
    """Evaluates parsed expressions against a dict of contexts.

    `status` answers the status functions (success/failure/cancelled/always) for
    the place the expression sits in (a job's `if:` looks at its needs, a step's
    at the earlier steps); without it they raise.
    """

    def __init__(self, contexts: Mapping[str, Any], status: StatusCheck | None = None) -> None:
        self.contexts = contexts
        self.status = status

    def evaluate(self, source: str) -> Any:
        return self.eval_node(parse(source))

    def eval_node(self, node: Node) -> Any:
        if isinstance(node, Literal):
            return node.value
        if isinstance(node, ContextRef):
            if node.name not in self.contexts:
                raise ExpressionError(f"context {node.name!r} is not available here")
            return self.contexts[node.name]
        if isinstance(node, Index):
            target = self.eval_node(node.target)
            key = self.eval_node(node.key)
            if isinstance(target, Mapping):
                if not isinstance(key, str):
                    return None
                # Property names compare case-insensitively, like GitHub's.
                if key in target:
                    return target[key]
                folded = key.casefold()
                return next((v for k, v in target.items() if str(k).casefold() == folded), None)
            if isinstance(target, list) and _kind(key) == "number":
                index = int(to_number(key))
                return target[index] if 0 <= index < len(target) else None
            return None
        if isinstance(node, Not):
            return not truthy(self.eval_node(node.operand))
        if isinstance(node, Binary):
            left = self.eval_node(node.left)
            if node.op == "&&":
                return self.eval_node(node.right) if truthy(left) else left
            if node.op == "||":
                return left if truthy(left) else self.eval_node(node.right)
            right = self.eval_node(node.right)
            if node.op == "==":
                return loose_equal(left, right)
            if node.op == "!=":
                return not loose_equal(left, right)
            return _compare(node.op, left, right)
        return self.call(node)

    def call(self, node: Call) -> Any:
        name = node.name
        if name in STATUS_FUNCTIONS:
            if node.args:
                raise ExpressionError(f"{name}() takes no arguments")
            if self.status is None:
                raise ExpressionError(f"{name}() is only allowed in 'if:' conditions")
            return self.status(name)
        args = [self.eval_node(a) for a in node.args]
        arity = {"contains": 2, "startswith": 2, "endswith": 2, "tojson": 1, "fromjson": 1}
        if name in arity and len(args) != arity[name]:
            raise ExpressionError(f"{name}() takes {arity[name]} arguments, got {len(args)}")
        if name == "contains":
            haystack, needle = args
            if isinstance(haystack, list):
                return any(loose_equal(item, needle) for item in haystack)
            return to_string(needle).casefold() in to_string(haystack).casefold()
        if name == "startswith":
            return to_string(args[0]).casefold().startswith(to_string(args[1]).casefold())
        if name == "endswith":
            return to_string(args[0]).casefold().endswith(to_string(args[1]).casefold())
        if name == "format":
            if not args:
                raise ExpressionError("format() needs a format string")
            return _format(to_string(args[0]), *args[1:])
        if name == "join":
            if len(args) not in (1, 2):
                raise ExpressionError("join() takes 1 or 2 arguments")
            sep = to_string(args[1]) if len(args) == 2 else ","
            items = args[0] if isinstance(args[0], list) else [args[0]]
            return sep.join(to_string(i) for i in items)
        if name == "tojson":
            return json.dumps(args[0], indent=2)
        if name == "fromjson":
            try:
                return json.loads(to_string(args[0]))
            except json.JSONDecodeError as exc:
                raise ExpressionError(f"fromJSON(): not JSON: {exc}") from None
        raise ExpressionError(f"unknown function {name}()")


def uses_status_function(source: str) -> bool:
    def walk(node: Node) -> bool:
        if isinstance(node, Call):
            return node.name in STATUS_FUNCTIONS or any(walk(a) for a in node.args)
        if isinstance(node, Index):
            return walk(node.target) or walk(node.key)
        if isinstance(node, Not):
            return walk(node.operand)
        if isinstance(node, Binary):
            return walk(node.left) or walk(node.right)
        return False

    return walk(parse(source))


_EMBEDDED_RE = re.compile(r"\$\{\{(.*?)\}\}", re.DOTALL)


def _single_expression(text: str) -> re.Match[str] | None:
    """The match when `text` is exactly one `${{ }}` and nothing else."""
    matches = list(_EMBEDDED_RE.finditer(text))
    if len(matches) == 1 and matches[0].span() == (0, len(text)):
        return matches[0]
    return None


def strip_condition(condition: str) -> str:
    """An `if:` may be written with or without `${{ }}` around the whole of it."""
    text = condition.strip()
    match = _single_expression(text)
    if match:
        return match.group(1).strip()
    if "${{" in text:
        raise ExpressionError(
            f"'if:' {condition!r} mixes text and ${{{{ }}}}: GitHub treats that as a "
            "non-empty string (always true); the templates never do this"
        )
    return text


def evaluate_condition(
    condition: str | bool | None, contexts: Mapping[str, Any], status: StatusCheck
) -> bool:
    """A job's or step's `if:`; without a status function it means `success() && (…)`."""
    if condition is None:
        return status("success")
    if isinstance(condition, bool):
        return condition
    source = strip_condition(str(condition))
    evaluator = Evaluator(contexts, status)
    if not uses_status_function(source):
        return status("success") and truthy(evaluator.evaluate(source))
    return truthy(evaluator.evaluate(source))


def interpolate(text: Any, contexts: Mapping[str, Any]) -> Any:
    """Replace each `${{ expr }}` in a string; a string that is one expression keeps its type."""
    if not isinstance(text, str) or "${{" not in text:
        return text
    evaluator = Evaluator(contexts)
    whole = _single_expression(text)
    if whole:
        return evaluator.evaluate(whole.group(1).strip())
    return _EMBEDDED_RE.sub(lambda m: to_string(evaluator.evaluate(m.group(1).strip())), text)
