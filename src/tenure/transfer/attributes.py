"""The cap on custom attributes, after the merge: an import adds its columns to the attributes a
customer already has, so a file within the cap (checked per row by the domain) can still take a
customer beyond it. Checked per batch, before the upsert, with one read of the stored keys."""

from __future__ import annotations

from collections.abc import Sequence

from tenure.customers.models import Customer
from tenure.domain.limits import ATTRIBUTES_MAX
from tenure.domain.records import CustomerRecord, ImportRowError


def attribute_rows_refused(records: Sequence[CustomerRecord]) -> list[ImportRowError]:
    """The rows that would leave their customer with more than ATTRIBUTES_MAX attributes (rows
    of one customer count in file order: the earlier ones stored, the one past the cap not)."""
    adding = [r for r in records if any(v is not None for v in r.custom_attributes.values())]
    if not adding:
        return []
    stored = Customer.objects.filter(external_id__in={r.external_id for r in adding})
    keys = {
        external_id: set(attributes or {})
        for external_id, attributes in stored.values_list("external_id", "custom_attributes")
    }
    refused = []
    for record in records:
        if not record.custom_attributes:
            continue
        before = keys.get(record.external_id, set())
        after = set(before)
        for name, text in record.custom_attributes.items():
            if text is None:
                after.discard(name)
            else:
                after.add(name)
        if len(after) > ATTRIBUTES_MAX:
            refused.append(
                ImportRowError(
                    line=record.line,
                    column=next(  # the first column that added one
                        (n for n, t in record.custom_attributes.items() if t and n not in before),
                        "",
                    ),
                    reason=(
                        f"the customer would have {len(after):,} custom attributes with this "
                        f"row's; at most {ATTRIBUTES_MAX} (empty cells remove attributes)"
                    ),
                )
            )
        else:
            keys[record.external_id] = after
    return refused
