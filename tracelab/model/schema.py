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
    "REGISTRY_COLUMNS",
    "SCAN_COLUMNS",
    "CASE_COLUMNS",
    "VISIT_COLUMNS",
    "EXPOSURE_COLUMNS",
    "COPRESENCE_COLUMNS",
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
TOWNSHIP_CODE = "township_code"  # str: 9-digit township code: the county's 6 digits + 3
LON = "lon"  # float64: degrees east, WGS-84
LAT = "lat"  # float64: degrees north, WGS-84
ADDRESS = "address"  # str: 详细地址 (untrusted text)
REGISTERED_AT = "registered_at"  # datetime64[UTC]
STATUS = "status"  # str: "active" or "suspended"
PARENT_VENUE_ID = "parent_venue_id"  # str or missing: mall -> shop
#: str or missing: reason codes (";"-joined) of the registration rules a kept venue fails;
#: set by the loader, listed in full in the registry-faults table.
REGISTRY_FAULT = "registry_fault"

#: Columns of a registry file as the 赣通码 system exports it.
REGISTRY_COLUMNS = (
    VENUE_ID, NAME, VENUE_TYPE, OWNER_NAME, OWNER_ID_KIND, OWNER_ID, APPLICANT_PHONE,
    APPLICANT_COLOUR, CITY, COUNTY, TOWNSHIP, TOWNSHIP_CODE, LON, LAT, ADDRESS,
    REGISTERED_AT, STATUS, PARENT_VENUE_ID,
)
#: Columns of loaded venues: the registry's, and the faults the loader found.
VENUE_COLUMNS = (*REGISTRY_COLUMNS, REGISTRY_FAULT)

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
#: str: the reason's meaning in the reader's language, beside its code in CSVs for people
REASON_TEXT = "reason_text"

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

# --- infectious windows (index.windows) -------------------------------------------
WINDOW_START = "window_start"  # datetime64[UTC]: infectious window starts (inclusive)
WINDOW_END = "window_end"  # datetime64[UTC]: window ends (exclusive), isolation or as_of
WINDOW_BASIS = "window_basis"  # str: onset, sampling, last_negative or confirmation

# --- dwell estimates (index.presence.estimate_dwell) ---------------------------------
N_OBSERVED = "n"  # int64: observations behind an estimate
MEDIAN_MIN = "median_minutes"  # float64: median stay
LOW_MIN = "low_minutes"  # float64: lower quantile of the stay
HIGH_MIN = "high_minutes"  # float64: upper quantile of the stay
TABLE_MIN = "table_minutes"  # float64: the venue-type table's dwell

# --- dwell assumptions side by side (tracing.forward.trace_assumptions) -----------------
N_CONTACTS = "n_contacts"  # int64: distinct contacts
CONTACTS_ADDED = "contacts_added"  # int64: contacts not found under the rule's own dwell
CONTACTS_DROPPED = "contacts_dropped"  # int64: contacts of the rule's own dwell not found

# --- sources and common venues (tracing.backward) ---------------------------------
SOURCE_KIND = "source_kind"  # str: "case" (a known case), "unknown" or "venue"
SOURCE_ID = "source_id"  # str: person_id of the candidate case, venue_id, or "unknown"
SCORE = "score"  # float64: a ranking score, higher first: contacts (rank_contacts), sources, compliance
PROBABILITY = "probability"  # float64: score / the case's total (cases + unknown sum to 1)
RANK = "rank"  # int64: 1 = likeliest
FIRST_AT = "first_at"  # datetime64[UTC]: first shared instant / first visit
LAST_AT = "last_at"  # datetime64[UTC]: last shared instant / last exit
N_CASES = "n_cases"  # int64: distinct cases at a venue
CASE_IDS = "case_ids"  # str: comma-separated case ids
N_OVERLAPPING = "n_overlapping_pairs"  # int64: case pairs present at the same time

# --- co-presence edges (tracelab.tracing.copresent_pairs) --------------------------------
PERSON_A = "person_a"  # str: one person of a co-present pair, person_a < person_b
PERSON_B = "person_b"  # str: the other
N_OVERLAPS = "n_overlaps"  # int64: visit pairs of the two that overlapped
FIRST_AT = "first_at"  # datetime64[UTC]: start of their first overlap
COPRESENCE_COLUMNS = (PERSON_A, PERSON_B, OVERLAP_MIN, N_OVERLAPS, FIRST_AT)

# --- rankings scored against known links (tracelab.analysis.link_scoring) -------------
ANCHOR = "anchor"  # str: whose ranked list it is (the infector forward, the infectee backward)
CANDIDATE = "candidate"  # str: a person on the anchor's list
LINK_TRUE = "true"  # str: the person a known link says the anchor's list should find
HOUSEHOLD_ID = "household_id"

# --- grid companions (tracing.companion_grid) -------------------------------------
CELL_X = "cell_x"  # int64: grid column, floor((x - origin_x) / cell_m), EPSG:4547 metres
CELL_Y = "cell_y"  # int64: grid row
CO_STAY_MIN = "co_stay_minutes"  # float64: minutes both were in the cell, in the look-back
CASE_CELL_HOURS = "case_cell_hours"  # float64: the case's hours in the cell, in the look-back
CONTACT_CELL_HOURS = "contact_cell_hours"  # float64: the contact's hours in the cell

# --- contact and venue ranking (analysis.ranking) ---------------------------------
N_EXPOSURES = "n_exposures"  # int64: exposure rows
N_VENUES = "n_venues"  # int64: distinct venues
N_EXPOSED = "n_exposed"  # int64: distinct people exposed at a venue
VENUE_FACTOR = "venue_factor"  # float64: minute-weighted mean venue-type weight
INFECTIOUSNESS = "infectiousness_factor"  # float64: mean case infectiousness (1 = peak)
CROWDING_FACTOR = "crowding_factor"  # float64: mean share of the case's close range
HOP_FACTOR = "hop_factor"  # float64: 1 for hop 1, less for exposures to a hop-1 contact
DOSE = "dose_hours"  # float64: weighted hours, product of the above and the overlap hours
RISK = "risk"  # float64: 1 - exp(-beta * dose), a ranking scale, not a calibrated probability
COLOUR_FACTOR = "colour_factor"  # float64: priority factor of the contact's worst code colour
TIER = "tier"  # str: one of TIERS (same name as tracelab.maps.columns.TIER)
FIRST_EXPOSURE = "first_exposure"  # datetime64[UTC]: earliest overlap start
LAST_EXPOSURE = "last_exposure"  # datetime64[UTC]: latest overlap end (quarantine clock)
PEAK_PRESENT = "peak_present"  # int64: most people present in one occupancy bin
N_ALERT = "alert_reach"  # int64: distinct people an alert for the case stays would reach
N_NONGREEN = "n_nongreen"  # int64: distinct people scanning yellow or red there in the window
CASE_HOURS = "case_hours"  # float64: hours cases spent there while infectious
BIN_START = "bin_start"  # datetime64[UTC]: occupancy bin start
PRESENT = "present"  # int64: distinct people present during the bin

# --- clusters and chains (analysis.clustering) ------------------------------------
CLUSTER_ID = "cluster_id"  # str: "cluster:<smallest member id>", stable across runs
CLUSTER_SIZE = "cluster_size"  # int64: cases in the cluster
INFECTOR_ID = "infector_id"  # str or missing: likeliest infector in the tree
GENERATION = "generation"  # int64: depth in the infector tree (0 = root)
LINK_SCORE = "link_score"  # float64: weighted minutes of plausible exposure
PLAUSIBLE = "plausible"  # bool: some exposure lies inside the incubation window
IN_TREE = "in_tree"  # bool: the link is in the likeliest infector tree
PROBLEM = "problem"  # str: one of PROBLEMS
DETAIL = "detail"  # str: the dates that conflict
SEVERITY = "severity"  # str: "impossible" or "implausible"
N_ROWS = "n_exposures"  # int64: exposure rows (of a link, or with that problem)

# --- risk areas (analysis.area_designation) ---------------------------------------
AREA_ID = "area_id"  # str: stable id, "area:<venue_id>" or "area:rest_of_county"
LEVEL = "level"  # str: high, medium or low, the level in force on as_of
DESIGNATED_LEVEL = "designated_level"  # str: level when designated
AREA_REASON = "reason"  # str: why the area was designated
DESIGNATED_ON = "designated_on"  # datetime.date: local day of the first linked case's report
LAST_CASE_ON = "last_case_on"  # datetime.date: local day of the latest linked case's report
LOWERS_ON = "lowers_on"  # datetime.date or None: ninth high -> medium
LIFTS_ON = "lifts_on"  # datetime.date or None: becomes low (or lifted) if no new case
GEOMETRY = "geometry"  # shapely Polygon or MultiPolygon, WGS-84 lon/lat
HOME_VENUE_ID = "home_venue_id"  # persons table (tracelab.synth.columns.HOME_VENUE_ID)

# --- epi curve (analysis.epicurve) ------------------------------------------------
DAY = "day"  # datetime.date: local day in `zone`
N_SYMPTOMATIC = "n_confirmed"  # int64: confirmed (symptomatic) cases that day
N_ASYMPTOMATIC = "n_asymptomatic"  # int64: asymptomatic infections that day
CUMULATIVE = "cumulative"  # int64: running total of n_cases (per township when split)

# --- briefing comparison (analysis.comparison) ------------------------------------
KEY = "key"  # str: stable id of the item
LABEL = "label"  # str: what to show (pseudonym prefix or masked id, venue id, area id)
CHANGE = "change"  # str: new, dropped, changed or lifted

# --- aggregate views (governance.aggregates) --------------------------------------
SECTION = "section"  # str: total, day, hour, colour, method
BUCKET = "bucket"  # str: the day (YYYY-MM-DD), hour (00-23), colour or method
MEASURE = "measure"  # str: entries, green, yellow, red, abnormal, self, proxy
COUNT = "count"  # Int64: the count, missing when suppressed
SHOWN = "shown"  # str: the count as shown: digits, "<5", "c" or "(withheld)"
SHARE = "share"  # float64: count / the group's total (venue report), missing when suppressed
RATE = "rate"  # float64: count / the row's entries (regulator report)

# --- compliance lists (governance.compliance) -------------------------------------
SILENT_SINCE = "silent_since"  # datetime64[UTC]: last scan of a silent venue
EXPECTED = "expected"  # float64: scans expected in the silent period / at the venue's type rate
OBSERVED = "observed"  # int64: scans seen
DISTANCE_M = "distance_m"  # float64: scanning phone to venue, metres
BURST_SCANS = "burst_scans"  # int64: scans in one burst under one person id
MASKED_PHONE = "applicant_phone_masked"  # str: masked applicant phone
VENUE_IDS = "venue_ids"  # str: comma-separated venue ids

# --- audit log (privacy.audit) ----------------------------------------------------
SEQ = "seq"  # int64: 1, 2, 3, ... without gaps
AT = "at"  # datetime64[UTC]: when the query ran, microseconds
WHO = "who"  # str: operator account
PURPOSE = "purpose"  # str: case or investigation id, PURPOSE_PATTERN
QUERY = "query"  # str: what was asked, identifiers masked
COUNTS = "counts"  # str: canonical JSON object of counts, e.g. {"rows": 12}
PREV_HASH = "prev_hash"  # str: hash of the previous entry, GENESIS_HASH for seq 1
HASH = "hash"  # str: SHA-256 hex of prev_hash + canonical JSON of this entry

# --- persons and truth tables (privacy.pseudonyms) --------------------------------
PERSON_NAME = "name"  # persons table: full name (same string as schema.NAME, venue name)
ID_NUMBER = "id_number"  # persons table: resident ID number
PHONE = "phone"  # persons table: mobile number

# --- reference tables (model.reference) -------------------------------------------
INDOOR = "indoor"  # bool: the venue is enclosed
CROWDING = "crowding"  # ordered category: one of CROWDING_LEVELS
BASIS = "basis"  # str: where the row's values come from (a dwell estimate's: exit_scan, next_scan or table)
SEAT_IS_SYNTHETIC = "seat_is_synthetic"  # bool: seat is a placeholder, not a real position

# --- Parquet layout partitions (io.layout) ----------------------------------------
DWELL = "dwell"  # str: the dwell assumption (Rule.dwell): a visits partition, a trace_assumptions row

# --- maps (maps) ------------------------------------------------------------------
LIFTED = "lifted"  # value of STATUS: a risk area no longer in force
EXPOSED = "exposed"  # int64: distinct contacts exposed (per venue, or per venue and day)
CONTACTS = "contacts"  # int64: distinct contacts exposed at venues of a township

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
CALL_TODAY, WITHIN_24H, MONITOR = "call_today", "within_24h", "monitor"
TIERS = (CALL_TODAY, WITHIN_24H, MONITOR)  # call-priority tiers, most urgent first
HIGH, MEDIUM, LOW = "high", "medium", "low"
LEVELS = (HIGH, MEDIUM, LOW)  # risk-area levels, highest first

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
    "venue_rejected": "scan names a venue whose registry row was rejected",
    "id_in_scientific_notation": "an id Excel turned into a number such as 3.60323E+13",
    "region_mismatch": "the file belongs to another region than the one asked for",
    "bad_case_kind": "case kind not confirmed or asymptomatic",
    "bad_bool": "not a yes/no value",
    "bad_time_order": "case times out of order (e.g. confirmed before sampled)",
    "duplicate_case": "the person is listed as a case twice",
    "bad_count": "merged_scans is not a whole number of at least 1",
    "time_out_of_range": "a real date outside the years 1678-2261 that instants can hold",
    "count_too_large": "merged_scans is more scans than one row can stand for",
    "binary_value": "a cell holds bytes that are not UTF-8 text",
    "nested_value": "a cell holds a nested value (struct, list or map), not a single value",
    "bad_encoding": "the row holds bytes that are not text in the file's encoding",
    "bad_feature": "a GeoJSON feature is not an object with properties and a Point geometry",
    "mixed_script_id": "an id mixes Latin with Cyrillic or Greek letters that look like none",
    # Not a rejection: listed in Loaded.repaired for rows that stay accepted.
    "repaired_id": "an id was normalised (invisible characters, NUL, full-width forms or "
                   "Cyrillic/Greek look-alike letters) and kept",
}


class SchemaError(ValueError):
    """Input that does not follow the tables of DESIGN.md section 4."""

# --- call lists and access roles (governance.call_lists, governance.roles) -------------
VENUE_NAME = "venue_name"  # str: a venue's registered name in a table that also holds a person's name
ACCESS_ROLE = "role"  # str: access role of a call list (fieldteam, analyst, manager, or a file's)
VIEW = "view"  # str: what a role sees: "rows" (people, masked unless revealed) or "aggregates"
REVEAL = "reveal"  # str: ";"-joined columns a role may reveal: name, phone, id_number
TITLE_ZH = "title_zh"  # str: a role's title in Chinese, for the cover sheet
TITLE_EN = "title_en"  # str: a role's title in English


# --- follow-up of listed contacts (governance.followup) ---------------------------
FOLLOWUP_KEY = "followup_key"  # str: hash of (contact_id, status, status_at): one row per fact
#: str or missing: one of FOLLOWUP_STATUSES; missing on a sheet row not followed up yet
#: (same name as STATUS, a venue's).
FOLLOWUP_STATUS = "status"
STATUS_AT = "status_at"  # datetime64[UTC] or NaT: when the field team recorded the status
LISTED_AT = "listed_at"  # datetime64[UTC] or NaT: when the contact was put on a call list
IMPORTED_AT = "imported_at"  # datetime64[UTC]: when the row was first imported
DUE_AT = "due_at"  # datetime64[UTC] or NaT: listed_at + the tier's time limit to locate
LOCATED_AT = "located_at"  # datetime64[UTC] or NaT: first status that located the contact
HOURS_OVERDUE = "hours_overdue"  # float64: hours past due_at at as_of, still not located
N_ATTEMPTS = "n_attempts"  # int64: statuses recorded for the contact by as_of
N_LISTED = "n_listed"  # int64: contacts listed
N_LOCATED = "n_located"  # int64: contacts located (a status of LOCATED_STATUSES)
LOCATED_SHARE = "located_share"  # float64: n_located / n_listed
N_OVERDUE = "n_overdue"  # int64: past due_at and not located
N_LATE = "n_late"  # int64: located, but after due_at
NO_STATUS = "no_status"  # int64: listed, no status recorded yet
OVERDUE = "overdue"  # bool: past due_at and not located
LATE = "late"  # bool: located after due_at
REACHED, NOT_REACHED, WRONG_NUMBER = "reached", "not_reached", "wrong_number"
QUARANTINED, SAMPLED = "quarantined", "sampled"
POSITIVE, NEGATIVE = "positive", "negative"
#: Follow-up statuses in the order a follow-up moves on: at one instant the later one wins.
FOLLOWUP_STATUSES = (NOT_REACHED, WRONG_NUMBER, REACHED, QUARANTINED, SAMPLED, NEGATIVE, POSITIVE)
#: Statuses that mean the contact was located (reached in person or by phone, or tested).
LOCATED_STATUSES = (REACHED, QUARANTINED, SAMPLED, NEGATIVE, POSITIVE)

REASONS.update({
    "bad_followup_status": "follow-up status not reached, not_reached, wrong_number, quarantined, "
                           "sampled, positive or negative (已联系, 未接通, 号码错误, 已隔离, 已采样, "
                           "阳性, 阴性)",
    "raw_id_without_key": "a raw phone or person id where a pseudonym is expected, and no key "
                          "to pseudonymise it",
    "masked_id": "a masked id (holding *), which names nobody",
    "bad_pseudonym": "starts like a pseudonym (p_) but is not p_ + 16 hex digits: cut or edited",
})

#: The meaning of each reason code in Chinese, for people (validate's summary, the CSVs
#: written for people, the briefing); :data:`REASONS` holds the English.
REASONS_ZH = {
    "missing_column": "文件缺少必需的列",
    "missing_value": "必填项为空",
    "unreadable_file": "文件无法解码或解析",
    "empty_file": "文件没有表头或没有数据行",
    "field_too_long": "字段超过长度上限",
    "unknown_venue_type": "场所类型不在场所类型表中",
    "bad_owner_id_kind": "证件类型不是统一社会信用代码、工商注册号或身份证",
    "bad_check_digit": "证件号码校验位或格式错误",
    "bad_phone": "不是有效的大陆手机号码",
    "duplicate_applicant_phone": "该申请人手机号已申领过场所码",
    "duplicate_venue_id": "场所编码重复",
    "applicant_not_green": "申请人申领时健康码不是绿码",
    "bad_coordinate": "坐标无法解析、为 (0, 0) 或超出地球范围",
    "outside_county": "坐标或所填区县不在本登记表所属区县内",
    "unknown_township": "乡镇不属于本区县",
    "bad_status": "场所状态不是启用或停用",
    "swapped_lat_lon": "经度和纬度疑似填反",
    "bad_time": "时间无法解析",
    "future_time": "时间晚于本次导入的参考时间",
    "exit_before_entry": "离开时间早于进入时间",
    "bad_colour": "健康码颜色不是绿、黄或红",
    "bad_method": "扫码方式不是本人扫码或代扫",
    "unknown_venue": "扫码记录的场所不在场所登记表中",
    "venue_rejected": "扫码记录的场所在登记表中被拒收",
    "id_in_scientific_notation": "编码被 Excel 转成了科学计数法（如 3.60323E+13）",
    "region_mismatch": "文件属于另一个地区，而非所指定的地区",
    "bad_case_kind": "病例类型不是确诊或无症状感染者",
    "bad_bool": "不是“是/否”",
    "bad_time_order": "病例各时间先后顺序不对（如确诊早于采样）",
    "duplicate_case": "同一人重复出现在病例表中",
    "bad_count": "计数不是非负整数",
    "time_out_of_range": "时间超出可表示的年份（年份错误，或时间戳单位错误）",
    "count_too_large": "计数大得不合理",
    "binary_value": "单元格是二进制数据而非文字",
    "nested_value": "单元格是嵌套结构（列表或对象）而非单个值",
    "bad_encoding": "该行含有无法按文件编码解码的字节",
    "bad_feature": "GeoJSON 要素结构错误",
    "mixed_script_id": "编码混用了拉丁字母和其他文字中形似的字母",
    "repaired_id": "编码已修复（去除不可见字符、全角转半角、形似字母归一）并保留",
    "bad_followup_status": "随访状态不是已联系、未接通、号码错误、已隔离、已采样、阳性或阴性",
    "raw_id_without_key": "此处应为化名编号，却是原始手机号或身份编号，且未提供密钥",
    "masked_id": "编号已打码（含 *），无法对应到人",
    "bad_pseudonym": "以 p_ 开头但不是 p_ 加 16 位十六进制：被截断或修改",
}
