"""Customer health score: weighted components on 0-100, bands, and the drivers in words.

Each component turns one measure of the customer into 0-100 by a straight line between two
anchors, ``zero_at`` (0 points) and ``full_at`` (100 points), clipped outside them:
``score = 100 * clip((x - zero_at) / (full_at - zero_at), 0, 1)`` (so either direction works).
The health score is the weighted mean of the components **that have data** for the customer:
a component with no data (NaN measure) is left out and the weights of the others renormalised
to sum to 1, and the explanation says so. Bands follow Gainsight's default scorecard: red
0-50, yellow 51-75, green 76-100 (a band holds scores up to and including its ``upto``).

The components (defaults: weight, anchors), each reading facts the Django side computes per
customer ("90d": the last 90 days; "prior 90d": the 90 days before those):

========================  =====  ==============================================================
recency                   25     days_since_last_order / typical_gap_days: 100 within their
                                 own rhythm (x <= 1), 0 at 3 x the gap
frequency_trend           15     orders_last_90d / orders_prior_90d: 100 at the same pace or
                                 more, 0 at none; no data when both are 0
spend_trend               10     spend_last_90d / spend_prior_90d, the same way
complaints                15     open_complaints: 100 at none, 0 at 2 or more
sentiment                 15     latest_nps (100 at 9, 0 at 3: a 6 scores 50) and latest_csat
                                 (1-5: 100 at 5, 0 at 1), the mean of those answered
email_engagement          10     emails_engaged_90d / emails_sent_90d (opened or clicked): 100
                                 at 40 %, 0 at none; no data when nothing was sent
relationship              5      the thinner side of the relationship: contacts_engaged_90d
                                 (100 at 3 or more, 0 at one) and team_engaged_90d, the owner
                                 and the members who logged an interaction (100 at 2 or more,
                                 0 at one: ``team_full_at``, ``team_zero_at``); either
                                 side single-threaded scores 0; NaN for a person with no
                                 account. The team's fact may be left out of a DataFrame
                                 (then only the contacts count)
renewal                   5      days_to_renewal: 100 at 90 days or more, 50 on the day, 0 at
                                 90 days overdue; NaN with no renewal ahead
========================  =====  ==============================================================

Configuration is plain JSON (stored and edited like a lifecycle definition)::

    {"components": {"recency": {"weight": 30, "zero_at": 4}, "renewal": {"weight": 0}},
     "bands": [{"key": "red", "upto": 40}, {"key": "yellow", "upto": 70},
               {"key": "green", "upto": 100}]}

Components not named keep their defaults; weight 0 switches one off (its facts are then not
needed).

Ceilings (``tenure.domain.health_ceilings``) then cap the score at the top of the band below
the best (75, yellow, by default) for a customer with a fresh low CSAT, a detractor's NPS, a
complaint still open, a silence over twice their usual gap, a churn risk of 50 % or more or the
at-risk stage, whatever the mean says; each one that lowered a score comes first among the
drivers. ``{"ceilings": {"silence": false}}`` switches one off.

The words are rendered when read, not when scored: ``HealthScores.drivers_json`` gives each
customer's drivers (the components that cost the most points, most first) with the few facts
their words need, which the database keeps next to the component scores, and
:func:`health_explanation` turns them into the sentence. Scoring a million customers so costs
no string work, and what is shown is the same sentence ``HealthScores.explain`` gives.
The same engine scores accounts (``subject="account"`` in the words).
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from tenure.analytics.errors import InvalidInputError
from tenure.domain.health_ceilings import (
    CAP_PREFIX,
    CEILING_FACTS,
    CEILINGS,
    ceiling_top,
    ceiling_words,
    ceilings_apply,
    ceilings_hold,
)
from tenure.domain.lifecycle.model import DefinitionError, Problem

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
Row = Mapping[str, float]
Facts = Mapping[str, FloatArray]
Params = Mapping[str, float]
TIMES = "\N{MULTIPLICATION SIGN}"
_INFINITE = (math.inf, -math.inf)


def _ratio(a: FloatArray, b: FloatArray) -> FloatArray:
    """a / b; NaN when both are 0 (no data), +inf when only b is."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where((a == 0) & (b == 0), np.nan, a / b)


def _days(x: float) -> str:
    return f"{x:.0f} day{'' if round(x) == 1 else 's'}"


def _change(last: float, prior: float) -> str:
    return "new" if prior == 0 else f"{100 * (last - prior) / prior:+.0f} %"


def _recency_words(f: Row, x: float) -> str:
    if x > 1:
        return f"No order for {_days(f['days_since_last_order'])}, {x:.1f} {TIMES} their usual gap"
    return (
        f"Last order {_days(f['days_since_last_order'])} ago, within their usual gap of "
        f"{_days(f['typical_gap_days'])}"
    )


def _trend_words(what: str, last: str, prior: str, money: bool) -> Callable[[Row, float], str]:
    def words(f: Row, x: float) -> str:
        a, b = f[last], f[prior]
        shown = (f"{a:,.2f}", f"{b:,.2f}") if money else (f"{a:.0f}", f"{b:.0f}")
        return (
            f"{what} {shown[0]} in the last 90 days against {shown[1]} in the 90 before "
            f"({_change(a, b)})"
        )

    return words


def _sentiment(f: Facts, p: Params) -> FloatArray:
    nps = _line(f["latest_nps"], p["nps_zero_at"], p["nps_full_at"])
    csat = _line(f["latest_csat"], p["csat_zero_at"], p["csat_full_at"])
    answered = ~np.isnan(nps) + 0.0 + ~np.isnan(csat)
    with np.errstate(invalid="ignore"):
        return np.where(answered > 0, (np.nan_to_num(nps) + np.nan_to_num(csat)) / answered, np.nan)


def _sentiment_words(f: Row, x: float) -> str:
    parts = []
    nps = f["latest_nps"]
    if not math.isnan(nps):
        kind = "a promoter" if nps >= 9 else "a detractor" if nps <= 6 else "a passive"
        parts.append(f"Latest NPS {nps:.0f} ({kind})")
    if not math.isnan(f["latest_csat"]):
        parts.append(f"latest CSAT {f['latest_csat']:.0f} out of 5")
    text = ", ".join(parts)
    return text[:1].upper() + text[1:]


def _count_words(f: Row, x: float) -> str:
    return "No open complaints" if x == 0 else f"{x:.0f} open complaint{'s' if x != 1 else ''}"


def _relationship(f: Facts, p: Params) -> FloatArray:
    contacts = _line(f["contacts_engaged_90d"], p["zero_at"], p["full_at"])
    team = _line(f["team_engaged_90d"], p["team_zero_at"], p["team_full_at"])
    with np.errstate(invalid="ignore"):
        return np.fmin(contacts, team)  # the thinner side; NaN only when neither has data


def _relationship_words(f: Row, x: float) -> str:
    contacts, team = f.get("contacts_engaged_90d", math.nan), f.get("team_engaged_90d", math.nan)
    parts = []
    if not math.isnan(contacts):
        if contacts < 1:
            parts.append("No contact engaged in the last 90 days")
        elif contacts <= 1:
            parts.append("Single-threaded: 1 contact engaged in the last 90 days")
        else:
            parts.append(f"{contacts:.0f} contacts engaged in the last 90 days")
    if not math.isnan(team):
        if team < 1:
            parts.append("no one on the team looked after them")
        elif team <= 1:
            parts.append("one team member alone looks after them (single-threaded)")
        else:
            parts.append(f"{team:.0f} team members look after them")
    text = ", ".join(parts)
    return text[:1].upper() + text[1:]


def _renewal_words(f: Row, x: float) -> str:
    return f"Renewal {_days(-x)} overdue" if x < 0 else f"Renewal in {_days(x)}"


@dataclass(frozen=True)
class Component:
    """One health component: the facts it reads, how they make its measure, in words."""

    key: str
    label: str
    facts: tuple[str, ...]
    defaults: dict[str, float]
    measure: Callable[[Facts, Params], FloatArray]
    words: Callable[[Row, float], str]
    scored: bool = False  # the measure is already 0-100 (no anchors applied)
    optional: tuple[str, ...] = ()  # facts a caller's frame may leave out: no data then


def _recency(f: Facts, p: Params) -> FloatArray:
    gap = f["typical_gap_days"]
    return np.where(gap > 0, f["days_since_last_order"] / np.where(gap > 0, gap, 1.0), np.nan)


def _ratio_of(last: str, prior: str) -> Callable[[Facts, Params], FloatArray]:
    return lambda f, p: _ratio(f[last], f[prior])


def _fact_itself(name: str) -> Callable[[Facts, Params], FloatArray]:
    return lambda f, p: f[name]


def _emails(f: Facts, p: Params) -> FloatArray:
    sent = f["emails_sent_90d"]
    return np.where(sent > 0, _ratio(f["emails_engaged_90d"], sent), np.nan)


def _emails_words(f: Row, x: float) -> str:
    engaged, sent = f["emails_engaged_90d"], f["emails_sent_90d"]
    return f"Engaged with {engaged:.0f} of {sent:.0f} emails in the last 90 days"


COMPONENTS: dict[str, Component] = {
    c.key: c
    for c in (
        Component("recency", "recency against their own rhythm",
                  ("days_since_last_order", "typical_gap_days"),
                  {"weight": 25, "full_at": 1.0, "zero_at": 3.0}, _recency, _recency_words),
        Component("frequency_trend", "order frequency trend",
                  ("orders_last_90d", "orders_prior_90d"),
                  {"weight": 15, "full_at": 1.0, "zero_at": 0.0},
                  _ratio_of("orders_last_90d", "orders_prior_90d"),
                  _trend_words("Ordered", "orders_last_90d", "orders_prior_90d", money=False)),
        Component("spend_trend", "spend trend", ("spend_last_90d", "spend_prior_90d"),
                  {"weight": 10, "full_at": 1.0, "zero_at": 0.0},
                  _ratio_of("spend_last_90d", "spend_prior_90d"),
                  _trend_words("Spent", "spend_last_90d", "spend_prior_90d", money=True)),
        Component("complaints", "open complaints", ("open_complaints",),
                  {"weight": 15, "full_at": 0.0, "zero_at": 2.0},
                  _fact_itself("open_complaints"), _count_words),
        Component("sentiment", "latest NPS / CSAT", ("latest_nps", "latest_csat"),
                  {"weight": 15, "nps_full_at": 9.0, "nps_zero_at": 3.0, "csat_full_at": 5.0,
                   "csat_zero_at": 1.0},
                  _sentiment, _sentiment_words, scored=True),
        Component("email_engagement", "engagement with emails",
                  ("emails_engaged_90d", "emails_sent_90d"),
                  {"weight": 10, "full_at": 0.4, "zero_at": 0.0}, _emails, _emails_words),
        Component("relationship", "relationship breadth (single-threaded)",
                  ("contacts_engaged_90d", "team_engaged_90d"),
                  {"weight": 5, "full_at": 3.0, "zero_at": 1.0, "team_full_at": 2.0,
                   "team_zero_at": 1.0},
                  _relationship, _relationship_words, scored=True,
                  optional=("team_engaged_90d",)),
        Component("renewal", "renewal coming up", ("days_to_renewal",),
                  {"weight": 5, "full_at": 90.0, "zero_at": -90.0},
                  _fact_itself("days_to_renewal"), _renewal_words),
    )
}  # fmt: skip
"""The components, in the order scores and explanations list them."""

DEFAULT_BANDS: tuple[dict[str, Any], ...] = (
    {"key": "red", "name": "Red", "upto": 50},
    {"key": "yellow", "name": "Yellow", "upto": 75},
    {"key": "green", "name": "Green", "upto": 100},
)


def _line(x: FloatArray, zero_at: float, full_at: float) -> FloatArray:
    with np.errstate(invalid="ignore"):
        return 100.0 * np.clip((x - zero_at) / (full_at - zero_at), 0.0, 1.0)


@dataclass(frozen=True, eq=False)
class HealthConfig:
    """A validated health configuration (from :func:`health_config_validate`).

    ``params[key]`` holds each component's weight and anchors; ``bands`` the band keys,
    names and upper bounds; ``definition`` the full JSON to store.
    """

    params: dict[str, dict[str, float]]
    bands: tuple[tuple[str, str, float], ...]
    definition: dict[str, Any]
    ceilings: tuple[str, ...] = tuple(CEILINGS)

    @property
    def ceiling_facts(self) -> frozenset[str]:
        """The facts the switched-on ceilings read (``tenure.domain.health_ceilings``)."""
        return frozenset(fact for key in self.ceilings for fact in CEILINGS[key].facts)

    @property
    def active(self) -> tuple[str, ...]:
        """The components with a weight above 0."""
        return tuple(key for key, p in self.params.items() if p["weight"] > 0)

    @property
    def facts_used(self) -> frozenset[str]:
        return frozenset(fact for key in self.active for fact in COMPONENTS[key].facts)


def health_config_validate(data: Mapping[str, Any] | None = None) -> HealthConfig:
    """Merge a configuration over the defaults and check it; ``None`` gives the defaults.

    Raises
    ------
    DefinitionError
        Listing every problem with its path, e.g. ``components.recency.weight: must be a
        number >= 0, got -1``; weights summing to 0; bands not increasing or not ending at 100.
    """
    data = {} if data is None else data
    problems: list[Problem] = []
    if not isinstance(data, Mapping):
        raise DefinitionError([Problem("", "must be an object with components and bands")])
    for key in data:
        if key not in _TOP_KEYS:
            problems.append(Problem(str(key), f'unknown key "{key}"{_near(key, _TOP_KEYS)}'))
    params = {key: dict(c.defaults) for key, c in COMPONENTS.items()}
    raw_components = data.get("components", {})
    if not isinstance(raw_components, Mapping):
        problems.append(Problem("components", "must be an object: component -> settings"))
        raw_components = {}
    for key, settings in raw_components.items():
        path = f"components.{key}"
        if key not in COMPONENTS:
            problems.append(Problem(path, f"unknown component{_near(key, COMPONENTS)}"))
            continue
        if not isinstance(settings, Mapping):
            problems.append(Problem(path, 'must be an object such as {"weight": 10}'))
            continue
        for name, value in settings.items():
            if name not in params[key]:
                problems.append(
                    Problem(f"{path}.{name}", f"unknown setting{_near(name, params[key])}")
                )
            elif (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
            ):
                problems.append(Problem(f"{path}.{name}", f"must be a number, got {value!r}"))
            elif name == "weight" and value < 0:
                problems.append(Problem(f"{path}.weight", f"must be a number >= 0, got {value!r}"))
            else:
                params[key][name] = float(value)
        for prefix in ("", "nps_", "csat_", "team_"):
            zero, full = params[key].get(prefix + "zero_at"), params[key].get(prefix + "full_at")
            if zero is not None and zero == full:
                problems.append(
                    Problem(
                        f"{path}.{prefix}full_at", f"must differ from {prefix}zero_at ({zero:g})"
                    )
                )
    if not problems and sum(p["weight"] for p in params.values()) <= 0:
        problems.append(
            Problem("components", "the weights add up to 0: give at least one component a weight")
        )
    bands = _bands(data.get("bands", [dict(b) for b in DEFAULT_BANDS]), problems)
    ceilings = _ceilings(data.get("ceilings", {}), problems)
    if problems:
        raise DefinitionError(problems)
    definition = {
        "components": copy.deepcopy(params),
        "bands": [{"key": k, "name": n, "upto": u} for k, n, u in bands],
        "ceilings": {key: key in ceilings for key in CEILINGS},
    }
    return HealthConfig(params, bands, definition, ceilings)  # fmt: skip


_TOP_KEYS = ("components", "bands", "ceilings")


def _ceilings(raw: Any, problems: list[Problem]) -> tuple[str, ...]:
    """The ceilings switched on: every one unless ``{"silence": false, ...}`` says otherwise."""
    if not isinstance(raw, Mapping):
        problems.append(Problem("ceilings", 'must be an object such as {"silence": false}'))
        return ()
    for key, value in raw.items():
        if key not in CEILINGS:
            problems.append(Problem(f"ceilings.{key}", f"unknown ceiling{_near(key, CEILINGS)}"))
        elif not isinstance(value, bool):
            problems.append(Problem(f"ceilings.{key}", f"must be true or false, got {value!r}"))
    return tuple(key for key in CEILINGS if raw.get(key, True) is not False)


def _near(name: object, choices: Any) -> str:
    close = difflib.get_close_matches(str(name), list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def _bands(raw: Any, problems: list[Problem]) -> tuple[tuple[str, str, float], ...]:
    if not isinstance(raw, list) or not raw:
        problems.append(Problem("bands", "must be a non-empty list of {key, name, upto}"))
        return ()
    bands: list[tuple[str, str, float]] = []
    for i, band in enumerate(raw):
        path = f"bands[{i}]"
        upto = band.get("upto") if isinstance(band, Mapping) else None
        key = band.get("key") if isinstance(band, Mapping) else None
        if not isinstance(key, str) or not key:
            problems.append(Problem(f"{path}.key", "must be non-empty text"))
            continue
        if isinstance(upto, bool) or not isinstance(upto, int | float) or not 0 <= upto <= 100:
            problems.append(
                Problem(f"{path}.upto", f"must be a number from 0 to 100, got {upto!r}")
            )
            continue
        if bands and upto <= bands[-1][2]:
            problems.append(
                Problem(f"{path}.upto", f"must be above bands[{i - 1}].upto ({bands[-1][2]:g})")
            )
        bands.append((key, str(band.get("name", key.capitalize())), float(upto)))
    if bands and bands[-1][2] != 100 and len(bands) == len(raw):
        problems.append(Problem(f"bands[{len(raw) - 1}].upto", "the last band must go up to 100"))
    return tuple(bands)  # fmt: skip


@dataclass(frozen=True, eq=False)
class HealthScores:
    """Health of every customer (from :func:`health_scores`).

    Attributes
    ----------
    score : ndarray of float
        0-100; NaN when no component has data for the customer.
    band : ndarray of int
        Position in ``config.bands``; -1 without a score.
    components : pandas.DataFrame
        Each active component's score (0-100, NaN: no data), one column per component.
    weights : pandas.DataFrame
        The weight each component carried for each customer after renormalisation (rows sum
        to 1; 0 where it had no data). ``score = (components * weights).sum(axis=1)``.
    """

    config: HealthConfig
    score: FloatArray
    band: IntArray
    components: pd.DataFrame
    weights: pd.DataFrame
    facts: Mapping[str, FloatArray]
    ceilings: Mapping[str, npt.NDArray[np.bool_]] = dataclasses.field(default_factory=dict)
    uncapped: FloatArray | None = None

    def capped(self) -> npt.NDArray[np.bool_]:
        """Whether a ceiling lowered each customer's score (``health_ceilings``)."""
        if self.uncapped is None:
            return np.zeros(self.score.size, dtype=bool)
        with np.errstate(invalid="ignore"):
            return np.asarray(self.uncapped > self.score, dtype=bool)

    def band_keys(self) -> npt.NDArray[np.object_]:
        """Each customer's band key (``None`` without a score)."""
        table = np.array([*(key for key, _name, _upto in self.config.bands), None], dtype=object)
        return table[self.band]

    def drivers(self, top: int = 3, positions: npt.ArrayLike | None = None) -> IntArray:
        """For each customer (or those at ``positions``), the codes (positions in
        ``components.columns``) of the ``top`` components that cost the most points,
        ``weight * (100 - score)``, most first; -1 where fewer components cost anything."""
        weights, scores = self.weights.to_numpy(), self.components.to_numpy()
        if positions is not None:
            picked = np.asarray(positions, np.int64)
            weights, scores = weights[picked], scores[picked]
        lost = weights * (100.0 - np.nan_to_num(scores, nan=100.0))
        order = np.argsort(-lost, axis=1, kind="stable")[:, :top]
        return np.where(np.take_along_axis(lost, order, axis=1) > 1e-9, order, -1)

    def drivers_json(
        self, positions: npt.ArrayLike | None = None, *, top: int = 3, decimals: int = 2
    ) -> list[str]:
        """Each customer's drivers as the database keeps them (JSON text), for
        :func:`health_explanation`: ``[[component key, {fact: value, ...}], ...]``, the ``top``
        components that cost the most points, most first, each with the facts its words read
        (rounded to ``decimals``; missing ones left out). A list, not an object: PostgreSQL's
        jsonb reorders keys. Written as text a component at a time, for the customers it
        drives, not as a list built and encoded per customer."""
        pos = np.arange(self.score.size) if positions is None else np.asarray(positions, np.int64)
        keys = list(self.components.columns)
        codes = self.drivers(top, pos)
        texts = np.full((len(keys) + 1, pos.size), "", dtype=object)  # the last: no driver
        for c, key in enumerate(keys):
            rows = np.flatnonzero((codes == c).any(axis=1))
            if not rows.size:
                continue
            parts = [
                [f'"{fact}":{x}' if x == x and x not in _INFINITE else "" for x in values]
                for fact in COMPONENTS[key].facts
                for values in [np.round(self.facts[fact][pos[rows]], decimals).tolist()]
            ]
            texts[c, rows] = [
                f'["{key}",{{{",".join(filter(None, f))}}}]' for f in zip(*parts, strict=True)
            ]
        chosen = texts[codes, np.arange(pos.size)[:, None]].tolist()  # code -1: the last row
        caps = self._caps_json(pos, decimals)
        return [
            "[" + ",".join(filter(None, cap + row)) + "]"
            for cap, row in zip(caps, chosen, strict=True)
        ]

    def _caps_json(self, pos: IntArray, decimals: int) -> list[list[str]]:
        """Per customer, the ceilings that lowered their score, as drivers (first)."""
        out: list[list[str]] = [[] for _ in range(pos.size)]
        capped = self.capped()[pos]
        if not capped.any():
            return out
        for key, held in self.ceilings.items():
            rows = np.flatnonzero(capped & held[pos])
            if not rows.size:
                continue
            parts = [
                [f'"{fact}":{x}' if x == x and x not in _INFINITE else "" for x in values]
                for fact in CEILINGS[key].facts
                if fact in self.facts
                for values in [np.round(self.facts[fact][pos[rows]], decimals).tolist()]
            ]
            texts = [
                f'["{CAP_PREFIX}{key}",{{{",".join(filter(None, f))}}}]'
                for f in zip(*parts, strict=True)
            ]
            for row, text in zip(rows.tolist(), texts, strict=True):
                out[row].append(text)
        return out

    def drivers_stored(
        self, positions: npt.ArrayLike | None = None, *, top: int = 3, decimals: int = 2
    ) -> list[list[list[Any]]]:
        """:meth:`drivers_json` as Python lists."""
        return [
            json.loads(text) for text in self.drivers_json(positions, top=top, decimals=decimals)
        ]

    def components_json(self, positions: npt.ArrayLike | None = None) -> list[str]:
        """Each customer's component scores as the database keeps them (JSON text): to one
        decimal, the ones without data left out (``health_explanation`` names those). A
        score in 0-100 to one decimal has 1,001 possible texts: looked up, not formatted."""
        pos = np.arange(self.score.size) if positions is None else np.asarray(positions, np.int64)
        parts = []
        for key, column in self.components.items():
            values = column.to_numpy()[pos]
            table = np.array([*(f'"{key}":{i / 10}' for i in range(1001)), ""], dtype=object)
            tenths = np.clip(np.rint(np.nan_to_num(values) * 10), 0, 1000)
            code = np.where(np.isnan(values), 1001, tenths)
            parts.append(table[code.astype(np.int64)].tolist())
        return ["{" + ",".join(filter(None, row)) + "}" for row in zip(*parts, strict=True)]

    def components_stored(self, positions: npt.ArrayLike | None = None) -> list[dict[str, float]]:
        """:meth:`components_json` as Python dicts."""
        return [json.loads(text) for text in self.components_json(positions)]

    def explain(
        self, positions: npt.ArrayLike | None = None, *, top: int = 3, subject: str = "customer"
    ) -> list[str]:
        """Each customer's score in words: band, the components that cost the most points, and
        the components left out for want of data (:func:`health_explanation` of the stored
        form). Python per customer: ask for the ones shown.

        Example: ``"42 (red). No order for 94 days, 3.1 x their usual gap. 2 open complaints.
        No data for engagement with emails, renewal coming up: their weight went to the
        others."``
        """
        pos = np.arange(self.score.size) if positions is None else np.asarray(positions, np.int64)
        bands = self.band_keys()[pos].tolist()
        drivers = self.drivers_stored(pos, top=top, decimals=12)
        components = self.components_stored(pos)
        return [
            health_explanation(score, band or "", parts, why, self.config, subject=subject)
            for score, band, parts, why in zip(
                self.score[pos].tolist(), bands, components, drivers, strict=True
            )
        ]

    def to_frame(self) -> pd.DataFrame:
        """``score``, ``band`` and one column per component, indexed like the facts."""
        frame = self.components.add_prefix("component_")
        frame.insert(0, "band", self.band_keys())
        frame.insert(0, "score", self.score)
        return frame


def health_scores(
    facts: Mapping[str, Any] | pd.DataFrame, config: HealthConfig | None = None
) -> HealthScores:
    """Score every customer's health (see the module docstring for the components).

    Parameters
    ----------
    facts : pandas.DataFrame or mapping of str to array_like
        One column per fact the active components read (:attr:`HealthConfig.facts_used`);
        NaN (or None) where a customer has no data.
    config : HealthConfig, optional
        From :func:`health_config_validate`; the defaults when omitted.

    Returns
    -------
    HealthScores
    """
    config = config or health_config_validate()
    columns = _health_columns(facts, config)
    n = len(next(iter(columns.values())))
    keys = config.active
    scores = np.empty((n, len(keys)))
    for c, key in enumerate(keys):
        component, params = COMPONENTS[key], config.params[key]
        measure = component.measure(columns, params)
        scores[:, c] = (
            measure if component.scored else _line(measure, params["zero_at"], params["full_at"])
        )
    weight = np.array([config.params[key]["weight"] for key in keys])
    present = ~np.isnan(scores)
    raw_weights = present * weight
    total = raw_weights.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        weights = np.where(total > 0, raw_weights / total, 0.0)
        score = np.where(total[:, 0] > 0, (np.nan_to_num(scores) * weights).sum(axis=1), np.nan)
    uncapped = score
    held = {
        key: mask
        for key, mask in ceilings_hold(_ceiling_columns(facts, n)).items()
        if key in config.ceilings
    }
    score = ceilings_apply(score, held, ceiling_top(config.bands))
    bounds = np.array([upto for _key, _name, upto in config.bands])
    # Rounded first so that float noise (50.000000001) does not lift a 50 out of red.
    at = np.searchsorted(bounds, np.round(np.nan_to_num(score), 9), side="left")
    band = np.where(np.isnan(score), -1, at)
    frame_index = facts.index if isinstance(facts, pd.DataFrame) else pd.RangeIndex(n)
    return HealthScores(
        config, score, band.astype(np.int64),
        pd.DataFrame(scores, columns=list(keys), index=frame_index),
        pd.DataFrame(weights, columns=list(keys), index=frame_index),
        columns | _ceiling_columns(facts, n), held, uncapped,
    )  # fmt: skip


def _ceiling_columns(facts: Mapping[str, Any] | pd.DataFrame, n: int) -> dict[str, FloatArray]:
    """The ceilings' facts among ``facts``, as floats (a ceiling missing any is not checked)."""
    out: dict[str, FloatArray] = {}
    for name in CEILING_FACTS:
        if name not in facts:
            continue
        raw = facts[name]
        values = (
            raw.to_numpy(dtype=np.float64, na_value=np.nan)
            if isinstance(raw, pd.Series)
            else np.asarray(raw, dtype=np.float64)
        )
        if values.shape != (n,):
            raise InvalidInputError(name, f"has {values.size} values for {n} customers")
        out[name] = values
    return out


def _health_columns(
    facts: Mapping[str, Any] | pd.DataFrame, config: HealthConfig
) -> dict[str, FloatArray]:
    columns: dict[str, FloatArray] = {}
    optional = {fact for key in config.active for fact in COMPONENTS[key].optional}
    left_out = sorted(name for name in config.facts_used if name in optional and name not in facts)
    for name in sorted(config.facts_used - set(left_out)):
        if name not in facts:
            reader = next(key for key in config.active if name in COMPONENTS[key].facts)
            raise InvalidInputError(
                name,
                f"is read by the {reader} component but is not among the facts (pass NaN for "
                "no data, or give the component weight 0)",
            )
        raw = facts[name]
        try:
            if isinstance(raw, pd.Series):
                values = raw.to_numpy(dtype=np.float64, na_value=np.nan)
            else:
                values = np.asarray(raw, dtype=np.float64)  # None becomes NaN
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(name, f"must be numbers ({exc})") from None
        first = next(iter(columns.values()), values)
        if values.ndim != 1 or values.shape != first.shape:
            raise InvalidInputError(name, f"has {values.size} values for {first.size} customers")
        columns[name] = values
    n = len(next(iter(columns.values()))) if columns else len(facts)
    for name in left_out:
        columns[name] = np.full(n, np.nan)
    return columns


def health_trend(
    previous: npt.ArrayLike, current: npt.ArrayLike, *, tolerance: float = 5.0
) -> IntArray:
    """Trend arrows between two scores of the same customers: +1 up, -1 down, 0 steady (a
    change of at most ``tolerance`` points, or a missing score)."""
    change = np.asarray(current, dtype=np.float64) - np.asarray(previous, dtype=np.float64)
    return np.where(np.isnan(change), 0, np.sign(change) * (np.abs(change) > tolerance)).astype(
        np.int64
    )


def health_explanation(
    score: float | None,
    band: str,
    components: Mapping[str, float],
    drivers: Any,
    config: HealthConfig | None = None,
    *,
    subject: str = "customer",
) -> str:
    """A stored health score in words (see :meth:`HealthScores.explain`).

    Parameters
    ----------
    score, band : the score (None or NaN: no score) and its band key.
    components : each component's score; a component of ``config`` missing here had no data.
    drivers : ``[[component key, {fact: value}], ...]`` from
        :meth:`HealthScores.drivers_stored`; None (a score stored without them) gives "".
    subject : "customer" or "account", the word for whom the score is.
    """
    config = config or _DEFAULT_CONFIG
    if drivers is None:
        return ""
    if score is None or math.isnan(score):
        return f"No health score: no component has data for this {subject}."
    names = {key: name for key, name, _upto in config.bands}
    shown = math.floor(score + 0.5)  # half up, as people round
    below = config.bands[-2][1].lower() if len(config.bands) >= 2 else ""
    words = [
        ceiling_words(key[len(CAP_PREFIX) :], facts, below)
        if key.startswith(CAP_PREFIX) and key[len(CAP_PREFIX) :] in CEILINGS
        else _words(key, facts, config)
        for key, facts in drivers
        if key in COMPONENTS or (key.startswith(CAP_PREFIX) and key[len(CAP_PREFIX) :] in CEILINGS)
    ]
    text = f"{shown} ({names.get(band, band.capitalize()).lower()})."
    text += " " + (". ".join(words) + "." if words else "Every component at full marks.")
    missing = [COMPONENTS[key].label for key in config.active if key not in components]
    if missing:
        text += f" No data for {', '.join(missing)}: their weight went to the others."
    return text


def _words(key: str, facts: Mapping[str, float], config: HealthConfig) -> str:
    component = COMPONENTS[key]
    row = {name: float(facts.get(name, math.nan)) for name in component.facts}
    columns = {name: np.array([value]) for name, value in row.items()}
    measure = float(component.measure(columns, config.params[key])[0])
    return component.words(row, measure)


_DEFAULT_CONFIG = health_config_validate()
