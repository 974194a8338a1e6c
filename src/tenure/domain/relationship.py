"""The whole customer team: does an account's relationship rest on one person?

A relationship is single-threaded when it rests on **one contact** (at most one of the
account's contacts was engaged, named on an interaction, in the last ``days`` days) or on
**one team member** (the owner and whoever else logged an interaction on the account or its
customers in that window make at most one person). Losing that one person loses the account,
so the rule says so in words and names who else to meet: the contacts who decide or champion
(``decision_maker``, ``champion``, ``executive_sponsor``) not engaged in the window, and the
deciding roles no contact holds at all.

Pure: the Django side (``tenure.interactions.relationship_selectors``) reads the contacts,
their last interaction and the team; this module decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

ENGAGED_DAYS = 90
# The roles a relationship needs someone in, and the words for them.
KEY_ROLES: dict[str, str] = {"decision_maker": "decision maker", "champion": "champion"}
ROLE_WORDS: dict[str, str] = {
    **KEY_ROLES,
    "executive_sponsor": "executive sponsor",
    "user": "user",
    "billing": "billing",
    "technical": "technical",
    "other": "other",
}
_TO_MEET = ("decision_maker", "champion", "executive_sponsor")


@dataclass(frozen=True)
class ContactSeen:
    """One contact of the account: name, role, whether primary, last interaction naming them."""

    name: str
    role: str
    primary: bool = False
    last_engaged: datetime | None = None


@dataclass(frozen=True)
class Relationship:
    """An account's breadth: who was engaged on each side, and who else to meet."""

    contacts: int
    engaged_contacts: tuple[str, ...]
    team_members: tuple[str, ...]
    meet: tuple[str, ...]
    days: int = ENGAGED_DAYS

    @property
    def one_contact(self) -> bool:
        """At most one contact engaged (none at all is worse, and flagged too)."""
        return len(self.engaged_contacts) <= 1

    @property
    def one_member(self) -> bool:
        return len(self.team_members) <= 1

    @property
    def single_threaded(self) -> bool:
        return self.one_contact or self.one_member

    @property
    def words(self) -> str:
        """The flag in a sentence or three; "" when the relationship is broad."""
        parts = []
        window = f"in the last {self.days} days"
        if not self.engaged_contacts:
            parts.append(
                f"No contact engaged {window}"
                if self.contacts
                else "Rests on no one: no contact on record"
            )
        elif self.one_contact:
            parts.append(
                f"Rests on one contact: only {self.engaged_contacts[0]} was engaged {window}"
            )
        if not self.team_members:
            parts.append(f"No one on the team looked after it {window}")
        elif self.one_member:
            parts.append(
                f"Rests on one team member: only {self.team_members[0]} looked after it {window}"
            )
        if not parts:
            return ""
        text = ". ".join(parts) + "."
        if self.meet:
            text += " Who else to meet: " + "; ".join(self.meet) + "."
        return text


def relationship_read(
    *,
    contacts: Sequence[ContactSeen],
    team_members: Sequence[str],
    now: datetime,
    days: int = ENGAGED_DAYS,
) -> Relationship:
    """Whether an account's relationship rests on one contact or one team member.

    Parameters
    ----------
    contacts : the account's contacts, each with their last interaction (None: never).
    team_members : the owner and the members who logged an interaction in the window, by
        name; the same person twice counts once.
    now : the moment of the reading (timezone-aware, as ``last_engaged``).
    days : the window, 90 by default.
    """
    since = now - timedelta(days=days)
    engaged = [c for c in contacts if c.last_engaged is not None and since < c.last_engaged <= now]
    engaged_names = tuple(sorted({c.name for c in engaged}))
    meet = [
        f"{c.name} ({ROLE_WORDS.get(c.role, c.role)}, "
        + ("never engaged)" if c.last_engaged is None else f"not engaged in {days} days)")
        for c in sorted(
            (c for c in contacts if c.role in _TO_MEET and c not in engaged),
            key=lambda c: (_TO_MEET.index(c.role), c.name),
        )
    ]
    held = {c.role for c in contacts}
    meet += [f"no {words} on record" for role, words in KEY_ROLES.items() if role not in held]
    members = tuple(dict.fromkeys(name for name in team_members if name))
    return Relationship(
        contacts=len(contacts),
        engaged_contacts=engaged_names,
        team_members=members,
        meet=tuple(meet),
        days=days,
    )
