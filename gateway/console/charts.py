"""Charts of the statistics page as inline SVG, drawn on the server.

The console works on a closed network (no CDN) and its Content-Security-Policy runs no inline
script, so there is no chart library: each function here takes plain numbers and the words to
show (already in the page's language) and returns one ``<svg>`` element as a string. Every text
is escaped; the chart has a ``<title>`` and a ``<desc>`` (``role="img"``, ``aria-labelledby``)
for screen readers, and every bar or cell has a ``<title>`` the browser shows as a tooltip.
Colours are presentation attributes (the CSP allows no inline ``style``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from html import escape

#: How an identifier of a chart may look (it prefixes the ids of its title and description).
_IDENT = re.compile(r"^[a-z][a-z0-9-]{0,40}$")
FONT = "system-ui, 'Segoe UI', Roboto, Arial, sans-serif"
INK, MUTED, LINE = "#1d232b", "#5f6b7a", "#d8dde4"


@dataclass(frozen=True, slots=True)
class Series:
    """One kind of value a chart shows: its key in the data, its words, its colour."""

    key: str
    label: str
    color: str


@dataclass(frozen=True, slots=True)
class Stack:
    """One column of a stacked bar chart: its axis label, its tooltip name, its values."""

    label: str
    name: str
    values: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class ShareRow:
    """One row of a share chart: its label, its tooltip name, one share (0..1 or None) per
    series."""

    label: str
    name: str
    shares: Sequence[float | None]


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _n(value: float) -> str:
    """A coordinate, short."""
    return f"{value:.1f}".removesuffix(".0")


def _svg(ident: str, width: float, height: float, title: str, desc: str, body: list[str]) -> str:
    if not _IDENT.match(ident):
        raise ValueError(f"not a chart identifier: {ident!r}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{ident}" role="img" '
        f'width="{_n(width)}" height="{_n(height)}" viewBox="0 0 {_n(width)} {_n(height)}" '
        f'aria-labelledby="{ident}-title {ident}-desc" font-family="{_e(FONT)}" font-size="11">'
        f'<title id="{ident}-title">{_e(title)}</title>'
        f'<desc id="{ident}-desc">{_e(desc)}</desc>' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, text: str, *, anchor: str = "start", **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{_e(v)}"' for k, v in attrs.items())
    return f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="{anchor}"{extra}>{_e(text)}</text>'


def _rect(x: float, y: float, w: float, h: float, fill: str, tip: str, **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{_e(v)}"' for k, v in attrs.items())
    return (
        f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" fill="{_e(fill)}"'
        f"{extra}><title>{_e(tip)}</title></rect>"
    )


def nice_step(top: int, ticks: int = 4) -> int:
    """A whole step of 1, 2 or 5 × 10ⁿ so that about ``ticks`` steps cover ``top``."""
    if top <= ticks:
        return 1
    raw = top / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return int(factor * power)
    return int(10 * power)  # pragma: no cover - the loop ends at 10


def _legend(series: Sequence[Series], x: float, y: float) -> list[str]:
    out = []
    for s in series:
        out.append(
            f'<rect x="{_n(x)}" y="{_n(y - 9)}" width="10" height="10" fill="{_e(s.color)}"/>'
        )
        out.append(_text(x + 14, y, s.label, fill=INK))
        x += 24 + 6.2 * len(s.label)
    return out


def _empty(ident: str, title: str, desc: str, width: float, message: str) -> str:
    return _svg(
        ident, width, 60, title, desc, [_text(width / 2, 34, message, anchor="middle", fill=MUTED)]
    )


def stacked_bars(
    ident: str,
    title: str,
    desc: str,
    stacks: Sequence[Stack],
    series: Sequence[Series],
    *,
    empty: str,
    width: float = 1000,
    height: float = 240,
) -> str:
    """Stacked vertical bars, one per stack (a day), one segment per series (an outcome), with
    a whole-number axis; only some axis labels are written when the bars are narrow."""
    totals = [sum(max(0, s.values.get(k.key, 0)) for k in series) for s in stacks]
    if not stacks or not any(totals):
        return _empty(ident, title, desc, width, empty)
    left, right, top, bottom = 44.0, 10.0, 26.0, 24.0
    plot_w, plot_h = width - left - right, height - top - bottom
    step = nice_step(max(totals))
    ceiling = step * math.ceil(max(totals) / step)
    body = _legend(series, left, 12)
    for tick in range(0, ceiling + 1, step):
        y = top + plot_h - plot_h * tick / ceiling
        body.append(
            f'<line x1="{_n(left)}" x2="{_n(width - right)}" y1="{_n(y)}" y2="{_n(y)}" '
            f'stroke="{LINE}"/>'
        )
        body.append(_text(left - 6, y + 4, str(tick), anchor="end", fill=MUTED))
    slot = plot_w / len(stacks)
    bar = max(1.0, slot * 0.8)
    every = max(1, math.ceil(44 / slot))  # an axis label needs about 44 px
    for index, (stack, total) in enumerate(zip(stacks, totals, strict=True)):
        x = left + index * slot + (slot - bar) / 2
        y = top + plot_h
        for s in series:
            value = max(0, stack.values.get(s.key, 0))
            if not value:
                continue
            h = plot_h * value / ceiling
            y -= h
            tip = f"{stack.name} — {s.label}: {value} / {total}"
            body.append(_rect(x, y, bar, h, s.color, tip, data_key=s.key, data_value=str(value)))
        if index % every == 0:
            body.append(_text(x + bar / 2, height - 8, stack.label, anchor="middle", fill=MUTED))
    body.append(
        f'<line x1="{_n(left)}" x2="{_n(width - right)}" y1="{_n(top + plot_h)}" '
        f'y2="{_n(top + plot_h)}" stroke="{MUTED}"/>'
    )
    return _svg(ident, width, height, title, desc, body)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def share_bars(
    ident: str,
    title: str,
    desc: str,
    rows: Sequence[ShareRow],
    series: Sequence[Series],
    *,
    empty: str,
    unknown: str,
    percent: Callable[[float], str],
    width: float = 1000,
) -> str:
    """Horizontal bars of shares (0..1), one group per row (an agency), one bar per series;
    a share that cannot be judged (None) is written ``unknown`` and has no bar."""
    if not rows:
        return _empty(ident, title, desc, width, empty)
    label_w, right, top = 300.0, 70.0, 28.0
    bar_h, gap = 14.0, 10.0
    group = len(series) * bar_h + gap
    height = top + len(rows) * group + 22
    plot_w = width - label_w - right
    body = _legend(series, label_w, 12)
    for tick in (0, 0.25, 0.5, 0.75, 1):
        x = label_w + plot_w * tick
        body.append(
            f'<line x1="{_n(x)}" x2="{_n(x)}" y1="{_n(top - 4)}" y2="{_n(height - 18)}" '
            f'stroke="{LINE}"/>'
        )
        body.append(_text(x, height - 6, percent(tick), anchor="middle", fill=MUTED))
    for index, row in enumerate(rows):
        y = top + index * group
        body.append(
            _text(
                label_w - 8,
                y + len(series) * bar_h / 2 + 4,
                _clip(row.label, 44),
                anchor="end",
                fill=INK,
            )
        )
        for n, (s, value) in enumerate(zip(series, row.shares, strict=True)):
            by = y + n * bar_h
            if value is None:
                body.append(_text(label_w + 4, by + bar_h - 2, unknown, fill=MUTED, font_size="10"))
                continue
            clamped = min(1.0, max(0.0, value))
            tip = f"{row.name} — {s.label}: {percent(value)}"
            body.append(
                _rect(
                    label_w,
                    by,
                    max(1.0, plot_w * clamped),
                    bar_h - 1,
                    s.color,
                    tip,
                    data_key=s.key,
                    data_value=f"{value:.4f}",
                )
            )
            body.append(
                _text(
                    label_w + plot_w * clamped + 4,
                    by + bar_h - 2,
                    percent(value),
                    fill=INK,
                    font_size="10",
                )
            )
    return _svg(ident, width, height, title, desc, body)


def _mix(color: tuple[int, int, int], weight: float) -> str:
    """``color`` mixed with white: weight 0 is white, 1 the colour itself."""
    r, g, b = (round(255 - (255 - c) * weight) for c in color)
    return f"#{r:02x}{g:02x}{b:02x}"


_OFFICE_RGB = (31, 95, 168)  # the console's blue
_OUT_RGB = (168, 100, 0)  # its warning orange


def heat_map(
    ident: str,
    title: str,
    desc: str,
    counts: Mapping[str, int],
    weekdays: Sequence[str],
    office: Collection[tuple[int, int]],
    *,
    office_label: str,
    out_label: str,
    width: float = 1000,
) -> str:
    """Counts by ISO weekday (1..7, rows) and local hour (0..23, columns) from keys ``W-HH``;
    cells outside office hours (``(weekday, hour)`` not in ``office``) are drawn in orange on a
    grey ground, those inside in blue, darker for more."""
    if len(weekdays) != 7:
        raise ValueError("seven weekday names, Monday first")
    grid = {(d, h): 0 for d in range(1, 8) for h in range(24)}
    for key, n in counts.items():
        w, _, hh = key.partition("-")
        if w.isdigit() and hh.isdigit() and (int(w), int(hh)) in grid:
            grid[(int(w), int(hh))] += max(0, n)
    most = max(grid.values())
    left, top = 70.0, 40.0
    cell_w = (width - left - 6) / 24
    cell_h = 22.0
    height = top + 7 * cell_h + 8
    legend = (
        Series("office", office_label, _mix(_OFFICE_RGB, 0.7)),
        Series("out", out_label, _mix(_OUT_RGB, 0.7)),
    )
    body = _legend(legend, left, 12)
    for hour in range(24):
        body.append(
            _text(
                left + hour * cell_w + cell_w / 2,
                top - 6,
                f"{hour:02d}",
                anchor="middle",
                fill=MUTED,
            )
        )
    for day in range(1, 8):
        y = top + (day - 1) * cell_h
        body.append(_text(left - 6, y + cell_h / 2 + 4, weekdays[day - 1], anchor="end", fill=INK))
        for hour in range(24):
            n = grid[(day, hour)]
            inside = (day, hour) in office
            if n:
                fill = _mix(_OFFICE_RGB if inside else _OUT_RGB, 0.2 + 0.8 * n / most)
            else:
                fill = "#ffffff" if inside else "#eceef2"
            where = office_label if inside else out_label
            tip = f"{weekdays[day - 1]} {hour:02d}:00–{hour:02d}:59: {n} ({where})"
            x = left + hour * cell_w
            body.append(
                _rect(
                    x,
                    y,
                    cell_w - 1,
                    cell_h - 1,
                    fill,
                    tip,
                    data_cell=f"{day}-{hour:02d}",
                    data_value=str(n),
                    data_office="1" if inside else "0",
                    stroke="#e3e7ec",
                )
            )
            if n:
                light = n / most > 0.55
                body.append(
                    _text(
                        x + cell_w / 2,
                        y + cell_h / 2 + 4,
                        str(n),
                        anchor="middle",
                        fill="#ffffff" if light else INK,
                        font_size="10",
                    )
                )
    return _svg(ident, width, height, title, desc, body)


def bars(
    ident: str,
    title: str,
    desc: str,
    items: Sequence[tuple[str, int]],
    color: str,
    *,
    empty: str,
    width: float = 1000,
) -> str:
    """Horizontal bars of counts, one per item (label, count), the count written at the end."""
    if not items:
        return _empty(ident, title, desc, width, empty)
    label_w, right, top, bar_h = 220.0, 60.0, 8.0, 22.0
    height = top + len(items) * (bar_h + 6) + 4
    most = max(max(n for _, n in items), 1)
    plot_w = width - label_w - right
    body: list[str] = []
    for index, (label, n) in enumerate(items):
        y = top + index * (bar_h + 6)
        body.append(_text(label_w - 8, y + bar_h / 2 + 4, _clip(label, 36), anchor="end", fill=INK))
        w = plot_w * max(0, n) / most
        body.append(
            _rect(
                label_w,
                y,
                max(w, 1.0 if n else 0.0),
                bar_h,
                color,
                f"{label}: {n}",
                data_value=str(n),
            )
        )
        body.append(_text(label_w + w + 5, y + bar_h / 2 + 4, str(n), fill=INK))
    return _svg(ident, width, height, title, desc, body)
