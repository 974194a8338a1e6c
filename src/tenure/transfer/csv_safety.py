"""Spreadsheet formula injection: what the export does to a cell, and how the import undoes it.

A spreadsheet treats a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (OWASP, "CSV Injection"). The export puts an apostrophe in front of such a
cell, which spreadsheets show as text and do not evaluate.

To make export -> import exact, the rule also covers values that already begin with
apostrophes before such a character: the export adds one ``'`` to any value matching
``'*[=+\\-@\\t\\r]...`` and the import removes one ``'`` from any value matching
``'+[=+\\-@\\t\\r]...``. So ``=1+2`` travels as ``'=1+2``, ``'=x`` as ``''=x``, and ``'quoted``
(no formula character after the apostrophes) is left alone both ways. The one cost: a file
written by hand with ``'-5`` in a cell imports as ``-5``.
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_NEEDS_PREFIX = re.compile(r"'*[=+\-@\t\r]")
_HAS_PREFIX = re.compile(r"'+[=+\-@\t\r]")


def cell_neutralise(value: str) -> str:
    """The text to write for ``value`` so that no spreadsheet evaluates it."""
    if value and (value[0] in FORMULA_STARTS or (value[0] == "'" and _NEEDS_PREFIX.match(value))):
        return "'" + value
    return value


def cell_restore(value: str) -> str:
    """Undo ``cell_neutralise``: the value as it was before the export."""
    if value and value[0] == "'" and _HAS_PREFIX.match(value):
        return value[1:]
    return value
