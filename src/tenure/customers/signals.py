"""Events that other apps may react to, sent after the transaction that caused them commits.

The lower apps (customers, orders, interactions) send them; apps above them (the lifecycle
engine) connect receivers in their ``AppConfig.ready()``. The senders never import their
listeners, so the layering holds (``pyproject.toml``'s import-linter contract).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from django.db import transaction
from django.dispatch import Signal

logger = logging.getLogger(__name__)

customers_changed = Signal()
"""Something a customer's lifecycle depends on changed: sent with ``customer_ids`` (a sorted
list of ints), ``cause`` (``"customer"``, ``"order"``, ``"subscription"``, ``"interaction"``,
``"import"``, ``"feedback"``) and ``since`` (``{customer id: datetime}``, possibly empty), after
the commit.

``since`` dates the change: the earliest moment from which a customer's history is not what
it was (a back-dated order's ``placed_at``, a refunded order's ``placed_at``, a subscription's
``started_at``). A customer missing from it changed as of now (a new interaction, an edited
email). The lifecycle engine re-evaluates a customer from their stage as of ``since``, so
that the stage never depends on the order in which their history arrived."""


def send_after_commit(signal: Signal, sender: Any, **kwargs: Any) -> None:
    """Send ``signal`` once the current transaction commits (at once outside a transaction).

    A receiver that fails is logged, not raised: the write it reacts to is committed already,
    and the nightly recompute repairs whatever the receiver missed.
    """

    def send() -> None:
        for receiver, outcome in signal.send_robust(sender, **kwargs):
            if isinstance(outcome, Exception):
                logger.error("receiver %r of %s failed", receiver, sender, exc_info=outcome)

    transaction.on_commit(send)


def customers_changed_after_commit(
    customer_ids: Iterable[int | None],
    cause: str,
    *,
    since: Mapping[int, datetime] | datetime | None = None,
) -> None:
    """Announce, after the commit, that these customers' lifecycle facts changed.

    ``since``: when the change took effect in the customer's history, for all of them (a
    datetime) or per customer (a mapping; the earliest if one customer appears twice in a
    batch is the caller's to pick); None when it takes effect now.
    """
    ids = sorted({int(i) for i in customer_ids if i is not None})
    if not ids:
        return
    if since is None:
        dated: dict[int, datetime] = {}
    elif isinstance(since, datetime):
        dated = dict.fromkeys(ids, since)
    else:
        dated = {int(i): at for i, at in since.items() if at is not None}
    send_after_commit(customers_changed, "tenure", customer_ids=ids, cause=cause, since=dated)
