"""Forms: they parse what a page sends into what a selector or service takes."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from tenure.customers.models import SizeBand
from tenure.customers.selectors import (
    ACCOUNT_SORTS,
    CUSTOMER_SORTS,
    AccountFilters,
    CustomerFilters,
)
from tenure.domain.records import CUSTOMER_FIELDS, ORDER_FIELDS
from tenure.interactions.models import CaseStatus, InteractionKind
from tenure.transfer.models import ImportKind

# The fields an import maps columns onto, listed on the page; the import checks the map.
IMPORT_FIELDS: dict[str, tuple[str, ...]] = {
    ImportKind.CUSTOMERS: CUSTOMER_FIELDS,
    ImportKind.ORDERS: ORDER_FIELDS,
}


def _sort_choices(sorts: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    return [(key, key) for key in sorts] + [(f"-{key}", f"-{key}") for key in sorts]


class CustomerFilterForm(forms.Form):
    """The customers list's query string. A value that does not parse is dropped, not an error:
    a stale bookmark still opens a list. The choices the page offers come from
    ``customer_filter_choices`` and are rendered by the template; parsing needs no query."""

    q = forms.CharField(required=False, max_length=200, strip=True)
    segment = forms.CharField(required=False, max_length=60)
    channel = forms.CharField(required=False, max_length=60)
    owner = forms.IntegerField(required=False, min_value=1)
    account = forms.IntegerField(required=False, min_value=1)
    sort = forms.ChoiceField(required=False, choices=_sort_choices(CUSTOMER_SORTS))

    def filters(self) -> CustomerFilters:
        data = _valid_data(self)
        return CustomerFilters(
            q=data.get("q") or "",
            segment=data.get("segment") or "",
            channel=data.get("channel") or "",
            owner_id=data.get("owner"),
            account_id=data.get("account"),
            sort=data.get("sort") or "name",
        )


class AccountFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200, strip=True)
    industry = forms.CharField(required=False, max_length=100)
    size_band = forms.ChoiceField(required=False, choices=[("", "Any size"), *SizeBand.choices])
    owner = forms.IntegerField(required=False, min_value=1)
    sort = forms.ChoiceField(required=False, choices=_sort_choices(ACCOUNT_SORTS))

    def filters(self) -> AccountFilters:
        data = _valid_data(self)
        return AccountFilters(
            q=data.get("q") or "",
            industry=data.get("industry") or "",
            size_band=data.get("size_band") or "",
            owner_id=data.get("owner"),
            sort=data.get("sort") or "name",
        )


def _valid_data(form: forms.Form) -> dict[str, Any]:
    form.is_valid()
    return {name: value for name, value in form.cleaned_data.items() if name not in form.errors}


class InteractionForm(forms.Form):
    kind = forms.ChoiceField(choices=InteractionKind.choices, initial=InteractionKind.NOTE)
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

    @classmethod
    def blank(cls) -> InteractionForm:
        """An empty form whose time is now, in the business's time zone, to the minute."""
        now = timezone.localtime().replace(second=0, microsecond=0)
        return cls(initial={"occurred_at": now, "kind": InteractionKind.NOTE})


class ImportForm(forms.Form):
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
