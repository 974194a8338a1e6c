"""Sending a survey: an invitation and one email each, for the customers who may be mailed.

The email is marketing mail on the ``email_marketing`` topic, queued in the mail ledger like a
playbook's: the sender checks consent, the suppression list, quiet hours and the frequency cap
again when it sends. A customer who could not receive it now (no address, a suppressed
address, no consent to marketing emails or that topic refused: the sender's own rule) gets no
invitation at all, so the response rate counts only the people asked; they are counted with
their reason. The invitation's key (survey, customer, occurrence) is unique and its message's
key names the invitation, so a send retried, a playbook step run twice or a double click makes
one of each.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tenure.access import require_all, visible
from tenure.customers.models import Consent, ConsentPurpose, Contact, Customer
from tenure.domain.access import Action
from tenure.feedback.models import Survey, SurveyInvitation, SurveySend
from tenure.feedback.questions import customer_language, language_clean, survey_texts
from tenure.feedback.surveys import SURVEYS_WHY, invitation_claim, survey_send_claim
from tenure.feedback.tokens import survey_token
from tenure.mail.models import MessageKind, Suppression
from tenure.mail.services import NewMessage, message_queue
from tenure.orders.models import Order
from tenure.surveys.words import words
from tenure.users.models import User

TOPIC = ConsentPurpose.EMAIL_MARKETING
NO_ADDRESS = "no email address"
SUPPRESSED = "address suppressed"
NO_CONSENT = "no consent to marketing emails"
UNKNOWN = "no such customer"

# The email's words come from ``tenure.surveys.words`` in the invitation's language.
TEXT = """{{ hello }}

{{ intro }}

{{ question }}

{{ answer_here }}: {{ survey_url }}

{{ valid }}
"""
HTML = """<p>{{ hello }}</p>
<p>{{ intro }}</p>
<p><strong>{{ question }}</strong></p>
<p><a href="{{ survey_url }}">{{ answer_button }}</a></p>
<p>{{ valid }}</p>
"""


@dataclass(frozen=True)
class Recipient:
    """What one customer's invitation is about, beyond the customer: the contact (person) who
    answers for an account, and the order (project) asked about."""

    contact_id: int | None = None
    order_id: int | None = None


def business_name() -> str:
    """The business's name as its emails give it: the display name of ``TENURE_MAIL_FROM``."""
    return parseaddr(settings.MAIL_FROM)[0] or "tenure"


def survey_url(invitation_id: int) -> str:
    return f"{settings.BASE_URL}/s/{survey_token(invitation_id)}/"


@dataclass
class SendResult:
    """What a send did: invitations made now, those made by an earlier call with the same key,
    and the customers not invited, counted by reason."""

    send: SurveySend
    invited: int = 0
    already: int = 0
    skipped: Counter[str] = field(default_factory=Counter)

    @property
    def skipped_count(self) -> int:
        return sum(self.skipped.values())

    def words(self) -> str:
        parts = [f"{self.invited} invited"]
        if self.already:
            parts.append(f"{self.already} invited before (not again)")
        parts += [f"{n} not invited: {reason}" for reason, n in sorted(self.skipped.items())]
        return "; ".join(parts)


def _reachable(customers: list[Customer]) -> dict[int, str]:
    """Why each customer could not be mailed now ('' when they could), by the sender's rule."""
    ids = [c.pk for c in customers]
    consents: dict[int, dict[str, bool]] = {}
    for consent in Consent.objects.filter(customer_id__in=ids, purpose__in=[TOPIC]):
        consents.setdefault(consent.customer_id, {})[consent.purpose] = consent.granted
    addresses = {c.email.strip().lower() for c in customers if c.email.strip()}
    suppressed = set(
        Suppression.objects.filter(address__in=addresses, suppressed_at__isnull=False)
        .values_list("address", flat=True)
    )  # fmt: skip
    reasons: dict[int, str] = {}
    for customer in customers:
        address = customer.email.strip().lower()
        if not address:
            reasons[customer.pk] = NO_ADDRESS
        elif address in suppressed:
            reasons[customer.pk] = SUPPRESSED
        elif not consents.get(customer.pk, {}).get(TOPIC, False):
            reasons[customer.pk] = NO_CONSENT
        else:
            reasons[customer.pk] = ""
    return reasons


def _message(invitation: SurveyInvitation, now: datetime) -> NewMessage:
    """The invitation email, in the invitation's language when the survey has a translation
    in it (its question and tenure's words around it), else in the survey's own."""
    survey = invitation.survey
    texts = survey_texts(survey, invitation.language)
    said = words(texts.language)
    business = business_name()
    expires = f"{timezone.localtime(invitation.expires_at):%d.%m.%Y}"
    return NewMessage(
        # One message per invitation (whose own key tells the sends apart).
        source=f"survey:{survey.pk}", step="invite", occurrence=f"i{invitation.pk}",
        customer_id=invitation.customer_id, due_at=now, kind=MessageKind.MARKETING, topic=TOPIC,
        subject=said["subject"].format(business=business), text=TEXT, html=HTML,
        context={
            "business": business, "question": texts.question, "language": texts.language,
            "survey_url": survey_url(invitation.pk), "expires": expires,
            "hello": said["hello"], "intro": said["intro"].format(business=business),
            "answer_here": said["answer_here"], "answer_button": said["answer_button"],
            "valid": said["valid"].format(expires=expires),
        },
        valid_until=invitation.expires_at,
    )  # fmt: skip


def _recipients_checked(
    customers: list[Customer], recipients: Mapping[int, Recipient]
) -> dict[str, list[str]]:
    """A recipient's contact must be of the customer's account, its order the customer's."""
    errors: dict[str, list[str]] = {}
    accounts = {c.pk: c.account_id for c in customers}
    contacts = dict(
        Contact.objects.filter(pk__in=[r.contact_id for r in recipients.values() if r.contact_id])
        .values_list("pk", "account_id")
    )  # fmt: skip
    orders = dict(
        Order.objects.filter(pk__in=[r.order_id for r in recipients.values() if r.order_id])
        .values_list("pk", "customer_id")
    )  # fmt: skip
    for customer_id, recipient in recipients.items():
        if customer_id not in accounts:
            continue  # counted as "no such customer"
        contact, order = recipient.contact_id, recipient.order_id
        account = accounts[customer_id]
        if contact and (account is None or contacts.get(contact) != account):
            errors.setdefault("contact_id", []).append(
                f"customer {customer_id}: no contact {contact} in their account"
            )
        if order and orders.get(order) != customer_id:
            errors.setdefault("order_id", []).append(f"customer {customer_id}: no order {order}")
    return errors


def survey_send(
    *,
    by: User | None,
    survey_id: int,
    customer_ids: Iterable[int],
    now: datetime,
    source: str = "manual",
    occurrence: str | None = None,
    send_key: str | None = None,
    contact_id: int | None = None,
    order_id: int | None = None,
    language: str = "",
    recipients: Mapping[int, Recipient] | None = None,
) -> SendResult:
    """Invite the customers to answer the survey, one email each, in one transaction.

    ``occurrence`` tells sends apart (default: the day in the business's time zone, so the
    same survey sent to the same customer twice in a day is one invitation); ``send_key``
    groups invitations into a send for the response rates (default: survey and occurrence).
    Customers ``by`` may not see count as "no such customer". Each invitation is in
    ``language`` if given, else the customer's own (``tenure.feedback.questions
    .customer_language``), else the survey's; ``recipients`` names, per customer, the contact
    and the order it is about (``contact_id``/``order_id``: the same for everyone).
    ``AccessDenied`` for a role that may not send surveys; ``ValidationError`` for a survey
    that is off or unknown, or a recipient's contact or order not theirs."""
    if by is not None:
        require_all(by, Action.CHANGE, why=SURVEYS_WHY)
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is None:
        raise ValidationError({"survey": [f"no survey with id {survey_id}"]})
    if not survey.active:
        raise ValidationError({"survey": [f"“{survey.name}” is switched off"]})
    occurrence = occurrence or timezone.localdate(now).isoformat()
    wanted = sorted(set(customer_ids))
    candidates = Customer.objects.all() if by is None else visible(by, Customer, Action.CHANGE)
    customers = list(candidates.filter(pk__in=wanted).order_by("pk"))
    about = dict(recipients or {})
    if errors := _recipients_checked(customers, about):
        raise ValidationError(errors)
    if language and not language_clean(language):
        raise ValidationError({"language": ["a language tag such as de, fr or pt-br"]})
    with transaction.atomic():
        send = survey_send_claim(
            survey=survey, key=send_key or f"{survey.pk}:{occurrence}", source=source, by=by,
            now=now,
        )  # fmt: skip
        result = SendResult(send=send)
        result.skipped[UNKNOWN] += len(wanted) - len(customers)
        reasons = _reachable(customers)
        for customer in customers:
            if reasons[customer.pk]:
                result.skipped[reasons[customer.pk]] += 1
                continue
            recipient = about.get(customer.pk) or Recipient(contact_id, order_id)
            invitation, new = invitation_claim(
                send=send, customer=customer, occurrence=occurrence, by=by, now=now,
                contact_id=recipient.contact_id, order_id=recipient.order_id,
                language=language_clean(language)
                or customer_language(customer.custom_attributes),
            )  # fmt: skip
            message_queue(_message(invitation, now), now=now)
            if new:
                result.invited += 1
            else:
                result.already += 1
        if result.skipped_count:
            SurveySend.objects.filter(pk=send.pk).update(skipped=result.skipped_count)
        result.skipped = +result.skipped  # drop the zero counts
    return result
