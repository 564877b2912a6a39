"""An epidemic curve as inline SVG: stacked daily bars, no script and no chart library."""

from __future__ import annotations

import datetime as dt
import html
import math

import pandas as pd

from tracelab.model import schema as s

__all__ = ["epi_curve_svg", "BAR_COLOURS"]

#: Fill of the confirmed and asymptomatic parts of a bar.
BAR_COLOURS = ("#b03a2e", "#f0b27a")
_DAY, _CONFIRMED, _ASYMPTOMATIC = s.DAY, s.N_SYMPTOMATIC, s.N_ASYMPTOMATIC


def _ticks(top: int) -> list[int]:
    step = max(1, math.ceil(top / 5))
    return list(range(0, top + 1, step))


def epi_curve_svg(
    curve: pd.DataFrame,
    *,
    title: str = "",
    legend: tuple[str, str] = ("确诊病例", "无症状感染者"),
    days: tuple[dt.date, dt.date] | None = None,
    width: int = 720,
    height: int = 220,
) -> str:
    """Draw daily case counts as stacked bars (confirmed below, asymptomatic above).

    Parameters
    ----------
    curve : pandas.DataFrame
        :func:`tracelab.analysis.epicurve.epi_curve` output: ``day``, ``n_confirmed``,
        ``n_asymptomatic``.
    title : str
        Caption above the bars (escaped).
    legend : (str, str)
        Names of the two parts (escaped).
    days : (date, date), optional
        First and last day of the axis, so that two curves line up; default the
        curve's own range.
    width, height : int
        Size in CSS pixels; the drawing scales with the page (``viewBox``).

    Returns
    -------
    str
        One ``<svg>`` element. Each bar part is a ``rect`` with class ``tl-bar``, a
        ``data-day`` and ``data-n``; its ``title`` child shows the count on hover.

    Examples
    --------
    >>> curve = pd.DataFrame({"day": [dt.date(2022, 11, 20), dt.date(2022, 11, 21)],
    ...                       "n_confirmed": [2, 0], "n_asymptomatic": [1, 3]})
    >>> svg = epi_curve_svg(curve, title="<b>")
    >>> svg.startswith("<svg"), svg.count('class="tl-bar'), "&lt;b&gt;" in svg
    (True, 3, True)
    """
    rows = {pd.Timestamp(d).date(): (int(c), int(a)) for d, c, a in
            zip(curve[_DAY], curve[_CONFIRMED], curve[_ASYMPTOMATIC], strict=True)}
    if days is None and rows:
        days = (min(rows), max(rows))
    all_days = ([] if days is None else
                [days[0] + dt.timedelta(days=i) for i in range((days[1] - days[0]).days + 1)])
    left, right, top_pad, bottom = 36, 10, 28, 34
    plot_w, plot_h = width - left - right, height - top_pad - bottom
    top = max([c + a for c, a in rows.values()] + [1])
    ticks = _ticks(top)
    y_max = max(ticks[-1], top)
    esc = html.escape
    out = [f'<svg class="tl-epicurve" role="img" '
           f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="11">',
           f"<title>{esc(title)}</title>",
           f'<text x="{left}" y="14" font-size="13" font-weight="bold">{esc(title)}</text>']
    for tick in ticks:
        y = top_pad + plot_h - plot_h * tick / y_max
        out.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
                   f'stroke="#ddd"/><text x="{left - 4}" y="{y + 4:.1f}" '
                   f'text-anchor="end">{tick}</text>')
    n = max(len(all_days), 1)
    slot = plot_w / n
    bar = max(slot * 0.8, 1.0)
    label_every = max(1, math.ceil(n / 12))
    for i, day in enumerate(all_days):
        x = left + i * slot + (slot - bar) / 2
        base: float = top_pad + plot_h
        for value, colour, kind in zip(rows.get(day, (0, 0)), BAR_COLOURS,
                                       ("confirmed", "asymptomatic"), strict=True):
            if value:
                h = plot_h * value / y_max
                base -= h
                out.append(f'<rect class="tl-bar tl-bar-{kind}" data-day="{day.isoformat()}" '
                           f'data-n="{value}" x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" '
                           f'height="{h:.1f}" fill="{colour}"><title>{day.isoformat()}: '
                           f"{value}</title></rect>")
        if i % label_every == 0:
            out.append(f'<text x="{x + bar / 2:.1f}" y="{top_pad + plot_h + 14}" '
                       f'text-anchor="middle">{day.strftime("%m-%d")}</text>')
    out.append(f'<line x1="{left}" x2="{width - right}" y1="{top_pad + plot_h}" '
               f'y2="{top_pad + plot_h}" stroke="#333"/>')
    lx = width - right - 240
    for j, (name, colour) in enumerate(zip(legend, BAR_COLOURS, strict=True)):
        out.append(f'<rect x="{lx + j * 120}" y="5" width="10" height="10" fill="{colour}"/>'
                   f'<text x="{lx + j * 120 + 14}" y="14">{esc(name)}</text>')
    out.append("</svg>")
    return "".join(out)
