"""`repowarden init`: the packaged copier template, then `generate`, in one step.

The template (templates/copier/) is the same one `copier copy` uses from a git URL
(the root copier.yml includes its questions), read from the installed package so it
works from a wheel. It writes only .github/repowarden.yml; generating is done here,
in-process, through the library (generator/api.py) instead of the template's task,
so that a failure can take the scaffolded config back out and leave the directory
as it was.

The answers are checked against the template's questions before copier runs, so a
mistyped key, a value of the wrong shape or an answer `--defaults` cannot supply is
one line naming the question (exit 2), not a traceback or a silently ignored key.
"""

from __future__ import annotations

import difflib
import sys
from functools import cache
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

from repowarden.runtime.errors import BadInput, RepowardenError
from repowarden.runtime.generated import CONFIG_PATH


class InitError(BadInput):
    """The template could not be run with these answers; nothing was left behind."""


def parse_data(pairs: list[str]) -> dict[str, str]:
    """`--data KEY=VALUE` pairs as a mapping; the values stay text for the questions."""
    data: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise InitError(f"--data {pair!r}: expected KEY=VALUE, e.g. repository=octo/hello")
        data[key] = value
    return data


@cache
def questions() -> dict[str, dict[str, Any]]:
    """The template's questions by name (settings such as `_tasks` left out)."""
    from ruamel.yaml import YAML

    text = files("repowarden.templates").joinpath("copier/questions.yml").read_text("utf-8")
    loaded = YAML(typ="safe", pure=True).load(text)
    return {name: spec for name, spec in loaded.items() if not name.startswith("_")}


def _yaml_value(key: str, value: str) -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe", pure=True).load(value)
    except YAMLError as exc:
        problem = getattr(exc, "problem", None) or exc
        raise InitError(f"--data {key}={value}: not valid YAML ({problem})") from None


def _asked(spec: dict[str, Any], answers: dict[str, Any]) -> bool:
    """Whether copier asks this question, given the answers so far (its `when`)."""
    when = spec.get("when", True)
    if not isinstance(when, str):
        return bool(when)
    from jinja2.sandbox import SandboxedEnvironment

    # The template is ours; the sandbox because the answers are not. Escaping is moot
    # (the result is "True" or "False") and keeps the linter's XSS rule satisfied.
    rendered = SandboxedEnvironment(autoescape=True).from_string(when).render(**answers)
    return rendered.strip().lower() not in ("", "false", "0", "none")


def check_answers(data: dict[str, Any], *, defaults: bool) -> dict[str, Any]:
    """The answers as copier takes them; InitError names every bad or missing one."""
    asked = questions()
    problems = []
    answers: dict[str, Any] = {}
    for key, value in data.items():
        spec = asked.get(key)
        if spec is None:
            close = difflib.get_close_matches(key, asked, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            problems.append(f"--data {key}: no such question{hint} (valid: {', '.join(asked)})")
            continue
        if spec.get("multiselect") and isinstance(value, str):
            parsed = _yaml_value(key, value) if value.strip() else []
            value = [parsed] if isinstance(parsed, str) else parsed
            choices = list(spec.get("choices", {}).values())
            bad = [v for v in value if v not in choices] if isinstance(value, list) else [value]
            if bad:
                problems.append(
                    f"--data {key}={data[key]}: {', '.join(map(str, bad))} not among "
                    f"{', '.join(choices)}; e.g. {key}=[{choices[0]}]"
                )
                continue
        elif spec.get("type") == "bool" and isinstance(value, str):
            parsed = _yaml_value(key, value)
            if not isinstance(parsed, bool):
                problems.append(f"--data {key}={value}: must be true or false")
                continue
            value = parsed
        elif spec.get("type") == "int" and isinstance(value, str):
            if not value.strip().isdigit():
                problems.append(f"--data {key}={value}: must be a whole number, e.g. {key}=4242")
                continue
            value = int(value)
        answers[key] = value
    if problems:
        raise InitError("\n".join(problems))
    # A dispatcher whose login ends in [bot] is an App's bot by GitHub's naming;
    # any other login could be a user or a bot account, and that is asked.
    login = answers.get("dispatcher_login")
    if "dispatcher_type" not in answers and isinstance(login, str) and login.endswith("[bot]"):
        answers["dispatcher_type"] = "Bot"
    if defaults:
        context = {**{k: [] for k, s in asked.items() if s.get("multiselect")}, **answers}
        missing = [
            key
            for key, spec in asked.items()
            if key not in answers and "default" not in spec and _asked(spec, context)
        ]
        if missing:
            raise InitError(
                "\n".join(
                    f"--data {key}: required, --defaults has no answer for it "
                    f"({asked[key].get('help', key)}); give -d {key}=VALUE"
                    for key in missing
                )
            )
    return answers


def _remove_new(paths: list[Path], folders: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)
    for folder in reversed(folders):
        try:
            folder.rmdir()
        except OSError:
            continue


def init(dst: Path, data: dict[str, Any], *, defaults: bool, quiet: bool = False) -> None:
    """Scaffold `dst` and generate; raises a RepowardenError and leaves `dst` as it was."""
    answers = check_answers(data, defaults=defaults)
    config = dst / CONFIG_PATH
    if config.exists():
        raise InitError(
            f"{config} already exists: edit it and run `repowarden generate --root {dst}`"
        )
    if dst.exists() and not dst.is_dir():
        raise InitError(f"{dst}: not a directory")

    from copier import run_copy
    from copier.errors import CopierError

    from .api import generate

    # Folders this run creates, outermost first, so a failure removes exactly them.
    new_folders = [p for p in reversed([config.parent, *config.parent.parents]) if not p.exists()]
    template = files("repowarden.templates").joinpath("copier")
    try:
        with as_file(template) as src:
            run_copy(
                str(src),
                dst,
                data=answers,
                defaults=defaults,
                unsafe=True,  # it declares a task and a migration: our own `generate`
                skip_tasks=True,  # generated below, where a failure can be undone
                quiet=True,
                overwrite=False,
            )
    except (CopierError, ValueError, TypeError, KeyboardInterrupt) as exc:
        _remove_new([config], new_folders)
        raise InitError(f"the template could not be rendered: {exc}") from None
    # No answers file was written: the packaged template is not a git repository, so
    # copier records no commit and `copier update` could never work from it.
    try:
        outcome = generate(dst, fold_codeowners=bool(answers.get("fold_codeowners", True)))
    except RepowardenError:
        _remove_new([config], new_folders)
        print(f"repowarden init: generate failed; removed {config}", file=sys.stderr)
        raise
    if not quiet:
        print(
            f"repowarden init: wrote {config} and {len(outcome.written)} generated files",
            file=sys.stderr,
        )
