"""A run of the themes: read every registered text, find its themes, match them to the stored
ones, and store the outcome in one transaction.

- Texts: ``sources.texts_read`` (every text of every registered source; ``since`` narrows it).
- Themes: ``tenure.analytics.themes.themes_find`` (TF-IDF + NMF, the number by stability).
- Identity: ``tenure.analytics.theme_matching.themes_match`` (word-weight cosine, Hungarian
  assignment, a threshold). A matched stored theme keeps its id, its tags, a name a person
  gave (else it takes the new top words) and its status (hidden stays hidden); a match of a
  merged theme sends its answers to the survivor; a new topic becomes a new theme; a stored
  theme no new one matched keeps its assignments (its texts stay in it, wherever the run would
  place them) and is marked not seen in the last run.
- Assignments: one per text, ``(source, source_id)`` unique, written by one upsert: a run twice
  writes the same rows again, never a second one. A text placed in no theme this run keeps the
  theme it had; a text the sources no longer yield (deleted, emptied) loses its assignment.

Safe to run twice or at once: the store locks the themes first (PostgreSQL ``FOR UPDATE``;
SQLite writes one transaction at a time), so a second run matches what the first stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from tenure.analytics.theme_matching import (
    ThemeMatching,
    answer_weights,
    theme_word_weights,
    themes_match,
)
from tenure.analytics.themes import NO_THEME, FoundThemes, themes_find
from tenure.jobs.models import Run
from tenure.themes.events import FOUND, theme_event
from tenure.themes.models import Theme, ThemeAssignment, ThemeStatus
from tenure.themes.sources import TextItem, text_sources, texts_read

LABEL_MAX = 120
BATCH = 1000


@dataclass(frozen=True)
class FindResult:
    """What a run did: texts read and placed, themes found, how many matched stored themes,
    how many are new, how many stored themes were not seen, assignments dropped."""

    texts: int
    placed: int
    found: int
    matched: int
    new: int
    unseen: int
    dropped: int

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def _label(terms: tuple[str, ...]) -> str:
    return (", ".join(terms) or "(no words)")[:LABEL_MAX]


def _store_themes(
    found: FoundThemes,
    weights: dict[int, dict[str, float]],
    matching: ThemeMatching,
    stored: dict[int, Theme],
    run: Run | None,
) -> tuple[dict[int, int], int]:
    """Update the matched themes, create the new ones, mark the unseen; returns found id ->
    theme id, and how many stored themes were not seen."""
    target: dict[int, int] = {}
    for theme in found.themes:
        words, terms = weights.get(theme.id, {}), list(theme.terms)
        if theme.id in matching.matched:
            resembled = stored[matching.matched_stored[theme.id]]
            resembled.words, resembled.terms = words, terms
            if not resembled.renamed_by_person:
                resembled.label = _label(theme.terms)
            resembled.seen_in_last_run, resembled.last_seen_run = True, run
            resembled.save()
            target[theme.id] = matching.matched[theme.id]
        else:
            made = Theme.objects.create(
                label=_label(theme.terms), terms=terms, words=words, last_seen_run=run
            )
            stored[made.pk] = made
            target[theme.id] = made.pk
    # A survivor reached only through a merged theme was seen too.
    Theme.objects.filter(pk__in=set(target.values())).update(
        seen_in_last_run=True, last_seen_run=run
    )
    unseen = [pk for pk in matching.unseen if stored[pk].status != ThemeStatus.MERGED]
    Theme.objects.filter(pk__in=unseen).update(seen_in_last_run=False)
    return target, len(unseen)


def _store_assignments(
    items: list[TextItem],
    found: FoundThemes,
    typical: Any,
    target: dict[int, int],
    since: datetime | None,
) -> int:
    """Upsert one assignment per text; drop those of texts no longer yielded. Returns drops."""
    reached = set(target.values())
    existing = {
        (source, source_id): (pk, theme_id, weight, at)
        for pk, source, source_id, theme_id, weight, at in ThemeAssignment.objects.values_list(
            "pk", "source", "source_id", "theme_id", "weight", "at"
        ).iterator(chunk_size=5000)
    }
    rows = []
    for i, item in enumerate(items):
        key = (item.source, item.source_id)
        theme = int(found.assignments[i])
        before = existing.pop(key, None)
        old_theme, old_weight = (before[1], before[2]) if before else (None, 0.0)
        if old_theme is not None and (theme == NO_THEME or old_theme not in reached):
            # Placed nowhere this time, or in a theme this run did not see: it keeps its theme.
            theme_id, weight = old_theme, old_weight
        elif theme != NO_THEME:
            theme_id, weight = target[theme], float(typical[i])
        else:
            theme_id, weight = None, 0.0
        rows.append(
            ThemeAssignment(
                theme_id=theme_id, source=item.source, source_id=item.source_id,
                customer_id=item.customer_id, account_id=item.account_id, at=item.at,
                weight=min(max(weight, 0.0), 1.0),
            )
        )  # fmt: skip
    ThemeAssignment.objects.bulk_create(
        rows,
        batch_size=BATCH,
        update_conflicts=True,
        unique_fields=["source", "source_id"],
        update_fields=["theme", "customer", "account", "at", "weight"],
    )
    # Left in ``existing``: texts not read this time. Of the sources read, and of the moments
    # read, they are gone from their source.
    read = {source.name for source in text_sources()}
    stale = [
        pk
        for (source, _), (pk, _, _, at) in existing.items()
        if source in read and (since is None or at >= since)
    ]
    for start in range(0, len(stale), BATCH):
        ThemeAssignment.objects.filter(pk__in=stale[start : start + BATCH]).delete()
    return len(stale)


def themes_refresh(
    *,
    run: Run | None = None,
    since: datetime | None = None,
    seed: int = 0,
    on_progress: Callable[[int, str], None] | None = None,
) -> FindResult:
    """Find the themes of every registered text and store them (see the module docstring);
    ``seed`` makes it repeatable; ``on_progress(step, note)`` hears each of its 3 steps."""
    say = on_progress or (lambda step, note: None)
    say(0, "reading the texts")
    items = texts_read(since)
    texts = [item.text for item in items]
    say(1, f"finding the themes of {len(texts):,} texts")
    found = themes_find(texts, seed=seed)
    weights = theme_word_weights(texts, found.assignments)
    typical = answer_weights(texts, found.assignments, weights)
    say(2, "storing the themes")
    with transaction.atomic():
        stored = {theme.pk: theme for theme in Theme.objects.select_for_update().order_by("pk")}
        matching = themes_match(
            weights,
            {pk: theme.words or {} for pk, theme in stored.items()},
            survivors={
                pk: theme.merged_into_id
                for pk, theme in stored.items()
                if theme.merged_into_id is not None
            },
        )
        target, unseen = _store_themes(found, weights, matching, stored, run)
        dropped = _store_assignments(items, found, typical, target, since)
        result = FindResult(
            texts=len(texts),
            placed=len(texts) - found.no_theme,
            found=len(found.themes),
            matched=len(matching.matched),
            new=len(matching.new),
            unseen=unseen,
            dropped=dropped,
        )
        theme_event(FOUND, theme_id=None, run=run.pk if run else None, **result.as_dict())
    return result
