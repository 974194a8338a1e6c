"""Errors raised on purpose by ``tenure.analytics``.

Each carries the fields an edge needs to explain it to a person (which input, why), and each is a
``ValueError`` so that callers who only know the standard library still catch bad input.
"""

from __future__ import annotations


class AnalyticsError(Exception):
    """Base class of every error ``tenure.analytics`` raises on purpose."""


class InvalidInputError(AnalyticsError, ValueError):
    """An input value breaks the rules of the computation.

    Attributes
    ----------
    name : str
        The argument or column at fault, in the caller's words (``"recency"``, ``"start"``).
    reason : str
        What is wrong with it, as a sentence a person understands.
    count : int or None
        How many rows break the rule, when the input is an array.
    example : int or None
        The position of the first offending row, when the input is an array.
    """

    def __init__(
        self, name: str, reason: str, *, count: int | None = None, example: int | None = None
    ) -> None:
        self.name = name
        self.reason = reason
        self.count = count
        self.example = example
        message = f"{name}: {reason}"
        if count is not None:
            message += f" ({count} row{'s' if count != 1 else ''}, first at position {example})"
        super().__init__(message)


class NotFittedError(AnalyticsError, ValueError, AttributeError):
    """A prediction was asked of an estimator before ``fit`` (scikit-learn's convention)."""

    def __init__(self, model: str) -> None:
        self.model = model
        super().__init__(f"this {model} is not fitted yet: call fit(...) before predicting")


class FitError(AnalyticsError, ValueError):
    """The data cannot identify the model's parameters; ``reason`` says why."""

    def __init__(self, model: str, reason: str) -> None:
        self.model = model
        self.reason = reason
        super().__init__(f"cannot fit {model}: {reason}")


class ModelError(AnalyticsError, ValueError):
    """A fitted model cannot answer the question asked (e.g. CLV with Gamma-Gamma q <= 1)."""

    def __init__(self, model: str, reason: str) -> None:
        self.model = model
        self.reason = reason
        super().__init__(f"{model}: {reason}")
