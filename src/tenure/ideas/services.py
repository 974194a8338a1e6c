"""Writes of the ideas board, each checked against the role policy, with its history
(auditlog) and events in the same transaction.

Everyone reads the board. An analyst changes nothing. A success manager creates ideas (and
edits their own) and records requests for the customers of their book (404 for another's);
only the roles that change every record (admins, managers) set a status, merge or delete an
idea: those reach every customer who asked."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tenure.access import require_all
from tenure.access.records import (
    record_for_change,
    record_save,
    reject_unknown_fields,
    require_change,
)
from tenure.customers.models import Contact, Customer
from tenure.domain.access import Action
from tenure.feedback.models import SurveyResponse
from tenure.ideas.events import IDEA_MERGED, IDEA_REQUESTED, IDEA_STATUS_CHANGED, idea_event
from tenure.ideas.models import Idea, IdeaRequest, IdeaStatus, RequestSource
from tenure.ideas.shipping import shipped_notices_queue
from tenure.interactions.models import Interaction
from tenure.users.models import User

IDEAS_WHY = (
    "an idea's status, merges and deletion reach every customer who asked: admins and managers"
)
IDEA_FIELDS = frozenset({"title", "description"})
REQUEST_FIELDS = frozenset({"contact_id", "note", "source", "interaction_id", "survey_response_id"})


def _text(name: str, value: Any, *, required: bool, max_length: int) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise ValidationError({name: ["required: give it a few words"]})
    if len(text) > max_length:
        raise ValidationError({name: [f"at most {max_length} characters, got {len(text)}"]})
    return text


def _idea(idea_id: int, *, lock: bool = False) -> Idea:
    ideas = Idea.objects.select_for_update() if lock else Idea.objects.all()
    found = ideas.filter(pk=idea_id).first()
    if found is None:
        raise ValidationError({"idea_id": [f"no idea with id {idea_id}"]})
    return found


def _open(idea: Idea) -> Idea:
    """The idea that now holds ``idea``'s requests (itself unless merged)."""
    seen = {idea.pk}
    while idea.merged_into_id is not None and idea.merged_into_id not in seen:
        seen.add(idea.merged_into_id)
        idea = _idea(idea.merged_into_id)
    return idea


@transaction.atomic
def idea_create(*, by: User | None, data: Mapping[str, Any], now: datetime) -> Idea:
    require_change(by)
    reject_unknown_fields(data, IDEA_FIELDS)
    idea = Idea(
        title=_text("title", data.get("title"), required=True, max_length=200),
        description=_text("description", data.get("description"), required=False, max_length=5000),
        created_by=by, created_at=now,
    )  # fmt: skip
    record_save(idea)
    return idea


@transaction.atomic
def idea_update(*, by: User | None, idea_id: int, changes: Mapping[str, Any]) -> Idea:
    """Title and description: its author (a success manager their own ideas) or a role over
    all."""
    reject_unknown_fields(changes, IDEA_FIELDS)
    idea = record_for_change(by, Idea, idea_id)
    if "title" in changes:
        idea.title = _text("title", changes["title"], required=True, max_length=200)
    if "description" in changes:
        idea.description = _text(
            "description", changes["description"], required=False, max_length=5000
        )
    record_save(idea)
    return idea


@transaction.atomic
def idea_delete(*, by: User | None, idea_id: int) -> None:
    if by is not None:
        require_all(by, Action.CHANGE, why=IDEAS_WHY)
    idea = record_for_change(by, Idea, idea_id)
    idea.delete()


@transaction.atomic
def idea_status_set(*, by: User | None, idea_id: int, status: str, now: datetime) -> Idea:
    """Set the status; an idea becoming done is shipped now and its requesters are told, once
    per customer however often it becomes done."""
    if by is not None:
        require_all(by, Action.CHANGE, why=IDEAS_WHY)
    if status not in IdeaStatus.values:
        raise ValidationError({"status": ["one of " + ", ".join(IdeaStatus.values)]})
    idea = _idea(idea_id, lock=True)
    if idea.merged_into_id is not None:
        raise ValidationError(
            {"status": [f"merged into idea {idea.merged_into_id}: set its status"]}
        )
    before = idea.status
    if status == before:
        return idea
    idea.status = status
    if status == IdeaStatus.DONE:
        idea.shipped_at = idea.shipped_at or now
    record_save(idea)
    idea_event(IDEA_STATUS_CHANGED, subject_id=idea.pk, before=before, after=status)
    if status == IdeaStatus.DONE:
        shipped_notices_queue(idea=idea, now=now)
    return idea


def _request_links(customer: Customer, data: Mapping[str, Any]) -> dict[str, Any]:
    """The contact, conversation or survey answer named, each the customer's own."""
    links: dict[str, Any] = {"contact": None, "interaction": None, "survey_response": None}
    contact_id = data.get("contact_id")
    if contact_id:
        contact = Contact.objects.filter(pk=contact_id).first()
        if (
            contact is None
            or customer.account_id is None
            or contact.account_id != customer.account_id
        ):
            raise ValidationError({"contact_id": ["a contact of the customer's account"]})
        links["contact"] = contact
    interaction_id = data.get("interaction_id")
    if interaction_id:
        found = Interaction.objects.filter(pk=interaction_id, customer=customer).first()
        if found is None:
            raise ValidationError({"interaction_id": ["a conversation with this customer"]})
        links["interaction"] = found
    answer_id = data.get("survey_response_id")
    if answer_id:
        answer = SurveyResponse.objects.filter(pk=answer_id, customer=customer).first()
        if answer is None:
            raise ValidationError({"survey_response_id": ["a survey answer of this customer"]})
        links["survey_response"] = answer
    return links


def _source(data: Mapping[str, Any], links: Mapping[str, Any]) -> str:
    source = data.get("source") or (
        RequestSource.INTERACTION if links["interaction"] else
        RequestSource.SURVEY_ANSWER if links["survey_response"] else RequestSource.MANUAL
    )  # fmt: skip
    if source not in RequestSource.values:
        raise ValidationError({"source": ["one of " + ", ".join(RequestSource.values)]})
    return str(source)


@transaction.atomic
def idea_request_add(
    *, by: User | None, idea_id: int, customer_id: int, data: Mapping[str, Any], now: datetime
) -> tuple[IdeaRequest, bool]:
    """The customer asked for the idea: (the request, whether it is new). Once per customer:
    asking again returns the request already there. A merged idea's requests go to the idea
    it was merged into; a request for a shipped idea tells its customer at once."""
    reject_unknown_fields(data, REQUEST_FIELDS)
    require_change(by)
    customer = record_for_change(by, Customer, customer_id)  # 404 outside by's book
    idea = _open(_idea(idea_id, lock=True))
    found = IdeaRequest.objects.filter(idea=idea, customer=customer).first()
    if found is not None:
        return found, False
    links = _request_links(customer, data)
    request = IdeaRequest(
        idea=idea, customer=customer, note=_text("note", data.get("note"), required=False,
        max_length=2000), source=_source(data, links), created_by=by, created_at=now, **links,
    )  # fmt: skip
    record_save(request)
    idea_event(IDEA_REQUESTED, subject_id=idea.pk, customer_id=customer.pk, request_id=request.pk)
    if idea.status == IdeaStatus.DONE:
        shipped_notices_queue(idea=idea, now=now, customer_ids=[customer.pk])
    return request, True


@transaction.atomic
def idea_request_remove(*, by: User | None, request_id: int) -> None:
    request = record_for_change(by, IdeaRequest, request_id)  # its customer's book
    request.delete()


@transaction.atomic
def idea_merge(*, by: User | None, idea_id: int, into_id: int, now: datetime) -> Idea:
    """Merge the idea into another: its requests move there (a customer who asked for both
    keeps one request, the target's), ideas merged into it follow, and it is closed
    (declined) pointing to the target. Returns the target."""
    if by is not None:
        require_all(by, Action.CHANGE, why=IDEAS_WHY)
    if idea_id == into_id:
        raise ValidationError({"into_id": ["an idea cannot be merged into itself"]})
    idea, target = _idea(idea_id, lock=True), _idea(into_id, lock=True)
    if idea.merged_into_id is not None:
        raise ValidationError({"idea_id": [f"merged already, into idea {idea.merged_into_id}"]})
    if target.merged_into_id is not None:
        raise ValidationError({"into_id": [f"merged already, into idea {target.merged_into_id}"]})
    asked = set(IdeaRequest.objects.filter(idea=target).values_list("customer_id", flat=True))
    moved: list[int] = []
    for request in IdeaRequest.objects.filter(idea=idea).order_by("pk"):
        if request.customer_id in asked:
            request.delete()  # the customer's request of the target stays
            continue
        request.idea = target
        record_save(request)
        moved.append(request.customer_id)
    for merged in Idea.objects.filter(merged_into=idea):
        merged.merged_into = target
        record_save(merged)
    idea.merged_into, idea.status = target, IdeaStatus.DECLINED
    record_save(idea)
    idea_event(IDEA_MERGED, subject_id=idea.pk, into_id=target.pk, moved=len(moved))
    if target.status == IdeaStatus.DONE and moved:
        shipped_notices_queue(idea=target, now=now, customer_ids=moved)
    return target
