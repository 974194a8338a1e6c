"""The events of a restore from the trash: the record is back, with its id (its creation and
deletion events stay as they were; a restore is a change of its own)."""

from __future__ import annotations

from tenure.events.kinds import EventKind, event_kinds_register

CUSTOMER_RESTORED = EventKind("customer.restored", "A deleted customer came back from the trash.")
ACCOUNT_RESTORED = EventKind("account.restored", "A deleted account came back from the trash.")

event_kinds_register(CUSTOMER_RESTORED, ACCOUNT_RESTORED)
