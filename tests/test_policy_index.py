"""The policy index is the governors' checklist: every rule of the policy is in it, every rule in it has
at least one tagged test, and every function and test it names exists."""

import pkgutil
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
INDEX = ROOT / "docs" / "policy-index.md"
RULE = re.compile(r"^## ((?:CON|COM|CALL|LOG|SG|GOV)-\d+) ", re.MULTILINE)
TAG = re.compile(r"""policy\(\s*["']((?:CON|COM|CALL|LOG|SG|GOV)-\d+)["']\s*\)""")


def _tagged_rules() -> set[str]:
    found = set()
    for test_file in (ROOT / "tests").rglob("test_*.py"):
        found.update(TAG.findall(test_file.read_text(encoding="utf-8")))
    return found


def test_every_rule_in_the_index_has_a_tagged_test():
    rules = RULE.findall(INDEX.read_text(encoding="utf-8"))

    assert len(rules) == 36, "the index should list every rule of POLICY_RULES.md"
    assert sorted(set(rules) - _tagged_rules()) == []


def test_every_tag_names_a_rule_in_the_index():
    rules = set(RULE.findall(INDEX.read_text(encoding="utf-8")))

    assert sorted(_tagged_rules() - rules) == []


# --- Every name the index gives exists ------------------------------------------------------

APPS = "accounts|school|governance|oversight|notifications|consent|calls|sessionlogs|safeguarding|platforms|portal|toolkit"
QUALIFIED = re.compile(rf"`((?:{APPS})(?:\.[A-Za-z_][A-Za-z0-9_]*)+)`")
SHARED_RULES = ROOT.parent / "shared" / "POLICY_RULES.md"
RULE_ID = re.compile(r"\b((?:CON|COM|CALL|LOG|SG|GOV)-\d+)\b")


def _resolve(dotted: str):
    """The object a dotted name names (module attribute, class method), or None. The names come from a
    document, so they are resolved by name: the standard library's resolver, not a look-up of our own."""
    try:
        return pkgutil.resolve_name(dotted)
    except (ImportError, AttributeError, ValueError):
        return None


def test_every_function_the_index_names_exists():
    names = sorted(set(QUALIFIED.findall(INDEX.read_text(encoding="utf-8"))))

    assert len(names) > 150, "the index names the functions behind every rule"
    assert [name for name in names if _resolve(name) is None] == []


def test_every_test_the_index_names_exists():
    missing = []
    for line in INDEX.read_text(encoding="utf-8").splitlines():
        current = None
        for match in re.finditer(r"`(tests/[\w/]+\.py)?::(\w+)`", line):
            current = match.group(1) or current
            if current is None:
                continue
            source = (ROOT / current).read_text(encoding="utf-8") if (ROOT / current).exists() else ""
            if not re.search(rf"^(?:async )?def {match.group(2)}\(", source, re.MULTILINE):
                missing.append(f"{current}::{match.group(2)}")

    assert missing == []


def test_every_rule_of_the_policy_appears_in_the_index():
    if not SHARED_RULES.exists():
        pytest.skip(f"{SHARED_RULES} is not beside this checkout")
    rules = set(RULE_ID.findall(SHARED_RULES.read_text(encoding="utf-8")))

    assert len(rules) == 36
    assert sorted(rules - set(RULE.findall(INDEX.read_text(encoding="utf-8")))) == []
