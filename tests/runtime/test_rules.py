"""Evaluating rule conditions on a change, from the references' own tables.

Tables come from gravitational/shared-workflows at commit f03490d3
(bot/internal/bot/bot_test.go); each test names the Go test and cases it mirrors.
The patterns are the ones examples/teleport-rules writes for Teleport's policy.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from repowarden.runtime.config import load_config
from repowarden.runtime.review_rules import Conditions
from repowarden.runtime.rules import (
    FILES_CAP,
    AuthorFacts,
    ChangedFile,
    ChangeSet,
    branch_matches,
    conditions_hold,
    matching,
    net_lines,
    only_outside,
)

EXAMPLE = Path(__file__).parents[2] / "examples/teleport-rules/.github/repowarden.yml"
RULES = {rule.name: rule for rule in load_config(EXAMPLE).review.rules}
INTERNAL = AuthorFacts("Tener", "internal", False, ("core",))


def holds(rule: str, files: list[ChangedFile], head_ref: str = "x", **kw: object) -> bool:
    held, _ = conditions_hold(
        RULES[rule].if_,
        author=INTERNAL,
        base_ref="master",
        head_ref=head_ref,
        labels=(),
        changes=ChangeSet(tuple(files), **kw),  # type: ignore[arg-type]
    )
    return held


@pytest.mark.parametrize(
    ("case", "files", "large"),
    [
        ("single file xlarge", [ChangedFile("file.go", 5555)], True),
        ("single file not xlarge", [ChangedFile("file.go", 5, 2)], False),
        (
            "multiple files xlarge",
            [ChangedFile("file.go", 502, 2), ChangedFile("file2.go", 10000, 2000)],
            True,
        ),
        (
            "with autogen, not xlarge",
            [
                ChangedFile("file.go", 502, 2),
                ChangedFile("file2.pb.go", 10000, 2000),
                ChangedFile("file_pb.js", 10000, 2000),
                ChangedFile("file2_pb.d.ts", 10000, 2000),
                ChangedFile("webassets/12345/app.js", 10000, 2000),
                ChangedFile("testdata/tests.json", 10000, 2000),
                ChangedFile("vendor/golang.org/x/sys", 10000, 2000),
                ChangedFile("gen/preset-roles.json", 1000, 0),
                ChangedFile(
                    "examples/chart/teleport-cluster/charts/teleport-operator/operator-crds/"
                    "resources.teleport.dev_rolesv8.yaml",
                    1500,
                ),
                ChangedFile(
                    "integrations/operator/crdgen/testdata/golden/"
                    "resources.teleport.dev_rolesv8.yaml",
                    1500,
                ),
            ],
            False,
        ),
    ],
)
def test_large_change_is_net_lines_without_generated_files(
    case: str, files: list[ChangedFile], large: bool
) -> None:
    """bot_test.go TestXLargePRs: every case, against the example's 'large change' rule."""
    assert holds("large change", files) is large, case


GENERATED = [
    "api/types/types.pb.go",
    "api/gen/proto/go/teleport/accesslist/v1/accesslist.pb.go",
    "api/types/accesslist/derived.gen.go",
    "docs/pages/includes/helm-reference/zz_generated.teleport-kube-agent.mdx",
    "docs/pages/reference/infrastructure-as-code/operator-resources/resources-teleport-dev-accesslists.mdx",
    "docs/pages/reference/infrastructure-as-code/terraform-provider/resources/access_list.mdx",
    "docs/pages/reference/infrastructure-as-code/terraform-provider/data-sources/access_list.mdx",
    "integrations/operator/config/crd/bases/resources.teleport.dev_accesslists.yaml",
    "examples/chart/teleport-cluster/charts/teleport-operator/operator-crds/resources.teleport.dev_accesslists.yaml",
    "integrations/operator/apis/resources/v1/zz_generated.deepcopy.go",
    "integrations/terraform/tfschema/types_terraform.go",
    "integrations/terraform/tfschema/accesslist/v1/accesslist_terraform.go",
]
HAND_WRITTEN = [
    "api/types/access_request.go",
    "api/types/accesslist/accesslist.go",
    "lib/accesslists/collection.go",
    "integrations/terraform/tfschema/accesslist/v1/custom_types.go",
    "integrations/operator/apis/resources/v1/accesslist_types.go",
    "docs/pages/identity-governance/access-lists/access-lists.mdx",
]


def test_generated_files_do_not_count_towards_size() -> None:
    """bot_test.go TestSkipFileForSizeCheck: both of its lists, file by file."""
    size = RULES["large change"].if_.size
    assert size is not None
    assert matching(size.ignore, GENERATED) == GENERATED
    assert matching(size.ignore, HAND_WRITTEN) == []
    files = [ChangedFile(name, 100) for name in GENERATED + HAND_WRITTEN]
    assert net_lines(files, size.ignore) == 100 * len(HAND_WRITTEN)


@pytest.mark.parametrize(
    ("case", "names", "docs", "code"),
    [
        ("code-only", ["file.go", "examples/README.md"], False, True),
        ("docs-only", ["docs/docs.md", "CHANGELOG.md"], True, False),
        ("code-and-code", ["file.go", "docs/docs.md"], True, True),
    ],
)
def test_docs_and_code_classification(case: str, names: list[str], docs: bool, code: bool) -> None:
    """bot_test.go TestClassifyChanges: the 'code' rule applies without docs files, the
    'code and docs' rule with them; 'large change' counts only code files."""
    files = [ChangedFile(name, 2000) for name in names]
    assert holds("code and docs", files) is docs, case
    assert holds("code", files) is not docs, case
    assert holds("large change", files) is code, case


RELEASE_FILES = [
    "CHANGELOG.md",
    "Makefile",
    "version.go",
    "api/version.go",
    "integrations/kube-agent-updater/version.go",
]


@pytest.mark.parametrize(
    ("case", "head", "names", "release"),
    [
        ("release-pr", "release/14.0.0", RELEASE_FILES, True),
        ("non-release-pr-invalid-branch", "roman/14.0.0", RELEASE_FILES, False),
        ("non-release-pr-missing-release-file", "release/14.0.0", RELEASE_FILES[:4], False),
        ("non-release-pr-invalid-files", "release/14.0.0", ["lib/auth/auth.go"], False),
        (
            "non-release-pr-extra-source-files",
            "release/14.0.0",
            [*RELEASE_FILES, "lib/auth/auth.go"],
            False,
        ),
    ],
)
def test_release_pull_requests(case: str, head: str, names: list[str], release: bool) -> None:
    """bot_test.go TestIsReleasePR: every case, against the example's 'release' rule."""
    assert holds("release", [ChangedFile(n) for n in names], head_ref=head) is release, case


def test_empty_changeset() -> None:
    """bot_test.go TestClassifyChanges: no-docs-no-code (no files at all)."""
    assert holds("empty changeset", [])
    assert not holds("empty changeset", [ChangedFile("file.go")])
    # Over the files cap the list is cut, not empty.
    assert not holds("empty changeset", [], truncated=True)


@pytest.mark.parametrize(
    ("patterns", "branch", "expected"),
    [
        (["branch/v*"], "branch/v17", True),
        (["branch/v*"], "master", False),
        (["release/*", "!release/test-*"], "release/test-1", False),
        (["*"], "feature/deep/name", True),
    ],
)
def test_branch_patterns(patterns: list[str], branch: str, expected: bool) -> None:
    """bot.go isReleaseBranch / assign.go isBackport (prefix 'branch/v'); '*' spans '/'."""
    assert branch_matches(patterns, branch) is expected


def test_path_patterns_are_gitignore_style() -> None:
    """GitHub's ruleset file patterns and CODEOWNERS use gitignore syntax; so do these."""
    names = ["docs/a.md", "lib/docs/b.md", "CHANGELOG.md", "api/CHANGELOG.md"]
    assert matching(["/docs/"], names) == ["docs/a.md"]
    assert matching(["docs/"], names) == ["docs/a.md", "lib/docs/b.md"]
    assert matching(["/CHANGELOG.md"], names) == ["CHANGELOG.md"]
    assert matching(["*.md", "!/docs/**"], names) == ["lib/docs/b.md", *names[2:]]


def test_file_list_over_githubs_cap_is_marked_truncated() -> None:
    """GitHub's REST docs, "List pull requests files": responses include a maximum of 3000 files."""
    items = [{"filename": f"f{i}", "additions": 1, "deletions": 0} for i in range(FILES_CAP)]
    assert ChangeSet.from_api(items, changed_files=FILES_CAP).truncated is False
    assert ChangeSet.from_api(items, changed_files=FILES_CAP + 1).truncated is True
    assert ChangeSet.from_api(items[:10], changed_files=None).truncated is False


def test_only_outside_accepts_a_merge_of_the_base_branch_only() -> None:
    """The compare API (GET …/compare/{base}...{head}) says how the head relates to an
    older commit ("ahead", "behind", "diverged", "identical") and which files differ."""
    pr = ChangeSet((ChangedFile("lib/a.go"),))
    merge = {"status": "ahead", "files": [{"filename": "lib/b.go"}]}
    assert only_outside(merge, pr)
    assert not only_outside({"status": "ahead", "files": [{"filename": "lib/a.go"}]}, pr)
    assert not only_outside({**merge, "status": "diverged"}, pr)  # a force push
    assert not only_outside({"status": "ahead", "files": [{"filename": "x"}] * 300}, pr)
    assert not only_outside(merge, ChangeSet(pr.files, truncated=True))


# palantir/policy-bot at commit fc09d7a6, policy/predicate/file_test.go: its regexes
# `app/.*\.go`, `server/.*\.go` ignoring `.*/special\.go`, written gitignore-style.
POLICY_BOT_PATHS = ["app/**/*.go", "server/**/*.go", "!special.go"]
POLICY_BOT_CASES = {
    "empty": [],
    "onlyMatches": ["app/client.go", "server/server.go"],
    "someMatches": ["app/client.go", "model/user.go"],
    "noMatches": ["model/order.go", "model/user.go"],
    "ignoreAll": ["app/special.go", "server/special.go"],
    "ignoreSome": ["app/normal.go", "server/special.go"],
}


def condition(key: str, names: list[str], patterns: list[str]) -> bool:
    held, _ = conditions_hold(
        Conditions.model_validate({key: patterns}),
        author=INTERNAL,
        base_ref="main",
        head_ref="x",
        labels=(),
        changes=ChangeSet(tuple(ChangedFile(n) for n in names)),
    )
    return held


@pytest.mark.parametrize(
    ("case", "satisfied"),
    [
        ("empty", False),
        ("onlyMatches", True),
        ("someMatches", True),
        ("noMatches", False),
        ("ignoreAll", False),
        ("ignoreSome", True),
    ],
)
def test_policy_bot_changed_files(case: str, satisfied: bool) -> None:
    """file_test.go TestChangedFiles: `paths` (policy-bot's changed_files with ignore)."""
    assert condition("paths", POLICY_BOT_CASES[case], POLICY_BOT_PATHS) is satisfied


@pytest.mark.parametrize(
    ("case", "satisfied"),
    [
        ("empty", True),
        ("onlyMatches", False),
        ("someMatches", False),
        ("noMatches", True),
        ("ignoreAll", True),
        ("ignoreSome", False),
    ],
)
def test_policy_bot_no_changed_files(case: str, satisfied: bool) -> None:
    """file_test.go TestNoChangedFiles: `no_paths`."""
    assert condition("no_paths", POLICY_BOT_CASES[case], POLICY_BOT_PATHS) is satisfied


@pytest.mark.parametrize(
    ("case", "satisfied"),
    [("empty", False), ("onlyMatches", True), ("someMatches", False), ("noMatches", False)],
)
def test_policy_bot_only_changed_files(case: str, satisfied: bool) -> None:
    """file_test.go TestOnlyChangedFiles: `only_paths` (its paths have no ignore list)."""
    assert condition("only_paths", POLICY_BOT_CASES[case], POLICY_BOT_PATHS[:2]) is satisfied


@pytest.mark.parametrize(
    ("case", "patterns", "branch", "satisfied"),
    [
        ("simple match - master", ["master"], "master", True),
        ("simple non match", ["master"], "another-branch", False),
        ("tests anchoring", ["master"], "not-master", False),
        ("matches all example 1", ["*"], "master", True),
        ("matches all example 2", ["*"], "another-one", True),
        ("matches pattern - prod", ["prod", "staging"], "prod", True),
        ("matches pattern - staging", ["prod", "staging"], "staging", True),
        ("matches pattern - not-a-match", ["prod", "staging"], "not-a-match", False),
    ],
)
def test_policy_bot_branches(case: str, patterns: list[str], branch: str, satisfied: bool) -> None:
    """policy-bot policy/predicate/branch_test.go TestBranches (targets_branch), with its
    regexes written as whole-name patterns."""
    assert branch_matches(patterns, branch) is satisfied, case
