"""The PM docs stay true to the code: every rule, level, command and column is documented.

docs/rules.md has one `### <rule-id>` section per declared rule, in the order of RULES, each
with a `**Level:** <level>` line and a `**Policy:**` paragraph quoting the declared policy
sentences, plus an "All rules at a glance" table made from the declarations. docs/register.md
has one `## <Tab> tab` section per tab, with a table row per column:
`| `Header` | Yes/No | meaning | accepted values |`, Yes when the column is required.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from pmsheets.cli.main import build_parser
from pmsheets.core.policy import RULE_LEVELS, RULES, Policy
from pmsheets.core.schema import FINDINGS_HEADERS, PM_TABS, Column, Tab
from pmsheets.model import Rule

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
RULES_MD = DOCS / "rules.md"
REGISTER_MD = DOCS / "register.md"
README = ROOT / "README.md"

_HEADING = re.compile(r"^(#{1,6}) +(.+?) *$")
_RULE_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)+")
_LEVEL_LINE = re.compile(r"^\*\*Level:\*\* *(\S+) *$", re.MULTILINE)
_POLICY_PARAGRAPH = re.compile(r"^\*\*Policy:\*\*(.*?)(?:\n\n|\Z)", re.MULTILINE | re.DOTALL)


def sections(path: Path, level: int) -> dict[str, str]:
    """Heading text -> the section's body, for headings of exactly `level` (#=1, ##=2, ...)."""
    found: dict[str, str] = {}
    title: str | None = None
    body: list[str] = []
    in_code = False
    for line in [*path.read_text(encoding="utf-8").splitlines(), "# end"]:
        if line.lstrip().startswith("```"):
            in_code = not in_code
        match = None if in_code else _HEADING.match(line)
        if match and len(match[1]) <= level:
            if title is not None:
                found[title] = "\n".join(body)
            title = match[2] if len(match[1]) == level else None
            body = []
        elif title is not None:
            body.append(line)
    return found


def rule_sections() -> dict[str, str]:
    return {title: body for title, body in sections(RULES_MD, 3).items() if _RULE_ID.fullmatch(title)}


# --- docs/rules.md ---------------------------------------------------------------------------------
# The rules' declarations (pmsheets/core/policy.py, and the data rules in schema.py) are the source;
# the page follows them.


def _section(rule: Rule) -> str:
    body = rule_sections().get(rule.id)
    if body is None:
        pytest.fail(f"docs/rules.md has no '### {rule.id}' heading")
    return body


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rules_doc_has_a_heading_for_every_rule(rule: Rule) -> None:
    assert rule.id in rule_sections(), f"docs/rules.md has no '### {rule.id}' heading"


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rules_doc_level_matches_the_declaration(rule: Rule) -> None:
    levels = _LEVEL_LINE.findall(_section(rule))
    assert levels == [str(rule.level)], (
        f"docs/rules.md '### {rule.id}' must have exactly one '**Level:** {rule.level}' line, found {levels}"
    )


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rules_doc_quotes_the_declared_policy_sentences(rule: Rule) -> None:
    paragraph = _POLICY_PARAGRAPH.search(_section(rule))
    assert paragraph, f"docs/rules.md '### {rule.id}' has no '**Policy:**' paragraph"
    quoted = re.findall(r'"([^"]+)"', " ".join(paragraph[1].split()).replace("**", ""))
    assert tuple(quoted) == rule.policy, f"docs/rules.md '### {rule.id}' quotes {quoted}; the declaration says {list(rule.policy)}"


def test_rules_doc_has_no_section_for_an_unknown_rule() -> None:
    unknown = [rule for rule in rule_sections() if rule not in RULE_LEVELS]
    assert unknown == [], f"docs/rules.md documents rule ids that no rule declares: {unknown}"


def test_rules_doc_sections_follow_the_declarations_order() -> None:
    documented = [rule for rule in rule_sections() if rule in RULE_LEVELS]
    assert documented == [rule.id for rule in RULES if rule.id in documented]


def glance_table() -> str:
    """The "All rules at a glance" table, as the declarations make it."""
    rows = [f"| [{r.id}](#{r.id}) | {r.level} | {r.fires_when} |" for r in RULES]
    return "\n".join(["| Rule | Level | Fires when |", "|---|---|---|", *rows])


def test_rules_doc_glance_table_is_the_declarations() -> None:
    assert glance_table() in RULES_MD.read_text(encoding="utf-8"), (
        f"docs/rules.md's 'All rules at a glance' table differs from the declarations; it should read:\n{glance_table()}"
    )


_SETTING_ROW = re.compile(r"^\| `policy\.(\w+)` \| `([^`]+)` \|", re.MULTILINE)


def test_rules_doc_settings_table_shows_the_policy_defaults() -> None:
    # The Policy dataclass is where the defaults are; the page repeats them for PMs, so it is checked.
    shown = dict(_SETTING_ROW.findall(RULES_MD.read_text(encoding="utf-8")))
    assert shown, "docs/rules.md has no `policy.*` rows in 'Settings that change the rules'"
    defaults = {key: f"{getattr(Policy(), key):g}" for key in shown}
    assert shown == defaults


# --- CLI subcommands ----------------------------------------------------------------------------


def subcommands() -> list[str]:
    parser = build_parser()
    for action in parser._actions:  # argparse exposes subcommands only through this private list
        if isinstance(action, argparse._SubParsersAction):
            return sorted(action.choices)
    return []


def user_docs() -> dict[str, str]:
    """README.md (when it exists) and every page under docs/, by name."""
    paths = sorted(DOCS.glob("*.md"))
    if README.exists():
        paths.insert(0, README)
    return {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8") for path in paths}


def code_fragments(markdown: str) -> list[str]:
    """The lines of fenced code blocks and the `inline code` spans: where a doc shows a command to type."""
    fragments: list[str] = []
    in_block = False
    for line in markdown.splitlines():
        if line.lstrip().startswith("```"):
            in_block = not in_block
        elif in_block:
            fragments.append(line)
        else:
            fragments.extend(re.findall(r"`([^`]+)`", line))
    return fragments


def test_cli_has_subcommands() -> None:
    assert subcommands(), "build_parser() has no subcommands; this file would check nothing"


@pytest.mark.parametrize("command", subcommands())
def test_cli_subcommand_is_documented(command: str) -> None:
    # Shown as a command, options allowed in between: `pmsheets [--config PATH] validate --as-of ...` counts.
    usage = re.compile(rf"\bpmsheets\b.*?\s{re.escape(command)}\b")
    where = [name for name, text in user_docs().items() if any(usage.search(code) for code in code_fragments(text))]
    assert where, f"'pmsheets {command}' is not mentioned in README.md or docs/"


# --- docs/register.md ---------------------------------------------------------------------------


def tab_section(tab_title: str) -> str:
    body = sections(REGISTER_MD, 2).get(f"{tab_title} tab")
    if body is None:
        pytest.fail(f"docs/register.md has no '## {tab_title} tab' section")
    return body


@pytest.mark.parametrize(
    ("tab", "column"),
    [(tab, column) for tab in PM_TABS for column in tab.columns],
    ids=[f"{tab.title}-{column.header}" for tab in PM_TABS for column in tab.columns],
)
def test_register_doc_documents_every_column(tab: Tab, column: Column) -> None:
    body = tab_section(tab.title)
    row = re.search(rf"^\| *`{re.escape(column.header)}` *\| *(Yes|No) *\|", body, re.MULTILINE)
    assert row, f"docs/register.md '## {tab.title} tab' has no table row for `{column.header}`"
    documented_required = row[1] == "Yes"
    assert documented_required == column.required, (
        f"docs/register.md says `{column.header}` is {'' if documented_required else 'not '}required; schema says the opposite"
    )
    for alias in column.aliases:
        assert f"`{alias}`" in body, f"docs/register.md '## {tab.title} tab' does not mention the header alias `{alias}`"


def test_register_doc_documents_the_findings_columns() -> None:
    header_row = "| " + " | ".join(FINDINGS_HEADERS) + " |"
    assert header_row in tab_section("Findings")
