"""The single-threaded rule, hand-worked: one contact; two contacts but one engaged; a missing
decision maker; one team member; a broad relationship."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tenure.domain.relationship import ContactSeen, relationship_read

NOW = datetime(2025, 6, 30, 12, tzinfo=UTC)
RECENT = NOW - timedelta(days=10)
LONG_AGO = NOW - timedelta(days=120)


def test_one_contact_rests_on_that_contact():
    found = relationship_read(
        contacts=[ContactSeen("Ana Ruiz", "decision_maker", True, RECENT)],
        team_members=["Sam", "Kim"],
        now=NOW,
    )
    assert found.single_threaded and found.one_contact and not found.one_member
    assert found.engaged_contacts == ("Ana Ruiz",)
    assert found.meet == ("no champion on record",)
    assert found.words == (
        "Rests on one contact: only Ana Ruiz was engaged in the last 90 days. "
        "Who else to meet: no champion on record."
    )


def test_two_contacts_but_one_engaged_names_the_other_to_meet():
    found = relationship_read(
        contacts=[
            ContactSeen("Ana Ruiz", "user", True, RECENT),
            ContactSeen("Bo Lee", "champion", False, LONG_AGO),
            ContactSeen("Cy Diaz", "decision_maker", False, None),
        ],
        team_members=["Sam", "Kim"],
        now=NOW,
    )
    assert found.one_contact and found.contacts == 3
    # The decision maker first, then the champion; each says since when.
    assert found.meet == (
        "Cy Diaz (decision maker, never engaged)",
        "Bo Lee (champion, not engaged in 90 days)",
    )
    assert "only Ana Ruiz was engaged" in found.words


def test_the_window_is_90_days_exactly():
    edge = relationship_read(
        contacts=[
            ContactSeen("Ana", "decision_maker", False, NOW - timedelta(days=90)),
            ContactSeen("Bo", "champion", False, NOW - timedelta(days=89, hours=23)),
        ],
        team_members=["Sam", "Kim"],
        now=NOW,
    )
    assert edge.engaged_contacts == ("Bo",)  # 90 days ago is outside (since < moment)


def test_a_missing_decision_maker_is_said_even_when_broad():
    found = relationship_read(
        contacts=[
            ContactSeen("Ana", "champion", False, RECENT),
            ContactSeen("Bo", "user", False, RECENT),
        ],
        team_members=["Sam", "Kim"],
        now=NOW,
    )
    assert not found.single_threaded
    assert found.words == ""
    assert found.meet == ("no decision maker on record",)


def test_one_team_member_and_no_contacts():
    found = relationship_read(contacts=[], team_members=["Sam", "Sam", ""], now=NOW)
    assert found.one_member and found.team_members == ("Sam",)
    assert found.words == (
        "Rests on no one: no contact on record. Rests on one team member: only Sam looked "
        "after it in the last 90 days. Who else to meet: no decision maker on record; "
        "no champion on record."
    )


def test_contacts_on_record_but_none_engaged():
    found = relationship_read(
        contacts=[ContactSeen("Ana", "decision_maker", False, LONG_AGO)],
        team_members=[],
        now=NOW,
    )
    assert found.engaged_contacts == () and found.team_members == ()
    assert found.words.startswith(
        "No contact engaged in the last 90 days. No one on the team looked after it"
    )
    assert "Ana (decision maker, not engaged in 90 days)" in found.words


def test_a_moment_after_now_is_not_engagement():
    found = relationship_read(
        contacts=[ContactSeen("Ana", "user", False, NOW + timedelta(days=1))],
        team_members=["Sam", "Kim"],
        now=NOW,
    )
    assert found.engaged_contacts == ()
