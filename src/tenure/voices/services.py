"""Writes of voices (comments, reviews, feedback-form entries) and feedback forms.

A voice is recorded by an import, the API or a public feedback form, upserted on (source name,
external id): the same entry sent again changes nothing. It attaches to a customer by the id
given or, failing that, by the author's email among the customers ``by`` may change (the
operator and a public form: every customer); without one it stays unmatched, which only a role
that changes every record may leave it (a success manager's voices are their book's). What it
says is never edited: only its customer, account and language change. Admins and managers
make feedback forms. Events (``voice.*``) follow every save (``tenure.voices.events``), history
by auditlog.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone

from tenure.access import require_all, sees_all, visible
from tenure.access.records import (
    TAKEN,
    record_for_change,
    record_save,
    reject_unknown_fields,
    require_change,
)
from tenure.customers.models import Account, Customer
from tenure.domain.access import Action
from tenure.domain.limits import moment_problem, text_problem
from tenure.users.models import User
from tenure.voices.models import RATING_SCALE_MAX, FeedbackForm, SourceKind, Voice

CLOCK_SKEW = timedelta(minutes=5)
TEXT_MAX = 20_000
VOICE_FIELDS = frozenset({
    "source_kind", "source_name", "external_id", "url", "author", "author_email",
    "customer_id", "account_id", "rating", "rating_scale", "text", "language", "published_at",
})  # fmt: skip
VOICE_CHANGES = frozenset({"customer_id", "account_id", "language"})
# What an upsert compares to tell "updated" from "unchanged" (and may change).
_UPSERTED = (
    "source_kind", "url", "author", "author_email", "customer_id", "account_id", "rating",
    "rating_scale", "text", "language", "published_at",
)  # fmt: skip
_WIDTHS = {"source_name": 100, "external_id": 200, "author": 200, "language": 10, "url": 500}
FORMS_WHY = "only admins and managers make feedback forms: a form speaks for the business"
UNMATCHED_WHY = "a voice you record must be about a customer of your book (give customer_id)"


@dataclass(frozen=True)
class Recorded:
    voice: Voice
    status: str  # created, updated or unchanged


def _text(errors: dict[str, list[str]], data: Mapping[str, Any], name: str) -> str:
    value = data.get(name)
    value = "" if value is None else str(value).strip()
    problem = text_problem(value, max_length=_WIDTHS.get(name, TEXT_MAX))
    if problem:
        errors[name] = [problem]
    return value


def url_problem(url: str) -> str | None:
    """Why ``url`` may not be kept (only http and https: never a ``javascript:`` link)."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return "an http:// or https:// address"
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return "an address without spaces or control characters"
    return None


def _rating(errors: dict[str, list[str]], rating: Any, scale: Any) -> tuple[int | None, int | None]:
    if rating in (None, "") and scale in (None, ""):
        return None, None
    for name, value in (("rating", rating), ("rating_scale", scale)):
        if isinstance(value, bool) or not isinstance(value, int):
            errors[name] = ["a whole number, given with the other (e.g. rating 4, rating_scale 5)"]
    if errors.keys() & {"rating", "rating_scale"}:
        return None, None
    if not 1 <= scale <= RATING_SCALE_MAX:
        errors["rating_scale"] = [f"the scale's highest rating, 1 to {RATING_SCALE_MAX}"]
    elif not 0 <= rating <= scale:
        errors["rating"] = [f"0 to the scale's highest, {scale}"]
    return rating, scale


def _moment(errors: dict[str, list[str]], value: Any, now: datetime) -> datetime | None:
    if not isinstance(value, datetime):
        errors["published_at"] = ["a date and time is needed"]
    elif timezone.is_naive(value):
        errors["published_at"] = ["the time needs a time zone"]
    elif problem := moment_problem(value):
        errors["published_at"] = [problem]
    elif value > now + CLOCK_SKEW:
        errors["published_at"] = ["that is in the future"]
    else:
        return value
    return None


def customer_by_email(by: User | None, email: str) -> Customer | None:
    """The customer ``by`` may change whose email this is (lower case, through the
    ``customer_email_lower`` index); None when none or several are."""
    if not email:
        return None
    candidates = Customer.objects.all() if by is None else visible(by, Customer, Action.CHANGE)
    found = list(candidates.alias(low=Lower("email")).filter(low=email.lower())[:2])
    return found[0] if len(found) == 1 else None


def _links(
    by: User | None, errors: dict[str, list[str]], customer_id: Any, account_id: Any
) -> tuple[Customer | None, int | None]:
    customer = None
    if customer_id is not None:
        changeable = Customer.objects.all() if by is None else visible(by, Customer, Action.CHANGE)
        customer = changeable.filter(pk=customer_id).first()
        if customer is None:
            errors["customer_id"] = [f"no customer with id {customer_id}"]
    if account_id is not None:
        accounts = Account.objects.all() if by is None else visible(by, Account, Action.CHANGE)
        if not accounts.filter(pk=account_id).exists():
            errors["account_id"] = [f"no account with id {account_id}"]
    elif customer is not None:
        account_id = customer.account_id
    return customer, account_id


def _cleaned(by: User | None, data: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """The voice's fields checked, every problem on its field (``ValidationError``)."""
    reject_unknown_fields(data, VOICE_FIELDS)
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {
        name: _text(errors, data, name)
        for name in ("source_name", "external_id", "url", "author", "text", "language")
    }
    kind = data.get("source_kind") or ""
    if kind not in SourceKind.values:
        errors["source_kind"] = [f"choose one of: {', '.join(SourceKind.values)}"]
    if not values["source_name"] and "source_name" not in errors:
        errors["source_name"] = ["required: where it was said (e.g. Trustpilot)"]
    if not values["text"] and "text" not in errors:
        errors["text"] = ["required: what was said"]
    if "url" not in errors and (problem := url_problem(values["url"])):
        errors["url"] = [problem]
    email = _text(errors, {"author_email": data.get("author_email")}, "author_email").lower()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["author_email"] = ["an email address (name@example.com)"]
    rating, scale = _rating(errors, data.get("rating"), data.get("rating_scale"))
    published = _moment(errors, data.get("published_at"), now)
    customer, account_id = _links(by, errors, data.get("customer_id"), data.get("account_id"))
    if customer is None and "customer_id" not in errors and email:
        customer = customer_by_email(by, email)
        account_id = customer.account_id if customer and account_id is None else account_id
    if customer is None and by is not None and not sees_all(by, Action.CHANGE):
        errors.setdefault("customer_id", [UNMATCHED_WHY])
    if errors:
        raise ValidationError(errors)
    return {
        **values, "source_kind": kind, "author_email": email, "rating": rating,
        "rating_scale": scale, "published_at": published,
        "customer_id": customer.pk if customer else None, "account_id": account_id,
    }  # fmt: skip


@transaction.atomic
def voice_record(
    *,
    by: User | None,
    data: Mapping[str, Any],
    now: datetime | None = None,
    form: FeedbackForm | None = None,
) -> Recorded:
    """Record one voice, or bring the stored one with its (source name, external id) up to
    date; ``by=None`` is the operator (an import from the command line). Raises
    ``AccessDenied`` for a role that changes nothing, ``ValidationError`` by field: an external
    id held by a voice ``by`` may not change is ``TAKEN``, whoever holds it."""
    require_change(by)
    values = _cleaned(by, data, now or timezone.now())
    voice = None
    if values["external_id"]:
        same = Voice.objects.select_for_update().filter(
            source_name=values["source_name"], external_id=values["external_id"]
        )
        voice = same.first()
        changeable = Voice.objects.all() if by is None else visible(by, Voice, Action.CHANGE)
        if voice is not None and not changeable.filter(pk=voice.pk).exists():
            raise ValidationError({"external_id": [TAKEN]})
    if voice is None:
        voice = Voice(**values, form=form)
        record_save(voice)
        return Recorded(voice, "created")
    if all(getattr(voice, name) == values[name] for name in _UPSERTED):
        return Recorded(voice, "unchanged")
    for name in _UPSERTED:
        setattr(voice, name, values[name])
    record_save(voice)
    return Recorded(voice, "updated")


@transaction.atomic
def voice_update(*, by: User | None, voice_id: int, changes: Mapping[str, Any]) -> Voice:
    """Match a voice to a customer (or an account), or correct its language; what it says is
    not edited. Leaving it unmatched (``customer_id: None``) is for roles over every record."""
    reject_unknown_fields(changes, VOICE_CHANGES)
    voice = record_for_change(by, Voice, voice_id)
    errors: dict[str, list[str]] = {}
    customer_id = changes.get("customer_id", voice.customer_id)
    account_id = changes.get(
        "account_id", voice.account_id if "customer_id" not in changes else None
    )
    customer, account_id = _links(by, errors, customer_id, account_id)
    leaves_unmatched = customer is None and "customer_id" not in errors
    if leaves_unmatched and by is not None and not sees_all(by, Action.CHANGE):
        errors["customer_id"] = ["only admins and managers leave a voice unmatched"]
    if "language" in changes:
        language = _text(errors, changes, "language")
        voice.language = language
    if errors:
        raise ValidationError(errors)
    voice.customer_id = customer.pk if customer else None
    voice.account_id = account_id
    record_save(voice)
    return voice


@transaction.atomic
def voice_delete(*, by: User | None, voice_id: int) -> None:
    record_for_change(by, Voice, voice_id).delete()


# --- feedback forms ----------------------------------------------------------------------------

FORM_FIELDS = frozenset({
    "slug", "title", "intro", "question", "rating_question", "rating_scale", "ask_email",
    "active",
})  # fmt: skip


@transaction.atomic
def feedback_form_save(
    *, by: User | None, changes: Mapping[str, Any], form_id: int | None = None
) -> FeedbackForm:
    """Make a feedback form (``form_id=None``) or change one; admins and managers only."""
    if by is not None:
        require_all(by, Action.CHANGE, why=FORMS_WHY)
    reject_unknown_fields(changes, FORM_FIELDS)
    form = (
        FeedbackForm(created_by=by)
        if form_id is None
        else record_for_change(by, FeedbackForm, form_id)
    )
    errors: dict[str, list[str]] = {}
    for name in ("slug", "title", "intro", "question", "rating_question"):
        if name in changes:
            value = str(changes[name] or "").strip()
            if problem := text_problem(value, max_length=5000):
                errors[name] = [problem]
            setattr(form, name, value)
    if "slug" in changes and "slug" not in errors:
        try:
            validate_slug(form.slug)
        except ValidationError:
            errors["slug"] = ["letters, digits, - and _ only (it is the page's address)"]
    for name in ("ask_email", "active"):
        if name in changes:
            setattr(form, name, bool(changes[name]))
    if "rating_scale" in changes:
        scale = changes["rating_scale"]
        if isinstance(scale, bool) or not isinstance(scale, int) or not 2 <= scale <= 10:
            errors["rating_scale"] = ["the highest rating, 2 to 10"]
        else:
            form.rating_scale = scale
    if not form.question:
        form.question = "What would you like to tell us?"
    if errors:
        raise ValidationError(errors)
    record_save(form)
    return form


@transaction.atomic
def feedback_form_delete(*, by: User | None, form_id: int) -> None:
    """Take a form down (admins and managers): its page answers 404 from now on; the answers
    it collected stay, as voices under its title."""
    if by is not None:
        require_all(by, Action.CHANGE, why=FORMS_WHY)
    record_for_change(by, FeedbackForm, form_id).delete()


def form_answer_record(
    *,
    form: FeedbackForm,
    submission: str,
    text: str,
    rating: int | None,
    email: str,
    now: datetime,
) -> Recorded:
    """A visitor's answer on a public feedback form, as a voice of the kind ``feedback_form``:
    matched to a customer by the email, if one is given and a customer has it (the page tells
    no one whether it matched). ``submission`` is the page's one-time id: the same answer
    posted twice is one voice (the first)."""
    external_id = f"form-{form.pk}-{submission}"
    found = Voice.objects.filter(source_name=form.title, external_id=external_id).first()
    if found is not None:
        return Recorded(found, "unchanged")
    data = {
        "source_kind": SourceKind.FEEDBACK_FORM, "source_name": form.title,
        "external_id": external_id, "text": text, "author_email": email,
        "published_at": now,
        "rating": rating, "rating_scale": form.rating_scale if rating is not None else None,
    }  # fmt: skip
    return voice_record(by=None, data=data, now=now, form=form)


ERASED = "[erased]"


def _theirs(customer: Customer) -> Q:
    theirs = Q(customer=customer)
    if customer.email:
        theirs |= Q(author_email__iexact=customer.email)
    return theirs


def person_voices(*, customer: Customer) -> list[dict[str, Any]]:
    """A person's comments and reviews (matched to them, or written from their email), for
    their export (``tenure.privacy.person_export``)."""
    voices = Voice.objects.filter(_theirs(customer)).order_by("published_at", "id")
    return [
        {"id": v.pk, "source_kind": v.source_kind, "source_name": v.source_name,
         "external_id": v.external_id, "url": v.url, "author": v.author,
         "author_email": v.author_email, "rating": v.rating, "rating_scale": v.rating_scale,
         "text": v.text, "language": v.language, "published_at": v.published_at}
        for v in voices
    ]  # fmt: skip


def person_voices_erase(*, customer: Customer) -> tuple[dict[str, int], list[Voice]]:
    """Forget a person's words among the voices (``tenure.privacy.person_erase``): the text,
    author, email and link of every comment matched to them or written from their email. The
    source, rating and date stay: the business's aggregate record. Returns the count, and the
    records whose change history holds the old text. Call it before the customer's email is
    blanked."""
    voices = list(Voice.objects.filter(_theirs(customer)))
    Voice.objects.filter(pk__in=[v.pk for v in voices]).update(
        text=ERASED, author="", author_email="", url=""
    )
    return {"voices": len(voices)}, voices
