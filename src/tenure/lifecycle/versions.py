"""Reads: which version of the data the figures of the analytics pages are of.

Every change of what those figures read writes a domain event in its own transaction (orders,
subscriptions, customers, answers, stage moves: ``tenure.events``, on every path), and the
predictions change with a fit; so the newest event, the newest fit and the newest recompute
name the data. Figures computed for one version are those of any request until it moves, which
lets a page keep its figures instead of reading a million orders again on every visit.
"""

from __future__ import annotations

from tenure.events.models import Event
from tenure.insights.models import ModelFit
from tenure.lifecycle.models import RecomputeRun


def figures_version() -> str:
    """The newest event, fit (with its status) and recompute (with its status), each with when
    it was written: three reads of the newest row by primary key."""
    event = Event.objects.order_by("-id").values_list("id", "recorded_at").first()
    fit = ModelFit.objects.order_by("-id").values_list("id", "status", "created_at").first()
    run = RecomputeRun.objects.order_by("-id").values_list("id", "status", "created_at").first()
    return "|".join(str(row) for row in (event, fit, run))
