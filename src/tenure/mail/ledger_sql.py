"""The statements the sender runs for every message (its lease, hand-over and outcome), as SQL.

Built by the ORM they cost 0.4 ms each (filters, expressions, compiling), several times their
running time, and the sender's one thread is what bounds its rate (ARCHITECTURE.md). The
conditions are the ORM versions' own; the rare paths (a refusal, a suppression) stay in
``sending.py`` and go through the ORM.

On PostgreSQL the outcome of one message, its event and the hand-over of the next are one
statement (``finish_and_hand_over``): three statements were three round trips of about
1.5 ms each in the one transaction committed before the next SMTP call, more than a third of
a message's time there.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from tenure.customers.models import Consent, ConsentPurpose, Contact
from tenure.events.kinds import event_kind
from tenure.events.models import Event
from tenure.events.record import NewEvent, current_actor_id, current_via, unique_key
from tenure.mail.composing import Composed
from tenure.mail.models import Message, MessageKind, MessageStatus

HAND_OVER = """UPDATE {message} SET handed_at = %s, raw = %s, message_id = %s
WHERE id = %s AND status = %s AND claimed_at = %s AND handed_at IS NULL AND lease_until > %s"""
CONSENTED = """ AND EXISTS (SELECT 1 FROM {consent} WHERE customer_id = %s AND purpose = %s
AND granted = %s) AND NOT EXISTS (SELECT 1 FROM {consent} WHERE customer_id = %s AND purpose = %s
AND granted = %s)"""
# A contact's consent: the results report (``Contact.receives_reports``).
CONTACT_CONSENTED = """ AND EXISTS (SELECT 1 FROM {contact} WHERE id = %s
AND receives_reports = %s)"""
LEASE = """UPDATE {message} SET status = %s, claimed_at = %s, lease_until = %s, to_address = %s
WHERE id = %s AND status IN (%s, %s)"""
FINISH = """UPDATE {message} SET status = %s, reason = %s, finished_at = %s
WHERE id = %s AND status = %s AND claimed_at = %s"""
# PostgreSQL: FINISH, its event written only if it updated the row (the fields
# ``events_record`` writes; ``tx`` is the column's default, a known key skipped), and the
# hand-over of the next message; the two counts tell what each update did. The parts run in
# no set order, which does not matter: they touch different rows (a statement may not update
# one row twice), and each runs to completion whether or not the final SELECT reads it.
_FINISH_AND_HAND_OVER = """WITH finished AS ({finish} RETURNING id),
recorded AS (INSERT INTO {event} (kind, key, customer_id, subject, subject_id, at, via,
actor_id, data, recorded_at) SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s
FROM finished ON CONFLICT (key) DO NOTHING),
handed AS ({hand_over} RETURNING id)
SELECT (SELECT count(*) FROM finished), (SELECT count(*) FROM handed)"""


def sql(template: str) -> str:
    """``template`` with its table names; the columns are the fields' own names."""
    quote = connection.ops.quote_name
    return template.format(
        message=quote(Message._meta.db_table),
        consent=quote(Consent._meta.db_table),
        contact=quote(Contact._meta.db_table),
        event=quote(Event._meta.db_table),
    )


def _moment(value: Any) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def finish(message: Message, status: str, reason: str, now: datetime) -> bool:
    """``message`` ends ``status`` if it is still this sender's (the caller's transaction)."""
    with connection.cursor() as cursor:
        cursor.execute(sql(FINISH), _finish_params(message, status, reason, now))
        return bool(cursor.rowcount)


def hand_over(message: Message, composed: Composed, now: datetime) -> bool:
    """``message`` marked handed over if it is still this sender's and, for marketing, its
    consent still holds (re-read by the same statement)."""
    statement, params = _hand_over_statement(message, composed, now)
    with connection.cursor() as cursor:
        cursor.execute(sql(statement), params)
        return bool(cursor.rowcount)


def finish_and_hand_over(
    finished: Message,
    status: str,
    reason: str,
    event: NewEvent,
    message: Message,
    composed: Composed,
    now: datetime,
) -> tuple[bool, bool]:
    """PostgreSQL: ``finish(finished, status, reason, now)``, ``event`` written only if that
    updated the row, then ``hand_over(message, composed, now)``, all in one statement; whether
    each of the two updated its message."""
    hand_over_sql, hand_over_params = _hand_over_statement(message, composed, now)
    statement = _FINISH_AND_HAND_OVER.replace("{finish}", FINISH)
    statement = statement.replace("{hand_over}", hand_over_sql)
    params = [
        *_finish_params(finished, status, reason, now),
        *_event_row(event),
        *hand_over_params,
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql(statement), params)
        done, handed = cursor.fetchone()
    return bool(done), bool(handed)


def _finish_params(message: Message, status: str, reason: str, now: datetime) -> list[Any]:
    return [
        status, reason, _moment(now), message.pk, MessageStatus.SENDING,
        _moment(message.claimed_at),
    ]  # fmt: skip


def _hand_over_statement(
    message: Message, composed: Composed, now: datetime
) -> tuple[str, list[Any]]:
    statement = HAND_OVER
    params: list[Any] = [
        _moment(now), composed.raw.decode("ascii", "replace"), composed.message_id, message.pk,
        MessageStatus.SENDING, _moment(message.claimed_at), _moment(now),
    ]  # fmt: skip
    if message.contact_id is not None:
        statement += CONTACT_CONSENTED
        params += [message.contact_id, True]
    elif message.kind == MessageKind.MARKETING:
        # Marketing email granted, and the topic (if it is another) not refused.
        statement += CONSENTED
        params += [message.customer_id, ConsentPurpose.EMAIL_MARKETING, True]
        params += [message.customer_id, message.topic or ConsentPurpose.EMAIL_MARKETING, False]
    return statement, params


def _event_row(event: NewEvent) -> list[Any]:
    """The values ``events_record`` gives an event (kind, key, customer_id, subject,
    subject_id, at, via, actor_id, data, recorded_at)."""
    event_kind(event.kind)  # registered, or an error
    moment = _moment(event.at or timezone.now())
    return [
        event.kind, event.key or unique_key(event.kind, event.subject_id), event.customer_id,
        event.subject, event.subject_id, moment, current_via(), current_actor_id(),
        json.dumps(dict(event.data)), _moment(timezone.now()),
    ]  # fmt: skip
