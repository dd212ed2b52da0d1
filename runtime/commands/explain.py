"""explain: evaluate the review policy for one pull request and print why, as JSON.

For people, not workflows: test a config change against a live PR
(`--pr N`, read-only, token from GITHUB_TOKEN or GH_TOKEN, the repository from
`--repo OWNER/NAME` or else the config's `repository`) or a recorded one
(`--snapshot FILE`, no network). A snapshot is
`{"pull": <GET /repos/{o}/{r}/pulls/{n}>, "reviews": [<items of GET …/reviews>],
"files": [<items of GET …/files>], "members": [<logins of the org>],
"compares": {<sha>: <GET …/compare/{sha}...{head}>}}` in GitHub's own shapes
("compares" only for review.external.keep_approvals_on_update_merge). Prints
`{"approved": bool, "missing": [...], "reasons": [...]}`, plus with review rules
`"rules": [...]`: each rule, whether it matched and why, what it requires, who
approved, what is missing. Exit 0 approved, 1 not approved, 2 bad input, 3 GitHub
failed. Both sources hand the same facts to the same policy as `check`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from repowarden.runtime.commands import Command, Permission
from repowarden.runtime.errors import BadInput, Exit
from repowarden.runtime.github import GitHub

if TYPE_CHECKING:
    from repowarden.runtime.config import Config
    from repowarden.runtime.policy import Verdict


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--snapshot", type=Path, help="a recorded pull request (JSON)")
    source.add_argument(
        "--repo", help="OWNER/NAME of a live repository (default: the config's repository)"
    )
    parser.add_argument("--pr", type=int, help="the pull request number (live)")


def run(args: argparse.Namespace) -> int:
    from repowarden.runtime.config import OWNER_REPO_RE, load_config

    config = load_config(args.config)
    if args.snapshot is not None:
        if args.pr is not None:
            raise BadInput("--pr goes with --repo; a snapshot already names its pull request")
        verdict = _from_snapshot(config, args.snapshot)
    else:
        repository = args.repo or config.repository
        if not OWNER_REPO_RE.match(repository):
            raise BadInput(f"--repo {repository!r} is not OWNER/NAME")
        if args.pr is None or args.pr < 1:
            raise BadInput("give --pr N, a pull request number (or --snapshot FILE)")
        verdict = _live(config, repository, args.pr)
    print(json.dumps(verdict.to_json(), indent=2))
    return Exit.OK if verdict.approved else Exit.FAILED


def _from_snapshot(config: Config, path: Path) -> Verdict:
    from repowarden.runtime.policy import PullFacts, ReviewFact
    from repowarden.runtime.reviews import ReviewFacts, stale_approved_commits
    from repowarden.runtime.rules import ChangeSet, only_outside

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise BadInput(f"cannot read the snapshot {path}: {reason}") from None
    except json.JSONDecodeError as exc:
        raise BadInput(f"the snapshot {path} is not JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(data, dict) or not isinstance(data.get("pull"), dict):
        raise BadInput(
            f'the snapshot {path} must be an object with "pull" (GET …/pulls/{{n}}), '
            '"reviews", "files" and "members"'
        )
    for key in ("reviews", "files", "members"):
        if not isinstance(data.get(key, []), list):
            raise BadInput(f'the snapshot {path}: "{key}" must be a list')
    if not isinstance(data.get("compares", {}), dict):
        raise BadInput(f'the snapshot {path}: "compares" must be an object keyed by commit')
    try:
        pull = PullFacts.from_api(data["pull"])
        reviews = [ReviewFact.from_api(item) for item in data.get("reviews", [])]
        changes = ChangeSet.from_api(data.get("files", []), pull.changed_files)
        compares = {str(sha): dict(answer) for sha, answer in data.get("compares", {}).items()}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadInput(
            f"the snapshot {path} does not hold GitHub's pull/review shapes: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    members = {str(login).casefold() for login in data.get("members", [])}
    facts = ReviewFacts(
        pull, [r for r in reviews if r is not None], pull.author.casefold() in members, changes
    )
    stale = stale_approved_commits(config.review, pull, facts.reviews, facts.is_member)
    facts.unchanged = {
        sha for sha in stale if sha in compares and only_outside(compares[sha], changes)
    }
    return facts.verdict(config.review)


def _live(config: Config, repository: str, number: int) -> Verdict:
    from repowarden.runtime.reviews import pull_facts, verdict_for

    gh = GitHub(repository)
    return verdict_for(gh, config, pull_facts(gh, number))


COMMAND = Command(
    name="explain",
    summary="Print whether a pull request is approved under the config, and why, as JSON.",
    permissions=(Permission("pull-requests", "read", "read the pull request and its reviews"),),
    add_arguments=add_arguments,
    run=run,
    in_workflows=False,
)
