"""Writes: the composer (an interaction, its mentions and its follow-up task in one
transaction), reading notifications, the daily digest, and putting customers aside on My day."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from tenure.access import get_visible_or_404
from tenure.access.records import require_change
from tenure.customers.models import Account, Customer
from tenure.domain.access import Action
from tenure.interactions.models import CaseStatus, Interaction, InteractionKind
from tenure.interactions.services import interaction_log, interaction_update
from tenure.notifications.following import day_words
from tenure.notifications.models import (
    AccountWorklistSnooze,
    DigestSent,
    Notification,
    NotificationKind,
    WorklistSnooze,
)
from tenure.todos.models import Task
from tenure.todos.services import task_create
from tenure.users.models import User

RESOLUTION = "resolution"  # the composer's kind that closes a complaint
MENTION = re.compile(r"(?<![\w.@])@([\w.+-]+)")


def mentioned_users(text: str) -> list[User]:
    """The active team members named ``@username`` in ``text`` (unknown names are plain text)."""
    names = {name.rstrip(".").lower() for name in MENTION.findall(text)}
    if not names:
        return []
    query = Q()
    for name in names:
        query |= Q(username__iexact=name)
    return list(User.objects.filter(query, is_active=True).order_by("username"))


@dataclass(frozen=True)
class FollowUp:
    owner: User
    due: date
    title: str = ""


@dataclass(frozen=True)
class Composed:
    interaction: Interaction
    mentioned: list[User]
    task: Task | None


def _url(name: str, pk: int) -> str:
    try:
        return reverse(name, args=[pk])
    except NoReverseMatch:
        return ""


@transaction.atomic
def interaction_compose(
    *,
    author: User,
    customer: Customer | None,
    kind: str,
    occurred_at: datetime,
    subject: str = "",
    body: str = "",
    status: str = "",
    complaint_id: int | None = None,
    follow_up: FollowUp | None = None,
    account: Account | None = None,
) -> Composed:
    """The composer: log a note, call, meeting, email or complaint (or resolve an open
    complaint with ``kind="resolution"``), notify the ``@mentioned``, and open a follow-up task
    for anyone on the team. One transaction: a refused follow-up logs nothing. About a
    ``customer``, or (``customer=None``) an ``account``.

    Raises ``AccessDenied`` for a role that may not change records (an analyst) and
    ``ValidationError`` per field.
    """
    require_change(author)
    if kind == RESOLUTION:
        interaction = _resolve(author, customer, account, complaint_id, body)
    else:
        interaction = interaction_log(
            author=author, customer=customer, account=account, kind=kind,
            occurred_at=occurred_at, subject=subject, body=body, status=status,
        )  # fmt: skip
    about: Customer | Account | None = customer or account
    page = (
        _url("web:customer", customer.pk) if customer
        else _url("web:account", account.pk) if account else ""
    )  # fmt: skip
    mentioned = [u for u in mentioned_users(f"{subject}\n{body}") if u.pk != author.pk]
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                recipient=user, kind=NotificationKind.MENTION,
                text=f"{author} mentioned you about {about}: {(subject or body)[:200]}",
                url=page, customer=customer,
                key=f"mention:{interaction.pk}:{user.pk}", created_at=now,
            )
            for user in mentioned
        ],
        ignore_conflicts=True,  # a resolution naming someone again: once per case and person
    )  # fmt: skip
    task = None
    if follow_up is not None:
        title = follow_up.title.strip() or f"Follow up: {subject or body}".strip()[:200]
        task = task_create(
            by=author, title=title, owner=follow_up.owner, due=follow_up.due,
            customer_id=customer.pk if customer else None,
            account_id=account.pk if customer is None and account else None,
            interaction_id=interaction.pk,
        )  # fmt: skip
    return Composed(interaction=interaction, mentioned=mentioned, task=task)


def _resolve(
    author: User,
    customer: Customer | None,
    account: Account | None,
    complaint_id: int | None,
    body: str,
) -> Interaction:
    if complaint_id is None:
        raise ValidationError({"complaint": ["choose the complaint this resolves"]})
    if not body.strip():
        raise ValidationError({"body": ["say how it was resolved"]})
    candidates = Interaction.objects.filter(
        pk=complaint_id, customer=customer, kind=InteractionKind.COMPLAINT
    )
    if customer is None:
        candidates = candidates.filter(account=account)
    complaint = candidates.first()
    if complaint is None or complaint.status == CaseStatus.RESOLVED:
        raise ValidationError({"complaint": ["no open complaint here with that id"]})
    return interaction_update(
        by=author,
        interaction_id=complaint.pk,
        changes={"status": CaseStatus.RESOLVED, "resolution": body.strip()},
    )


def notification_mark_read(*, user: User, notification_id: int | None = None) -> int:
    """Mark one of ``user``'s notifications read (None: all of them); how many changed.
    Anyone's own, an analyst's too: reading is not changing the business's records."""
    mine = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if notification_id is not None:
        mine = mine.filter(pk=notification_id)
    return mine.update(read_at=timezone.now())


@dataclass(frozen=True)
class DigestResult:
    sent: int
    skipped: int  # already sent today, or nothing unread


def digests_send(
    *, now: datetime | None = None, connection: BaseEmailBackend | None = None
) -> DigestResult:
    """Email each active team member with an address the list of their unread notifications,
    once per day: the day's ``DigestSent`` row is claimed in the transaction that sends it, so
    a second run (or a run delivered twice) finds it and sends nothing; a failed send rolls
    the claim back for the next run."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    sent = skipped = 0
    recipients = User.objects.filter(is_active=True).exclude(email="").order_by("pk")
    for user in recipients:
        unread = list(
            Notification.objects.filter(recipient=user, read_at__isnull=True).order_by(
                "-created_at", "-id"
            )[:50]
        )
        if not unread or DigestSent.objects.filter(recipient=user, day=day).exists():
            skipped += 1
            continue
        try:
            with transaction.atomic():
                DigestSent.objects.create(
                    recipient=user, day=day, notifications=len(unread), sent_at=now
                )
                _digest_message(user, unread, day, connection).send()
        except IntegrityError:  # another run claimed it first
            skipped += 1
            continue
        sent += 1
    return DigestResult(sent=sent, skipped=skipped)


def _digest_message(
    user: User, unread: list[Notification], day: date, connection: BaseEmailBackend | None
) -> EmailMessage:
    lines = [f"Good morning {user.first_name or user.username},", ""]
    lines.append(f"{len(unread)} unread notification{'s' if len(unread) != 1 else ''}:")
    for note in unread:
        link = f" {settings.BASE_URL}{note.url}" if note.url else ""
        lines.append(f"- {note.text}{link}")
    lines += ["", f"All of them: {settings.BASE_URL}{_url_list()}"]
    return EmailMessage(
        subject=f"tenure: {len(unread)} unread for {day_words(day)}",
        body="\n".join(lines),
        from_email=settings.MAIL_FROM,
        to=[user.email],
        connection=connection or get_connection(),
    )


def _url_list() -> str:
    try:
        return reverse("web:notifications")
    except NoReverseMatch:
        return "/"


def worklist_snooze(*, user: User, customer_id: int, until: date, today: date) -> WorklistSnooze:
    """Put a customer aside on ``user``'s My day until ``until`` (a day after ``today``)."""
    require_change(user)
    if until <= today:
        raise ValidationError({"until": ["choose a day after today"]})
    customer = get_visible_or_404(user, Customer, Action.CHANGE, pk=customer_id)
    snooze, _ = WorklistSnooze.objects.update_or_create(
        user=user, customer=customer, defaults={"until": until, "done": False}
    )
    return snooze


def worklist_done(*, user: User, customer_id: int, today: date) -> WorklistSnooze:
    """Done with a customer for today: off the list until tomorrow."""
    require_change(user)
    customer = get_visible_or_404(user, Customer, Action.CHANGE, pk=customer_id)
    snooze, _ = WorklistSnooze.objects.update_or_create(
        user=user, customer=customer,
        defaults={"until": today + timedelta(days=1), "done": True},
    )  # fmt: skip
    return snooze


def worklist_account_snooze(
    *, user: User, account_id: int, until: date, today: date
) -> AccountWorklistSnooze:
    """Put an account aside on ``user``'s My day until ``until`` (a day after ``today``)."""
    require_change(user)
    if until <= today:
        raise ValidationError({"until": ["choose a day after today"]})
    account = get_visible_or_404(user, Account, Action.CHANGE, pk=account_id)
    snooze, _ = AccountWorklistSnooze.objects.update_or_create(
        user=user, account=account, defaults={"until": until, "done": False}
    )
    return snooze


def worklist_account_done(*, user: User, account_id: int, today: date) -> AccountWorklistSnooze:
    """Done with an account for today: off the list until tomorrow."""
    require_change(user)
    account = get_visible_or_404(user, Account, Action.CHANGE, pk=account_id)
    snooze, _ = AccountWorklistSnooze.objects.update_or_create(
        user=user, account=account,
        defaults={"until": today + timedelta(days=1), "done": True},
    )  # fmt: skip
    return snooze
