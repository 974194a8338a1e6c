"""What a person's export and erasure do to their requests on the ideas board
(``tenure.privacy``)."""

from __future__ import annotations

from typing import Any


def on_person_exporting(sender: Any, *, customer: Any, **_: Any) -> dict[str, Any]:
    """A person's export lists the ideas they asked for, with what they said."""
    from tenure.ideas.models import IdeaRequest

    requests = IdeaRequest.objects.filter(customer=customer).select_related("idea").order_by("id")
    return {
        "idea_requests": [
            {"id": r.pk, "idea": r.idea.title, "note": r.note, "source": r.source,
             "created_at": r.created_at}
            for r in requests
        ]
    }  # fmt: skip


def on_person_erasing(sender: Any, *, customer: Any, **_: Any) -> tuple[dict[str, int], list[Any]]:
    """Their requests lose their words (what they said may name them); the requests stay, so
    the idea keeps counting the customers who asked."""
    from tenure.ideas.models import IdeaRequest

    requests = list(IdeaRequest.objects.filter(customer=customer).exclude(note=""))
    IdeaRequest.objects.filter(pk__in=[r.pk for r in requests]).update(note="[erased]")
    return {"idea_request_notes": len(requests)}, requests
