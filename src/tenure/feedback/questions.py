"""A survey's custom questions and translations, the texts a language gets, and the answers to
custom questions checked against the questions.

Custom questions (scale, choice, free text) follow the survey's headline question (NPS, CSAT or
CES), which stays the first. A translation holds every text of the survey in one language; it
is saved only complete, and a question added later is shown in the survey's own language until
the translation gives it. Surveys are the whole business's: admins and managers change them.
A question that has answers is not deleted (its answers would lose their meaning): a survey
asked differently is a new survey.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from tenure.access import require_all
from tenure.access.records import record_save
from tenure.domain.access import Action
from tenure.feedback.models import (
    QuestionKind,
    Survey,
    SurveyAnswerItem,
    SurveyQuestion,
    SurveyTranslation,
)
from tenure.users.models import User

SURVEYS_WHY = "surveys are the whole business's: admins and managers create and send them"

MAX_QUESTIONS = 20
MAX_OPTIONS = 20
TEXT_MAX = 5000
DEFAULT_LANGUAGE = "en"
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,6})?")  # at most 10 characters, as stored
# Where a customer's language is kept, if anywhere: tenure has no language field of its own, so
# an imported attribute of one of these names is read (``{"language": "de"}``).
LANGUAGE_ATTRIBUTES = ("language", "lang", "locale")


def language_clean(value: object) -> str:
    """A language tag in lower case (``de``, ``pt-br``); '' when it is none."""
    text = str(value or "").strip().lower().replace("_", "-")
    return text if _LANGUAGE.fullmatch(text) else ""


def customer_language(attributes: object) -> str:
    """The language kept in a customer's imported attributes, if any ('' otherwise)."""
    if not isinstance(attributes, dict):
        return ""
    for name in LANGUAGE_ATTRIBUTES:
        if found := language_clean(attributes.get(name)):
            return found
    return ""


def _survey(survey_id: int, *, lock: bool = False) -> Survey:
    surveys = Survey.objects.select_for_update() if lock else Survey.objects.all()
    survey = surveys.filter(pk=survey_id).first()
    if survey is None:
        raise ValidationError({"survey": [f"no survey with id {survey_id}"]})
    return survey


def _text(value: object, field: str, errors: dict[str, list[str]], limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not isinstance(value, str) and value is not None:
        errors[field] = ["must be text"]
    elif len(text) > limit:
        errors[field] = [f"at most {limit} characters"]
    return text


def _whole(value: object) -> int | None:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit() and len(value) < 6:
        return int(value.strip())
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _options(raw: object, errors: dict[str, list[str]]) -> list[str]:
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        errors["options"] = [f"a list of 2 to {MAX_OPTIONS} choices, as text"]
        return []
    options = [item.strip() for item in raw if item.strip()]
    if not 2 <= len(options) <= MAX_OPTIONS:
        errors["options"] = [f"give 2 to {MAX_OPTIONS} choices, got {len(options)}"]
    elif any(len(item) > 200 for item in options):
        errors["options"] = ["a choice is at most 200 characters"]
    elif len({item.casefold() for item in options}) < len(options):
        errors["options"] = ["each choice once"]
    return options


@transaction.atomic
def survey_question_add(
    *,
    by: User | None,
    survey_id: int,
    kind: str,
    text: str,
    required: bool = False,
    scale_min: Any = None,
    scale_max: Any = None,
    low_label: str = "",
    high_label: str = "",
    options: Any = None,
    multiple: bool = False,
) -> SurveyQuestion:
    """Add a custom question at the end of the survey's. ``ValidationError`` per field: a
    scale runs between two whole numbers from 0 to 10; a choice has 2-20 distinct options."""
    if by is not None:
        require_all(by, Action.CHANGE, why=SURVEYS_WHY)
    survey = _survey(survey_id, lock=True)
    errors: dict[str, list[str]] = {}
    if kind not in QuestionKind.values:
        errors["kind"] = [f"choose one of: {', '.join(QuestionKind.values)}"]
    text = _text(text, "text", errors, 500)
    if not text and "text" not in errors:
        errors["text"] = ["write the question"]
    low_label = _text(low_label, "low_label", errors, 80)
    high_label = _text(high_label, "high_label", errors, 80)
    low = high = None
    chosen: list[str] = []
    if kind == QuestionKind.SCALE:
        low, high = _whole(scale_min), _whole(scale_max)
        if low is None or not 0 <= low <= 9:
            errors["scale_min"] = ["a whole number from 0 to 9"]
        if high is None or not 1 <= high <= 10:
            errors["scale_max"] = ["a whole number from 1 to 10"]
        elif low is not None and low >= high:
            errors["scale_max"] = ["must be above the lowest answer"]
    elif kind == QuestionKind.CHOICE:
        chosen = _options(options, errors)
    count = survey.questions.count()
    if count >= MAX_QUESTIONS:
        errors["survey"] = [f"a survey asks at most {MAX_QUESTIONS} custom questions"]
    if errors:
        raise ValidationError(errors)
    question = SurveyQuestion(
        survey=survey, position=(max((q.position for q in survey.questions.all()), default=0) + 1),
        kind=kind, text=text, required=bool(required), scale_min=low, scale_max=high,
        low_label=low_label if kind == QuestionKind.SCALE else "",
        high_label=high_label if kind == QuestionKind.SCALE else "",
        options=chosen, multiple=bool(multiple) and kind == QuestionKind.CHOICE,
    )  # fmt: skip
    record_save(question)
    return question


@transaction.atomic
def survey_question_delete(*, by: User | None, question_id: int) -> None:
    """Remove a custom question nobody has answered yet."""
    if by is not None:
        require_all(by, Action.CHANGE, why=SURVEYS_WHY)
    question = SurveyQuestion.objects.select_for_update().filter(pk=question_id).first()
    if question is None:
        raise ValidationError({"question": [f"no question with id {question_id}"]})
    if answered := question.answers.count():
        raise ValidationError({"question": [
            f"it has {answered} answer{'' if answered == 1 else 's'}: switch the survey off and "
            "make a new one to ask differently"
        ]})  # fmt: skip
    question.delete()


# --- translations ------------------------------------------------------------------------------


def _translation_errors(
    survey: Survey, questions: Sequence[SurveyQuestion], language: str, texts: Mapping[str, Any]
) -> tuple[dict[str, list[str]], dict[str, Any]]:
    errors: dict[str, list[str]] = {}
    if not language:
        errors["language"] = ["a language tag such as de, fr or pt-br"]
    elif language == (survey.language or DEFAULT_LANGUAGE):
        errors["language"] = ["that is the survey's own language: change the survey instead"]
    question = _text(texts.get("question"), "question", errors, 500)
    if not question and "question" not in errors:
        errors["question"] = ["the headline question is needed"]
    follow_up = _text(texts.get("follow_up"), "follow_up", errors, 500)
    if survey.follow_up and not follow_up and "follow_up" not in errors:
        errors["follow_up"] = ["the follow-up question is needed"]
    given = texts.get("questions") or {}
    if not isinstance(given, dict):
        errors["questions"] = ['an object by position: {"1": {"text": ...}}']
        given = {}
    cleaned: dict[str, Any] = {}
    for q in questions:
        key, raw = str(q.position), given.get(str(q.position)) or {}
        where = f"questions.{key}"
        if not isinstance(raw, dict):
            errors[where] = ["an object with text (and options, low_label, high_label)"]
            continue
        entry: dict[str, Any] = {"text": _text(raw.get("text"), f"{where}.text", errors, 500)}
        if not entry["text"] and f"{where}.text" not in errors:
            errors[f"{where}.text"] = [f"the translation of “{q.text[:60]}” is needed"]
        if q.kind == QuestionKind.CHOICE:
            given_options = raw.get("options")
            options: list[Any] = given_options if isinstance(given_options, list) else []
            ok = bool(options) and all(isinstance(o, str) and o.strip() for o in options)
            if not ok or len(options) != len(q.options):
                errors[f"{where}.options"] = [f"{len(q.options)} choices, in the same order"]
            else:
                entry["options"] = [o.strip()[:200] for o in options]
        for label in ("low_label", "high_label"):
            if getattr(q, label):
                entry[label] = _text(raw.get(label), f"{where}.{label}", errors, 80)
                if not entry[label] and f"{where}.{label}" not in errors:
                    errors[f"{where}.{label}"] = ["the words at this end of the scale are needed"]
        cleaned[key] = entry
    extra = sorted(set(given) - {str(q.position) for q in questions})
    if extra:
        errors["questions"] = [f"no custom question at position {', '.join(extra)[:80]}"]
    return errors, {"question": question, "follow_up": follow_up, "questions": cleaned}


@transaction.atomic
def survey_translation_save(
    *, by: User | None, survey_id: int, language: str, texts: Mapping[str, Any]
) -> SurveyTranslation:
    """Save the survey's texts in ``language`` (new or replacing the one there): ``question``,
    ``follow_up`` (when the survey has one) and ``questions`` by position, each with ``text``,
    ``options`` for a choice (as many, in order) and ``low_label``/``high_label`` for a scale
    that has them. ``ValidationError`` naming each text missing."""
    if by is not None:
        require_all(by, Action.CHANGE, why=SURVEYS_WHY)
    survey = _survey(survey_id, lock=True)
    tag = language_clean(language)
    errors, cleaned = _translation_errors(survey, list(survey.questions.all()), tag, texts)
    if errors:
        raise ValidationError(errors)
    translation = SurveyTranslation.objects.filter(survey=survey, language=tag).first()
    translation = translation or SurveyTranslation(survey=survey, language=tag)
    translation.question = cleaned["question"]
    translation.follow_up = cleaned["follow_up"] if survey.follow_up else ""
    translation.questions = cleaned["questions"]
    record_save(translation)
    return translation


@transaction.atomic
def survey_translation_delete(*, by: User | None, survey_id: int, language: str) -> None:
    if by is not None:
        require_all(by, Action.CHANGE, why=SURVEYS_WHY)
    deleted, _ = SurveyTranslation.objects.filter(
        survey_id=survey_id, language=language_clean(language)
    ).delete()
    if not deleted:
        raise ValidationError({"language": [f"no translation in {str(language)[:10]!r}"]})


# --- the texts a language gets -----------------------------------------------------------------


@dataclass(frozen=True)
class QuestionText:
    question: SurveyQuestion
    text: str
    options: list[str]
    low_label: str
    high_label: str

    @property
    def field(self) -> str:
        return self.question.field


@dataclass(frozen=True)
class SurveyTexts:
    """What a survey says in one language. ``language`` is the one shown; ``wanted`` the one
    asked for; ``fallback`` whether it had to be the survey's own (no translation)."""

    language: str
    wanted: str
    fallback: bool
    question: str
    follow_up: str
    questions: list[QuestionText]


def survey_texts(survey: Survey, wanted: str = "") -> SurveyTexts:
    """The survey's texts in ``wanted`` (``de-at`` falls back to ``de``), else in its own
    language; a custom question the translation does not give yet is in the survey's."""
    own = survey.language or DEFAULT_LANGUAGE
    tag = language_clean(wanted)
    found = None
    if tag and tag != own:
        translations = {t.language: t for t in survey.translations.all()}
        found = translations.get(tag) or translations.get(tag.split("-")[0])
    questions = list(survey.questions.all())
    if found is None:
        return SurveyTexts(
            own, tag or own, bool(tag) and tag.split("-")[0] != own.split("-")[0],
            survey.question, survey.follow_up,
            [QuestionText(q, q.text, list(q.options), q.low_label, q.high_label)
             for q in questions],
        )  # fmt: skip
    texts = []
    for q in questions:
        given = found.questions.get(str(q.position)) or {}
        options = given.get("options")
        texts.append(QuestionText(
            q, given.get("text") or q.text,
            options if isinstance(options, list) and len(options) == len(q.options)
            else list(q.options),
            given.get("low_label") or q.low_label, given.get("high_label") or q.high_label,
        ))  # fmt: skip
    return SurveyTexts(
        found.language, tag, False, found.question, found.follow_up or survey.follow_up, texts
    )


# --- answers to custom questions ---------------------------------------------------------------


def _values(raw: object) -> list[str]:
    if raw is None or raw == "":
        return []
    items = raw if isinstance(raw, list | tuple) else [raw]
    return [str(item).strip() for item in items if str(item).strip()]


def _item(question: SurveyQuestion, raw: object, errors: dict[str, list[str]]) -> Any:
    """The item of one question's answer (None when left empty)."""
    field = question.field
    values = _values(raw)
    if not values:
        if question.required:
            errors[field] = ["please answer this question"]
        return None
    if question.kind == QuestionKind.TEXT:
        text = values[0] if not isinstance(raw, list | tuple) else " ".join(values)
        if len(text) > TEXT_MAX:
            errors[field] = [f"at most {TEXT_MAX:,} characters"]
            return None
        return SurveyAnswerItem(question=question, text=text)
    numbers = [_whole(value) for value in values]
    if question.kind == QuestionKind.SCALE:
        low, high = question.scale_min, question.scale_max
        if len(numbers) != 1 or numbers[0] is None or not low <= numbers[0] <= high:  # type: ignore[operator]
            errors[field] = [f"choose one answer from {low} to {high}"]
            return None
        return SurveyAnswerItem(question=question, number=numbers[0])
    count = len(question.options)
    if any(n is None or not 0 <= n < count for n in numbers) or len(set(numbers)) < len(numbers):
        errors[field] = [f"choose among the {count} choices given"]
        return None
    if len(numbers) > 1 and not question.multiple:
        errors[field] = ["choose one"]
        return None
    return SurveyAnswerItem(question=question, choices=sorted(n for n in numbers if n is not None))


def answer_items_clean(
    questions: Sequence[SurveyQuestion], answers: Mapping[str, Any] | None
) -> list[SurveyAnswerItem]:
    """The answers to the custom questions, by field (``q1``: a number for a scale, an option's
    index (or a list of them, for several) for a choice, text), checked: ``ValidationError``
    naming each field refused or required and left empty, and any field that is no question."""
    answers = answers or {}
    errors: dict[str, list[str]] = {}
    known = {q.field for q in questions}
    for field in sorted(set(answers) - known)[:5]:
        errors[str(field)[:20]] = ["no such question in this survey"]
    items = [item for q in questions if (item := _item(q, answers.get(q.field), errors))]
    if errors:
        raise ValidationError(errors)
    return items
