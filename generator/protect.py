"""`repowarden protect`: the repository settings the review gate relies on.

Prints, as JSON, the requests that make the default branch require the gate and the
App's environment admit only the default branch:
- branch protection (`PUT /repos/{o}/{r}/branches/{b}/protection`), or with
  `--ruleset` a repository ruleset (`POST /repos/{o}/{r}/rulesets`), which is the only
  way the REST API turns on a merge queue (`--merge-queue`): the gate as a required
  check whose source is the configured App (else GitHub Actions, app id 15368), and
  "require review from Code Owners" so the admins own `.github/`;
- with `app:` in the config, the environment holding the App's key, with custom
  deployment branch policies allowing only the default branch.

`--apply` reads what is set now, prints a unified diff, then sends the requests with
an admin token from GH_TOKEN or GITHUB_TOKEN (never an argument). `--app-manifest`
prints a GitHub App manifest with exactly the permissions the gate needs.
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from repowarden.runtime.config import Config, ConfigError, load_config
from repowarden.runtime.errors import BadInput, Exit
from repowarden.runtime.generated import CONFIG_PATH

# The GitHub Actions App: the source of statuses written with a job's GITHUB_TOKEN.
GITHUB_ACTIONS_APP_ID = 15368
RULESET_NAME = "repowarden"


def _segment(value: str) -> str:
    # Branch names may hold '#', '/', '%' (docs/github-facts.md): quote every path segment.
    return quote(value, safe="")


@dataclass
class Plan:
    """The settings as request bodies, and where each one goes."""

    config: Config
    ruleset: bool
    merge_queue: bool

    @property
    def owner_repo(self) -> str:
        return self.config.repository

    @property
    def source_app_id(self) -> int:
        return self.config.app.id if self.config.app is not None else GITHUB_ACTIONS_APP_ID

    @property
    def protection_path(self) -> str:
        branch = _segment(self.config.default_branch)
        return f"/repos/{self.owner_repo}/branches/{branch}/protection"

    def branch_protection(self) -> dict[str, Any]:
        return {
            "required_status_checks": {
                "strict": False,
                "checks": [
                    {"context": self.config.review.status_context, "app_id": self.source_app_id}
                ],
            },
            "enforce_admins": True,
            "required_pull_request_reviews": {
                # The gate counts approvals; code owners (the admins) must approve .github/.
                "require_code_owner_reviews": True,
                "required_approving_review_count": 0,
                "dismiss_stale_reviews": False,
            },
            "restrictions": None,
        }

    def ruleset_body(self) -> dict[str, Any]:
        rules: list[dict[str, Any]] = [
            {
                "type": "pull_request",
                "parameters": {
                    "require_code_owner_review": True,
                    "required_approving_review_count": 0,
                    "dismiss_stale_reviews_on_push": False,
                    "require_last_push_approval": False,
                    "required_review_thread_resolution": False,
                },
            },
            {
                "type": "required_status_checks",
                "parameters": {
                    "strict_required_status_checks_policy": False,
                    "required_status_checks": [
                        {
                            "context": self.config.review.status_context,
                            "integration_id": self.source_app_id,
                        }
                    ],
                },
            },
        ]
        if self.merge_queue:
            rules.append(
                {
                    "type": "merge_queue",
                    "parameters": {
                        "check_response_timeout_minutes": 60,
                        "grouping_strategy": "ALLGREEN",
                        "max_entries_to_build": 5,
                        "max_entries_to_merge": 5,
                        "merge_method": "MERGE",
                        "min_entries_to_merge": 1,
                        "min_entries_to_merge_wait_minutes": 5,
                    },
                }
            )
        return {
            "name": RULESET_NAME,
            "target": "branch",
            "enforcement": "active",
            "conditions": {"ref_name": {"include": ["~DEFAULT_BRANCH"], "exclude": []}},
            "rules": rules,
        }

    def environment(self) -> dict[str, Any] | None:
        if self.config.app is None:
            return None
        return {
            "deployment_branch_policy": {
                "protected_branches": False,
                "custom_branch_policies": True,
            }
        }

    def environment_path(self) -> str:
        assert self.config.app is not None
        return f"/repos/{self.owner_repo}/environments/{_segment(self.config.app.environment)}"

    def printed(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.ruleset:
            out["ruleset"] = {
                "request": f"POST /repos/{self.owner_repo}/rulesets "
                f"(PUT .../rulesets/{{id}} if '{RULESET_NAME}' exists)",
                "body": self.ruleset_body(),
            }
        else:
            out["branch_protection"] = {
                "request": f"PUT {self.protection_path}",
                "body": self.branch_protection(),
            }
        environment = self.environment()
        if environment is not None:
            assert self.config.app is not None
            out["environment"] = {
                "request": f"PUT {self.environment_path()}",
                "body": environment,
                "deployment_branch_policies": {
                    "request": f"POST {self.environment_path()}/deployment-branch-policies",
                    "bodies": [{"name": self.config.default_branch, "type": "branch"}],
                    "note": "every other policy of this environment is deleted",
                },
                "secret": self.config.app.private_key_secret,
            }
        return out


def app_manifest(config: Config) -> dict[str, Any]:
    """A GitHub App manifest (docs: "Registering a GitHub App from a manifest").

    Its permissions are what the rendered workflows' App tokens ask for: the gate's
    (check and sweep) and, with dispatch operations that push, apply's.
    """
    from repowarden.generator.invariants.permissions import union
    from repowarden.generator.render import app_permissions

    users = ["check", "sweep"] + (["apply"] if config.dispatch is not None else [])
    asked = union(p for command in users for p in app_permissions(config, command))
    permissions = {"metadata": "read"} | {p.scope.replace("-", "_"): p.level for p in asked}
    return {
        "name": f"repowarden gate {config.repository}"[:34],
        "url": f"https://github.com/{config.repository}",
        "public": False,
        "default_permissions": permissions,
        "default_events": [],
        "hook_attributes": {"url": f"https://github.com/{config.repository}", "active": False},
    }


# ------------------------------------------------------------------ reading what is set


def _current_protection(raw: dict[str, Any]) -> dict[str, Any]:
    """GitHub's GET answer in the shape of the PUT body, for a readable diff."""
    checks = (raw.get("required_status_checks") or {}).get("checks")
    status = raw.get("required_status_checks")
    reviews = raw.get("required_pull_request_reviews")
    return {
        "required_status_checks": None
        if status is None
        else {
            "strict": bool(status.get("strict")),
            "checks": [{"context": c["context"], "app_id": c.get("app_id")} for c in checks or ()],
        },
        "enforce_admins": bool((raw.get("enforce_admins") or {}).get("enabled")),
        "required_pull_request_reviews": None
        if reviews is None
        else {
            "require_code_owner_reviews": bool(reviews.get("require_code_owner_reviews")),
            "required_approving_review_count": reviews.get("required_approving_review_count", 0),
            "dismiss_stale_reviews": bool(reviews.get("dismiss_stale_reviews")),
        },
        "restrictions": raw.get("restrictions"),
    }


def _diff(name: str, before: Any, after: Any) -> str:
    def lines(value: Any) -> list[str]:
        if value is None:
            return []
        return (json.dumps(value, indent=2, sort_keys=True) + "\n").splitlines(keepends=True)

    return "".join(
        difflib.unified_diff(lines(before), lines(after), f"a/{name} (now)", f"b/{name} (wanted)")
    )


def apply(plan: Plan, gh: Any, out: Any = None) -> None:
    """Show the diff of each setting, then send it (GitHubError propagates)."""
    from repowarden.runtime.github import NotFound

    out = out or sys.stdout
    if plan.ruleset:
        wanted = plan.ruleset_body()
        path = f"/repos/{plan.owner_repo}/rulesets"
        existing = next(
            (
                r
                for r in gh.paginate(path)
                if r.get("name") == RULESET_NAME
                and r.get("source_type", "Repository") == "Repository"
            ),
            None,
        )
        current = None
        if existing is not None:
            full = gh.get(f"{path}/{existing['id']}")
            current = {k: full.get(k) for k in wanted}
        out.write(_diff("ruleset", current, wanted) or "ruleset: unchanged\n")
        if existing is None:
            gh.request("POST", path, data=wanted)
        elif current != wanted:
            gh.request("PUT", f"{path}/{existing['id']}", data=wanted)
    else:
        wanted = plan.branch_protection()
        try:
            current = _current_protection(gh.get(plan.protection_path))
        except NotFound:
            current = None
        out.write(_diff("branch protection", current, wanted) or "branch protection: unchanged\n")
        if current != wanted:
            gh.request("PUT", plan.protection_path, data=wanted)

    environment = plan.environment()
    if environment is None:
        return
    env_path = plan.environment_path()
    try:
        raw = gh.get(env_path)
        current_env = {"deployment_branch_policy": raw.get("deployment_branch_policy")}
    except NotFound:
        current_env = None
    out.write(_diff("environment", current_env, environment) or "environment: unchanged\n")
    if current_env != environment:
        gh.request("PUT", env_path, data=environment)
    policies_path = f"{env_path}/deployment-branch-policies"
    policies = list(gh.paginate(policies_path, key="branch_policies"))
    default = plan.config.default_branch
    keep = [p for p in policies if p.get("name") == default and p.get("type", "branch") == "branch"]
    extra = [p for p in policies if p not in keep]
    before = sorted(f"{p.get('type', 'branch')}:{p['name']}" for p in policies)
    out.write(
        _diff("deployment branches", before, [f"branch:{default}"])
        or "deployment branches: unchanged\n"
    )
    for policy in extra:
        gh.request("DELETE", f"{policies_path}/{policy['id']}")
    if not keep:
        gh.request("POST", policies_path, data={"name": default, "type": "branch"})


# ------------------------------------------------------------------ command line


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", default=".", help="the repository root (default: .)")
    parser.add_argument(
        "--config", default=None, help="the config file (default: ROOT/.github/repowarden.yml)"
    )
    parser.add_argument(
        "--ruleset", action="store_true", help="a repository ruleset instead of branch protection"
    )
    parser.add_argument(
        "--merge-queue",
        action="store_true",
        help="require a merge queue too (implies --ruleset: branch protection cannot)",
    )
    parser.add_argument(
        "--apply",
        action="store_true",
        help="show the diff against the current settings, then apply them with the admin "
        "token in GH_TOKEN or GITHUB_TOKEN",
    )
    parser.add_argument(
        "--app-manifest", action="store_true", help="print the GitHub App manifest and exit"
    )


def run(args: argparse.Namespace) -> int:
    """Exit 0 done, 2 bad input (config, missing token), 3 GitHub refused or unreachable.

    BadInput and GitHubError reach the CLI's `main`, which prints them with their code.
    """
    from repowarden.runtime.github import GitHub

    config_path = Path(args.config) if args.config else Path(args.root) / CONFIG_PATH
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print(str(exc), file=sys.stderr)
        return Exit.BAD_INPUT
    if args.app_manifest:
        print(json.dumps(app_manifest(config), indent=2))
        return Exit.OK
    plan = Plan(config, ruleset=args.ruleset or args.merge_queue, merge_queue=args.merge_queue)
    if not args.apply:
        print(json.dumps(plan.printed(), indent=2))
        return Exit.OK
    token = os.environ.get("GH_TOKEN") or os.environ.get("GITHUB_TOKEN")
    if not token:
        raise BadInput(
            "--apply needs an admin token (repository administration: write) in "
            "GH_TOKEN or GITHUB_TOKEN"
        )
    with GitHub(config.repository, token=token) as gh:
        apply(plan, gh)
    print(f"applied to {config.repository}")
    return Exit.OK
