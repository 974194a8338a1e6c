"""Events of the interactions app, sent after the commit (see ``tenure.customers.signals``)."""

from __future__ import annotations

from django.dispatch import Signal

complaint_logged = Signal()
"""A complaint was logged: sent after the commit with ``interaction_id`` and ``customer_id``
(None for a complaint about an account only)."""
