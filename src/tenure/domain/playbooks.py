"""Playbooks: a trigger, conditions and steps, as JSON data; parsed and checked here.

Pure: no Django. The Django app (``tenure.playbooks``) stores definitions, enrols customers
when a trigger fires and runs the steps. A definition::

    {
      "name": "Win-back", "slug": "win-back", "description": "...",
      "enabled": false, "priority": 100,                 # higher goes first under a cap
      "trigger": <trigger>,
      "conditions": <condition>,                         # optional, the rules' grammar
      "steps": [{"kind": "wait", "days": 3}, {"kind": "task", "title": "Call them"}, ...],
      "reentry": "once" | "every" | {"once_per_days": 90},
      "include_imported": false,     # enrol on events of an import, or older than...
      "max_event_age_days": 2,       # ... this (a history loaded, a bulk change)
      "no_promotion_days": 0         # promotions of every playbook wait this long
    }                                #   after a purchase (the post-purchase check-in's)

Triggers:

- ``{"type": "event", "kind": "stage.entered", "match": {"role": "at_risk"}}``: an event of
  that kind whose data match (a value: equal; ``{"lte": 6}``, ``{"gte": 1}``, ``{"in": [...]}``);
  several with ``"events": [{"kind": ..., "match": ...}, ...]`` (any of them);
- ``{"type": "after_event", "kind": "order.placed", "days": 30, "match": ...}``: N days after;
- ``{"type": "special_date", "date": "birthday" | "first_order_anniversary" |
  "special_date", "label": "..."}``: on the day, in the customer's time zone, once a year;
- ``{"type": "renewal_coming", "days": 14}``: N days (1-30) before a subscription renews;
- ``{"type": "inactive", "factor": 2, "floor_days": 30}``: when the days since the last order
  pass ``max(floor_days, factor x the customer's typical gap between orders)``.

Conditions are re-checked before every step: a customer for whom they no longer hold leaves
with the reason. Each enrolment has an *occurrence* (the year of a birthday, the event of an
``every`` playbook, ``once``), unique per playbook and customer in the database: a trigger
delivered twice enrols once.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from tenure.domain.lifecycle import Condition, DefinitionError, Problem, condition_compile
from tenure.domain.lifecycle.engine import condition_holds, fact_column
from tenure.domain.lifecycle.facts import Fact, rule_facts
from tenure.domain.lifecycle.parse import did_you_mean
from tenure.domain.playbook_steps import StepKind, _shown, param_check, step_kind, step_kinds

GRAMMAR = 1
TRIGGER_TYPES = ("event", "after_event", "special_date", "renewal_coming", "inactive")
SPECIAL_DATES = ("birthday", "first_order_anniversary", "special_date")
REENTRY = ("once", "every")
RENEWAL_EVENT = "subscription.renewal_coming"
MAX_STEPS = 50
_TOP = (
    "grammar", "name", "slug", "description", "enabled", "priority", "trigger", "conditions",
    "steps", "reentry", "include_imported", "max_event_age_days", "no_promotion_days",
)  # fmt: skip
_SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,59}")
_KIND = re.compile(r"[a-z_]+\.[a-z_]+")
_TESTS = ("lte", "gte", "lt", "gt", "in")


class PlaybookError(DefinitionError):
    """A playbook definition is refused; ``problems`` name the field (``steps[2].days``) and
    the reason."""


@dataclass(frozen=True)
class EventMatch:
    """An event kind and what its data must hold: ``(key, test, value)`` each, ``test`` one
    of ``eq``, ``lte``, ``gte``, ``lt``, ``gt``, ``in``."""

    kind: str
    tests: tuple[tuple[str, str, Any], ...] = ()

    def matches(self, kind: str, data: Mapping[str, Any]) -> bool:
        if kind != self.kind:
            return False
        for key, test, value in self.tests:
            got = data.get(key)
            if test == "eq":
                if got != value:
                    return False
            elif test == "in":
                if got not in value:
                    return False
            elif (
                isinstance(got, bool)
                or not isinstance(got, int | float)
                or not {
                    "lte": got <= value,
                    "gte": got >= value,
                    "lt": got < value,
                    "gt": got > value,
                }[test]
            ):
                return False
        return True


@dataclass(frozen=True)
class Trigger:
    type: str
    events: tuple[EventMatch, ...] = ()
    days: float = 0.0
    date: str = ""
    label: str = ""
    factor: float = 0.0
    floor_days: float = 0.0

    @property
    def event_kinds(self) -> frozenset[str]:
        """The event kinds that may enrol (empty for the daily triggers)."""
        if self.type == "renewal_coming":
            return frozenset({RENEWAL_EVENT})
        return frozenset(match.kind for match in self.events)

    @property
    def daily(self) -> bool:
        """Fired by the daily job (special dates, inactivity), not by an event."""
        return self.type in ("special_date", "inactive")

    def fires_on(self, kind: str, data: Mapping[str, Any]) -> bool:
        if self.type == "renewal_coming":
            return kind == RENEWAL_EVENT
        return any(match.matches(kind, data) for match in self.events)

    def start_at(self, event_at: datetime, data: Mapping[str, Any], now: datetime) -> datetime:
        """When the first step is due for an event at ``event_at``: at once, N days after it
        (``after_event``), N days before the renewal (``renewal_coming``; the event's moment
        is the renewal's); never before ``now``."""
        if self.type == "after_event":
            return max(now, event_at + timedelta(days=self.days))
        if self.type == "renewal_coming":
            return max(now, event_at - timedelta(days=self.days))
        return now


@dataclass(frozen=True)
class Reentry:
    """``once`` ever, ``every`` time the trigger fires, or ``once_per_days``."""

    policy: str
    days: int = 0

    def occurrence(self, natural: str, moment: datetime) -> str:
        """The enrolment's occurrence key: ``once``; the trigger's own (the event, the
        birthday's year) for ``every``; the N-day window for ``once_per_days`` (the
        app also refuses a second enrolment within N days of the last)."""
        if self.policy == "once":
            return "once"
        if self.policy == "every":
            return natural
        day = (moment.date() - date(1970, 1, 1)).days
        return f"window:{day // self.days}"


@dataclass(frozen=True)
class Step:
    kind: str
    params: Mapping[str, Any]

    @property
    def spec(self) -> StepKind:
        return step_kind(self.kind)

    @property
    def is_promotion(self) -> bool:
        return self.spec.is_promotion(self.params)


@dataclass(frozen=True)
class PlaybookDefinition:
    name: str
    slug: str
    description: str
    enabled: bool
    priority: int
    trigger: Trigger
    condition: Condition | None
    facts: Mapping[str, Fact]  # the declarations of the facts the conditions read
    steps: tuple[Step, ...]
    reentry: Reentry
    include_imported: bool
    max_event_age_days: float
    no_promotion_days: int
    raw: Mapping[str, Any]  # the definition as stored (normalised JSON)

    def event_refusal(
        self, *, via: str, at: datetime, now: datetime, data: Mapping[str, Any]
    ) -> str | None:
        """Why an event must not enrol (None: it may): it came by an import, re-dates the past
        (a replay's correction) or is older than ``max_event_age_days``, unless
        ``include_imported``. A renewal's moment is in the future: never too old."""
        if self.include_imported:
            return None
        if via == "import":
            return "came by an import"
        if data.get("correction") is True:
            return "a correction of the past"
        if self.trigger.type != "renewal_coming" and at < now - timedelta(
            days=self.max_event_age_days
        ):
            return f"older than {self.max_event_age_days:g} days"
        return None


def definition_parse(
    data: Any, *, executable: Collection[str] | None = None, facts: Mapping[str, Fact] | None = None
) -> PlaybookDefinition:
    """Check a playbook definition (parsed JSON) and compile it, or raise
    :class:`PlaybookError` with every problem found, each naming its field.

    ``executable``: the step kinds something can run now; given (when a playbook is enabled),
    a step of another kind is refused ("email steps need the mail app"). ``facts``: the facts
    conditions may read (by default the rules' facts).
    """
    try:
        normalised = json.loads(json.dumps(data, allow_nan=False))
    except (TypeError, ValueError, RecursionError) as exc:
        raise PlaybookError([Problem("", f"must be plain JSON data ({exc})")]) from None
    if not isinstance(normalised, dict):
        raise PlaybookError([Problem("", "must be an object with a trigger and steps")])
    p = _Parser()
    for key in normalised:
        if key not in _TOP:
            p.add(str(key), f'unknown key "{key}"{did_you_mean(key, _TOP)}')
    if normalised.get("grammar", GRAMMAR) != GRAMMAR:
        p.add("grammar", f"unknown grammar version {_shown(normalised['grammar'])}: use 1")
    name = p.text(normalised, "name", required=True, limit=200)
    slug = p.text(normalised, "slug", required=True, limit=60)
    if slug and not _SLUG.fullmatch(slug):
        p.add("slug", "must be lower-case letters, digits and - (starting with a letter or digit)")
    description = p.text(normalised, "description", required=False, limit=2000) or ""
    enabled = p.flag(normalised, "enabled", False)
    priority = p.number(normalised, "priority", 100, 0, 1000, whole=True)
    trigger = _trigger(normalised.get("trigger"), p)
    condition: Condition | None = None
    used: dict[str, Fact] = {}
    if normalised.get("conditions") is not None:
        try:
            condition, used = condition_compile(
                normalised["conditions"],
                path="conditions",
                facts=rule_facts() if facts is None else facts,
            )
        except DefinitionError as refused:
            p.problems.extend(refused.problems)
    steps = _steps(normalised.get("steps"), p, executable)
    # A special day comes back every year: by default once per occurrence (the year).
    default = "every" if trigger is not None and trigger.type == "special_date" else "once"
    reentry = _reentry(normalised.get("reentry", default), p)
    include_imported = p.flag(normalised, "include_imported", False)
    max_age = p.number(normalised, "max_event_age_days", 2, 0, 3650)
    no_promotion = p.number(normalised, "no_promotion_days", 0, 0, 365, whole=True)
    if p.problems or trigger is None or reentry is None:
        raise PlaybookError(p.problems or [Problem("", "refused")])
    return PlaybookDefinition(
        name=name or "", slug=slug or "", description=description, enabled=enabled,
        priority=int(priority), trigger=trigger, condition=condition, facts=used,
        steps=tuple(steps), reentry=reentry, include_imported=include_imported,
        max_event_age_days=max_age, no_promotion_days=int(no_promotion), raw=normalised,
    )  # fmt: skip


class _Parser:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def text(
        self, raw: Mapping[str, Any], key: str, *, required: bool, limit: int, path: str = ""
    ) -> str | None:
        where = f"{path}.{key}" if path else key
        if key not in raw:
            if required:
                self.add(where, "missing")
            return None
        value = raw[key]
        if not isinstance(value, str) or (required and not value.strip()):
            self.add(where, f"must be non-empty text, got {_shown(value)}")
            return None
        if len(value) > limit or "\x00" in value:
            self.add(where, f"must be at most {limit} characters, without NUL")
            return None
        return value.strip()

    def flag(self, raw: Mapping[str, Any], key: str, default: bool) -> bool:
        value = raw.get(key, default)
        if not isinstance(value, bool):
            self.add(key, f"must be true or false, got {_shown(value)}")
            return default
        return value

    def number(
        self, raw: Mapping[str, Any], key: str, default: float, low: float, high: float,
        *, whole: bool = False, path: str = "",
    ) -> float:  # fmt: skip
        where = f"{path}.{key}" if path else key
        value = raw.get(key, default)
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.add(where, f"must be a number, got {_shown(value)}")
            return default
        if whole and value != int(value):
            self.add(where, f"must be a whole number, got {value}")
            return default
        if not low <= value <= high:
            self.add(where, f"must be from {low:g} to {high:g}, got {value:g}")
            return default
        return float(value)


def _trigger(raw: Any, p: _Parser) -> Trigger | None:
    if not isinstance(raw, dict):
        p.add("trigger", 'missing: an object with a "type", one of ' + ", ".join(TRIGGER_TYPES))
        return None
    kind = raw.get("type")
    if kind not in TRIGGER_TYPES:
        p.add(
            "trigger.type",
            f"unknown trigger {_shown(kind)}{did_you_mean(kind, TRIGGER_TYPES)}: one of "
            + ", ".join(TRIGGER_TYPES),
        )
        return None
    allowed = {
        "event": ("type", "kind", "match", "events"),
        "after_event": ("type", "kind", "match", "events", "days"),
        "special_date": ("type", "date", "label"),
        "renewal_coming": ("type", "days"),
        "inactive": ("type", "factor", "floor_days"),
    }[kind]
    for key in raw:
        if key not in allowed:
            p.add(f"trigger.{key}", f'unknown key "{key}" for a {kind} trigger')
    before = len(p.problems)
    if kind in ("event", "after_event"):
        events = _events(raw, p)
        days = p.number(raw, "days", 1, 0, 3650, path="trigger") if kind == "after_event" else 0
        if kind == "after_event" and "days" not in raw:
            p.add("trigger.days", "missing: how many days after the event")
        return None if len(p.problems) > before else Trigger(kind, events, days=days)
    if kind == "special_date":
        which = raw.get("date")
        if which not in SPECIAL_DATES:
            p.add("trigger.date", f"must be one of {', '.join(SPECIAL_DATES)}, got {_shown(which)}")
        label = p.text(raw, "label", required=which == "special_date", limit=80, path="trigger")
        if which != "special_date" and "label" in raw:
            p.add("trigger.label", 'only a "special_date" trigger names a label')
        if len(p.problems) > before:
            return None
        return Trigger(kind, date=str(which), label=label or "")
    if kind == "renewal_coming":
        if "days" not in raw:
            p.add("trigger.days", "missing: how many days before the renewal (1 to 30)")
        days = p.number(raw, "days", 14, 1, 30, path="trigger")
        return None if len(p.problems) > before else Trigger(kind, days=days)
    factor = p.number(raw, "factor", 2, 1, 100, path="trigger")
    floor = p.number(raw, "floor_days", 30, 1, 3650, path="trigger")
    return None if len(p.problems) > before else Trigger(kind, factor=factor, floor_days=floor)


def _events(raw: Mapping[str, Any], p: _Parser) -> tuple[EventMatch, ...]:
    if "events" in raw:
        if "kind" in raw or "match" in raw:
            p.add("trigger.events", 'give either "kind" (and "match") or "events", not both')
            return ()
        items = raw["events"]
        if not isinstance(items, list) or not items or len(items) > 20:
            p.add("trigger.events", "must be a list of 1 to 20 {kind, match}")
            return ()
        return tuple(
            match
            for i, item in enumerate(items)
            if (match := _event(item, f"trigger.events[{i}]", p)) is not None
        )
    one = _event({k: v for k, v in raw.items() if k in ("kind", "match")}, "trigger", p)
    return () if one is None else (one,)


def _event(raw: Any, path: str, p: _Parser) -> EventMatch | None:
    if not isinstance(raw, dict):
        p.add(path, "must be an object {kind, match}")
        return None
    for key in raw:
        if key not in ("kind", "match"):
            p.add(f"{path}.{key}", f'unknown key "{key}"')
    kind = raw.get("kind")
    if not isinstance(kind, str) or not _KIND.fullmatch(kind) or len(kind) > 60:
        p.add(f"{path}.kind", f'must be an event kind such as "order.placed", got {_shown(kind)}')
        return None
    match = raw.get("match", {})
    if not isinstance(match, dict) or len(match) > 20:
        p.add(f"{path}.match", "must be an object of up to 20 {field: value}")
        return None
    tests: list[tuple[str, str, Any]] = []
    for key, value in match.items():
        where = f"{path}.match.{key}"
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,59}", key):
            p.add(where, "a field name is lower-case letters, digits and _")
        elif (
            isinstance(value, str | bool | int)
            or value is None
            or (isinstance(value, float) and math.isfinite(value))
        ):
            tests.append((key, "eq", value))
        elif isinstance(value, dict) and len(value) == 1 and next(iter(value)) in _TESTS:
            test, operand = next(iter(value.items()))
            if test == "in":
                if not isinstance(operand, list) or not operand or len(operand) > 100:
                    p.add(f"{where}.in", "must be a list of 1 to 100 values")
                elif any(isinstance(item, dict | list) for item in operand):
                    p.add(f"{where}.in", "must list plain values (text, numbers)")
                else:
                    tests.append((key, "in", tuple(operand)))
            elif isinstance(operand, bool) or not isinstance(operand, int | float):
                p.add(f"{where}.{test}", f"must be a number, got {_shown(operand)}")
            else:
                tests.append((key, test, operand))
        else:
            p.add(where, 'must be a value or one of {"lte": n}, {"gte": n}, {"lt": n}, '
                  '{"gt": n}, {"in": [...]}')  # fmt: skip
    return EventMatch(kind, tuple(tests))


def _steps(raw: Any, p: _Parser, executable: Collection[str] | None) -> list[Step]:
    if not isinstance(raw, list) or not raw or len(raw) > MAX_STEPS:
        p.add("steps", f'must be a list of 1 to {MAX_STEPS} steps, each {{"kind": ...}}')
        return []
    names = [kind.name for kind in step_kinds()]
    steps: list[Step] = []
    for i, item in enumerate(raw):
        path = f"steps[{i}]"
        if not isinstance(item, dict):
            p.add(path, 'must be an object {"kind": ..., parameters}')
            continue
        name = item.get("kind")
        if not isinstance(name, str) or name not in names:
            p.add(f"{path}.kind", f"unknown step kind {_shown(name)}{did_you_mean(name, names)}: "
                  "one of " + ", ".join(names))  # fmt: skip
            continue
        spec = step_kind(name)
        params: dict[str, Any] = {}
        for key, value in item.items():
            if key == "kind":
                continue
            if key not in spec.params:
                p.add(f"{path}.{key}", f'unknown parameter "{key}" of a {name} step'
                      f"{did_you_mean(key, spec.params)}")  # fmt: skip
                continue
            checked, reason = param_check(key, spec.params[key], value)
            if reason is not None:
                p.add(f"{path}.{key}", reason)
            else:
                params[key] = checked
        for key, param in spec.params.items():
            if key not in item and param.required:
                p.add(f"{path}.{key}", f"missing ({param.help or param.type})")
            elif key not in item and param.default is not None:
                params[key] = param.default
        if spec.check is not None:
            for key, reason in spec.check(params, i, len(raw)):
                p.add(f"{path}.{key}", reason)
        if executable is not None and name not in executable:
            who = spec.needs or "an app that runs them"
            p.add(f"{path}.kind", f"{name} steps need {who} (nothing runs them here yet)")
        steps.append(Step(name, params))
    return steps


def _reentry(raw: Any, p: _Parser) -> Reentry | None:
    if raw in REENTRY:
        return Reentry(str(raw))
    if isinstance(raw, dict) and set(raw) == {"once_per_days"}:
        days = p.number(raw, "once_per_days", 30, 1, 3650, whole=True, path="reentry")
        return Reentry("once_per_days", int(days))
    p.add("reentry", f'must be "once", "every" or {{"once_per_days": N}}, got {_shown(raw)}')
    return None


# --- the daily triggers' arithmetic ------------------------------------------------------------


def celebrated_days(local: date) -> list[tuple[int, int]]:
    """The (month, day) of the dates celebrated on ``local``: its own, and 29 February on
    28 February of a year without one."""
    days = [(local.month, local.day)]
    if (local.month, local.day) == (2, 28):
        try:
            date(local.year, 2, 29)
        except ValueError:
            days.append((2, 29))
    return days


def inactive_after_days(typical_gap_days: float, factor: float, floor_days: float) -> float:
    """Days of silence after which a customer is inactive: ``factor`` x their own typical gap,
    at least ``floor_days`` (the floor alone without a gap)."""
    if not math.isfinite(typical_gap_days):
        return floor_days
    return max(floor_days, factor * typical_gap_days)


def conditions_hold(
    definition: PlaybookDefinition, columns: Mapping[str, Any], n: int
) -> npt.NDArray[np.bool_]:
    """Whether the playbook's conditions hold for each of ``n`` customers, given the facts it
    reads as columns (one value per customer); all true without conditions."""
    if definition.condition is None:
        return np.ones(n, dtype=bool)
    checked = {
        name: fact_column(name, columns[name], n, spec) for name, spec in definition.facts.items()
    }
    return condition_holds(definition.condition, checked)
