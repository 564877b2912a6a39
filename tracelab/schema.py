"""Column names, enums and reason codes: the one place canonical names are spelled.

Every canonical column of DESIGN.md section 4 is a constant here, commented with its
dtype and unit. Other modules import these constants instead of writing the strings,
so a rename happens in one place and a typo is an ``ImportError``, not a silent
``KeyError`` three steps later.

Instants are ``datetime64[*, UTC]``; a "day" is a local day in :data:`DEFAULT_ZONE`.
Coordinates are stored WGS-84 (EPSG:4326, equal to CGCS2000 at this scale).
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_ZONE",
    "COLOURS",
    "METHODS",
    "OWNER_ID_KINDS",
    "CASE_KINDS",
    "REASONS",
    "SchemaError",
    "VENUE_COLUMNS",
    "SCAN_COLUMNS",
    "CASE_COLUMNS",
    "VISIT_COLUMNS",
    "EXPOSURE_COLUMNS",
    "REJECTION_COLUMNS",
]

#: Zone in which local days, briefing windows and naive input times are read.
DEFAULT_ZONE = "Asia/Shanghai"

# --- venues -----------------------------------------------------------------------
VENUE_ID = "venue_id"  # str: the place code's id
NAME = "name"  # str: venue name as registered (untrusted text)
VENUE_TYPE = "venue_type"  # str: a code of the venue-type table (data/reference)
OWNER_NAME = "owner_name"  # str: 主体名称, operating entity (untrusted text)
OWNER_ID_KIND = "owner_id_kind"  # str: one of OWNER_ID_KINDS
OWNER_ID = "owner_id"  # str: USCC, 15-digit registration number or resident ID
APPLICANT_PHONE = "applicant_phone"  # str: 11-digit mainland mobile (personal)
APPLICANT_COLOUR = "applicant_code_color"  # str: applicant's code colour at registration
CITY = "city"  # str: 地市
COUNTY = "county"  # str: 区县
TOWNSHIP = "township"  # str: 乡镇 name
TOWNSHIP_CODE = "township_code"  # str: 9-digit township code, e.g. "360323101"
LON = "lon"  # float64: degrees east, WGS-84
LAT = "lat"  # float64: degrees north, WGS-84
ADDRESS = "address"  # str: 详细地址 (untrusted text)
REGISTERED_AT = "registered_at"  # datetime64[UTC]
STATUS = "status"  # str: "active" or "suspended"
PARENT_VENUE_ID = "parent_venue_id"  # str or missing: mall -> shop

VENUE_COLUMNS = (
    VENUE_ID, NAME, VENUE_TYPE, OWNER_NAME, OWNER_ID_KIND, OWNER_ID, APPLICANT_PHONE,
    APPLICANT_COLOUR, CITY, COUNTY, TOWNSHIP, TOWNSHIP_CODE, LON, LAT, ADDRESS,
    REGISTERED_AT, STATUS, PARENT_VENUE_ID,
)

# --- scans ------------------------------------------------------------------------
PERSON_ID = "person_id"  # str: the scanning person (pseudonymised where required)
SCANNED_AT = "scanned_at"  # datetime64[UTC]: entry scan instant
CODE_COLOUR = "code_color"  # str: one of COLOURS, the person's code at the scan
METHOD = "method"  # str: one of METHODS
EXIT_AT = "exit_at"  # datetime64[UTC] or NaT: exit scan, where venues have one
DEVICE_LON = "device_lon"  # float64 or NaN: scanning phone's position, WGS-84
DEVICE_LAT = "device_lat"  # float64 or NaN
MERGED_SCANS = "merged_scans"  # int64: scans merged into this row (>= 1)

SCAN_COLUMNS = (
    PERSON_ID, VENUE_ID, SCANNED_AT, CODE_COLOUR, METHOD, EXIT_AT, DEVICE_LON, DEVICE_LAT,
    MERGED_SCANS,
)

# --- cases ------------------------------------------------------------------------
KIND = "kind"  # str: one of CASE_KINDS
ONSET_AT = "onset_at"  # datetime64[UTC] or NaT (asymptomatic)
SAMPLED_AT = "sampled_at"  # datetime64[UTC]: first positive sample
CONFIRMED_AT = "confirmed_at"  # datetime64[UTC]
ISOLATED_AT = "isolated_at"  # datetime64[UTC] or NaT: isolation or control
FOUND_BY_SCREENING = "found_by_screening"  # bool: found by serial PCR screening
LAST_NEGATIVE_AT = "last_negative_at"  # datetime64[UTC] or NaT: last negative sample

CASE_COLUMNS = (
    PERSON_ID, KIND, ONSET_AT, SAMPLED_AT, CONFIRMED_AT, ISOLATED_AT, FOUND_BY_SCREENING,
    LAST_NEGATIVE_AT,
)

# --- visits (derived) -------------------------------------------------------------
VISIT_ID = "visit_id"  # int64: stable row id of the visit
T_IN = "t_in"  # datetime64[UTC]: presence starts (inclusive)
T_OUT = "t_out"  # datetime64[UTC]: presence ends (exclusive)
T_OUT_SOURCE = "t_out_source"  # str: one of T_OUT_SOURCES

VISIT_COLUMNS = (
    VISIT_ID, PERSON_ID, VENUE_ID, T_IN, T_OUT, T_OUT_SOURCE, MERGED_SCANS, CODE_COLOUR,
    METHOD,
)

# --- exposures (result) -----------------------------------------------------------
CASE_ID = "case_id"  # str: person_id of the case
CONTACT_ID = "contact_id"  # str: person_id of the exposed person
HOP = "hop"  # int8: 1 exposed to a case, 2 exposed to a hop-1 contact
CASE_T_IN = "case_t_in"  # datetime64[UTC]
CASE_T_OUT = "case_t_out"  # datetime64[UTC]
CONTACT_T_IN = "contact_t_in"  # datetime64[UTC]
CONTACT_T_OUT = "contact_t_out"  # datetime64[UTC]
OVERLAP_START = "overlap_start"  # datetime64[UTC]
OVERLAP_END = "overlap_end"  # datetime64[UTC]
OVERLAP_MIN = "overlap_minutes"  # float64: minutes
CATEGORY = "category"  # str: one of CATEGORIES
RULE_ID = "rule_id"  # str: rule set name and parameters
WHY = "why"  # str: a sentence an investigator can read aloud

EXPOSURE_COLUMNS = (
    CASE_ID, CONTACT_ID, VENUE_ID, HOP, CASE_T_IN, CASE_T_OUT, CONTACT_T_IN, CONTACT_T_OUT,
    OVERLAP_START, OVERLAP_END, OVERLAP_MIN, CATEGORY, RULE_ID, WHY,
)

# --- rejections -------------------------------------------------------------------
SOURCE = "source"  # str: file name (or stage name for derived steps)
ROW = "row"  # int64: 1-based data row in the source (header excluded)
COLUMN = "column"  # str: canonical column at fault, or "" for the whole row
VALUE = "value"  # str: the offending value, masked if personal
REASON = "reason"  # str: a code of REASONS
MESSAGE = "message"  # str: what is wrong and what is allowed

REJECTION_COLUMNS = (SOURCE, ROW, COLUMN, VALUE, REASON, MESSAGE)

# --- reference tables -------------------------------------------------------------
TYPE_CODE = "code"  # venue-type table: str code, e.g. "supermarket"
NAME_ZH = "name_zh"  # str: Chinese name, e.g. 超市
NAME_EN = "name_en"  # str: English name
DWELL_MIN = "dwell_minutes"  # int: default dwell for entry-only scans, minutes
WEIGHT = "weight"  # float: indoor/crowding weight, 1.0 = ordinary indoor venue
RESIDENCE = "residence"  # bool: compound or village, handled as a home
TOWNSHIP_KIND = "kind"  # township table: 镇 or 乡
SEAT_LAT = "seat_lat"  # float: synthetic seat latitude (WGS-84)
SEAT_LON = "seat_lon"  # float: synthetic seat longitude (WGS-84)

# --- enums ------------------------------------------------------------------------
GREEN, YELLOW, RED = "green", "yellow", "red"
COLOURS = (GREEN, YELLOW, RED)
SELF, PROXY = "self", "proxy"
METHODS = (SELF, PROXY)
USCC, REGNO, RESIDENT_ID = "uscc", "regno", "resident_id"
OWNER_ID_KINDS = (USCC, REGNO, RESIDENT_ID)
CONFIRMED, ASYMPTOMATIC = "confirmed", "asymptomatic"
CASE_KINDS = (CONFIRMED, ASYMPTOMATIC)
ACTIVE, SUSPENDED = "active", "suspended"
STATUSES = (ACTIVE, SUSPENDED)
EXIT_SCAN, NEXT_SCAN, DWELL_MODEL, DAY_END = "exit_scan", "next_scan", "dwell_model", "day_end"
T_OUT_SOURCES = (EXIT_SCAN, NEXT_SCAN, DWELL_MODEL, DAY_END)
CO_EXPOSURE = "venue_coexposure_candidate"  # 涉疫场所暴露人员 candidate
CLOSE_CONTACT = "close_contact_candidate"  # needs a field investigator's judgement
CATEGORIES = (CO_EXPOSURE, CLOSE_CONTACT)

#: Reason codes of the rejection table: a closed list, each with its meaning.
REASONS = {
    "missing_column": "a required column is absent from the file",
    "missing_value": "a required field is empty",
    "unreadable_file": "the file cannot be decoded or parsed",
    "empty_file": "the file holds no header or no rows",
    "field_too_long": "a field is longer than the limit",
    "unknown_venue_type": "venue type not in the venue-type table",
    "bad_owner_id_kind": "owner ID kind is not uscc, regno or resident_id",
    "bad_check_digit": "an ID number fails its check digit or format",
    "bad_phone": "not a mainland mobile number",
    "duplicate_applicant_phone": "the applicant phone already holds a venue code",
    "duplicate_venue_id": "the venue id appears twice",
    "applicant_not_green": "the applicant's code was not green at registration",
    "bad_coordinate": "position unparseable, (0, 0) or outside the globe",
    "outside_county": "position or declared county outside the county this registry covers",
    "unknown_township": "township not a township of the county",
    "bad_status": "venue status not active or suspended",
    "swapped_lat_lon": "latitude and longitude appear swapped",
    "bad_time": "time cannot be parsed",
    "future_time": "time lies after the load's reference time",
    "exit_before_entry": "exit time is before the entry time",
    "bad_colour": "code colour not green, yellow or red",
    "bad_method": "method not self or proxy",
    "unknown_venue": "scan names a venue not in the registry",
    "bad_case_kind": "case kind not confirmed or asymptomatic",
    "bad_bool": "not a yes/no value",
    "bad_time_order": "case times out of order (e.g. confirmed before sampled)",
    "duplicate_case": "the person is listed as a case twice",
    "bad_count": "merged_scans is not a whole number of at least 1",
}


class SchemaError(ValueError):
    """Input that does not follow the tables of DESIGN.md section 4."""
