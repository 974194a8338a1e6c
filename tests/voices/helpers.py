"""Voices for the tests: saved through the service (as every path saves them)."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from tenure.voices.models import Voice
from tenure.voices.services import voice_record
from tests.factories import T0

_seq = itertools.count(1)


def voice_data(**fields: Any) -> dict[str, Any]:
    n = next(_seq)
    data: dict[str, Any] = {
        "source_kind": "review_site",
        "source_name": "Trustpilot",
        "external_id": f"tp-{n}",
        "text": f"Helpful team, order {n} arrived fine",
        "published_at": T0,
    }
    return {**data, **fields}


def make_voice(*, by=None, at: datetime | None = None, **fields: Any) -> Voice:
    data = voice_data(**fields)
    if at is not None:
        data["published_at"] = at
    return voice_record(by=by, data=data).voice
