"""The events of a restore from the trash: the record is back, with its id (its creation and
deletion events stay as they were; a restore is a change of its own). An order's, a
subscription's and an interaction's are dated when they were placed, started or happened and
name their customer, so the lifecycle replays that customer from then, as it did for the
deletion. A contact has no events of its own (none for its creation or deletion either), so
none for its restore."""

from __future__ import annotations

from tenure.events.kinds import EventKind, event_kinds_register

CUSTOMER_RESTORED = EventKind("customer.restored", "A deleted customer came back from the trash.")
ACCOUNT_RESTORED = EventKind("account.restored", "A deleted account came back from the trash.")
ORDER_RESTORED = EventKind(
    "order.restored", "A deleted order came back from the trash.", dated=True
)
INTERACTION_RESTORED = EventKind(
    "interaction.restored", "A deleted interaction came back from the trash.", dated=True
)
SUBSCRIPTION_RESTORED = EventKind(
    "subscription.restored", "A deleted subscription came back from the trash.", dated=True
)

event_kinds_register(
    CUSTOMER_RESTORED, ACCOUNT_RESTORED, ORDER_RESTORED, SUBSCRIPTION_RESTORED, INTERACTION_RESTORED
)
