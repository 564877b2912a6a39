"""A deterministic, layered layout of a chain network (no randomness, no library).

Each cluster is a tidy tree: its cases by generation, the likeliest infector above its
infectees, leaves in equal slots and a parent over its children; the clusters stand side
by side in their number order, a free slot apart. The venues form a band below, each
under the mean position of the cases tied to it, pushed right just enough not to overlap.
Under each venue hang its contacts: one node with their count, or (the audited contact
layer) a grid of dots, one per contact, under the venue where most of their exposures were.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from tracelab.analysis.chains import (
    CLUSTER_NO,
    EDGE_KIND,
    FROM_NODE,
    NODE_ID,
    NODE_KIND,
    TO_NODE,
    ChainNetwork,
)
from tracelab.model import schema as s
from tracelab.model.schema import INFECTOR_ID, N_ROWS

__all__ = ["Layout", "layout", "DX", "DY"]

DX, DY = 64, 78  # case slots: horizontal spacing, generation spacing (SVG units)
_TOP, _MARGIN = 36, 40
_VENUE_W = 110  # room per venue in the venue band
DOT = 9  # spacing of contact dots


@dataclass
class Layout:
    """Node positions (SVG units, y down), the drawing's size, the venues left to right."""

    xy: dict[str, tuple[float, float]] = field(default_factory=dict)
    width: float = 0.0
    height: float = 0.0
    venue_order: list[str] = field(default_factory=list)


def _case_layout(cases: pd.DataFrame, out: Layout) -> float:
    """Each cluster a tidy tree (leaves in slots, a parent over its children); returns y max."""
    node_of = dict(zip(cases[s.PERSON_ID], cases[NODE_ID], strict=True))
    parent = {n: node_of[i] for n, i in zip(cases[NODE_ID], cases[INFECTOR_ID], strict=True)
              if pd.notna(i) and i in node_of}
    children: dict[str, list[str]] = {}
    for n in cases[NODE_ID]:  # node order: cluster, generation, onset
        if n in parent:
            children.setdefault(parent[n], []).append(n)
    slot, y_max = 0.0, float(_TOP)

    def place(n: str, depth: int) -> float:
        nonlocal slot, y_max
        kids = children.get(n, [])
        if kids:
            xs = [place(k, depth + 1) for k in kids]
            x = (xs[0] + xs[-1]) / 2
        else:
            x, slot = slot, slot + 1
        y = _TOP + depth * DY
        y_max = max(y_max, y)
        out.xy[n] = (_MARGIN + x * DX, y)
        return x

    for _, part in cases.groupby(CLUSTER_NO, sort=True):
        for n in part[NODE_ID]:
            if n not in parent:
                place(n, 0)
        slot += 1  # a free slot between clusters
    for n in cases[NODE_ID]:  # an infector outside the tables given: drawn as a root
        if n not in out.xy:
            place(n, 0)
    return y_max


def layout(net: ChainNetwork) -> Layout:
    """Place every node of `net`; the same network always gives the same positions.

    Examples
    --------
    >>> from tracelab.analysis.chains import chain_network
    >>> t = pd.Timestamp("2022-11-20 02:00", tz="UTC")
    >>> cases = pd.DataFrame({"person_id": ["p_aaaaaaaaaaaaaaaa", "p_bbbbbbbbbbbbbbbb"],
    ...                       "onset_at": [t, t + pd.Timedelta(days=3)]})
    >>> ex = pd.DataFrame({"case_id": ["p_aaaaaaaaaaaaaaaa"], "contact_id": ["p_bbbbbbbbbbbbbbbb"],
    ...     "venue_id": ["V1"], "overlap_start": [t], "overlap_end": [t + pd.Timedelta(hours=1)],
    ...     "overlap_minutes": [60.0]})
    >>> xy = layout(chain_network(ex, cases)).xy
    >>> xy["case:p_aaaaaaaaaaaaaaaa"][1] < xy["case:p_bbbbbbbbbbbbbbbb"][1] < xy["venue:V1"][1]
    True
    """
    out = Layout()
    nodes, edges = net.nodes, net.edges
    kind = nodes[NODE_KIND]
    y_cases = _case_layout(nodes[kind == "case"], out)
    venues = nodes[kind == "venue"]
    # A venue sits under the mean position of the cases it is tied to.
    near: dict[str, list[float]] = {}
    for a, b, k in zip(edges[FROM_NODE], edges[TO_NODE], edges[EDGE_KIND], strict=True):
        if k == "at":
            near.setdefault(b, []).append(out.xy[a][0])
        elif k == "exposed" and b in out.xy:
            near.setdefault(a, []).append(out.xy[b][0])
    want = {v: sum(near.get(v, [0.0])) / len(near.get(v, [0.0])) for v in venues[NODE_ID]}
    # Contacts as dots sit in a grid under the venue where most of their exposures were.
    own: dict[str, list[str]] = {}
    if net.contacts:
        exposed = edges[(edges[EDGE_KIND] == "exposed")
                        & edges[TO_NODE].str.startswith("person:")]
        best = exposed.sort_values([TO_NODE, N_ROWS, FROM_NODE], ascending=[True, False, True],
                                   kind="stable").drop_duplicates(TO_NODE)
        for v, p in zip(best[FROM_NODE], best[TO_NODE], strict=True):
            own.setdefault(v, []).append(p)
    cols = {v: max(1, math.ceil(math.sqrt(1.5 * len(own.get(v, []))))) for v in want}
    width = {v: max(_VENUE_W, cols[v] * DOT + 16) for v in want}
    order = sorted(want, key=lambda v: (want[v], v))
    y_venue = y_cases + DY + 10
    x_prev, w_prev = -math.inf, 0.0
    for v in order:
        x = max(want[v], x_prev + (w_prev + width[v]) / 2)
        out.xy[v] = (x, y_venue)
        x_prev, w_prev = x, width[v]
    out.venue_order = order
    y_bottom = y_venue + 60
    for v in order:
        x, _ = out.xy[v]
        group = "contacts:" + v.removeprefix("venue:")
        if not net.contacts:
            out.xy[group] = (x, y_venue + 72)
            y_bottom = max(y_bottom, y_venue + 100)
        for i, p in enumerate(own.get(v, [])):
            row, col = divmod(i, cols[v])
            out.xy[p] = (x - (cols[v] - 1) * DOT / 2 + col * DOT, y_venue + 64 + row * DOT)
            y_bottom = max(y_bottom, y_venue + 64 + row * DOT + 20)
    # Every drawing starts at the margin, whatever the venue band pushed left.
    left = min((x for x, _ in out.xy.values()), default=0.0) - _MARGIN
    out.xy = {n: (x - left, y) for n, (x, y) in out.xy.items()}
    out.width = max((x for x, _ in out.xy.values()), default=0.0) + _MARGIN + 40
    out.height = y_bottom + 10
    return out
