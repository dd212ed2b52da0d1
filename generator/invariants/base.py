"""What every invariant module shares: the interface, parsed files, violations, walkers.

An invariant module is an `Invariant` (below), in the manner of a zizmor audit: a
stable string `ID`, a `TITLE`, and `check`, which looks at every file and reports
each place that breaks the rule. docs/design.md ("Security invariants") lists every
id with what it enforces and the test that proves it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal, Protocol

from repowarden.runtime.generated import CODEOWNERS_PATH, split_header
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

Kind = Literal["workflow", "action", "codeowners"]

WORKFLOW_RE = re.compile(r"^\.github/workflows/[^/]+\.ya?ml$")
ACTION_RE = re.compile(r"^\.github/actions/[^/]+/action\.ya?ml$")
LOCAL_ACTION = "$/.github/actions/repowarden"
# The same action from the job's own checkout (config `local_action: checkout`, for
# GitHub Enterprise Server and runners before 2.336.0, which have no `$/`).
CHECKED_OUT_ACTION = "./.github/actions/repowarden"
LOCAL_ACTIONS = (LOCAL_ACTION, CHECKED_OUT_ACTION)
EXPRESSION_RE = re.compile(r"\$\{\{")
# Invariant ids are kebab-case names, never numbers: a number says nothing and shifts.
ID_RE = re.compile(r"\A[a-z]+(?:-[a-z]+)*\Z")


@dataclass(frozen=True)
class Violation:
    path: str
    message: str
    rule: str = ""

    def __str__(self) -> str:
        rule = f"[{self.rule}] " if self.rule else ""
        return f"{self.path}: {rule}{self.message}"


class Invariant(Protocol):
    """The uniform interface of a module in generator/invariants/.

    The module's docstring opens with its id in backticks, then says why the rule
    matters; tests/generator/invariants/test_check_all.py holds every module to this.
    """

    ID: str  # stable, matches ID_RE; every Violation the module reports carries it
    TITLE: str  # the rule in one line

    def check(self, files: Mapping[str, ParsedFile]) -> list[Violation]: ...


@dataclass(frozen=True)
class ParsedFile:
    path: str
    text: str
    kind: Kind
    # The ruamel round-trip document (comments and line numbers kept); None for CODEOWNERS.
    data: Any = None
    lines: tuple[str, ...] = field(default=())

    def line_of_key(self, node: Any, key: str) -> str:
        """The source line holding `key` of the mapping `node` (for trailing comments)."""
        line, _col = node.lc.key(key)
        return self.lines[line]


def kind_of(path: str) -> Kind | None:
    if WORKFLOW_RE.match(path):
        return "workflow"
    if ACTION_RE.match(path):
        return "action"
    if path == CODEOWNERS_PATH:
        return "codeowners"
    return None


@lru_cache(maxsize=128)
def _load(text: str) -> Any:
    # Round-trip parsing (pure Python) dominates generate's time, and the same bodies are
    # checked twice (rendered, then with headers): parse each body once. Never mutated.
    return YAML(typ="rt", pure=True).load(text)


def parse(files: Mapping[str, str]) -> tuple[dict[str, ParsedFile], list[Violation]]:
    """Parse the files the invariants govern; other paths (vendored runtime) are skipped.

    A leading repowarden header is set aside: it is comments only, and the body below
    it is what the templates produced.
    """
    parsed: dict[str, ParsedFile] = {}
    problems: list[Violation] = []
    for path in sorted(files):
        kind = kind_of(path)
        if kind is None:
            continue
        _header, text = split_header(files[path])
        data = None
        if kind != "codeowners":
            try:
                data = _load(text)
            except YAMLError as exc:
                problems.append(Violation(path, f"not valid YAML: {exc}", "yaml"))
                continue
            if not isinstance(data, CommentedMap):
                problems.append(Violation(path, "not a YAML mapping", "yaml"))
                continue
        parsed[path] = ParsedFile(path, text, kind, data, tuple(text.splitlines()))
    return parsed, problems


# ------------------------------------------------------------------ walkers


def workflows(files: Mapping[str, ParsedFile]) -> Iterator[ParsedFile]:
    return (f for f in files.values() if f.kind == "workflow")


def triggers(workflow: ParsedFile) -> dict[str, Any]:
    """The `on:` mapping; ruamel keeps the key `on` as a string (PyYAML would read True)."""
    on = workflow.data.get("on")
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return {name: None for name in on}
    return dict(on) if isinstance(on, dict) else {}


def jobs(workflow: ParsedFile) -> Iterator[tuple[str, CommentedMap]]:
    for job_id, job in (workflow.data.get("jobs") or {}).items():
        if isinstance(job, CommentedMap):
            yield str(job_id), job


def steps_of(node: Any) -> list[CommentedMap]:
    steps = node.get("steps") if isinstance(node, dict) else None
    if not isinstance(steps, CommentedSeq):
        return []
    return [s for s in steps if isinstance(s, CommentedMap)]


@dataclass(frozen=True)
class Step:
    file: ParsedFile
    job_id: str | None  # None for a composite action's step
    index: int
    node: CommentedMap

    @property
    def where(self) -> str:
        name = self.node.get("name") or f"#{self.index + 1}"
        owner = f"job {self.job_id}" if self.job_id is not None else "composite action"
        return f"{owner}, step {name!r}"

    @property
    def uses(self) -> str | None:
        uses = self.node.get("uses")
        return str(uses) if uses is not None else None

    @property
    def action(self) -> str | None:
        """`owner/repo` of a remote action (without path or ref); None for local/run."""
        if self.uses is None or self.uses.startswith(("$/", "./", "docker://")):
            return None
        return "/".join(self.uses.split("@", 1)[0].split("/")[:2])

    @property
    def with_(self) -> dict[str, Any]:
        value = self.node.get("with")
        return dict(value) if isinstance(value, dict) else {}

    @property
    def run(self) -> str | None:
        run = self.node.get("run")
        return str(run) if run is not None else None


def steps(files: Mapping[str, ParsedFile]) -> Iterator[Step]:
    """Every step of every workflow job and of every composite action."""
    for file in files.values():
        if file.kind == "workflow":
            for job_id, job in jobs(file):
                for index, node in enumerate(steps_of(job)):
                    yield Step(file, job_id, index, node)
        elif file.kind == "action":
            for index, node in enumerate(steps_of(file.data.get("runs"))):
                yield Step(file, None, index, node)


def job_steps(file: ParsedFile, job_id: str, job: CommentedMap) -> list[Step]:
    return [Step(file, job_id, i, node) for i, node in enumerate(steps_of(job))]


def repowarden_invocations(job_steps_: list[Step]) -> list[tuple[str, tuple[str, ...]]]:
    """Each runtime command a job runs through the local composite action, with the
    fixed flags of its `args` input (split on whitespace, as the action splits them)."""
    return [
        (str(step.with_["command"]), tuple(str(step.with_.get("args") or "").split()))
        for step in job_steps_
        if step.uses in LOCAL_ACTIONS and step.with_.get("command") is not None
    ]


def permissions_of(job: CommentedMap) -> dict[str, str] | None:
    value = job.get("permissions")
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return None


def strings(node: Any) -> Iterator[str]:
    """Every scalar string inside a node, keys included."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
    elif isinstance(node, str):
        yield node
