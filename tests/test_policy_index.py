"""The policy index is the governors' checklist: every rule in it has at least one tagged test."""

import re
from pathlib import Path

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
