"""The manual lives beside the code: every relative link in README.md and docs/ opens a real file,
and every `docs/<page>.md` the code or the manual names exists. README stays a front page."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# [text](target) and ![alt](target); the target ends at whitespace or the closing parenthesis.
LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
DOCS_PAGE = re.compile(r"\bdocs/[A-Za-z0-9_.-]+\.md\b")
SOURCES = ["*.py", "*.md", "*.html", "*.txt", "*.toml", "*.yml", "Dockerfile"]
SKIPPED_DIRS = {".git", "node_modules", "staticfiles", "var", "__pycache__"}


def _relative_links(page: Path) -> list[str]:
    targets = LINK.findall(page.read_text(encoding="utf-8"))
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t) and not t.startswith("#")]


def _files_naming_docs():
    for pattern in SOURCES:
        for path in ROOT.rglob(pattern):
            if not SKIPPED_DIRS.intersection(path.relative_to(ROOT).parts):
                yield path


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_opens_a_file(page):
    missing = [t for t in _relative_links(page) if not (page.parent / t.split("#")[0]).exists()]

    assert missing == []


def test_every_docs_page_named_anywhere_exists():
    named = {(path.relative_to(ROOT), m) for path in _files_naming_docs() for m in DOCS_PAGE.findall(path.read_text("utf-8"))}

    assert sorted((str(where), page) for where, page in named if not (ROOT / page).exists()) == []


def test_the_readme_is_a_front_page_that_links_the_manual():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")

    assert len(readme.splitlines()) <= 200
    for page in ("architecture", "deployment", "email", "trust", "performance", "platforms", "policy-index"):
        assert f"(docs/{page}.md)" in readme


def test_the_link_check_would_catch_a_broken_link(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("[ok](page.md) [web](https://example.org) [here](#top) [gone](missing.md#part)", encoding="utf-8")

    assert _relative_links(page) == ["page.md", "missing.md#part"]
    assert not (tmp_path / "missing.md").exists()
