"""Rendering the reports: escaped register text, mail-safe HTML, a real plain-text part, clean subjects."""

from __future__ import annotations

import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest

from pmsheets.core.overdue import Headline, escalation_report, overdue_report, owner_digests
from pmsheets.core.report_log import ReportKind
from pmsheets.errors import ConfigError
from pmsheets.outputs.report_render import Rendered, render, web_link
from tests.report_fixtures import sample_overdue


class Tags(HTMLParser):
    """Every start tag with its attributes, to look for scripts and external resources."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = Tags()
    parser.feed(html)
    return parser.tags


def all_rendered() -> list[Rendered]:
    overdue = sample_overdue()
    return [render(overdue_report(overdue)), render(escalation_report(overdue)), render(owner_digests(overdue)[1])]


@pytest.fixture(params=["overdue", "escalation", "digest"])
def rendered(request: pytest.FixtureRequest) -> Rendered:
    return {r.kind.value.split("-")[-1]: r for r in all_rendered()}[request.param]


def test_render_html_shows_a_script_title_as_text(rendered: Rendered) -> None:
    assert "<script" not in rendered.html
    if rendered.kind is not ReportKind.OWNER_DIGEST:  # the digest's owner has no item of that incident
        assert "Checkout &lt;script&gt;alert(1)&lt;/script&gt; outage" in rendered.html


def test_render_html_loads_nothing_from_outside(rendered: Rendered) -> None:
    tags = tags_of(rendered.html)
    assert not [t for t, attrs in tags if t in ("script", "img", "link", "iframe", "style", "object")]
    assert not [attrs for _, attrs in tags if "src" in attrs or "background" in attrs]


def test_render_html_is_laid_out_with_inline_styled_tables(rendered: Rendered) -> None:
    tags = tags_of(rendered.html)
    assert [t for t, _ in tags].count("table") >= 2
    assert not [t for t, _ in tags if t in ("div", "span") and "class" in _]


def test_render_text_is_not_the_html_source(rendered: Rendered) -> None:
    assert not re.search(r"<(td|tr|table|html|br|span)\b", rendered.text)
    assert "&lt;" not in rendered.text


def test_render_text_carries_the_same_items_as_the_html(rendered: Rendered) -> None:
    ids = set(re.findall(r"\b(?:ACT|INC)-\d+\b", rendered.html))
    assert ids == set(re.findall(r"\b(?:ACT|INC)-\d+\b", rendered.text))


def test_render_escalation_text_shows_register_text_unescaped() -> None:
    text = render(escalation_report(sample_overdue())).text
    assert "Checkout <script>alert(1)</script> outage" in text


def test_render_overdue_draws_the_age_chart_as_sized_cells() -> None:
    html = render(overdue_report(sample_overdue())).html
    assert 'width="100%" height="16"' in html
    assert 'width="25%" height="16"' in html


def test_render_overdue_shows_the_change_since_last_week() -> None:
    report = overdue_report(sample_overdue(), previous=Headline(overdue_actions=6, overdue_postmortems=2, not_tracked=0))
    rendered = render(report)
    assert "−2 since last week" in rendered.text  # noqa: RUF001  the typographic minus is the point
    assert "−2 since last week" in rendered.html  # noqa: RUF001  the typographic minus is the point


def test_render_overdue_without_a_previous_week_says_first_report() -> None:
    assert "first report" in render(overdue_report(sample_overdue())).text


def test_render_subject_has_no_line_breaks() -> None:
    digest = replace(owner_digests(sample_overdue())[0], owner="Eve\r\nBcc: victim@example.com")
    subject = render(digest).subject
    assert "\n" not in subject
    assert "\r" not in subject
    assert subject.endswith("Eve Bcc: victim@example.com")


def test_render_names_each_report_by_kind_and_week() -> None:
    assert [r.name for r in all_rendered()] == ["overdue-2026-W48", "escalation-2026-W48", "owner-digest-2026-W48-priya"]


def test_render_templates_dir_overrides_one_template(tmp_path: Path) -> None:
    (tmp_path / "report_overdue.txt.j2").write_text("custom {{ report.week }}\n", encoding="utf-8")
    rendered = render(overdue_report(sample_overdue()), templates_dir=tmp_path)
    assert rendered.text == "custom 2026-W48\n"
    assert "Overdue actions by owner" in rendered.html  # the HTML still comes from the shipped template


def test_render_missing_templates_dir_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="templates_dir"):
        render(overdue_report(sample_overdue()), templates_dir=tmp_path / "absent")


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://tracker.example.com/OPS-1", "https://tracker.example.com/OPS-1"),
        ("OPS-1", None),
        ("javascript:alert(1)", None),
        ('https://x.example.com/" onmouseover="alert(1)', None),
    ],
)
def test_web_link_only_links_plain_http_urls(link: str, expected: str | None) -> None:
    assert web_link(link) == expected
