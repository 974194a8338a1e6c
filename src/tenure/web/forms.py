"""Forms: they parse what a page sends into what a selector or service takes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal, cast

from django import forms
from django.conf import settings
from django.utils import timezone

from tenure.access.form_limits import limits_onto_form
from tenure.analytics.activity import ActivityRule
from tenure.domain.limits import analytics_day_problem
from tenure.domain.records import CUSTOMER_FIELDS, ORDER_FIELDS
from tenure.interactions.models import CaseStatus, InteractionKind
from tenure.todos.models import TaskPriority, TaskStatus
from tenure.transfer.models import ImportKind
from tenure.users.models import ROLE_CHOICES, Role, User

# The fields an import maps columns onto, listed on the page; the import checks the map.
IMPORT_FIELDS: dict[str, tuple[str, ...]] = {
    ImportKind.CUSTOMERS: CUSTOMER_FIELDS,
    ImportKind.ORDERS: ORDER_FIELDS,
}


class LimitedForm(forms.Form):
    """Every form of the pages: a value tenure cannot store and read back (a moment outside
    the calendar, NUL, an integer beyond the database's) is the field's error
    (``tenure.domain.limits``), as in the API and the import."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        limits_onto_form(self, cleaned)
        return cleaned


def _valid_data(form: forms.Form) -> dict[str, Any]:
    form.is_valid()
    return {name: value for name, value in form.cleaned_data.items() if name not in form.errors}


class InteractionForm(LimitedForm):
    """The composer: a note, call, meeting, email, complaint or ticket, or the resolution of
    an open complaint; ``@username`` in the text notifies them; an optional follow-up task for
    anyone on the team, chosen by name."""

    kind = forms.ChoiceField(
        choices=[*InteractionKind.choices, ("resolution", "Complaint resolution")],
        initial=InteractionKind.NOTE,
    )
    occurred_at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
    )
    subject = forms.CharField(required=False, max_length=200)
    body = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 4}))
    status = forms.ChoiceField(
        required=False,
        choices=[("", "—"), *CaseStatus.choices],
        help_text="Complaints and support tickets only; they start open.",
    )
    complaint = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, choices=[])
    follow_up_owner = forms.CharField(label="Follow-up for", required=False, max_length=200)
    follow_up_due = forms.DateField(
        label="Follow-up due", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    follow_up_title = forms.CharField(label="Follow-up task", required=False, max_length=200)

    def __init__(self, *args: Any, complaints: Any = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["complaint"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (c.pk, f"{c.subject or 'Complaint'} ({c.occurred_at:%b} {c.occurred_at.day})")
            for c in complaints
        ]

    def clean(self) -> dict[str, Any]:
        from tenure.notifications.selectors import team_member_named

        cleaned = super().clean()
        name, due = cleaned.get("follow_up_owner", ""), cleaned.get("follow_up_due")
        if name or due or cleaned.get("follow_up_title"):
            owner = team_member_named(name) if name else None
            if owner is None:
                self.add_error(
                    "follow_up_owner",
                    "Choose a team member from the list, by name."
                    if name
                    else "Say who follows up.",
                )
            if due is None and "follow_up_due" not in self.errors:
                self.add_error("follow_up_due", "Give the follow-up a due date.")
            cleaned["follow_up_user"] = owner
        if cleaned.get("kind") == "resolution" and not cleaned.get("complaint"):
            self.add_error("complaint", "Choose the complaint this resolves.")
        return cleaned

    @classmethod
    def blank(cls, *, complaints: Any = ()) -> InteractionForm:
        """An empty form whose time is now, in the business's time zone, to the minute."""
        now = timezone.localtime().replace(second=0, microsecond=0)
        return cls(
            initial={"occurred_at": now, "kind": InteractionKind.NOTE}, complaints=complaints
        )


class ImportForm(LimitedForm):
    kind = forms.ChoiceField(
        choices=ImportKind.choices, initial=ImportKind.CUSTOMERS, widget=forms.RadioSelect
    )
    file = forms.FileField(
        label="CSV file", widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"})
    )
    column_map = forms.CharField(
        label="Column mapping",
        required=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "Client No=customer_id\nMail=email"}
        ),
        help_text="Optional: one line per column whose name differs, as file_column=field.",
    )

    def clean_column_map(self) -> dict[str, str]:
        mapping: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["column_map"].splitlines(), start=1):
            if not line.strip():
                continue
            source, sep, field = line.partition("=")
            if not sep or not source.strip() or not field.strip():
                raise forms.ValidationError(
                    f"Line {number}: write file_column=field, e.g. Client No=customer_id."
                )
            mapping[source.strip()] = field.strip()
        return mapping


class ApiTokenForm(LimitedForm):
    name = forms.CharField(
        required=False,
        max_length=100,
        strip=True,
        help_text="What will use it, e.g. the shop; it tells your tokens apart.",
    )
    days = forms.TypedChoiceField(
        label="Lasts",
        coerce=int,
        required=False,
        empty_value=None,  # TENURE_API_TOKEN_DAYS
        choices=[(30, "30 days"), (90, "90 days"), (180, "180 days"), (365, "a year")],
        help_text="After this the token is refused; make a new one before then.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        days = settings.API_TOKEN_DAYS
        field = cast(forms.TypedChoiceField, self.fields["days"])
        choices = cast(list[tuple[int, str]], field.choices)
        if days not in dict(choices):
            field.choices = sorted([*choices, (days, f"{days} days")])
        field.initial = days


class TeamMemberForm(LimitedForm):
    """A new team member. The username's format, uniqueness and the password's strength are
    checked by the service (``user_create``), whose errors come back onto these fields."""

    username = forms.CharField(max_length=150, strip=True)
    email = forms.EmailField(required=False)
    role = forms.ChoiceField(choices=ROLE_CHOICES, initial=Role.MANAGER.value)
    password = forms.CharField(
        label="Initial password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="They can change it later; give it to them by a private channel.",
    )


class RoleForm(LimitedForm):
    role = forms.ChoiceField(choices=ROLE_CHOICES)


@dataclass(frozen=True)
class AnalyticsSettings:
    period: Literal["month", "quarter", "year"]
    count: int
    rule: ActivityRule
    cohort_period: Literal["week", "month", "quarter"]
    cohort_kind: Literal["on", "on_or_after"]
    retention_type: Literal["first_time", "recurring"]
    end: date | None


class AnalyticsForm(LimitedForm):
    """The Analytics page's query string: which periods, which activity rule, which cohorts.
    A value that does not parse falls back to its default and shows its error by the field."""

    period = forms.ChoiceField(
        required=False,
        choices=[("month", "Monthly"), ("quarter", "Quarterly"), ("year", "Yearly")],
    )
    count = forms.IntegerField(required=False, min_value=2, max_value=36)
    rule = forms.ChoiceField(
        required=False,
        choices=[
            ("gap_multiple", "No order for k x own gap"),
            ("p_alive", "P(alive) below a threshold"),
            ("fixed_days", "No order for a number of days"),
        ],
    )
    gap_multiple = forms.FloatField(required=False, min_value=0.5, max_value=100)
    p_alive_threshold = forms.FloatField(required=False, min_value=0.01, max_value=0.99)
    days = forms.IntegerField(required=False, min_value=1, max_value=3650)
    cohort_period = forms.ChoiceField(
        required=False, choices=[("week", "Weekly"), ("month", "Monthly"), ("quarter", "Quarterly")]
    )
    cohort_kind = forms.ChoiceField(
        required=False,
        choices=[("on", "Bought in that period"), ("on_or_after", "Bought then or later")],
    )
    retention_type = forms.ChoiceField(
        required=False,
        choices=[("first_time", "By first purchase"), ("recurring", "By every purchase")],
    )
    end = forms.DateField(required=False, help_text="as of this day (default: today)")

    DEFAULTS: dict[str, Any] = {
        "period": "month",
        "count": 12,
        "rule": "gap_multiple",
        "gap_multiple": 3.0,
        "p_alive_threshold": 0.3,
        "days": 365,
        "cohort_period": "month",
        "cohort_kind": "on",
        "retention_type": "first_time",
        "end": None,
    }

    def clean_end(self) -> date | None:
        end = self.cleaned_data.get("end")
        if end is not None and (problem := analytics_day_problem(end)):
            raise forms.ValidationError(f"{end} {problem}")
        return end

    def settings(self) -> AnalyticsSettings:
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        value = {
            name: default if data.get(name) in (None, "") else data[name]
            for name, default in self.DEFAULTS.items()
        }
        return AnalyticsSettings(
            period=value["period"],
            count=value["count"],
            rule=ActivityRule(
                kind=value["rule"],
                gap_multiple=value["gap_multiple"],
                p_alive_threshold=value["p_alive_threshold"],
                days=value["days"],
            ),
            cohort_period=value["cohort_period"],
            cohort_kind=value["cohort_kind"],
            retention_type=value["retention_type"],
            end=value["end"],
        )


# --- Lifecycle and tasks ---------------------------------------------------------------------


class LifecycleForm(LimitedForm):
    """The Lifecycle page's query string: the periods of the flow and buckets charts."""

    period = forms.ChoiceField(
        required=False,
        choices=[("week", "Weekly"), ("month", "Monthly"), ("quarter", "Quarterly")],
    )

    def period_or_default(self) -> Literal["week", "month", "quarter"]:
        return _valid_data(self).get("period") or "month"


class DefinitionForm(LimitedForm):
    """A lifecycle definition as JSON text. The grammar is checked by ``definition_save``,
    whose errors name each path; here only that the text is a JSON object."""

    name = forms.CharField(required=False, max_length=200, strip=True)
    preset = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)
    definition = forms.CharField(
        label="Definition (JSON)",
        strip=False,
        widget=forms.Textarea(attrs={"rows": 28, "spellcheck": "false", "class": "code-input"}),
    )

    def clean_definition(self) -> dict[str, Any]:
        text = self.cleaned_data["definition"]
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                f"Not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
            ) from error
        if not isinstance(data, dict):
            raise forms.ValidationError("The definition must be a JSON object: {...}.")
        return data


class TaskForm(LimitedForm):
    """A new task. Owner blank: the one who creates it. The customer and account are checked
    by ``task_create`` (one the user may change)."""

    title = forms.CharField(max_length=200, strip=True)
    body = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    owner = forms.IntegerField(required=False, min_value=1)
    due = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    priority = forms.ChoiceField(choices=TaskPriority.choices, initial=TaskPriority.NORMAL)
    customer = forms.IntegerField(label="Customer id", required=False, min_value=1)
    account = forms.IntegerField(label="Account id", required=False, min_value=1)

    @classmethod
    def blank(cls, *, customer: int | None = None, account: int | None = None) -> TaskForm:
        due = timezone.localdate() + timedelta(days=2)
        return cls(initial={"due": due, "customer": customer, "account": account})


class TaskStatusForm(LimitedForm):
    status = forms.ChoiceField(choices=TaskStatus.choices)


class TaskCellForm(LimitedForm):
    """A cell of the Tasks list: its owner (an active team member; the one it has now, though
    deactivated, is still shown), due date or status. ``task_update`` decides."""

    owner = forms.TypedChoiceField(label="Owner", coerce=int)
    due = forms.DateField(label="Due date", widget=forms.DateInput(attrs={"type": "date"}))
    status = forms.ChoiceField(label="Status", choices=TaskStatus.choices)

    def __init__(self, *args: Any, current_owner: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        people = User.objects.filter(is_active=True)
        if current_owner is not None:
            people = people | User.objects.filter(pk=current_owner)
        ordered = people.order_by("first_name", "last_name", "username")
        self.fields["owner"].choices = [(u.pk, str(u)) for u in ordered]  # type: ignore[attr-defined]


class TaskCommentForm(LimitedForm):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}))


class SnoozeForm(LimitedForm):
    """ "My day": put a customer aside until a day."""

    until = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class TaskPlanForm(LimitedForm):
    """Reassign (to a team member chosen by name) and reschedule a task."""

    owner = forms.CharField(max_length=200)
    due = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean_owner(self) -> Any:
        from tenure.notifications.selectors import team_member_named

        found = team_member_named(self.cleaned_data["owner"])
        if found is None:
            raise forms.ValidationError("Choose a team member from the list, by name.")
        return found
