"""The statistics page's charts (gateway/console/charts.py): well-formed SVG with a title and a
description, values mapped to the right sizes and cells, every text escaped, empty data drawn
as a message."""

from __future__ import annotations

import pytest
from lxml import etree

from gateway.console import charts
from gateway.console.charts import Series, ShareRow, Stack

SVG = "{http://www.w3.org/2000/svg}"
OUTCOMES = (Series("received", "Đã nhận", "#1b7f3a"), Series("failed", "Lỗi", "#b3261e"))
NASTY = "<b>&\"Sở 'Tài' chính\"</b>"


def parse(markup: str) -> etree._Element:
    """The SVG as a tree (a parse error fails the test)."""
    root = etree.fromstring(markup.encode("utf-8"))
    assert root.tag == f"{SVG}svg"
    return root


def rects(root: etree._Element, **attrs: str) -> list[etree._Element]:
    """The chart's rectangles with the given data-* attributes."""
    return [
        r
        for r in root.iter(f"{SVG}rect")
        if all(r.get(f"data-{k.replace('_', '-')}") == v for k, v in attrs.items())
    ]


def percent(value: float) -> str:
    """Shares as the page writes them."""
    return f"{value * 100:.1f} %"


def test_stacked_bars_are_accessible_and_proportional() -> None:
    """Each day's segments stack to its total; heights follow the values; titles are tooltips."""
    stacks = [
        Stack("01/12", "01/12/2026", {"received": 2, "failed": 1}),
        Stack("02/12", "02/12/2026", {"received": 4}),
    ]
    root = parse(
        charts.stacked_bars("daily", "Theo ngày", "Bản sao theo ngày", stacks, OUTCOMES, empty="-")
    )
    assert root.get("role") == "img"
    ids = root.get("aria-labelledby").split()
    assert [root.find(f".//*[@id='{i}']").text for i in ids] == ["Theo ngày", "Bản sao theo ngày"]
    two, four = rects(root, key="received", value="2"), rects(root, key="received", value="4")
    one = rects(root, key="failed", value="1")
    assert len(two) == len(four) == len(one) == 1
    assert float(four[0].get("height")) == pytest.approx(2 * float(two[0].get("height")))
    assert float(two[0].get("height")) == pytest.approx(2 * float(one[0].get("height")))
    # the failed segment sits on top of the received one
    assert float(one[0].get("y")) + float(one[0].get("height")) == pytest.approx(
        float(two[0].get("y"))
    )
    assert one[0].find(f"{SVG}title").text == "01/12/2026 — Lỗi: 1 / 3"


def test_stacked_bars_of_a_long_period_label_only_some_days() -> None:
    """366 narrow bars: the axis writes one label every few days, not 366 overlapping ones."""
    stacks = [Stack(f"{i}", f"day {i}", {"received": 1}) for i in range(366)]
    root = parse(charts.stacked_bars("year", "t", "d", stacks, OUTCOMES, empty="-"))
    labels = [t.text for t in root.iter(f"{SVG}text") if t.text and t.text.isdigit()]
    assert len(rects(root, key="received")) == 366
    assert 10 < len([x for x in labels if int(x) > 1]) < 40


def test_share_bars_map_shares_to_widths_and_unknown_to_text() -> None:
    """A share of 0.5 is half as wide as 1.0; a share that cannot be judged has no bar."""
    series = (Series("send", "Gửi đúng hạn", "#1f5fa8"), Series("notice", "Thông báo", "#1b7f3a"))
    rows = [ShareRow("H14", "H14 UBND", [1.0, 0.5]), ShareRow("H41", "H41", [None, 0.25])]
    root = parse(
        charts.share_bars(
            "shares", "t", "d", rows, series, empty="-", unknown="chưa có", percent=percent
        )
    )
    full = rects(root, key="send", value="1.0000")[0]
    half = rects(root, key="notice", value="0.5000")[0]
    quarter = rects(root, key="notice", value="0.2500")[0]
    assert float(half.get("width")) == pytest.approx(float(full.get("width")) / 2)
    assert float(quarter.get("width")) == pytest.approx(float(full.get("width")) / 4)
    assert len(rects(root, key="send")) == 1
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "chưa có" in texts
    assert "50.0 %" in texts
    assert half.find(f"{SVG}title").text == "H14 UBND — Thông báo: 50.0 %"


def test_heat_map_puts_counts_in_their_cells_and_marks_out_of_hours() -> None:
    """Key ``3-09`` is Wednesday 09:00; cells outside office hours are flagged and coloured
    apart; 7 × 24 cells whatever the data."""
    weekdays = ("T2", "T3", "T4", "T5", "T6", "T7", "CN")
    office = {(d, h) for d in range(1, 6) for h in range(8, 17)}
    counts = {"3-09": 4, "6-20": 2, "9-99": 5, "bad": 1}
    root = parse(
        charts.heat_map(
            "hours", "t", "d", counts, weekdays, office, office_label="trong giờ", out_label="ngoài"
        )
    )
    cells = rects(root)
    assert len([c for c in cells if c.get("data-cell")]) == 7 * 24
    wednesday = rects(root, cell="3-09")[0]
    saturday = rects(root, cell="6-20")[0]
    assert wednesday.get("data-value") == "4"
    assert wednesday.get("data-office") == "1"
    assert saturday.get("data-value") == "2"
    assert saturday.get("data-office") == "0"
    assert wednesday.get("fill") != saturday.get("fill")
    assert saturday.find(f"{SVG}title").text == "T7 20:00–20:59: 2 (ngoài)"
    assert sum(int(c.get("data-value")) for c in rects(root) if c.get("data-cell")) == 6
    empty_out = rects(root, cell="7-03")[0]
    empty_in = rects(root, cell="1-10")[0]
    assert empty_out.get("fill") != empty_in.get("fill")


def test_bars_follow_their_counts() -> None:
    """Backlog bars: widths proportional to the counts, zero has no width."""
    items = [("dưới 4 giờ", 6), ("dưới 1 ngày", 3), ("cũ hơn", 0)]
    root = parse(charts.bars("backlog", "t", "d", items, "#a86400", empty="-"))
    six, three, zero = (rects(root, value=v)[0] for v in ("6", "3", "0"))
    assert float(three.get("width")) == pytest.approx(float(six.get("width")) / 2)
    assert float(zero.get("width")) == 0


def test_every_text_is_escaped() -> None:
    """Names with <, &, quotes stay text: the SVG parses and shows them as written."""
    stacks = [Stack(NASTY, NASTY, {"received": 1})]
    series = (Series("received", NASTY, "#000"),)
    markups = [
        charts.stacked_bars("a", NASTY, NASTY, stacks, series, empty=NASTY),
        charts.share_bars(
            "b",
            NASTY,
            NASTY,
            [ShareRow(NASTY, NASTY, [0.5])],
            series,
            empty="-",
            unknown=NASTY,
            percent=percent,
        ),
        charts.heat_map(
            "c",
            NASTY,
            NASTY,
            {"1-01": 1},
            [NASTY] * 7,
            set(),
            office_label=NASTY,
            out_label=NASTY,
        ),
        charts.bars("d", NASTY, NASTY, [(NASTY, 1)], "#000", empty=NASTY),
    ]
    for markup in markups:
        root = parse(markup)
        assert root.find(f"{SVG}title").text == NASTY
        assert root.find(f"{SVG}desc").text == NASTY
        assert "<b>" not in markup
        tips = [t.text or "" for r in root.iter(f"{SVG}rect") for t in r.iter(f"{SVG}title")]
        assert any(NASTY in tip for tip in tips)


def test_empty_data_draws_the_message() -> None:
    """No day with traffic, no agency, no backlog: a short chart saying so, with no bar."""
    for markup in (
        charts.stacked_bars("a", "t", "d", [], OUTCOMES, empty="Không có số liệu"),
        charts.stacked_bars(
            "b", "t", "d", [Stack("1", "1", {})], OUTCOMES, empty="Không có số liệu"
        ),
        charts.share_bars(
            "c", "t", "d", [], OUTCOMES, empty="Không có số liệu", unknown="-", percent=percent
        ),
        charts.bars("d", "t", "d", [], "#000", empty="Không có số liệu"),
    ):
        root = parse(markup)
        assert rects(root) == []
        assert [t.text for t in root.iter(f"{SVG}text")] == ["Không có số liệu"]


def test_a_chart_identifier_is_checked() -> None:
    """The identifier becomes element ids: anything but a short slug is refused."""
    with pytest.raises(ValueError, match="identifier"):
        charts.bars('x" onload="alert(1)', "t", "d", [("a", 1)], "#000", empty="-")


def test_nice_steps() -> None:
    """Axis steps are whole 1, 2, 5 × 10ⁿ numbers."""
    assert [charts.nice_step(n) for n in (1, 4, 7, 10, 95, 1234)] == [1, 1, 2, 5, 50, 500]
