"""Reads of voices and feedback forms under the role policy: every role reads what it may
see (a success manager the voices of their book's customers; an unmatched voice is no one's
book, seen by admins, managers and analysts); forms are the business's, read by every role."""

from __future__ import annotations

from django.db.models import QuerySet

from tenure.access import visible
from tenure.users.models import User
from tenure.voices.filters import VoiceFilterSet
from tenure.voices.models import FeedbackForm, Voice


def voices_visible(*, user: User | None) -> QuerySet[Voice]:
    return Voice.objects.all() if user is None else visible(user, Voice)


def voice_list(*, filters: VoiceFilterSet) -> QuerySet[Voice]:
    """The voices chosen by the list's filters (newest first), with what a row shows."""
    return filters.filtered().select_related("customer", "account")


def voice_sources(*, user: User) -> list[str]:
    """The source names among the voices ``user`` sees, for the list's filter."""
    names = voices_visible(user=user).order_by("source_name").values_list("source_name", flat=True)
    return list(names.distinct()[:200])


def feedback_forms(*, user: User) -> QuerySet[FeedbackForm]:
    return FeedbackForm.objects.all()


def form_answers_count(form: FeedbackForm, *, user: User) -> int:
    return voices_visible(user=user).filter(form=form).count()
