"""The onboarding pages' forms: a checklist, one of its steps, starting one for an account.
Their values go to ``tenure.success.checklists`` and ``onboarding_start`` (which check the
owner rule, the first-value step, what a checklist applies to)."""

from __future__ import annotations

from typing import Any

from django import forms

from tenure.success.checklists import DAYS_MAX
from tenure.success.models import AppliesTo, StepOwner
from tenure.users.models import ROLE_CHOICES
from tenure.web.forms import LimitedForm
from tenure.web.record_forms import _people


class ChecklistTemplateForm(LimitedForm):
    name = forms.CharField(max_length=120, strip=True)
    applies_to = forms.ChoiceField(
        label="Applies to", choices=AppliesTo.choices, initial=AppliesTo.ACCOUNT
    )
    active = forms.BooleanField(
        required=False, initial=True, help_text="Only an active checklist can be started"
    )
    rows = [("name",), ("applies_to", "active")]


class ChecklistStepForm(LimitedForm):
    title = forms.CharField(max_length=200, strip=True)
    days_after_start = forms.IntegerField(
        label="Due, days after the start", min_value=0, max_value=DAYS_MAX, initial=0
    )
    owner_kind = forms.ChoiceField(
        label="Owner", choices=StepOwner.choices, initial=StepOwner.RECORD_OWNER
    )
    member = forms.TypedChoiceField(
        label="Team member", coerce=int, required=False, empty_value=None,
        help_text="For the owner “A fixed team member”",
    )  # fmt: skip
    role = forms.ChoiceField(
        label="Role", required=False, choices=[("", "—"), *ROLE_CHOICES],
        help_text="For the owner “The first active member of a role”",
    )  # fmt: skip
    first_value = forms.BooleanField(
        label="First value", required=False, help_text="Done = the customer reached first value"
    )
    position = forms.IntegerField(
        label="Place", min_value=1, max_value=1000, required=False,
        help_text="1 = first; empty = last (a new step) or where it is",
    )  # fmt: skip
    rows = [("title",), ("days_after_start", "owner_kind"), ("member", "role"),
            ("first_value", "position")]  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        keep = [self.initial["member"]] if self.initial.get("member") else []
        self.fields["member"].choices = [("", "—"), *_people(keep)]  # type: ignore[attr-defined]

    def values(self, *, changed_only: bool = False) -> dict[str, Any]:
        """The step's fields as the services name them."""
        data = dict(self.cleaned_data)
        data["member_id"] = data.pop("member")
        if changed_only:
            changed = {name if name != "member" else "member_id" for name in self.changed_data}
            data = {name: value for name, value in data.items() if name in changed}
        return data


class OnboardingStartForm(LimitedForm):
    template = forms.TypedChoiceField(label="Checklist", coerce=int)

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = choices  # type: ignore[attr-defined]
