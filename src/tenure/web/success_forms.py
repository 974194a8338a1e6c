"""The success plan's forms: the plan, a goal, a milestone, a review. Their values go to
``tenure.success.services`` (which checks dates, owners and status moves)."""

from __future__ import annotations

from typing import Any

from django import forms

from tenure.success.models import GoalStatus, PlanStatus
from tenure.web.forms import LimitedForm
from tenure.web.record_forms import _people

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PlanForm(LimitedForm):
    title = forms.CharField(max_length=200, strip=True)
    status = forms.ChoiceField(choices=PlanStatus.choices, initial=PlanStatus.DRAFT)
    next_review = forms.DateField(label="Next review", required=False, widget=DATE)
    reminder_days = forms.IntegerField(
        label="Remind days before", min_value=0, max_value=90, initial=7,
        help_text="A task for the account's owner this many days before the review",
    )  # fmt: skip
    rows = [("title",), ("status", "next_review", "reminder_days")]


class ReviewForm(LimitedForm):
    next_review = forms.DateField(label="Next review", required=False, widget=DATE)
    rows = [("next_review",)]


class GoalForm(LimitedForm):
    title = forms.CharField(max_length=200, strip=True)
    target_date = forms.DateField(label="Target date", widget=DATE)
    owner = forms.TypedChoiceField(label="Owner", coerce=int)
    status = forms.ChoiceField(choices=GoalStatus.choices, initial=GoalStatus.OPEN)
    rows = [("title",), ("target_date", "owner", "status")]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = [self.initial["owner"]] if self.initial.get("owner") else []
        self.fields["owner"].choices = _people(keep)  # type: ignore[attr-defined]

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["owner_id"] = data.pop("owner")
        return data


class MilestoneForm(LimitedForm):
    title = forms.CharField(max_length=200, strip=True)
    due = forms.DateField(widget=DATE)
    done = forms.BooleanField(required=False)
    rows = [("title",), ("due", "done")]
