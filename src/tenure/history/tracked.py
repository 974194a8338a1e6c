"""Which records keep a change history (who, when, which fields, before -> after).

django-auditlog writes one entry per create, update and delete made through the ORM's save and
delete. Bulk writes (CSV imports of thousands of rows) bypass save(): they write their history
set-wise (``tenure.history.bulk``), their creations once per run of ids.
"""

from __future__ import annotations

from typing import Any

# Cached figures that follow from orders are not changes anyone made.
_DERIVED = ["updated_at", "first_order_at", "last_order_at", "orders_count", "revenue"]

TRACKED: dict[str, dict[str, Any]] = {
    "customers.Account": {"exclude_fields": ["updated_at"], "m2m_fields": {"team"}},
    "customers.Contact": {},
    "customers.Customer": {"exclude_fields": _DERIVED, "m2m_fields": {"team"}},
    "customers.Subscription": {},
    "customers.SpecialDate": {},
    "customers.Consent": {},
    "orders.Order": {},
    "interactions.Interaction": {"exclude_fields": ["created_at"]},
    "feedback.SurveyResponse": {"exclude_fields": ["created_at"]},
    "feedback.Referral": {"exclude_fields": ["created_at"]},
    "users.User": {"exclude_fields": ["password", "last_login"]},
    # Stages and transitions are derived by the engine and are a history themselves.
    "todos.Task": {"exclude_fields": ["created_at"]},
    "todos.TaskComment": {"exclude_fields": ["created_at"]},
    "lifecycle.LifecycleDefinition": {},
    "playbooks.Playbook": {"exclude_fields": ["created_at", "updated_at"]},
    "workspace.SavedView": {"exclude_fields": ["created_at", "updated_at"]},
    # A form speaks for the business: who changed its words, and when.
    "voices.FeedbackForm": {"exclude_fields": ["created_at"]},
}
