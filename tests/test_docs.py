"""The repository documents itself: no pointer outside it, no broken link, every command."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from fimonitor.cli import COMMANDS

ROOT = Path(__file__).resolve().parent.parent
# Files that may name the upstream copy of the data (provenance, not a pointer for users).
ALLOWED = {"data/PROVENANCE.md"}
FORBIDDEN = ("../shared", "/work/shared", "CONTRACT.md", "CONTRACT §")
TEXT_SUFFIXES = {".py", ".md", ".ipynb", ".yaml", ".yml", ".toml", ".txt", ".cfg", ".html", ""}
THIS = Path(__file__).resolve().relative_to(ROOT).as_posix()
# [text](target) — a Markdown link; images and anchors included.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def repository_files() -> list[Path]:
    """Tracked and untracked (not ignored) files; a plain walk when git is unavailable."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        names = [n for n in out.splitlines() if n]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", "outputs", "__pycache__", ".venv", "node_modules"}
        names = [
            p.relative_to(ROOT).as_posix()
            for p in ROOT.rglob("*")
            if p.is_file() and not skip.intersection(p.relative_to(ROOT).parts)
        ]
    return [ROOT / n for n in names if (ROOT / n).is_file()]


def doc_pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_nothing_points_outside_the_repository() -> None:
    offenders = []
    for path in repository_files():
        rel = path.relative_to(ROOT).as_posix()
        if rel in ALLOWED or rel == THIS or path.suffix not in TEXT_SUFFIXES:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        for n, line in enumerate(text.splitlines(), start=1):
            hits = [f for f in FORBIDDEN if f in line]
            if hits:
                offenders.append(f"{rel}:{n}: {hits[0]}")
    assert not offenders, "pointers outside the repository:\n" + "\n".join(offenders)


def relative_links(page: Path) -> list[str]:
    text = page.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.S)  # code blocks hold no links
    links = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # http:, mailto:, … and anchors within the page
        links.append(target)
    return links


@pytest.mark.parametrize("page", doc_pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in relative_links(page):
        path = target.split("#", 1)[0]
        if not (page.parent / path).exists():
            broken.append(target)
    assert not broken, f"{page.name}: links to missing files: {broken}"


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    return {slug(h) for h in re.findall(r"^#+\s+(.*)$", text, flags=re.M)}


@pytest.mark.parametrize("page", doc_pages(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_anchor_resolves(page: Path) -> None:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    broken = []
    for target in LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or "#" not in target:
            continue
        path, anchor = target.split("#", 1)
        dest = (page.parent / path) if path else page
        if dest.suffix == ".md" and dest.exists() and anchor not in anchors(dest):
            broken.append(target)
    assert not broken, f"{page.name}: links to missing headings: {broken}"


def test_slug_follows_github() -> None:
    assert slug("POST_MIN: the least trade that cures") == "post_min-the-least-trade-that-cures"
    assert slug("Period returns (`performance.csv`)") == "period-returns-performancecsv"


def test_the_link_checker_sees_links() -> None:
    links = relative_links(ROOT / "README.md")
    assert "docs/definitions.md" in links
    assert all(not t.startswith("http") for t in links)


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [c for c in COMMANDS if f"fimonitor {c}" not in readme]
    assert not missing, f"commands missing from README: {missing}"


def test_every_docs_page_is_in_the_documentation_map() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [p.name for p in (ROOT / "docs").glob("*.md") if f"docs/{p.name}" not in readme]
    assert not missing, f"docs pages missing from README: {missing}"


@pytest.mark.parametrize("page", doc_pages(), ids=lambda p: p.name)
def test_code_fences_are_balanced(page: Path) -> None:
    """Every fenced code block is closed: an unmatched fence swallows the rest of the page."""
    fences = [
        n
        for n, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1)
        if line.lstrip().startswith("```")
    ]
    assert len(fences) % 2 == 0, f"{page.name}: unmatched code fence (fence lines {fences})"
