"""Reads of a survey's custom questions' answers: per question, a scale's mean with its interval
and how many chose each value, a choice's count and share per option with Wilson's interval,
and a free-text question's latest answers.

Counted over the answers of the customers the user may see (``user=None``: all), as the
survey's score and rates are. Intervals at 95 %:

- a scale's mean: Student's t interval, ``mean +- t(0.975, n - 1) s / sqrt(n)``, clipped to the
  scale (none from a single answer: no spread is known);
- a choice's share: Wilson's score interval (``tenure.analytics.feedback.wilson_interval``) of
  the answers ticking the option among those that answered the question, so with several
  choices allowed the shares add up to more than 100 %.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from tenure.access import visible
from tenure.analytics.feedback import wilson_interval, z_value
from tenure.feedback.models import (
    QuestionKind,
    Survey,
    SurveyAnswerItem,
    SurveyQuestion,
    SurveyResponse,
)
from tenure.users.models import User

CONFIDENCE = 0.95
LATEST_TEXTS = 20


@dataclass(frozen=True)
class OptionResult:
    index: int
    text: str
    count: int
    share: float | None  # 0-1 of the answers to the question
    low: float | None
    high: float | None


@dataclass(frozen=True)
class QuestionResult:
    question: SurveyQuestion
    n: int  # answers to this question
    mean: float | None = None
    low: float | None = None
    high: float | None = None
    values: list[tuple[int, int]] = field(default_factory=list)  # scale: (value, count)
    options: list[OptionResult] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)  # free text: the latest, newest first

    @property
    def few_answers(self) -> bool:
        return self.n < 30


def mean_interval(
    values: list[int], low: float, high: float, confidence: float = CONFIDENCE
) -> tuple[float | None, float | None, float | None]:
    """(mean, low, high) of a scale's answers: Student's t interval clipped to [low, high];
    no interval from fewer than two answers, no mean from none."""
    if not values:
        return None, None, None
    array = np.asarray(values, dtype=np.float64)
    mean = float(array.mean())
    if array.size < 2:
        return mean, None, None
    half = float(stats.t.ppf(0.5 + confidence / 2, array.size - 1)) * float(
        array.std(ddof=1) / math.sqrt(array.size)
    )
    return mean, max(low, mean - half), min(high, mean + half)


def _items(user: User | None, survey: Survey) -> list[SurveyAnswerItem]:
    items = SurveyAnswerItem.objects.filter(question__survey=survey)
    if user is not None:
        items = items.filter(response__in=visible(user, SurveyResponse).values("pk"))
    return list(items.order_by("-response__answered_at", "-pk"))


def question_results(*, user: User | None, survey: Survey) -> list[QuestionResult]:
    """Each custom question of the survey with its results, by position."""
    by_question: dict[int, list[SurveyAnswerItem]] = {}
    for item in _items(user, survey):
        by_question.setdefault(item.question_id, []).append(item)
    z = z_value(CONFIDENCE)
    results = []
    for question in survey.questions.all():
        items = by_question.get(question.pk, [])
        n = len(items)
        if question.kind == QuestionKind.SCALE:
            numbers = [i.number for i in items if i.number is not None]
            low, high = float(question.scale_min or 0), float(question.scale_max or 0)
            mean, lower, upper = mean_interval(numbers, low, high)
            counts = Counter(numbers)
            span = range(question.scale_min or 0, (question.scale_max or 0) + 1)
            values = [(v, counts.get(v, 0)) for v in span]
            results.append(QuestionResult(question, n, mean, lower, upper, values=values))
        elif question.kind == QuestionKind.CHOICE:
            ticks = Counter(index for i in items for index in i.choices)
            counts_ = [ticks.get(k, 0) for k in range(len(question.options))]
            lows, highs = wilson_interval(counts_, [n] * len(counts_), z)
            options = [
                OptionResult(
                    k,
                    text,
                    counts_[k],
                    counts_[k] / n if n else None,
                    float(lows[k]) if n else None,
                    float(highs[k]) if n else None,
                )
                for k, text in enumerate(question.options)
            ]
            results.append(QuestionResult(question, n, options=options))
        else:
            texts = [i.text for i in items if i.text][:LATEST_TEXTS]
            results.append(QuestionResult(question, n, texts=texts))
    return results
