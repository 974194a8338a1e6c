"""The forms of the record pages: customers, accounts, contacts, subscriptions and orders.

Each form parses and renders; the service decides (roles, references, uniqueness, the model's
rules). Field names are the model's, ``owner``/``account``/``team`` for the references, so a
service's error on ``owner_id`` lands on ``owner`` (``views.records_common.errors_onto``).
Moments are read in the current time zone (the business's, as the pages show them) and come
out aware; amounts are Decimals.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import Model, Q

from tenure.access import visible
from tenure.customers.models import (
    Account,
    BillingInterval,
    BudgetBand,
    ContactRole,
    SizeBand,
)
from tenure.domain.access import Action
from tenure.orders.models import OrderStatus
from tenure.users.models import User
from tenure.web.forms import LimitedForm

ACCOUNTS_OFFERED = 1000
"""A customer's account is chosen from at most this many accounts (by name) the user may
change, the current one always among them."""


MOMENT_FORMATS = ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]


def _moment(label: str, *, required: bool = True, help_text: str = "") -> forms.DateTimeField:
    # Seconds are kept (step=1), so a moment saved again unchanged is not rewritten.
    return forms.DateTimeField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local", "step": "1"}, format="%Y-%m-%dT%H:%M:%S"
        ),
        input_formats=MOMENT_FORMATS,
    )


def _text(label: str, max_length: int, *, required: bool = False) -> forms.CharField:
    return forms.CharField(label=label, max_length=max_length, required=required)


def _money(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=2,
        min_value=0,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


def _currency() -> forms.CharField:
    return forms.CharField(
        label="Currency",
        min_length=3,
        max_length=3,
        initial=settings.TENURE_CURRENCY,
        help_text="Three letters, e.g. EUR",
    )


def _people(keep: Iterable[int]) -> list[tuple[int, str]]:
    """Active team members by name, for owner and team; with those the record names now
    (``keep``) though deactivated, so that saving it unchanged keeps them."""
    users = User.objects.filter(Q(is_active=True) | Q(pk__in=list(keep)))
    ordered = users.order_by("first_name", "last_name", "username")
    return [(u.pk, str(u) if u.is_active else f"{u} (deactivated)") for u in ordered]


class AttributesField(forms.JSONField):
    """Custom attributes as a JSON object, e.g. {"plan_tier": "gold", "seats": 12}; blank is
    none. Their caps (how many, how long) are the limits' (``LimitedForm``)."""

    def __init__(self) -> None:
        super().__init__(
            label="Custom attributes",
            required=False,
            widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "class": "code-input"}),
            help_text='A JSON object, e.g. {"plan_tier": "gold", "seats": 12}',
        )

    def to_python(self, value: Any) -> Any:
        found = super().to_python(value)
        if found is None:
            return {}
        if not isinstance(found, dict):
            raise forms.ValidationError('Write a JSON object: {"name": value, ...}.')
        return found


class RecordForm(LimitedForm):
    """A record's form: its changes are the fields the person changed (an edit sends only
    those to the service, so a moment shown to the second is never rewritten)."""

    references = {"owner": "owner_id", "account": "account_id"}

    def values(self, *, only_changed: bool) -> dict[str, Any]:
        names = [n for n in self.cleaned_data if n != "team"]
        if only_changed:
            names = [n for n in names if n in self.changed_data]
        return {self.references.get(n, n): self.cleaned_data[n] for n in names}


class _OwnedForm(RecordForm):
    owner = forms.TypedChoiceField(
        label="Owner", coerce=int, required=False, empty_value=None,
        help_text="Blank: nobody (a success manager who creates it owns it)",
    )  # fmt: skip
    team = forms.TypedMultipleChoiceField(
        label="Team", coerce=int, required=False,
        help_text="Others who work on it; hold Ctrl or ⌘ to choose several",
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        named = self.initial.get("owner"), *self.initial.get("team", ())
        people = _people(pk for pk in named if pk is not None)
        self.fields["owner"].choices = [("", "— nobody"), *people]  # type: ignore[attr-defined]
        self.fields["team"].choices = people  # type: ignore[attr-defined]
        self.fields["team"].widget.attrs["size"] = str(min(6, max(2, len(people))))


class CustomerForm(_OwnedForm):
    external_id = _text("Customer id", 100, required=True)
    first_name = _text("First name", 100)
    last_name = _text("Last name", 100)
    email = forms.EmailField(label="Email", required=False)
    phone = _text("Phone", 40)
    birthday = forms.DateField(
        label="Birthday", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    time_zone = _text("Time zone", 64)
    channel = _text("Acquisition channel", 60)
    category = _text("Category", 60)
    account = forms.TypedChoiceField(label="Account", coerce=int, required=False, empty_value=None)
    created_at = _moment("Customer since", required=False, help_text="Blank: now")
    custom_attributes = AttributesField()

    field_order = [
        "external_id", "first_name", "last_name", "email", "phone", "birthday", "time_zone",
        "channel", "category", "account", "owner", "team", "created_at", "custom_attributes",
    ]  # fmt: skip
    rows = [
        ("external_id", "category"), ("first_name", "last_name"), ("email", "phone"),
        ("birthday", "time_zone", "channel"), ("account", "owner"), ("team", "created_at"),
        ("custom_attributes",),
    ]  # fmt: skip

    def __init__(self, *args: Any, user: User, current: Account | None = None, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.fields["time_zone"].help_text = "e.g. Europe/Paris; blank: the business's"
        self.fields["time_zone"].widget.attrs["list"] = "time-zones"
        accounts = visible(user, Account, Action.CHANGE).order_by("name")
        choices = list(accounts.values_list("pk", "name")[:ACCOUNTS_OFFERED])
        if current is not None and current.pk not in {pk for pk, _ in choices}:
            choices.insert(0, (current.pk, current.name))
        self.fields["account"].choices = [("", "— none"), *choices]  # type: ignore[attr-defined]


class AccountForm(_OwnedForm):
    name = _text("Name", 200, required=True)
    industry = _text("Industry", 100)
    size_band = forms.ChoiceField(
        label="Size", required=False, choices=[("", "—"), *SizeBand.choices]
    )
    budget_band = forms.ChoiceField(
        label="Budget", required=False, choices=[("", "—"), *BudgetBand.choices]
    )
    website = forms.URLField(label="Website", required=False, assume_scheme="https")
    created_at = _moment("Since", required=False, help_text="Blank: now")

    field_order = [
        "name",
        "industry",
        "size_band",
        "budget_band",
        "website",
        "owner",
        "team",
        "created_at",
    ]
    rows = [
        ("name", "industry"), ("size_band", "budget_band", "website"), ("owner", "team"),
        ("created_at",),
    ]  # fmt: skip


class ContactForm(RecordForm):
    first_name = _text("First name", 100, required=True)
    last_name = _text("Last name", 100)
    email = forms.EmailField(label="Email", required=False)
    phone = _text("Phone", 40)
    title = _text("Title", 120)
    role = forms.ChoiceField(label="Role", choices=ContactRole.choices, initial=ContactRole.USER)
    is_primary = forms.BooleanField(
        label="Primary contact", required=False, help_text="The account's one primary contact"
    )
    receives_reports = forms.BooleanField(
        label="Receives results reports", required=False,
        help_text="They asked for the account's results report by email",
    )  # fmt: skip
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))

    rows = [
        ("first_name", "last_name"), ("email", "phone"), ("title", "role"),
        ("is_primary", "receives_reports"), ("notes",),
    ]  # fmt: skip


class SubscriptionForm(RecordForm):
    plan = _text("Plan", 100, required=True)
    external_id = _text("Subscription id", 100)
    amount = _money("Amount per period")
    currency = _currency()
    interval = forms.ChoiceField(label="Billed", choices=BillingInterval.choices)
    started_at = _moment("Started")
    renews_at = _moment("Renews", required=False)
    cancelled_at = _moment("Cancelled", required=False)
    cancellation_reason = _text("Why cancelled", 200)

    rows = [
        ("plan", "external_id"), ("amount", "currency", "interval"),
        ("started_at", "renews_at"), ("cancelled_at", "cancellation_reason"),
    ]  # fmt: skip

    def clean_external_id(self) -> str | None:
        return self.cleaned_data["external_id"] or None  # unique when given; none is no id


class OrderForm(RecordForm):
    external_id = _text("Order id", 100, required=True)
    placed_at = _moment("Placed")
    amount = _money("Amount")
    currency = _currency()
    status = forms.ChoiceField(
        label="Status", choices=OrderStatus.choices, initial=OrderStatus.COMPLETED
    )

    rows = [("external_id", "placed_at"), ("amount", "currency", "status")]


def initial_of(record: Model, form_class: type[RecordForm]) -> dict[str, Any]:
    """A form's initial values from a record: its fields, references by id, the team's ids."""
    initial: dict[str, Any] = {}
    for name in form_class.base_fields:
        if name == "team":
            initial[name] = [user.pk for user in record.team.all()]  # type: ignore[attr-defined]
        elif name in RecordForm.references:
            initial[name] = getattr(record, RecordForm.references[name])
        else:
            initial[name] = getattr(record, name)
    return initial
