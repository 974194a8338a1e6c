"""Hooks for apps that keep personal data this app cannot import (they sit above it).

``person_exporting`` is sent by ``person_export``: a receiver returns ``{section: data}`` to add
to the export. ``person_erasing`` is sent by ``person_erase`` inside its transaction: a receiver
removes or anonymises what it holds about the person and returns ``({kind: count}, records)``,
the records whose change history must be forgotten too (it holds the old text).
Both are sent with ``customer`` (the Customer) and ``by`` (the user, or None).
"""

from __future__ import annotations

from django.dispatch import Signal

person_exporting = Signal()
person_erasing = Signal()
