"""What a person's export and erasure do to their segment stays (``tenure.privacy``)."""

from __future__ import annotations

from typing import Any


def on_person_exporting(sender: Any, *, customer: Any, **_: Any) -> dict[str, Any]:
    """A person's export lists every stay in a segment: which, from when, until when."""
    from tenure.segments.models import SegmentMembership

    stays = SegmentMembership.objects.filter(customer=customer).select_related("segment")
    return {
        "segment_memberships": [
            {
                "segment_id": stay.segment_id,
                "segment": stay.segment.name,
                "entered_at": stay.entered_at.isoformat(),
                "left_at": stay.left_at.isoformat() if stay.left_at else None,
            }
            for stay in stays.order_by("entered_at", "id")
        ]
    }


def on_person_erasing(sender: Any, *, customer: Any, **_: Any) -> tuple[dict[str, int], list[Any]]:
    """An erased person's stays are deleted: what audiences they were in says something about
    them. (Their anonymous record may meet a definition again at the next refresh.)"""
    from tenure.segments.models import SegmentMembership

    deleted, _ = SegmentMembership.objects.filter(customer=customer).delete()
    return {"segment_memberships": deleted}, []
