"""Which column of a file gives which field: the wizard's first guess from the column names,
and the layout the engine reads once a person has chosen.

A guess compares names with letters and digits only ("E-mail", "e_mail" and "EMAIL" are all
``email``), then a short list of names other tools export; a column is given to one field at
most, the first field asking for it winning.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from tenure.domain.records import (
    CUSTOMER_ALIASES,
    CUSTOMER_FIELDS,
    CUSTOMER_REQUIRED,
    ORDER_FIELDS,
    ORDER_REQUIRED,
    Layout,
)
from tenure.transfer.models import ImportKind


@dataclass(frozen=True, slots=True)
class KindFields:
    fields: tuple[str, ...]
    required: tuple[str, ...]
    aliases: Mapping[str, str]


KIND_FIELDS: dict[str, KindFields] = {
    ImportKind.CUSTOMERS: KindFields(CUSTOMER_FIELDS, CUSTOMER_REQUIRED, CUSTOMER_ALIASES),
    ImportKind.ORDERS: KindFields(ORDER_FIELDS, ORDER_REQUIRED, {}),
}

# Names seen in exports of shops, CRMs and spreadsheets, already normalised (``_plain``).
_SYNONYMS: dict[str, dict[str, tuple[str, ...]]] = {
    ImportKind.CUSTOMERS: {
        "customer_id": ("customerid", "clientno", "clientnumber", "customernumber", "custid",
                        "externalid", "id"),
        "email": ("email", "emailaddress", "mail"),
        "first_name": ("firstname", "givenname", "forename"),
        "last_name": ("lastname", "surname", "familyname"),
        "phone": ("phone", "telephone", "phonenumber", "mobile", "tel"),
        "birthday": ("birthday", "birthdate", "dateofbirth", "dob"),
        "account": ("account", "company", "accountname", "organisation", "organization"),
        "channel": ("channel", "acquisitionchannel", "source"),
        "category": ("category", "segment", "customertype", "tier"),
        "created_at": ("createdat", "created", "signupdate", "customersince", "joined"),
    },
    ImportKind.ORDERS: {
        "order_id": ("orderid", "ordernumber", "orderno", "order", "id", "name"),
        "customer_id": ("customerid", "customer", "clientno", "customernumber", "custid"),
        "placed_at": ("placedat", "orderdate", "date", "createdat", "placed", "processedat"),
        "amount": ("amount", "total", "ordertotal", "price", "value"),
        "currency": ("currency",),
        "status": ("status", "financialstatus", "orderstatus"),
    },
}  # fmt: skip


def _plain(name: str) -> str:
    return re.sub(r"[^0-9a-z]", "", name.casefold())


def mapping_suggest(kind: str, header: Sequence[str]) -> dict[str, str]:
    """field -> the file's column that likely gives it ("" when none seems to)."""
    by_plain: dict[str, str] = {}
    for column in header:
        by_plain.setdefault(_plain(column), column.strip())
    taken: set[str] = set()
    suggested: dict[str, str] = {}
    for field in KIND_FIELDS[kind].fields:
        names = (_plain(field), *_SYNONYMS[kind].get(field, ()))
        found = next((by_plain[n] for n in names if n in by_plain and by_plain[n] not in taken), "")
        if found:
            taken.add(found)
        suggested[field] = found
    return suggested


def mapping_fitted(
    kind: str, header: Sequence[str], column_map: Mapping[str, str], ignored: Collection[str]
) -> dict[str, str]:
    """A remembered ``column_map`` (column -> field) as field -> column for this file: columns
    it lacks are dropped, fields left over are guessed from the columns it neither used nor
    chose to leave out."""
    columns = {name.strip() for name in header}
    chosen = {field: column for column, field in column_map.items() if column in columns}
    guessed = mapping_suggest(kind, header)
    used = set(chosen.values()) | set(ignored)
    return {
        field: chosen.get(field) or ("" if guessed[field] in used else guessed[field])
        for field in KIND_FIELDS[kind].fields
    }


def header_key(header: Sequence[str]) -> list[str]:
    """A header as it is compared with a source's: its names, trimmed, in order."""
    return [name.strip() for name in header]


def layout_without(layout: Layout, ignored: Collection[str]) -> Layout:
    """``layout`` reading none of the ``ignored`` columns (the wizard's unchecked extras and
    the columns a person chose not to import)."""
    if not ignored:
        return layout
    return Layout(
        columns={f: (p, n) for f, (p, n) in layout.columns.items() if n not in ignored},
        extra=tuple((p, n) for p, n in layout.extra if n not in ignored),
        width=layout.width,
    )
