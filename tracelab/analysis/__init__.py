"""Layer 6, analysis: who and where matters most, clusters, risk areas, epi curve, changes.

Every function takes its tables in one order, ``(exposures, cases, visits, venues)``, the
ones it needs, and the rule as ``rule=``.
"""

from __future__ import annotations

from tracelab.analysis.area_designation import risk_areas
from tracelab.analysis.chains import chain_contacts, chain_network
from tracelab.analysis.clustering import clusters
from tracelab.analysis.comparison import compare, snapshot
from tracelab.analysis.epicurve import epi_curve
from tracelab.analysis.link_scoring import link_hits, ranks_by, shared_visit_ranks, source_ranks
from tracelab.analysis.ranking import rank_contacts, rank_venues

__all__ = ["chain_network", "chain_contacts", "clusters", "compare", "epi_curve",
           "rank_contacts", "rank_venues", "risk_areas",
           "link_hits", "ranks_by", "shared_visit_ranks", "source_ranks",
           "snapshot"]
