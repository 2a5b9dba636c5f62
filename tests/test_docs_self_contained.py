"""The hand-written docs are self-contained: no citation of files outside the repository or of issue
numbers, and every relative link (with its #anchor) resolves inside the repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

# docs/api.md is generated from the docstrings by docs/make_api.py (kept up to date by test_docs.py)
GENERATED = {REPO / "docs" / "api.md"}
TEXT_SUFFIXES = {".md", ".py", ".yaml", ".yml", ".toml", ".txt"}
FORBIDDEN = re.compile(r"\bMODEL\.md|(?<!docs/)\bARCHITECTURE\.md|shared/design|\b[Ii]ssues?\s*#?\s*\d+|\b[Ii]ssue:")


def _hand_written() -> list[Path]:
    files = [REPO / "README.md", REPO / "CHANGELOG.md"]
    for folder in ("docs", "examples", "benchmarks"):
        files += [p for p in sorted((REPO / folder).rglob("*")) if p.suffix in TEXT_SUFFIXES and p.is_file()]
    return [p for p in files if p.exists() and p not in GENERATED and "__pycache__" not in p.parts]


@pytest.mark.parametrize("path", _hand_written(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_citation_of_outside_design_files_or_issues(path):
    text = path.read_text(encoding="utf-8")
    hits = [f"{i}: {line.strip()}" for i, line in enumerate(text.splitlines(), 1) if FORBIDDEN.search(line)]
    assert not hits, "cite papers (bibliography) or repository docs instead:\n" + "\n".join(hits)


def _slug(heading: str) -> str:
    """GitHub's anchor of a Markdown heading."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    return {_slug(m.group(1)) for m in re.finditer(r"^#+\s+(.*)$", path.read_text(encoding="utf-8"), re.M)}


def _links(path: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.S)
    text = "\n".join(line for line in text.splitlines() if not line.startswith("    "))  # indented code
    return re.findall(r"\]\(([^)\s]+)\)", text)


MARKDOWN = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]


@pytest.mark.parametrize("path", MARKDOWN, ids=lambda p: str(p.relative_to(REPO)))
def test_relative_links_resolve(path):
    bad = []
    for link in _links(path):
        if link.startswith(("http://", "https://", "mailto:")):
            continue
        target, _, anchor = link.partition("#")
        file = (path.parent / target).resolve() if target else path
        if not file.exists() or REPO not in file.parents:
            bad.append(link)
        elif anchor and file.suffix == ".md" and anchor not in _anchors(file):
            bad.append(link)
    assert not bad, bad
