"""Where enrolments come from: the platform's events, and the days themselves.

``playbooks.triggers`` is a consumer of the events (``tenure.events.consumers``): each batch
is matched against the enabled playbooks with an event trigger (``event``, ``after_event``,
``renewal_coming``) and the customers enrolled in the consumer's transaction, so a batch is
enrolled once, and an event delivered again enrols nobody twice (the occurrence's unique key).
An event that came by an import, re-dates the past or is older than the playbook's
``max_event_age_days`` enrols nobody unless the playbook says ``include_imported``: loading a
history never sends it welcome emails.

``daily_triggers`` (a step of the nightly chain) enrols those whose special day it is in their
own time zone (the year is the occurrence: a restart on that day enrols nobody twice) and
those whose silence just passed their own rhythm.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_
from typing import Any

from django.conf import settings
from django.db.models import Case, F, FloatField, Q, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from tenure.customers.models import Customer, SpecialDate
from tenure.domain.playbooks import PlaybookDefinition, PlaybookError, celebrated_days
from tenure.events.consumers import Consumer
from tenure.events.models import Event
from tenure.facts.clock import EpochSeconds
from tenure.playbooks.enrol import Candidate, enrol
from tenure.playbooks.models import Playbook
from tenure.playbooks.services import definition_of


def enabled_playbooks(*, daily: bool) -> list[tuple[Playbook, PlaybookDefinition]]:
    """The enabled playbooks whose trigger is daily (or by an event), parsed."""
    found = []
    for playbook in Playbook.objects.filter(enabled=True).order_by("-priority", "id"):
        try:
            definition = definition_of(playbook)
        except PlaybookError:
            continue  # stored before a fact it reads was unregistered: the page says so
        if definition.trigger.daily == daily:
            found.append((playbook, definition))
    return found


def _natural(definition: PlaybookDefinition, event: Event) -> str:
    if definition.trigger.type == "renewal_coming":
        return f"renewal:{event.subject_id}:{event.at.date().isoformat()}"
    return f"event:{event.pk}"


def triggers_follow(events: Sequence[Event]) -> None:
    playbooks = enabled_playbooks(daily=False)
    if not playbooks:
        return
    now = timezone.now()
    for playbook, definition in playbooks:
        trigger, candidates = definition.trigger, []
        for event in events:
            data = event.data if isinstance(event.data, dict) else {}
            if event.customer_id is None or not trigger.fires_on(event.kind, data):
                continue
            if definition.event_refusal(via=event.via, at=event.at, now=now, data=data):
                continue
            candidates.append(
                Candidate(
                    event.customer_id,
                    _natural(definition, event),
                    trigger.start_at(event.at, data, now),
                    event.pk,
                    event.subject_id,
                    event.subject,
                )
            )
        enrol(playbook, definition, candidates, now)


TRIGGERS = Consumer("playbooks.triggers", triggers_follow, batch=5000, from_now=True)
"""From now: a new install's (or an upgrade's) events already recorded enrol nobody."""


# --- the daily triggers ----------------------------------------------------------------------


def daily_triggers(*, now: datetime | None = None) -> dict[str, Any]:
    """Enrol the customers the day brings, in every enabled daily playbook; safe to run any
    number of times a day (each enrolment is claimed by its occurrence)."""
    now = now or timezone.now()
    enrolled: dict[str, int] = {}
    for playbook, definition in enabled_playbooks(daily=True):
        trigger = definition.trigger
        if trigger.type == "special_date":
            candidates = special_day_candidates(definition, now)
        else:
            candidates = inactive_candidates(definition, now)
        enrolled[playbook.slug] = enrol(playbook, definition, candidates, now)
    return {"enrolled": enrolled, "as_of": now.isoformat()}


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or settings.TIME_ZONE)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def local_days(now: datetime) -> dict[date, list[str]]:
    """The customers' time zones (as stored; "" is the business's) by today's date in each."""
    zones = Customer.objects.order_by().values_list("time_zone", flat=True).distinct()
    days: dict[date, list[str]] = defaultdict(list)
    for name in zones:
        days[now.astimezone(_zone(name)).date()].append(name)
    return days


def _on(field: str, local: date) -> Q:
    return reduce(
        or_, (Q(**{f"{field}__month": m, f"{field}__day": d}) for m, d in celebrated_days(local))
    )


def special_day_candidates(definition: PlaybookDefinition, now: datetime) -> list[Candidate]:
    """Whose special day it is today in their own time zone; the occurrence is the year."""
    trigger, found = definition.trigger, []
    for local, zones in local_days(now).items():
        natural = f"{trigger.date}:{local.year}"
        if trigger.date == "birthday":
            ids = Customer.objects.filter(Q(time_zone__in=zones) & _on("birthday", local))
            found += [Candidate(pk, natural, now) for pk in ids.values_list("pk", flat=True)]
        elif trigger.date == "special_date":
            dates = SpecialDate.objects.filter(
                (Q(recurs_yearly=True) & _on("date", local)) | Q(recurs_yearly=False, date=local),
                label=trigger.label, customer__time_zone__in=zones,
            )  # fmt: skip
            found += [
                Candidate(customer_id, natural, now, subject_id=pk, subject="special_date")
                for pk, customer_id in dates.values_list("pk", "customer_id")
            ]
        else:
            found += _anniversaries(local, zones, natural, now)
    return found


def _anniversaries(local: date, zones: list[str], natural: str, now: datetime) -> list[Candidate]:
    """First orders made on this day in an earlier year, read in the customer's time zone
    (the stored moment is UTC: the days either side are read, then checked exactly)."""
    near = [local - timedelta(days=1), local, local + timedelta(days=1)]
    window = reduce(or_, (_on("first_order_at", day) for day in near))
    rows = Customer.objects.filter(window, time_zone__in=zones).values_list(
        "pk", "time_zone", "first_order_at"
    )
    wanted = set(celebrated_days(local))
    found = []
    for pk, zone, first in rows:
        if first is None:
            continue
        day = first.astimezone(_zone(zone)).date()
        if (day.month, day.day) in wanted and day.year < local.year:
            found.append(Candidate(pk, natural, now))
    return found


def inactive_candidates(definition: PlaybookDefinition, now: datetime) -> list[Candidate]:
    """Whose silence passed ``max(floor_days, factor x their typical gap)`` within the last
    ``max_event_age_days`` (at least a day: the daily run's lookback), read set-wise from the
    customers' cached order columns: the gap is (last - first) / (orders - 1); with one order,
    the base's median gap (``stored_median_gap``). The occurrence is the silence (the moment
    of the last order): one enrolment per silence."""
    from tenure.lifecycle.facts import stored_median_gap

    trigger = definition.trigger
    now_s = int(now.timestamp())
    lookback_s = max(definition.max_event_age_days, 1.0) * 86_400.0
    median_days = stored_median_gap(now)
    last, first = EpochSeconds("last_order_at"), EpochSeconds("first_order_at")
    gap = Case(
        When(orders_count__gte=2, then=(last - first) * 1.0 / (F("orders_count") - 1)),
        default=Value(float(median_days or 0.0) * 86_400.0),
        output_field=FloatField(),
    )
    threshold = Greatest(Value(trigger.floor_days * 86_400.0), gap * trigger.factor)
    rows = (
        Customer.objects.filter(orders_count__gte=1)
        .annotate(last_s=last, crossing=last + threshold)
        .filter(crossing__lte=now_s, crossing__gt=now_s - lookback_s)
        .order_by()
        .values_list("pk", "last_s")
    )
    return [Candidate(pk, f"inactive:{last_s}", now) for pk, last_s in rows.iterator(5000)]
