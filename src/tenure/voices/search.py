"""Free-text search over what customers wrote: survey answers' comments and voices' texts.

PostgreSQL: full-text search (``django.contrib.postgres.search``): the text as an English
``tsvector`` matched by ``websearch_to_tsquery`` (quoted phrases, ``-word`` to exclude, ``or``),
ranked by ``ts_rank``, through GIN expression indexes built by ``voices.0002`` on PostgreSQL
only; English stemming matches "deliveries" for "delivery", and stop words ("the") find
nothing. SQLite (the embedded default): every word of the query must appear in the text, case
folded for ASCII letters (SQLite's LIKE), ``-word`` excluded; no rank, so newest first. What
both guarantee: a text holding every word of the query as written is found, one missing a word
is not, and results come newest first among equal ranks.

The survey answers are the feedback app's, a sibling in the layers: reached by label. Scope:
each source through ``visible``, so a success manager searches their book only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import FloatField, QuerySet, Value
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from tenure.access import visible
from tenure.users.models import User
from tenure.voices.models import Voice

CONFIG = "english"
KINDS = {"answer": "Survey answers", "voice": "Comments and reviews"}
PER_PAGE = 20
PAGE_MAX = 50
QUERY_MAX = 200
EXCERPT = 240
# What "-word" or a quoted phrase looks like in a web search query.
_TERMS = re.compile(r'(-?)"([^"]*)"?|(-?)(\S+)')
_WORD = re.compile(r"\w+")
_SUFFIXES = ("ing", "ies", "ied", "ed", "es", "ly", "s", "y")


@dataclass(frozen=True)
class Terms:
    words: tuple[str, ...]  # every one must be in the text
    excluded: tuple[str, ...]


@dataclass(frozen=True)
class Hit:
    kind: str  # a key of KINDS
    record: Any  # the SurveyResponse or the Voice
    at: datetime
    rank: float
    excerpt: SafeString  # escaped, the matched words in <mark>

    @property
    def customer(self) -> Any:
        return self.record.customer


@dataclass(frozen=True)
class SearchPage:
    hits: list[Hit]
    number: int
    has_next: bool
    terms: Terms


def terms_parse(query: str) -> Terms:
    """The words a query asks for and those it excludes (``-word``); ``or`` is PostgreSQL's
    operator and no word."""
    words: list[str] = []
    excluded: list[str] = []
    for quoted_minus, phrase, minus, bare in _TERMS.findall(query[:QUERY_MAX]):
        text, negative = (phrase, quoted_minus) if phrase or quoted_minus else (bare, minus)
        if not phrase and text.lower() == "or":
            continue
        found = [w.lower() for w in _WORD.findall(text)]
        (excluded if negative else words).extend(found)
    return Terms(tuple(dict.fromkeys(words)), tuple(dict.fromkeys(excluded)))


def _stem(word: str) -> str:
    """A word's start for highlighting: light English suffixes off, at least 3 letters kept
    (PostgreSQL's stemmer matched "delivered" for "delivery"; this marks both)."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def highlight(text: str, words: Iterable[str], width: int = EXCERPT) -> SafeString:
    """An excerpt of ``text`` around the first matched word, escaped, each word that begins
    like one of ``words`` in ``<mark>``."""
    stems = sorted({_stem(w) for w in words if w}, key=len, reverse=True)
    if not stems:
        return mark_safe(escape(text[:width]))  # noqa: S308 (escaped)
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(s) for s in stems) + r")\w*", re.I)
    first = pattern.search(text)
    start = max(0, first.start() - width // 3) if first else 0
    part = text[start : start + width]
    pieces = ["…" if start else ""]
    at = 0
    for match in pattern.finditer(part):
        pieces += [escape(part[at : match.start()]), f"<mark>{escape(match.group())}</mark>"]
        at = match.end()
    pieces += [escape(part[at:]), "…" if start + width < len(text) else ""]
    return mark_safe("".join(pieces))  # noqa: S308 (every piece escaped)


def _sources(user: User | None, kinds: Iterable[str]) -> dict[str, tuple[QuerySet[Any], str, str]]:
    """Each kind's rows the user may see, with its text field and its date field."""
    found: dict[str, tuple[QuerySet[Any], str, str]] = {}
    if "answer" in kinds:
        answers = apps.get_model("feedback", "SurveyResponse")._default_manager.all()
        answers = answers if user is None else visible(user, answers)
        found["answer"] = (answers.exclude(comment=""), "comment", "answered_at")
    if "voice" in kinds:
        voices = Voice.objects.all() if user is None else visible(user, Voice)
        found["voice"] = (voices, "text", "published_at")
    return found


def _matching(rows: QuerySet[Any], field: str, query: str, terms: Terms) -> QuerySet[Any]:
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector(field, config=CONFIG)
        asked = SearchQuery(query, search_type="websearch", config=CONFIG)
        return rows.annotate(document=vector, search_rank=SearchRank(vector, asked)).filter(
            document=asked
        )
    for word in terms.words:
        rows = rows.filter(**{f"{field}__icontains": word})
    for word in terms.excluded:
        rows = rows.exclude(**{f"{field}__icontains": word})
    return rows.annotate(search_rank=Value(0.0, output_field=FloatField()))


def free_text_search(
    *,
    user: User | None,
    query: str,
    kinds: Iterable[str] | None = None,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> SearchPage:
    """The texts that match ``query``, best rank first, then newest; ``kinds`` (None: all)
    keys of ``KINDS``; ``page`` from 1. A query without a word finds nothing."""
    query = query.strip()[:QUERY_MAX]
    terms = terms_parse(query)
    page = min(max(1, page), PAGE_MAX)
    if not terms.words:
        return SearchPage([], page, False, terms)
    wanted = [kind for kind in KINDS if kinds is None or kind in kinds] or list(KINDS)
    enough = page * per_page + 1
    hits: list[Hit] = []
    for kind, (rows, field, dated) in _sources(user, wanted).items():
        found = (
            _matching(rows, field, query, terms)
            .select_related("customer")
            .order_by("-search_rank", f"-{dated}", "-id")[:enough]
        )
        hits += [
            Hit(kind, row, getattr(row, dated), float(row.search_rank),
                highlight(getattr(row, field), terms.words))
            for row in found
        ]  # fmt: skip
    hits.sort(key=lambda h: (-h.rank, -h.at.timestamp(), h.kind, -h.record.pk))
    shown = hits[(page - 1) * per_page : page * per_page]
    return SearchPage(shown, page, len(hits) > page * per_page, terms)
