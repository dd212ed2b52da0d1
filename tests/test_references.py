"""Every file the project's prose cites exists, and none is a path on someone's machine.

Prose is Markdown, the comments and docstrings of Python, and the comments of
templates, YAML, TOML and shell scripts. A citation is a path of two or more parts
ending in a file extension or a slash (`runtime/generated.py`, `tests/support/`), or
a document named in capitals (`README.md`). It resolves against the repository root, the citing
file's folder or one above it, or (a target's path relative to its `.github/`) a
rendered example's `.github/`. Not citations: URLs, a target's `.github/...` paths,
git refs, placeholders (`ROOT/...`) and host names (`api.github.com/...`). A section
cited by name (`docs/design.md, "Review rules"`) must be a heading of that file.
Generated files (the examples' vendored runtime) are not prose of their own: their
source is.
"""

from __future__ import annotations

import io
import re
import subprocess
import tokenize
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
EXTENSIONS = "py|md|j2|jinja|toml|yml|yaml|json|txt|in|cfg|sh"
# The first part is neither `.github` (a target's path), `refs` (a git ref), a
# placeholder in capitals (`ROOT/`), nor a host name (a dot inside it).
_FIRST = r"(?!\.github/|refs/)(?![A-Z_]+/)[\w-][\w-]*/"
PATH_RE = re.compile(
    rf"(?<![\w./@:~-])(?P<path>{_FIRST}(?:[\w.-]+/)*"
    rf"(?:[\w.-]+\.(?:{EXTENSIONS})(?![\w/-])|[\w.-]+/(?![\w.-])))"
)
DOCUMENT_RE = re.compile(r"(?<![\w./@:-])(?P<path>[A-Z][A-Z_]+\.md)\b")
# A section cited by name: `docs/design.md, "Review rules"` or `docs/design.md ("Sources")`.
SECTION_RE = re.compile(r'(?P<path>[\w./-]+\.md),? \(?"(?P<title>[^"]+)"')
URL_RE = re.compile(r"\b[a-z][a-z+.-]*://\S+")
MACHINE_PATH_RE = re.compile(r"(?<![\w.~-])/(?:work|home|Users)/[\w.-]+")
# Files whose prose is their `#` comments (scripts/ and .ci/ hold extensionless shell).
COMMENTED = (".j2", ".jinja", ".toml", ".yml", ".yaml", ".sh")
SKIPPED = (
    re.compile(r"^examples/[^/]+/\.github/repowarden/"),  # generated: the runtime is the source
    re.compile(r"^tests/generator/__snapshots__/"),  # rendered output
    re.compile(r"/data/"),  # test data and the notes on where it came from
)
# Paths inside other projects that the prose names on purpose, with where they live.
ELSEWHERE = {
    "generated/api.github.com.json",  # in the npm package @octokit/openapi
    "bot/internal/bot/",  # in gravitational/shared-workflows (Teleport's bot)
    "CHANGELOG.md",  # a file of the governed repository, named in review-rule patterns
    "src/x/evil.py/conftest.sh",  # an attacker's file name, in examples of what is refused
}


@cache
def tracked_files() -> tuple[str, ...]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()
    return tuple(sorted(p for p in listed if not any(s.search(p) for s in SKIPPED)))


def python_prose(text: str) -> Iterator[tuple[int, str]]:
    """Comments and docstrings (a string that is a whole statement) of Python source."""
    previous = tokenize.NEWLINE
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        statement = previous in (tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT)
        if token.type == tokenize.COMMENT or (token.type == tokenize.STRING and statement):
            yield token.start[0], token.string
        if token.type not in (tokenize.COMMENT, tokenize.NL):
            previous = token.type


def hash_comments(text: str) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(text.splitlines(), start=1):
        if "#" in line:
            yield number, line[line.index("#") :]
        for comment in re.findall(r"\{#.*?#\}", line):
            yield number, comment


def prose(path: str) -> Iterator[tuple[int, str]]:
    text = (ROOT / path).read_text(encoding="utf-8")
    if path.endswith(".md"):
        yield from enumerate(text.splitlines(), start=1)
    elif path.endswith(".py"):
        yield from python_prose(text)
    elif path.endswith(COMMENTED) or path.startswith(("scripts/", ".ci/")):
        yield from hash_comments(text)


def resolves(cited: str, citing: str) -> bool:
    if cited in ELSEWHERE:
        return True
    folder = (ROOT / citing).parent
    bases = [ROOT, *[p for p in [folder, *folder.parents] if ROOT in [p, *p.parents]]]
    # A target's path relative to its .github/ (the config's schema modeline).
    bases += sorted(ROOT.glob("examples/*/.github"))
    return any((base / cited).exists() for base in bases)


def cited_paths(text: str) -> list[str]:
    text = URL_RE.sub(" ", text)
    return [m["path"] for regex in (PATH_RE, DOCUMENT_RE) for m in regex.finditer(text)]


def citations() -> Iterator[tuple[str, int, str]]:
    for path in tracked_files():
        for number, text in prose(path):
            for cited in cited_paths(text):
                yield path, number, cited


def test_every_cited_file_exists() -> None:
    missing = [
        f"{path}:{line}: {cited}" for path, line, cited in citations() if not resolves(cited, path)
    ]
    assert missing == [], "cited files that do not exist:\n" + "\n".join(missing)


def test_every_cited_section_exists() -> None:
    missing = []
    for path in tracked_files():
        for number, text in prose(path):
            for match in SECTION_RE.finditer(text):
                document = ROOT / match["path"]
                headings = re.findall(r"^#+ (.+)$", document.read_text(encoding="utf-8"), re.M)
                if match["title"] not in headings:
                    missing.append(f"{path}:{number}: {match['path']}, {match['title']!r}")
    assert missing == [], "cited sections that do not exist:\n" + "\n".join(missing)


def test_no_prose_cites_a_path_on_a_developers_machine() -> None:
    found = [
        f"{path}:{number}: {match.group(0)}"
        for path in tracked_files()
        for number, text in prose(path)
        for match in MACHINE_PATH_RE.finditer(text)
    ]
    assert found == [], "machine paths in prose:\n" + "\n".join(found)


@pytest.mark.parametrize(
    ("text", "cited"),
    [
        ("see DESIGN.md", ["DESIGN.md"]),
        (
            "(tests/runtime/test_least_privilege.py proves it)",
            ["tests/runtime/test_least_privilege.py"],
        ),
        ("`runtime/generated.py`, then README.md", ["runtime/generated.py", "README.md"]),
        ("https://example.com/docs/a.md and .github/CODEOWNERS", []),
        ("an @scope/package/file.json", []),
        ("tests/generator/data/actions/ and generator/", ["tests/generator/data/actions/"]),
        ("ROOT/.github/repowarden.yml, api.github.com/index.json", []),
    ],
)
def test_citations_are_recognised(text: str, cited: list[str]) -> None:
    assert cited_paths(text) == cited
