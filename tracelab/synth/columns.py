"""Column names of the synthetic-only tables: persons, truth, presence, faults, interventions.

The canonical tables (venues, scans, cases) use :mod:`tracelab.model.schema`; these tables
exist only for synthetic counties (layer 7), so their own columns are named here, and the
ones they share with the lower layers come from the schema.
"""

from __future__ import annotations

from tracelab.model.schema import (
    GENERATION,
    HOME_VENUE_ID,
    HOUSEHOLD_ID,
    ID_NUMBER,
    INFECTOR_ID,
    PERSON_ID,
    PERSON_NAME,
    PHONE,
    TOWNSHIP_CODE,
    VENUE_ID,
)

__all__ = [
    "PERSON_COLUMNS",
    "TRUTH_COLUMNS",
    "PRESENCE_COLUMNS",
    "FAULT_COLUMNS",
    "INTERVENTION_COLUMNS",
    "ROLES",
    "SETTINGS",
    "FAULT_KINDS",
]

# --- persons ----------------------------------------------------------------------
SEX = "sex"  # str: "male" or "female"
AGE = "age"  # int64: completed years on the start day
WORK_VENUE_ID = "work_venue_id"  # str or missing: workplace or school
HAS_SMARTPHONE = "has_smartphone"  # bool: can scan a place code by itself
ROLE = "role"  # str: one of ROLES

PERSON_COLUMNS = (
    PERSON_ID, PERSON_NAME, ID_NUMBER, PHONE, SEX, AGE, HOUSEHOLD_ID, HOME_VENUE_ID,
    TOWNSHIP_CODE, HAS_SMARTPHONE, ROLE, WORK_VENUE_ID,
)
CHILD, STUDENT, WORKER, FARMER, HOMEMAKER, RETIREE = (
    "child", "student", "worker", "farmer", "homemaker", "retiree")
#: child: 0-5 and not in kindergarten; student: kindergarten to senior school; farmer:
#: works in the home village; homemaker: 18-59 without a job outside the home.
ROLES = (CHILD, STUDENT, WORKER, FARMER, HOMEMAKER, RETIREE)

# --- truth (one row per infection) ------------------------------------------------
SETTING = "setting"  # str: one of SETTINGS
# VENUE_ID: str or missing: the venue of a venue infection
INFECTED_AT = "infected_at"  # datetime64[UTC]
INFECTIOUS_START = "infectious_start"  # datetime64[UTC]: infectious from (inclusive)
INFECTIOUS_END = "infectious_end"  # datetime64[UTC]: infectious until (exclusive), natural
ONSET_AT_TRUE = "onset_at"  # datetime64[UTC] or NaT: symptom onset; NaT if asymptomatic
SYMPTOMATIC = "symptomatic"  # bool
RELATIVE_INFECTIOUSNESS = "relative_infectiousness"  # float64: 1 symptomatic, less if not
DETECTED_AT = "detected_at"  # datetime64[UTC] or NaT: confirmation, if before the end
ISOLATED_AT_TRUE = "isolated_at"  # datetime64[UTC] or NaT: removed into isolation

TRUTH_COLUMNS = (
    PERSON_ID, INFECTOR_ID, SETTING, VENUE_ID, INFECTED_AT, INFECTIOUS_START, INFECTIOUS_END,
    ONSET_AT_TRUE, SYMPTOMATIC, RELATIVE_INFECTIOUSNESS, GENERATION, DETECTED_AT,
    ISOLATED_AT_TRUE,
)
HOUSEHOLD, VENUE, SEED = "household", "venue", "seed"
SETTINGS = (HOUSEHOLD, VENUE, SEED)

# --- presence (true whereabouts, one row per stay) --------------------------------
T_ARRIVE = "t_in"  # datetime64[UTC]: arrival (inclusive)
T_LEAVE = "t_out"  # datetime64[UTC]: departure (exclusive)
GROUP_ID = "group_id"  # int64: >= 0 when the stay is part of a household outing, else -1

PRESENCE_COLUMNS = (PERSON_ID, VENUE_ID, T_ARRIVE, T_LEAVE, GROUP_ID)

# --- faults (imperfections injected into the logs, for compliance checks) ---------
FAULT_KIND = "kind"  # str: one of FAULT_KINDS
FAULT_AT = "at"  # datetime64[UTC]: when (scan time, or start of a silent code)
FAULT_COUNT = "count"  # int64: people affected (group scans: members who walked in unscanned)
FAULT_DETAIL = "detail"  # str: human note

FAULT_COLUMNS = (FAULT_KIND, PERSON_ID, VENUE_ID, FAULT_AT, FAULT_COUNT, FAULT_DETAIL)
FAULT_KINDS = {
    "missed_scan": "a stay with no scan (counted, not listed)",
    "proxy_scan": "staff registered a person without a smartphone (counted, not listed)",
    "group_scan": "one member scanned for a household group; the others walked in unscanned",
    "double_scan": "a second scan of the same code within 2 minutes",
    "forwarded_code": "a scan of a forwarded code image, far from the venue, no stay",
    "clock_skew": "the person's scans carry a constant clock error (minutes in detail)",
    "silent_venue": "the venue's code stopped working: no scans from this time on",
    "lax_venue": "no one checks at the door: far fewer scans than the venue predicts",
    "unknown_venue": "a scan naming an unregistered venue (loader rejects it)",
    "bad_check_digit": "a venue whose owner ID fails its check digit (loader rejects it)",
    "duplicate_applicant_phone": "a second venue on an applicant phone (loader rejects it)",
}

# --- interventions (quarantines and closures applied to a simulation) -------------
ACTION = "action"  # str: "quarantine" or "close"
TARGET = "target"  # str: person_id, venue_id or "type:<venue type code>"
START = "start"  # datetime64[UTC]
END = "end"  # datetime64[UTC] or NaT (open-ended)

INTERVENTION_COLUMNS = (ACTION, TARGET, START, END)
