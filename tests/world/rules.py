"""The world's rules: events, triggers, tokens, protection (registered in fake_github.rules).

Each id is checked where the world enforces it (`world.gh.rules(ID)`), listed in
tests/fake_github/RULES.md, and switched off by a mutation test in test_mutations.py.
"""

from __future__ import annotations

from fake_github.rules import rule

DOCS = "https://docs.github.com/en"
EVENTS = f"{DOCS}/actions/reference/workflows-and-actions/events-that-trigger-workflows"
TOKEN = f"{DOCS}/actions/concepts/security/github_token"
PROTECTION = (
    f"{DOCS}/repositories/configuring-branches-and-merges-in-your-repository/"
    "managing-protected-branches/about-protected-branches"
)
CHANGELOG_PRT = (
    "https://github.blog/changelog/2025-11-07-actions-pull_request_target-and-environment-"
    "branch-protections-changes/"
)

TOKEN_EVENTS_START_NOTHING = rule(
    "github-token-events-start-no-runs",
    "Events caused by GITHUB_TOKEN start no workflow run, except workflow_dispatch and "
    "repository_dispatch; events caused by an App's installation token do.",
    f"{TOKEN}#using-the-github_token-in-a-workflow",
)
PRT_DEFAULT_BRANCH = rule(
    "pull-request-target-runs-default-branch",
    "pull_request_target runs the default branch tip's workflow with GITHUB_SHA/GITHUB_REF "
    "of the default branch, whatever the pull request's base (effective 2025-12-08).",
    CHANGELOG_PRT,
)
PR_MERGE_REF = rule(
    "pull-request-runs-merge-ref",
    "pull_request and pull_request_review run the workflow of refs/pull/N/merge, the test "
    "merge of head into base; `$/` actions and a checkout without ref use that commit.",
    f"{EVENTS}#pull_request",
)
CONFLICT_NO_RUN = rule(
    "conflicting-pull-request-runs-nothing",
    "Workflows on pull_request do not run while the pull request has a merge conflict.",
    f"{EVENTS}#pull_request",
)
# The runner applies these two (workflow_runner.runner names the same ids).
FORK_READ_ONLY = rule(
    "fork-pull-request-token-read-only",
    "On pull_request and pull_request_review(_comment) from a fork, GITHUB_TOKEN is "
    "read-only and no secrets are passed.",
    f"{EVENTS}#workflows-in-forked-repositories",
)
WORKFLOW_RUN_DEPTH = rule(
    "workflow-run-chains-three-deep",
    "workflow_run runs the default branch's workflow, only for the workflows named, and "
    "cannot chain more than three levels (A -> B -> C -> D; E does not run).",
    f"{EVENTS}#workflow_run",
)
ENVIRONMENT_POLICY = rule(
    "environment-deployment-branches",
    "A job naming an environment gets its secrets only when the run's ref passes the "
    "environment's deployment-branch policy (refs/pull/N/merge for pull_request events, the "
    "default branch for pull_request_target); otherwise the job fails.",
    f"{DOCS}/actions/reference/workflows-and-actions/deployments-and-environments"
    "#deployment-branches-and-tags",
)
CONCURRENCY = rule(
    "concurrency-groups",
    "Only one job of a concurrency group runs at a time; a new one cancels the running one "
    "with cancel-in-progress, otherwise waits, replacing an older pending one.",
    f"{DOCS}/actions/how-tos/write-workflows/choose-when-workflows-run/"
    "control-workflow-concurrency",
)
TOKEN_EXPIRES = rule(
    "github-token-expires-with-job",
    "A job's GITHUB_TOKEN (and the installation tokens create-github-app-token revokes in "
    "its post step) stops working when the job finishes or is cancelled.",
    f"{TOKEN}#about-the-github_token",
)
SCHEDULE_DELAYS = rule(
    "schedules-delayed-and-dropped",
    "Scheduled runs can be delayed under load, worst at the start of every hour, and can be "
    "dropped (delay and drop rates here are configurable; GitHub publishes none).",
    f"{EVENTS}#schedule",
)
SCHEDULE_INACTIVE = rule(
    "public-schedules-stop-after-60-days",
    "In a public repository scheduled workflows are disabled after 60 days without "
    "repository activity.",
    f"{EVENTS}#schedule",
)
REQUIRED_CHECK_SOURCE = rule(
    "required-check-expected-source",
    "A required status check with an expected source is satisfied only by a status or "
    "check run from that App (GitHub Actions is App 15368); a personal token's status is "
    "from no App.",
    f"{PROTECTION}#require-status-checks-before-merging",
)
REQUIRED_APPROVALS = rule(
    "required-approvals-from-writers",
    "Required approving reviews count the latest review of each person with write access; "
    "a change request from one of them blocks merging.",
    f"{PROTECTION}#require-pull-request-reviews-before-merging",
)
DISMISS_STALE = rule(
    "dismiss-stale-approvals-on-push",
    "With 'dismiss stale pull request approvals', a push that changes the pull request "
    "dismisses its approvals.",
    f"{PROTECTION}#require-pull-request-reviews-before-merging",
)
CODE_OWNERS = rule(
    "code-owner-review",
    "With 'require review from Code Owners', each changed file needs an approval from an "
    "owner of its last matching CODEOWNERS line, read from the base branch.",
    f"{DOCS}/repositories/managing-your-repositorys-settings-and-features/"
    "customizing-your-repository/about-code-owners",
)
MERGE_QUEUE_REF = rule(
    "merge-group-runs-group-head",
    "merge_group runs the workflow of the group's head commit, on "
    "gh-readonly-queue/<base>/pr-<N>-<base sha>; required checks must pass there.",
    f"{EVENTS}#merge_group",
)
