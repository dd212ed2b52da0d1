"""explain: evaluate the review policy for one pull request and print why, as JSON.

For people, not workflows: test a config change against a live PR
(`--repo OWNER/NAME --pr N`, read-only, token from GITHUB_TOKEN) or a recorded one
(`--snapshot FILE`, no network). A snapshot is
`{"pull": <GET /repos/{o}/{r}/pulls/{n}>, "reviews": [<items of GET …/reviews>],
"files": [<items of GET …/files>], "members": [<logins of the org>]}` in GitHub's
own shapes. Prints `{"approved": bool, "missing": [...], "reasons": [...]}`;
exit 0 approved, 1 not approved, 2 bad input, 3 GitHub failed.
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
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--snapshot", type=Path, help="a recorded pull request (JSON)")
    source.add_argument("--repo", help="OWNER/NAME of a live repository (with --pr)")
    parser.add_argument("--pr", type=int, help="the pull request number (with --repo)")


def run(args: argparse.Namespace) -> int:
    from repowarden.runtime.config import OWNER_REPO_RE, load_config

    config = load_config(args.config)
    if args.snapshot is not None:
        if args.pr is not None:
            raise BadInput("--pr goes with --repo; a snapshot already names its pull request")
        verdict = _from_snapshot(config, args.snapshot)
    else:
        if not OWNER_REPO_RE.match(args.repo):
            raise BadInput(f"--repo {args.repo!r} is not OWNER/NAME")
        if args.pr is None or args.pr < 1:
            raise BadInput("--repo needs --pr N, a pull request number")
        verdict = _live(config, args.repo, args.pr)
    print(json.dumps(verdict.to_json(), indent=2))
    return Exit.OK if verdict.approved else Exit.FAILED


def _from_snapshot(config: Config, path: Path) -> Verdict:
    from repowarden.runtime.policy import PullFacts, ReviewFact, evaluate

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
    try:
        pull = PullFacts.from_api(data["pull"])
        reviews = [ReviewFact.from_api(item) for item in data.get("reviews", [])]
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise BadInput(
            f"the snapshot {path} does not hold GitHub's pull/review shapes: "
            f"{type(exc).__name__}: {exc}"
        ) from None
    members = {str(login).casefold() for login in data.get("members", [])}
    return evaluate(
        config.review,
        pull,
        [r for r in reviews if r is not None],
        is_member=pull.author.casefold() in members,
    )


def _live(config: Config, repository: str, number: int) -> Verdict:
    from repowarden.runtime.policy import evaluate, needs_membership
    from repowarden.runtime.reviews import fetch_reviews, is_public_member, pull_facts

    gh = GitHub(repository)
    pull = pull_facts(gh, number)
    reviews = fetch_reviews(gh, number)
    member = False
    if needs_membership(config.review, pull.author, pull.author_type):
        assert config.review.external.org is not None
        member = is_public_member(gh, config.review.external.org, pull.author)
    return evaluate(config.review, pull, reviews, is_member=member)


COMMAND = Command(
    name="explain",
    summary="Print whether a pull request is approved under the config, and why, as JSON.",
    permissions=(Permission("pull-requests", "read", "read the pull request and its reviews"),),
    add_arguments=add_arguments,
    run=run,
    in_workflows=False,
)
