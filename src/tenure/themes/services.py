"""Writes of themes by people: rename, merge, tag and untag, hide and show.

Themes are the whole team's vocabulary, so admins and managers curate them (``require_all``);
an analyst and a success manager read them (403 here). Each write locks the theme, keeps its
history (auditlog, tags included) and writes its event in the same transaction. A run
(``finding.py``) never undoes these: a name a person gave stays, tags stay, a merged theme's
answers keep going to its survivor.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tenure.access import require_all
from tenure.access.records import record_save
from tenure.domain.access import Action
from tenure.domain.limits import text_problem
from tenure.themes.events import HIDDEN, MERGED, RENAMED, SHOWN, TAGGED, UNTAGGED, theme_event
from tenure.themes.models import Theme, ThemeAssignment, ThemeStatus, ThemeTag

THEMES_WHY = "themes are the whole team's: admins and managers curate them"
LABEL_MAX = 120
TAG_MAX = 60


def curate_require(by: Any) -> None:
    """Refuse (403) a role that may not curate themes; ``by=None`` is the operator."""
    if by is not None:
        require_all(by, Action.CHANGE, why=THEMES_WHY)


def _theme(theme_id: Any, field: str = "theme_id") -> Theme:
    theme = None
    if isinstance(theme_id, int) and not isinstance(theme_id, bool):
        theme = Theme.objects.select_for_update().filter(pk=theme_id).first()
    if theme is None:
        raise ValidationError({field: [f"no theme {theme_id}"]})
    return theme


def _words(field: str, value: Any, max_length: int) -> str:
    text = " ".join(str(value if value is not None else "").split())
    if not text:
        raise ValidationError({field: ["give it a name"]})
    problem = text_problem(text, max_length=max_length)
    if problem is not None:
        raise ValidationError({field: [problem]})
    return text


def _not_merged(theme: Theme, field: str) -> None:
    if theme.status == ThemeStatus.MERGED:
        raise ValidationError(
            {field: [f"theme {theme.pk} was merged into theme {theme.merged_into_id}"]}
        )


@transaction.atomic
def theme_rename(*, by: Any, theme_id: int, label: Any) -> Theme:
    """Give the theme a person's name; later runs keep it."""
    curate_require(by)
    theme = _theme(theme_id)
    _not_merged(theme, "theme_id")
    text = _words("label", label, LABEL_MAX)
    if text == theme.label and theme.renamed_by_person:
        return theme
    theme.label, theme.renamed_by_person = text, True
    record_save(theme)
    theme_event(RENAMED, theme_id=theme.pk, fields=["label"])
    return theme


@transaction.atomic
def theme_merge(*, by: Any, theme_id: int, into_id: int) -> Theme:
    """Merge theme ``theme_id`` into ``into_id``: its answers and tags move there, it is kept as
    a pointer (its own merged themes now point to the survivor), and later runs that find its
    topic send the answers to the survivor. Returns the survivor."""
    curate_require(by)
    if theme_id == into_id:
        raise ValidationError({"into_id": ["a theme cannot be merged into itself"]})
    _ids(theme_id, into_id)
    # Both locked in id order: two merges of the same pair at once never deadlock.
    locked = {
        pk: _theme(pk, "theme_id" if pk == theme_id else "into_id")
        for pk in sorted([theme_id, into_id])
    }
    merged, survivor = locked[theme_id], locked[into_id]
    _not_merged(merged, "theme_id")
    _not_merged(survivor, "into_id")
    moved = ThemeAssignment.objects.filter(theme=merged).update(theme=survivor)
    Theme.objects.filter(merged_into=merged).update(merged_into=survivor)
    survivor.tags.add(*merged.tags.all())
    merged.status, merged.merged_into = ThemeStatus.MERGED, survivor
    record_save(merged)
    theme_event(MERGED, theme_id=merged.pk, into=survivor.pk, answers=moved)
    return survivor


def _ids(*values: Any) -> None:
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise ValidationError({"into_id": ["theme ids are whole numbers"]})


def tag_name(value: Any) -> str:
    """A tag as stored: its words with single spaces, 1 to 60 characters."""
    return _words("tag", value, TAG_MAX)


@transaction.atomic
def theme_tag(*, by: Any, theme_id: int, tag: Any) -> ThemeTag:
    """Put ``tag`` on the theme (the tag is made on first use; the same tag twice is one)."""
    curate_require(by)
    theme = _theme(theme_id)
    _not_merged(theme, "theme_id")
    name = tag_name(tag)
    found = ThemeTag.objects.filter(name__iexact=name).first()
    if found is None:
        found = ThemeTag(name=name)
        record_save(found)
    if not theme.tags.filter(pk=found.pk).exists():
        theme.tags.add(found)
        theme_event(TAGGED, theme_id=theme.pk, tag=found.pk)
    return found


@transaction.atomic
def theme_untag(*, by: Any, theme_id: int, tag: Any) -> bool:
    """Take ``tag`` off the theme; False when it was not on it."""
    curate_require(by)
    theme = _theme(theme_id)
    found = theme.tags.filter(name__iexact=tag_name(tag)).first()
    if found is None:
        return False
    theme.tags.remove(found)
    theme_event(UNTAGGED, theme_id=theme.pk, tag=found.pk)
    return True


@transaction.atomic
def theme_hide(*, by: Any, theme_id: int, hidden: bool = True) -> Theme:
    """Hide the theme from the lists (its answers stay; runs keep matching it), or show it."""
    curate_require(by)
    theme = _theme(theme_id)
    _not_merged(theme, "theme_id")
    wanted = ThemeStatus.HIDDEN if hidden else ThemeStatus.ACTIVE
    if theme.status == wanted:
        return theme
    theme.status = wanted
    record_save(theme)
    theme_event(HIDDEN if hidden else SHOWN, theme_id=theme.pk)
    return theme


def themes_run_start(*, by: Any, seed: int = 0) -> tuple[Any, bool]:
    """Ask for a themes run ("Find themes now"): the run and True, or the run already queued
    or running and False (a second click, a retried request)."""
    from tenure.jobs.services import run_start
    from tenure.themes.tasks import THEMES_RUN

    curate_require(by)
    return run_start(kind=THEMES_RUN, by=by, args={"seed": seed}, exclusive=True)
