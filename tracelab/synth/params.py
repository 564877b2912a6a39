"""Parameters of the synthetic outbreak and of the log imperfections, with sources.

Values marked "design default" are tracelab choices, not published figures; all are
overridable with :func:`dataclasses.replace`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from types import MappingProxyType
from typing import Any

from tracelab._i18n import msg

__all__ = ["OutbreakParams", "LogParams", "DEFAULT_MISS_RATE"]


@dataclass(frozen=True)
class OutbreakParams:
    """Natural history, transmission, testing and isolation of the synthetic outbreak.

    Attributes
    ----------
    index_cases : int
        People infected before day 0 (``setting`` ``"seed"``), 1-4 days before the start.
    incubation_mean_days, incubation_sd_days : float
        Log-normal incubation. Omicron mean 3.2 days (Backer et al., Euro Surveill
        2022;27(6):2200042); DOMAIN §2.1 gives 2-4 days. The sd is a design default.
    min_latent_days : float
        No one is infectious earlier than this after infection (design default).
    presymptomatic_days : float
        Infectious from this long before onset: DOMAIN §2.1 starts the case window 2 days
        before onset.
    infectious_after_onset_days : float
        Infectious until onset + this: culturable Omicron virus rarely past day 6-8
        (Boucau et al., N Engl J Med 2022;387:275-277).
    asymptomatic_share : float
        32.4 % of Omicron infections (Shang et al., Vaccines 2022;10(7):1049).
    asymptomatic_relative : float
        Relative infectiousness of asymptomatic people: risk ratio ~0.32 (Buitrago-Garcia
        et al., PLoS Med 2022;19(5):e1003987); 0.35 here.
    beta_venue_per_hour : float
        Venue hazard per hour of overlap at type weight 1 and peak infectiousness,
        divided over at most ``venue_contacts`` co-present people (design default,
        calibrated to a growing outbreak, R about 2).
    venue_contacts : int
        Effective close contacts per stay: beyond this many co-present people the hazard
        is shared (design default; DOMAIN §2.2 restricts close contact to the same room).
    beta_household_per_day : float
        Daily household hazard at peak; with the profile it gives a secondary attack rate
        near 30-40 % (Omicron 42.7 %, Madewell et al., JAMA Netw Open 2022;5(4):e229317,
        before isolation).
    p_test_symptomatic : float
        Share of symptomatic people who get tested (design default).
    test_delay_mean_days : float
        Onset to sampling, exponential (design default).
    report_delay_hours : tuple of float
        Sampling to confirmation, uniform (PCR turnaround, design default).
    isolate_delay_hours : tuple of float
        Confirmation to isolation (transfer), uniform (design default).
    screening_share, screening_interval_days : float
        Share of workers in routine serial PCR (high-exposure jobs) and their interval
        (常态化核酸, design default).
    community_test_rate : float
        Daily chance that any other infected person is sampled at a community point.
    pcr_sensitivity : float
        Chance that a sample from a PCR-positive person is positive; PCR is positive from
        half a day before infectious start to two days after its end (design default).
    sick_stay_home : float
        Daily chance that a symptomatic person stays home after onset (design default).
    quarantine_test_days : tuple of int
        Days after the start of quarantine on which quarantined people are sampled
        (`twenty`: central 1, 2, 3, 5; DOMAIN §11.1), counted from 0.

    Examples
    --------
    >>> from dataclasses import replace
    >>> p = replace(OutbreakParams(), index_cases=5)
    >>> p.index_cases, p.incubation_mean_days
    (5, 3.2)
    """

    index_cases: int = 3
    incubation_mean_days: float = 3.2
    incubation_sd_days: float = 1.6
    min_latent_days: float = 1.0
    presymptomatic_days: float = 2.0
    infectious_after_onset_days: float = 6.0
    asymptomatic_share: float = 0.324
    asymptomatic_relative: float = 0.35
    beta_venue_per_hour: float = 0.02
    venue_contacts: int = 8
    beta_household_per_day: float = 0.12
    p_test_symptomatic: float = 0.85
    test_delay_mean_days: float = 1.0
    report_delay_hours: tuple[float, float] = (8.0, 30.0)
    isolate_delay_hours: tuple[float, float] = (1.0, 6.0)
    screening_share: float = 0.25
    screening_interval_days: int = 3
    community_test_rate: float = 0.03
    pcr_sensitivity: float = 0.9
    sick_stay_home: float = 0.5
    quarantine_test_days: tuple[int, ...] = (0, 1, 2, 4)

    def __post_init__(self) -> None:
        shares = {"asymptomatic_share": self.asymptomatic_share,
                  "p_test_symptomatic": self.p_test_symptomatic,
                  "screening_share": self.screening_share,
                  "pcr_sensitivity": self.pcr_sensitivity,
                  "sick_stay_home": self.sick_stay_home,
                  "community_test_rate": self.community_test_rate}
        bad = {k: v for k, v in shares.items() if not 0.0 <= v <= 1.0}
        if bad:
            raise ValueError(msg("OutbreakParams: {bad} must lie in [0, 1]", bad=bad))
        if self.index_cases < 0:
            raise ValueError(msg("index_cases must be >= 0, got {index_cases!r}",
                                 index_cases=self.index_cases))

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for the manifest."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


#: Share of stays with no scan, per venue type (design default): gates of open villages
#: and busy markets are checked least, schools and hospitals best.
DEFAULT_MISS_RATE = MappingProxyType({
    "residential_compound": 0.25, "village": 0.55, "school": 0.03, "enterprise": 0.10,
    "farmers_market": 0.35, "mall": 0.10, "supermarket": 0.12, "restaurant": 0.20,
    "hospital": 0.05, "pharmacy": 0.25, "transit": 0.20, "hotel": 0.10,
    "government": 0.05, "entertainment": 0.20,
})


@dataclass(frozen=True)
class LogParams:
    """Imperfections of the scan log, each with a rate (all design defaults).

    Attributes
    ----------
    miss_rate : mapping of str to float
        Per venue type, share of stays of smartphone holders with no scan.
    compliance : float or None
        If set, overrides ``miss_rate``: every stay is scanned with this chance (the
        replay's "70 % compliance" scenario); lax venues still apply on top.
    proxy_rate : float
        Chance that staff register (代登记) a person without a smartphone; otherwise the
        stay goes unrecorded.
    group_scan_rate : float
        Chance that in a household outing one member scans and the others walk in
        unscanned ("一人扫码、多人进出", forbidden by the Luxi notice).
    group_burst_share : float
        Share of those group scans where the one phone scans once per head, a burst of
        scans under one person id within seconds (the rest: a single scan).
    double_scan_rate : float
        Chance of a second scan of the same code within 2 minutes.
    forwarded_rate : float
        Per person-day chance of scanning a forwarded code image of a venue far away.
    clock_skew_share : float
        Share of people whose phone clock is off by 1-5 minutes.
    yellow_rate, red_rate : float
        Per person-day chance of a yellow or red code (DOMAIN §5.2).
    exit_scan_share : float
        Share of non-residence venues with exit scanning (off by default: no system did,
        DOMAIN §9.3).
    exit_miss_rate : float
        Chance of leaving without the exit scan at such a venue.
    silent_venue_share : float
        Share of non-residence venues whose code stops working during the run.
    lax_venue_share, lax_miss_rate : float
        Share of non-residence venues where no one checks at the door, and the share of
        stays there with no scan (scan volumes far below what the venue predicts).
    unknown_venue_scans, bad_check_digit_venues, duplicate_phone_venues : int
        Faults the loaders reject on purpose (counted in the manifest).
    device_jitter_m : float
        GPS error of the scanning phone, metres (sd).
    """

    miss_rate: MappingProxyType = field(default_factory=lambda: DEFAULT_MISS_RATE)
    compliance: float | None = None
    proxy_rate: float = 0.6
    group_scan_rate: float = 0.3
    group_burst_share: float = 0.5
    double_scan_rate: float = 0.02
    forwarded_rate: float = 0.0005
    clock_skew_share: float = 0.05
    yellow_rate: float = 0.002
    red_rate: float = 0.0003
    exit_scan_share: float = 0.0
    exit_miss_rate: float = 0.2
    silent_venue_share: float = 0.01
    lax_venue_share: float = 0.03
    lax_miss_rate: float = 0.8
    unknown_venue_scans: int = 3
    bad_check_digit_venues: int = 1
    duplicate_phone_venues: int = 1
    device_jitter_m: float = 15.0

    def __post_init__(self) -> None:
        rates = {k: getattr(self, k) for k in (
            "proxy_rate", "group_scan_rate", "group_burst_share", "double_scan_rate",
            "forwarded_rate", "clock_skew_share", "yellow_rate", "red_rate", "exit_scan_share",
            "exit_miss_rate", "silent_venue_share", "lax_venue_share", "lax_miss_rate")}
        rates.update({f"miss_rate[{k}]": v for k, v in self.miss_rate.items()})
        if self.compliance is not None:
            rates["compliance"] = self.compliance
        bad = {k: v for k, v in rates.items() if not 0.0 <= v <= 1.0}
        if bad:
            raise ValueError(msg("LogParams: {bad} must lie in [0, 1]", bad=bad))
        if not isinstance(self.miss_rate, MappingProxyType):
            object.__setattr__(self, "miss_rate", MappingProxyType(dict(self.miss_rate)))

    @classmethod
    def perfect(cls, *, exit_scan_share: float = 1.0) -> LogParams:
        """Every stay scanned once, on time, with exact exit scans and no faults.

        Examples
        --------
        >>> LogParams.perfect().compliance, LogParams.perfect().exit_miss_rate
        (1.0, 0.0)
        """
        return cls(compliance=1.0, proxy_rate=1.0, group_scan_rate=0.0, group_burst_share=0.0,
                   double_scan_rate=0.0, forwarded_rate=0.0, clock_skew_share=0.0,
                   yellow_rate=0.0, red_rate=0.0, exit_scan_share=exit_scan_share,
                   exit_miss_rate=0.0, silent_venue_share=0.0, lax_venue_share=0.0,
                   unknown_venue_scans=0, bad_check_digit_venues=0, duplicate_phone_venues=0,
                   device_jitter_m=0.0)

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for the manifest."""
        out = {k: getattr(self, k) for k in self.__dataclass_fields__}
        out["miss_rate"] = dict(sorted(self.miss_rate.items()))
        return out
