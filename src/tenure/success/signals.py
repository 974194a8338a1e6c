"""What a person's export and erasure do to the appreciation given them (``tenure.privacy``)."""

from __future__ import annotations

from typing import Any

ERASED = "[erased]"


def on_person_exporting(sender: Any, *, customer: Any, **_: Any) -> dict[str, Any]:
    """A person's export includes the gifts, notes and invitations recorded for them."""
    from django.forms.models import model_to_dict

    from tenure.success.models import Appreciation

    given = Appreciation.objects.filter(customer=customer).order_by("given_on", "id")
    return {"appreciations": [{**model_to_dict(a), "id": a.pk} for a in given]}


def on_person_erasing(sender: Any, *, customer: Any, **_: Any) -> tuple[dict[str, int], list[Any]]:
    """Appreciation given an erased person loses its description (it names them: "flowers
    for Ann's birthday"); what was given, when and at what cost stays, the business's own
    record of its spending."""
    from tenure.success.models import Appreciation

    given = list(Appreciation.objects.filter(customer=customer).exclude(description=""))
    Appreciation.objects.filter(pk__in=[a.pk for a in given]).update(description=ERASED)
    return {"appreciations": len(given)}, given
