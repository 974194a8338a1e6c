"""/api/v1/feedback-forms: the public feedback forms (``/f/<slug>/``), read by every role and
made, changed and taken down by admins and managers, as on the page ``/feedback/forms/``.

Their answers are voices of the kind ``feedback_form`` (``GET /api/v1/voices?source_kind=
feedback_form``); taking a form down keeps them."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from ninja import Field, Router, Schema

from tenure.api.crud import Resource, add_crud
from tenure.api.inputs import Input, QueryInput
from tenure.voices import services
from tenure.voices.filters import FeedbackFormFilterSet
from tenure.voices.models import FeedbackForm

router = Router(tags=["feedback forms"])

_SLUG = "its address, /f/<slug>/: letters, digits, - and _"
_RATING = "ask for a rating too (empty: no rating)"


class FeedbackFormIn(Input):
    slug: str = Field(min_length=1, max_length=60, description=_SLUG)
    title: str = Field(min_length=1, max_length=100, description="also its answers' source name")
    intro: str = Field("", max_length=5000, description="shown above the question")
    question: str = Field("What would you like to tell us?", max_length=300)
    rating_question: str = Field("", max_length=300, description=_RATING)
    rating_scale: int = Field(5, ge=2, le=10, description="the highest rating")
    ask_email: bool = Field(True, description="ask for an email (optional for the visitor)")
    active: bool = True


class FeedbackFormPatch(Input):
    slug: str | None = Field(None, min_length=1, max_length=60, description=_SLUG)
    title: str | None = Field(None, min_length=1, max_length=100)
    intro: str | None = Field(None, max_length=5000)
    question: str | None = Field(None, max_length=300)
    rating_question: str | None = Field(None, max_length=300, description=_RATING)
    rating_scale: int | None = Field(None, ge=2, le=10)
    ask_email: bool | None = None
    active: bool | None = Field(None, description="false: the page answers 404, kept for later")


class FeedbackFormOut(Schema):
    id: int
    slug: str
    title: str
    intro: str
    question: str
    rating_question: str
    rating_scale: int
    ask_email: bool
    active: bool
    page: str = Field(description="the public page's path")
    created_at: datetime

    @staticmethod
    def resolve_page(form: FeedbackForm) -> str:
        return reverse("public:feedback-form-answer", kwargs={"slug": form.slug})


class FeedbackFormFilters(QueryInput):
    active: bool | None = None
    slug: str | None = Field(None, max_length=60)


def _changes(data: dict) -> dict:
    # null in a PATCH means "leave it": every field of a form has a value.
    return {name: value for name, value in data.items() if value is not None}


add_crud(
    router,
    Resource(
        path="/feedback-forms",
        label="feedback form",
        model=FeedbackForm,
        schema_in=FeedbackFormIn,
        schema_patch=FeedbackFormPatch,
        schema_out=FeedbackFormOut,
        filters=FeedbackFormFilters,
        filterset=FeedbackFormFilterSet,
        create=lambda by, data: services.feedback_form_save(by=by, changes=data),
        update=lambda by, pk, changes: services.feedback_form_save(
            by=by, form_id=pk, changes=_changes(changes)
        ),
        delete=lambda by, pk: services.feedback_form_delete(by=by, form_id=pk),
    ),
)
