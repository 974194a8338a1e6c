"""The kinds of playbook step, by registration: each declares its parameters and checks them.

Pure: no Django. A step in a playbook's JSON is ``{"kind": "task", "title": "...", ...}``; its
kind says which parameters it takes (:class:`Param`: a type, bounds, whether it is required)
and, optionally, a check across them (a ``branch`` jumps only forward). The built-in kinds are
declared here; an app adds its own (points, coupons, surveys) with :func:`step_kind_register`
from its ``AppConfig.ready()``, together with the code that runs it (the Django side's
``tenure.playbooks.steps.step_executor_register``). A kind declared here whose runner no app
has registered (``email`` before the mail app, ``segment_add`` before the segments app) parses,
but a playbook using it cannot be enabled: "email steps need the mail app".
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ParamType = Literal["int", "number", "text", "bool", "choice", "ref"]
_SLUG = re.compile(r"[a-z0-9][a-z0-9_.-]{0,99}")


@dataclass(frozen=True)
class Param:
    """One parameter of a step: ``int``, ``number``, ``text``, ``bool``, ``choice`` (one of
    ``choices``) or ``ref`` (a record named by its id or its slug)."""

    type: ParamType
    required: bool = False
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    max_length: int = 200
    default: Any = None
    help: str = ""


StepCheck = Callable[[Mapping[str, Any], int, int], list[tuple[str, str]]]
"""``check(params, index, steps)``: the problems across parameters, as (parameter, reason)."""


@dataclass(frozen=True)
class StepKind:
    """A kind of step. ``promotes(params)``: whether a step promotes something (it is held
    during the ``no_promotion_days`` after a purchase). ``needs``: who provides its runner,
    for the message when none is registered ("the mail app")."""

    name: str
    label: str
    params: Mapping[str, Param] = field(default_factory=dict)
    description: str = ""
    check: StepCheck | None = None
    promotes: Callable[[Mapping[str, Any]], bool] | None = None
    needs: str = ""

    def is_promotion(self, params: Mapping[str, Any]) -> bool:
        return self.promotes is not None and self.promotes(params)


class UnknownStepKind(LookupError):
    pass


_KINDS: dict[str, StepKind] = {}


def step_kind_register(kind: StepKind) -> None:
    """Add a kind of step; the same name registered twice differently is a mistake."""
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,39}", kind.name):
        raise ValueError(f"a step kind's name is a lower-case identifier: {kind.name!r}")
    if "kind" in kind.params:
        raise ValueError(f"step kind {kind.name!r}: 'kind' is not a parameter name")
    known = _KINDS.get(kind.name)
    if known is not None and known != kind:
        raise ValueError(f"step kind {kind.name!r} is registered already")
    _KINDS[kind.name] = kind


def step_kind(name: str) -> StepKind:
    try:
        return _KINDS[name]
    except KeyError:
        raise UnknownStepKind(f"no step kind {name!r} is registered") from None


def step_kinds() -> list[StepKind]:
    return sorted(_KINDS.values(), key=lambda kind: kind.name)


def param_check(name: str, spec: Param, value: Any) -> tuple[Any, str | None]:
    """The parameter's value as stored and None, or None and the reason it is refused."""
    if spec.type == "bool":
        return (value, None) if isinstance(value, bool) else (None, "must be true or false")
    if spec.type in ("int", "number"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, f"must be a number, got {_shown(value)}"
        if not math.isfinite(value):
            return None, "must be a finite number"
        if spec.type == "int" and value != int(value):
            return None, f"must be a whole number, got {value}"
        if spec.minimum is not None and value < spec.minimum:
            return None, f"must be at least {spec.minimum:g}, got {value:g}"
        if spec.maximum is not None and value > spec.maximum:
            return None, f"must be at most {spec.maximum:g}, got {value:g}"
        return (int(value) if spec.type == "int" else float(value)), None
    if spec.type == "ref":
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value, None
        if isinstance(value, str) and _SLUG.fullmatch(value):
            return value, None
        return None, "must be an id (a positive whole number) or a slug (a-z, 0-9, - _ .)"
    if not isinstance(value, str) or not value.strip():
        return None, f"must be non-empty text, got {_shown(value)}"
    if len(value) > spec.max_length:
        return None, f"must be at most {spec.max_length} characters, got {len(value)}"
    if "\x00" in value:
        return None, "must not contain NUL characters"
    if spec.type == "choice" and value not in spec.choices:
        return None, f"must be one of {', '.join(spec.choices)}, got {_shown(value)}"
    return value.strip(), None


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- the built-in kinds -----------------------------------------------------------------------

TASK_PRIORITIES = ("low", "normal", "high", "urgent")
BRANCH_SIGNALS = ("opened", "clicked", "ordered")
EMAIL_CLASSES = ("marketing", "transactional")


def _forward(name: str, params: Mapping[str, Any], index: int, steps: int) -> list[tuple[str, str]]:
    target = params.get(name)
    if isinstance(target, int) and not index < target <= steps:
        return [(name, f"must be a later step: {index + 1} to {steps} (the end), got {target}")]
    return []


def _branch_check(params: Mapping[str, Any], index: int, steps: int) -> list[tuple[str, str]]:
    return _forward("goto", params, index, steps) + _forward("else", params, index, steps)


WAIT = StepKind(
    "wait",
    "Wait",
    {"days": Param("number", required=True, minimum=0, maximum=3650, help="how long")},
    "Wait a number of days (fractions are hours) before the next step.",
)
TASK = StepKind(
    "task",
    "Task for the owner",
    {
        "title": Param("text", required=True, max_length=200),
        "body": Param("text", max_length=2000, default=""),
        "due_days": Param("int", minimum=0, maximum=365, default=1),
        "priority": Param("choice", choices=TASK_PRIORITIES, default="normal"),
        "claim": Param(
            "bool",
            default=False,
            help="one task per record that triggered it (a complaint: the key "
            '"complaint:<id>" of the built-in complaint follow-up, so never two)',
        ),
    },
    "Create a task for the customer's owner, due in some days.",
)
BRANCH = StepKind(
    "branch",
    "Branch",
    {
        "on": Param("choice", required=True, choices=BRANCH_SIGNALS),
        "within_days": Param("number", required=True, minimum=0, maximum=365),
        "goto": Param("int", required=True, minimum=0, maximum=1000),
        "else": Param("int", minimum=0, maximum=1000),
    },
    "If the customer opened, clicked or ordered within some days of reaching this step, go to "
    "step `goto` (numbered from 0), else to `else` or the next one. Only forward.",
    check=_branch_check,
)
EMAIL = StepKind(
    "email",
    "Email",
    {
        "template": Param("text", required=True, max_length=100, help="the template's slug"),
        "class": Param("choice", choices=EMAIL_CLASSES, default="marketing"),
        "valid_days": Param("number", minimum=0, maximum=365, help="expire if not sent by then"),
        "promotion": Param("bool", default=False, help="an offer: held after a purchase"),
        "topic": Param("text", max_length=40, help="the consent topic (the mail app's)"),
    },
    "Queue an email from a template (the mail app sends it, under the frequency cap and consent).",
    promotes=lambda params: params.get("promotion") is True,
    needs="the mail app",
)
SEGMENT_ADD = StepKind(
    "segment_add",
    "Add to a segment",
    {"segment": Param("ref", required=True)},
    "Add the customer to a (static) segment.",
    needs="the segments app",
)
SEGMENT_REMOVE = StepKind(
    "segment_remove",
    "Remove from a segment",
    {"segment": Param("ref", required=True)},
    "Remove the customer from a (static) segment.",
    needs="the segments app",
)
for _kind in (WAIT, TASK, BRANCH, EMAIL, SEGMENT_ADD, SEGMENT_REMOVE):
    step_kind_register(_kind)
