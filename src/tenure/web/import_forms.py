"""The import wizard's forms: the upload, and the mapping with a select per field listing the
file's own columns."""

from __future__ import annotations

from typing import Any

from django import forms

from tenure.transfer.mapping import KIND_FIELDS
from tenure.transfer.models import ImportKind, ImportUpload
from tenure.web.forms import LimitedForm

NOT_IMPORTED = ""


class ImportUploadForm(LimitedForm):
    kind = forms.ChoiceField(
        choices=ImportKind.choices, initial=ImportKind.CUSTOMERS, widget=forms.RadioSelect
    )
    file = forms.FileField(
        label="CSV file", widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"})
    )
    source = forms.CharField(
        label="Where the file comes from",
        required=False,
        max_length=100,
        help_text="Optional, e.g. Shopify export: its column mapping is remembered.",
    )


class ImportMappingForm(LimitedForm):
    """One select per field (``field_<name>``), the unmapped columns to keep as custom
    attributes (customers), and the source's name to remember the mapping under."""

    source = forms.CharField(label="Remember this mapping as", required=False, max_length=100)

    def __init__(self, *args: Any, upload: ImportUpload, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.upload = upload
        spec = KIND_FIELDS[upload.kind]
        columns = [name for name in upload.header if name]
        choices = [(NOT_IMPORTED, "— not imported —"), *((c, c) for c in columns)]
        chosen = {field: column for column, field in upload.column_map.items()}
        for field in spec.fields:
            required = field in spec.required
            self.fields[f"field_{field}"] = forms.ChoiceField(
                label=field,
                choices=choices,
                required=False,
                initial=chosen.get(field, NOT_IMPORTED),
                help_text="required" if required else "",
            )
        if upload.kind == ImportKind.CUSTOMERS:
            # The columns no field takes now; one a changed select frees is offered when the
            # page comes back (the preview's "Change the columns").
            extra = [c for c in columns if c not in upload.column_map]
            self.fields["attributes"] = forms.MultipleChoiceField(
                label="Columns that give no field: keep as custom attributes",
                choices=[(c, c) for c in extra],
                required=False,
                initial=[c for c in extra if c not in upload.ignored_columns],
                widget=forms.CheckboxSelectMultiple,
            )
        self.fields["source"].initial = upload.source.name if upload.source else ""

    def field_rows(self) -> list[tuple[str, bool, forms.BoundField]]:
        """(field, required, its select) in the fields' order, for the template."""
        spec = KIND_FIELDS[self.upload.kind]
        return [(f, f in spec.required, self[f"field_{f}"]) for f in spec.fields]

    def chosen(self) -> dict[str, str]:
        spec = KIND_FIELDS[self.upload.kind]
        return {f: self.cleaned_data.get(f"field_{f}") or "" for f in spec.fields}
