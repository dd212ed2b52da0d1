"""Folding a hand-written `.github/CODEOWNERS` into the config, so repowarden can own it.

repowarden generates `.github/CODEOWNERS` (admins own `.github/` and the config). A
repository that already has one would block `generate` (exit 6); folding moves its
rules, in order, into the config's `codeowners:` list, where the generated file
renders them before the admins' rules, and lets `generate` replace the file.

Only what the config can state is folded: `pattern @owner...` lines. A line the
config cannot carry (an e-mail owner, a pattern without owners, which GitHub reads
as "no owner") is refused with its line number, and nothing is changed.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

from repowarden.runtime.errors import BadInput
from repowarden.runtime.generated import CODEOWNERS_PATH

_ESCAPED_SPACE = re.compile(r"\\ ")


@dataclass(frozen=True)
class Rule:
    pattern: str
    owners: tuple[str, ...]


def parse_codeowners(text: str, source: str = CODEOWNERS_PATH) -> list[Rule]:
    """The rules of a CODEOWNERS file, in order; BadInput names a line the config can't hold."""
    rules = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        # `\ ` is an escaped space inside a pattern (GitHub's "About code owners").
        words = _ESCAPED_SPACE.sub("\0", stripped.split(" #", 1)[0]).split()
        pattern, owners = words[0].replace("\0", " "), tuple(words[1:])
        if not owners:
            raise BadInput(
                f"{source}:{number}: {pattern!r} has no owners (GitHub reads that as 'no "
                "owner'); the config's codeowners: needs at least one, so fold it by hand"
            )
        emails = [owner for owner in owners if not owner.startswith("@")]
        if emails:
            raise BadInput(
                f"{source}:{number}: {', '.join(emails)}: the config names code owners as "
                "'@login' or '@org/team'; replace e-mail owners, then fold again"
            )
        _check_rule(pattern, owners, f"{source}:{number}")
        rules.append(Rule(pattern, owners))
    return rules


def _check_rule(pattern: str, owners: tuple[str, ...], where: str) -> None:
    from pydantic import ValidationError
    from repowarden.runtime.config import CodeownersRule

    try:
        CodeownersRule(pattern=pattern, owners=list(owners))
    except ValidationError as exc:
        reasons = "; ".join(e["msg"].removeprefix("Value error, ") for e in exc.errors())
        raise BadInput(f"{where}: the config cannot hold this rule: {reasons}") from None


def fold_into_config(config_text: str, rules: list[Rule]) -> str:
    """The config text with `rules` appended to its `codeowners:` list (comments kept)."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    yaml = YAML(typ="rt", pure=True)
    yaml.width = 4096
    data = yaml.load(config_text)
    existing = data.get("codeowners")
    if existing is None:
        existing = CommentedSeq()
        data["codeowners"] = existing
        data.yaml_set_comment_before_after_key(
            "codeowners", before="Folded in from the hand-written .github/CODEOWNERS."
        )
    for rule in rules:
        item = CommentedMap(pattern=rule.pattern, owners=CommentedSeq(rule.owners))
        item.fa.set_flow_style()
        item["owners"].fa.set_flow_style()
        existing.append(item)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def foreign_codeowners(root: Path) -> str | None:
    """The text of a hand-written `.github/CODEOWNERS` in `root` (no repowarden header)."""
    from repowarden.runtime.generated import is_generated, read_text

    text = read_text(root / CODEOWNERS_PATH)
    if text is None or is_generated(text):
        return None
    return text
