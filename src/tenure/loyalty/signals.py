"""A person's export lists their points: every ledger entry and the balance, their tier and its
changes, and their challenges' progress (``tenure.privacy``).
Erasure keeps the ledger: its entries are numbers and keys, no personal text, and the
business owes (or is owed) the points whoever the person was."""

from __future__ import annotations

from typing import Any


def on_person_exporting(sender: Any, *, customer: Any, **_: Any) -> dict[str, Any]:
    from tenure.loyalty.models import (
        ChallengeProgress,
        CustomerTier,
        LoyaltyBalance,
        PointsEntry,
        TierChange,
    )

    balance = LoyaltyBalance.objects.filter(pk=customer.pk).first()
    entries = PointsEntry.objects.filter(customer=customer).order_by("id")
    tier = CustomerTier.objects.filter(pk=customer.pk).select_related("tier").first()
    changes = TierChange.objects.filter(customer=customer).order_by("id")
    progress = (
        ChallengeProgress.objects.filter(customer=customer).select_related("challenge")
        .order_by("challenge_id")
    )  # fmt: skip
    return {
        "loyalty_challenges": [
            {"challenge": p.challenge.name, "progress": str(p.progress), "target": str(p.target),
             "completed_at": p.completed_at.isoformat() if p.completed_at else None}
            for p in progress
        ],
        "loyalty_tier": {
            "tier": tier.tier.name if tier and tier.tier else None,
            "changes": [
                {"from": c.from_name, "to": c.to_name, "reason": c.reason,
                 "at": c.at.isoformat()}
                for c in changes
            ],
        },
        "loyalty_points": {
            "balance": balance.balance if balance else 0,
            "entries": [
                {"kind": e.kind, "points": e.points, "cause": e.cause,
                 "created_at": e.created_at.isoformat()}
                for e in entries
            ],
        }
    }  # fmt: skip
