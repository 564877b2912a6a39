"""Column names of the replay's tables: per-day series, traced contacts, run metrics.

These tables exist only for scenario replay (layer 8), so their own columns are named here,
like :mod:`tracelab.synth.columns`; the ones they share come from :mod:`tracelab.model.schema`.
"""

from __future__ import annotations

from tracelab.model.schema import (
    CASE_ID,
    DAY,
    HOP,
)

__all__ = ["DAY_COLUMNS", "CONTACT_COLUMNS", "METRICS", "RUN_KEYS"]

# --- run keys -----------------------------------------------------------------------
POLICY = "policy"  # str: Policy.name
SEED = "seed"  # int64: seed of the county and the outbreak
RUN_KEYS = (POLICY, SEED)

# --- days (one row per simulated day) -------------------------------------------------
DATE = "date"  # str: local date, YYYY-MM-DD
NEW_INFECTIONS = "new_infections"  # int64: infected during the day
INFECTIONS = "infections"  # int64: infected by the end of the day, seeds included
NEW_CASES = "new_cases"  # int64: confirmed during the day
CASES = "cases"  # int64: confirmed by the end of the day
NEW_TRACED = "new_traced"  # int64: people first put on the list during the day
IN_QUARANTINE = "in_quarantine"  # int64: people in quarantine (central or home) at noon
VENUES_CLOSED = "venues_closed"  # int64: venues closed during the day

DAY_COLUMNS = (DAY, DATE, NEW_INFECTIONS, INFECTIONS, NEW_CASES, CASES, NEW_TRACED,
               IN_QUARANTINE, VENUES_CLOSED)

# --- contacts (one row per traced person) ---------------------------------------------
CONTACT = "contact_id"  # str: the traced person (schema.CONTACT_ID)
CASE_CONFIRMED = "case_confirmed_at"  # datetime64[UTC]: confirmation of the tracing case
TRACED_AT = "traced_at"  # datetime64[UTC]: put on the list: the case's confirmation
# (same-day tracing) or the loop's trace at the following local midnight
LAST_EXPOSURE = "last_exposure_at"  # datetime64[UTC]: end of the latest matched overlap
Q_START = "quarantine_start"  # datetime64[UTC] or NaT: NaT if the period was already over
Q_END = "quarantine_end"  # datetime64[UTC] or NaT: end of the last period (central + home)
INFECTED = "infected"  # bool: truly infected by the end of the replay
INFECTED_BY_CASE = "infected_by_case"  # bool: ...and the infector is a reported case
INFECTED_BY_TRACER = "infected_by_tracing_case"  # bool: ...infected by the case in case_id

CONTACT_COLUMNS = (CONTACT, CASE_ID, HOP, CASE_CONFIRMED, TRACED_AT, LAST_EXPOSURE, Q_START,
                   Q_END, INFECTED, INFECTED_BY_CASE, INFECTED_BY_TRACER)

# --- metrics (one value per run; see tracelab.replay.metrics.run_metrics) -------------
FINAL_SIZE = "final_size"
N_CASES = "cases"
VENUE_INFECTIONS = "venue_infections"
VENUE_INFECTIONS_DETECTED = "venue_infections_by_cases"
RECALL = "recall"
RECALL_ANY = "recall_any_case"
TRACED = "traced"
QUARANTINED = "quarantined"
PRECISION = "precision"
PRECISION_PAIR = "precision_tracing_case"
DELAY_MEAN = "delay_hours_mean"
DELAY_MEDIAN = "delay_hours_median"
Q_PERSON_DAYS = "quarantine_person_days"
Q_PERSON_DAYS_HEALTHY = "quarantine_person_days_uninfected"
VENUE_DAYS_CLOSED = "venue_days_closed"

METRICS = (FINAL_SIZE, N_CASES, VENUE_INFECTIONS, VENUE_INFECTIONS_DETECTED, RECALL, RECALL_ANY,
           TRACED, QUARANTINED, PRECISION, PRECISION_PAIR, DELAY_MEAN, DELAY_MEDIAN,
           Q_PERSON_DAYS, Q_PERSON_DAYS_HEALTHY, VENUE_DAYS_CLOSED)
