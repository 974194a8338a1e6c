"""Where the texts that themes are found in come from: a small registry of text sources.

A source is registered in an ``AppConfig.ready()``: the themes app registers those of the apps
below it in the layers itself (the survey answers' comments and the voices: reviews, social
comments, feedback forms); an app above it registers its own::

    register_text_source("survey", read_comments, fetch=comments_by_id, label="Survey answer")

The contract:

- ``name``: 1-40 characters, stored with each assignment (``ThemeAssignment.source``); it never
  changes once texts were themed under it. Registering it again with the same functions is a
  no-op, with others an error.
- ``reader(since)`` yields one ``TextItem`` per non-empty text written at or after ``since``
  (every text when ``since`` is None), in any order: ``source`` (the name), ``source_id`` (the
  record's primary key, an integer, unique within the source), ``customer_id`` and
  ``account_id`` (None when the text is no customer's or account's), ``text`` and ``at`` (when
  it was written, timezone-aware). It reads every record, whoever may see it: the run is the
  operator's; the pages and the API scope what they show by ``customer_id``.
- ``fetch(ids)``, optional, returns {source_id: text} of those ids that still exist, for the
  pages to show a theme's answers (the themes app keeps no copy of the texts: a text erased or
  deleted in its own app is gone from the pages too). Without it, an answer is shown by its
  source and id.

A run reads all sources, finds the themes in all texts together, and drops the assignments of
texts the reader no longer yields (deleted, or emptied).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from tenure.feedback.models import SurveyResponse
from tenure.voices.models import Voice


@dataclass(frozen=True)
class TextItem:
    """One text to find themes in (see the module docstring)."""

    source: str
    source_id: int
    customer_id: int | None
    account_id: int | None
    text: str
    at: datetime


Reader = Callable[[datetime | None], Iterable[TextItem]]
Fetch = Callable[[list[int]], Mapping[int, str]]


@dataclass(frozen=True)
class TextSource:
    name: str
    reader: Reader
    fetch: Fetch | None = None
    label: str = ""

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()


_SOURCES: dict[str, TextSource] = {}


def register_text_source(
    name: str,
    reader: Reader,
    *,
    fetch: Fetch | None = None,
    label: str = "",
) -> TextSource:
    """Add a source of texts (the contract is the module's docstring)."""
    if not isinstance(name, str) or not 1 <= len(name) <= 40 or not name.isidentifier():
        raise ValueError(f"a text source's name is 1 to 40 letters, digits or _: {name!r}")
    if not callable(reader):
        raise ValueError(f"text source {name!r}: its reader must be callable")
    source = TextSource(name, reader, fetch, label)
    known = _SOURCES.get(name)
    if known is not None and known != source:
        raise ValueError(f"text source {name!r} is registered already")
    _SOURCES[name] = source
    return source


def text_sources() -> list[TextSource]:
    """The registered sources, by name."""
    return [_SOURCES[name] for name in sorted(_SOURCES)]


def text_source(name: str) -> TextSource | None:
    return _SOURCES.get(name)


def texts_read(since: datetime | None = None) -> list[TextItem]:
    """Every source's texts since ``since``, in a stable order (source, id); a blank text or
    an item that breaks the contract is an error naming its source."""
    items: list[TextItem] = []
    for source in text_sources():
        for item in source.reader(since):
            if item.source != source.name or not isinstance(item.source_id, int):
                raise ValueError(f"text source {source.name!r} yielded {item!r}")
            if item.at.tzinfo is None:
                raise ValueError(f"text source {source.name!r}: {item.source_id} has a naive `at`")
            if item.text.strip():
                items.append(item)
    items.sort(key=lambda item: (item.source, item.source_id))
    return items


# --- the survey answers' comments (the feedback app, below this one) -----------------------

SURVEY = "survey"


def survey_comments(since: datetime | None) -> Iterable[TextItem]:
    answers = SurveyResponse.objects.exclude(comment="")
    if since is not None:
        answers = answers.filter(answered_at__gte=since)
    rows = answers.order_by("pk").values_list(
        "pk", "customer_id", "customer__account_id", "comment", "answered_at"
    )
    for pk, customer_id, account_id, comment, answered_at in rows.iterator(chunk_size=2000):
        yield TextItem(SURVEY, pk, customer_id, account_id, comment, answered_at)


def survey_comments_fetch(ids: list[int]) -> Mapping[int, str]:
    return dict(SurveyResponse.objects.filter(pk__in=ids).values_list("pk", "comment"))


# --- the voices: reviews, social comments, feedback forms (the voices app, below this one) --

VOICE = "voice"


def voice_texts(since: datetime | None) -> Iterable[TextItem]:
    voices = Voice.objects.exclude(text="")
    if since is not None:
        voices = voices.filter(published_at__gte=since)
    rows = voices.order_by("pk").values_list(
        "pk", "customer_id", "account_id", "customer__account_id", "text", "published_at"
    )
    for pk, customer_id, account_id, customers_account, text, at in rows.iterator(chunk_size=2000):
        yield TextItem(VOICE, pk, customer_id, account_id or customers_account, text, at)


def voice_texts_fetch(ids: list[int]) -> Mapping[int, str]:
    return dict(Voice.objects.filter(pk__in=ids).values_list("pk", "text"))
