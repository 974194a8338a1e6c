"""What a person's export and erasure do to the email sent to them (``tenure.privacy``)."""

from __future__ import annotations

from typing import Any


def on_person_exporting(sender: Any, *, customer: Any, **_: Any) -> dict[str, Any]:
    """A person's export lists the messages to them: what, when, what became of it."""
    from tenure.mail.models import Message

    fields = ("id", "key", "kind", "topic", "status", "reason", "due_at", "finished_at",
              "to_address", "message_id")  # fmt: skip
    rows = Message.objects.filter(customer=customer).order_by("id").values(*fields)
    return {"messages": [{k: (v.isoformat() if hasattr(v, "isoformat") else v)
                          for k, v in row.items()} for row in rows]}  # fmt: skip


def on_person_erasing(sender: Any, *, customer: Any, **_: Any) -> tuple[dict[str, int], list[Any]]:
    """Messages to an erased person lose their address, content and the copy sent; the ledger
    rows stay (what was sent, when, the cap's history), naming no one."""
    from tenure.mail.models import Message

    messages = Message.objects.filter(customer=customer)
    count = messages.update(
        to_address="", raw="", subject="", text="", html="", context={}, attachments=[]
    )
    return {"messages": count}, []
