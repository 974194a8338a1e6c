"""A validated lifecycle model: stages, compiled conditions and ordered rules (frozen).

Built by :func:`tenure.domain.lifecycle.definition_validate` from a JSON definition; never
constructed by hand. The original definition (normalised) is kept in ``definition`` so the
Django side can store exactly what was validated.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from tenure.domain.facts import Fact

UNSTAGED = "unstaged"
"""The pseudo-stage of a customer not yet placed in any stage (code -1); usable in ``from``."""
ANY_STAGE = "*"
"""In ``from``: every stage, and a customer not yet in any stage."""
UNSTAGED_CODE = -1

CompareOp = Literal["==", "!=", "<", "<=", ">", ">="]
COMPARE_OPS: tuple[str, ...] = ("==", "!=", "<", "<=", ">", ">=")
PRESENCE_OPS: tuple[str, ...] = ("missing", "known")
CATEGORY_OPS: tuple[str, ...] = ("is", "is_not", "in", "not_in")


class DefinitionError(ValueError):
    """A lifecycle definition (or a health configuration) is refused.

    Attributes
    ----------
    problems : tuple of Problem
        Every problem found, each naming the path in the definition and the reason.
    """

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        lines = [str(problem) for problem in self.problems]
        count = len(lines)
        head = f"the definition is refused ({count} problem{'s' if count != 1 else ''})"
        super().__init__(head + ":\n" + "\n".join(f"- {line}" for line in lines))


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a definition: ``path`` (e.g. ``rules[3].when.all[1].fact``) and why."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


STAGE_ROLES: dict[str, str] = {
    "lead": "not a customer yet (left out of the churn audit)",
    "new": "has just bought for the first time",
    "active": "a customer in the ordinary way",
    "loyal": "buys again and again",
    "advocate": "tells others about the business",
    "at_risk": "may be slipping away (the at-risk list; health stays below green)",
    "lost": "gone (the churn audit's churned; the at-risk list widened)",
    "won_back": "came back after being lost",
}
"""What a stage means to the rest of tenure, whatever the business calls it. Code that needs
"the at-risk stages" or "the churned" asks for a role, never for a stage key: an admin may
rename, add or remove stages."""
DEFAULT_ROLE = "active"
ROLES_BY_KEY: dict[str, str] = {
    "reach": "lead", "attraction": "lead", "interest": "lead", "decision": "lead",
    "acquisition": "new", "post_purchase": "new",
    "development": "active", "continuous_relationship": "active",
    "retention": "loyal", "repeat_purchase": "loyal",
    "advocacy": "advocate", "referral_expansion": "advocate",
    "at_risk": "at_risk", "churned": "lost", "won_back": "won_back",
}  # fmt: skip
"""The role a stage given none takes: its preset's for a preset's key (definitions stored
before stages had roles), else ``DEFAULT_ROLE``."""
OFF_PATH_ROLES = frozenset({"at_risk", "lost", "won_back"})
"""Roles of the stages off the main path: left out of the funnel's steps by default."""


@dataclass(frozen=True)
class Stage:
    """A lifecycle stage: its key (stored per customer), display name, what the business
    does for customers in it, and its role (a key of ``STAGE_ROLES``)."""

    key: str
    name: str
    description: str = ""
    role: str = DEFAULT_ROLE


# Compiled condition tree. A named condition is compiled once and shared by every rule that
# refers to it, so the engine evaluates it once per evaluation (results are memoised by node).


@dataclass(frozen=True, eq=False)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True, eq=False)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True, eq=False)
class Not:
    item: Condition


@dataclass(frozen=True, eq=False)
class Compare:
    """``fact op value`` or ``fact op times * other + plus`` (``other`` set)."""

    fact: str
    op: CompareOp
    value: float | bool | None = None
    other: str | None = None
    times: float = 1.0
    plus: float = 0.0


@dataclass(frozen=True, eq=False)
class Presence:
    """``fact missing`` (``known=False``) or ``fact known`` (``known=True``)."""

    fact: str
    known: bool


@dataclass(frozen=True, eq=False)
class Category:
    """``fact in values`` (``is`` / ``in``) or, ``negate``, ``fact not_in values`` (``is_not``
    / ``not_in``) of a category fact; values are trimmed text, compared exactly. A missing
    value matches neither: like a comparison with NaN, it is false both ways."""

    fact: str
    values: tuple[str, ...]
    negate: bool = False


Condition = AllOf | AnyOf | Not | Compare | Presence | Category


def condition_facts(node: Condition) -> frozenset[str]:
    """Every fact a condition reads."""
    if isinstance(node, AllOf | AnyOf):
        return frozenset().union(*(condition_facts(item) for item in node.items))
    if isinstance(node, Not):
        return condition_facts(node.item)
    if isinstance(node, Compare) and node.other is not None:
        return frozenset((node.fact, node.other))
    return frozenset((node.fact,))


@dataclass(frozen=True)
class Rule:
    """One transition rule: customers in a stage of ``sources`` whose ``when`` holds move to
    ``target``. ``sources`` holds stage codes (``-1`` = not yet in any stage)."""

    name: str
    sources: frozenset[int]
    target: int
    when: Condition
    reason: str
    facts: frozenset[str]


@dataclass(frozen=True, eq=False)
class LifecycleModel:
    """A validated lifecycle definition, ready for :func:`lifecycle_evaluate`.

    Attributes
    ----------
    stages : tuple of Stage
        In the order of the definition (the funnel order); a stage's code is its position.
    rules : tuple of Rule
        In evaluation order.
    definition : dict
        The definition as validated (JSON-serialisable; store this).
    warnings : tuple of str
        Things that are allowed but probably unintended (a stage no rule can reach).
    """

    stages: tuple[Stage, ...]
    rules: tuple[Rule, ...]
    definition: dict[str, Any]
    warnings: tuple[str, ...] = ()
    _codes: dict[str, int] = field(default_factory=dict, repr=False)
    facts: Mapping[str, Fact] = field(default_factory=dict, repr=False)
    """The declaration of every fact the rules read (an attribute's with the kind its use
    gave it): what the engine, the probe and the reasons read the columns as."""

    @property
    def stage_keys(self) -> tuple[str, ...]:
        return tuple(stage.key for stage in self.stages)

    @property
    def rule_names(self) -> tuple[str, ...]:
        return tuple(rule.name for rule in self.rules)

    @property
    def facts_used(self) -> frozenset[str]:
        """The facts the rules read: the columns the caller must supply."""
        return frozenset().union(*(rule.facts for rule in self.rules))

    def keys_with_role(self, *roles: str) -> tuple[str, ...]:
        """The keys of the stages playing one of ``roles``, in the definition's order."""
        return tuple(stage.key for stage in self.stages if stage.role in roles)

    def role_of(self, key: str | None) -> str | None:
        """The role of the stage with this key (None for none, or a key not in the model)."""
        code = self._codes.get(key) if key is not None else None
        return self.stages[code].role if code is not None else None

    def stage(self, key: str) -> Stage:
        """The stage with this key (``KeyError`` if none)."""
        return self.stages[self._codes[key]]

    def stage_code(self, key: str | None) -> int:
        """The code of a stage key; ``None``, ``""`` and ``"unstaged"`` are -1."""
        if key is None or key in ("", UNSTAGED):
            return UNSTAGED_CODE
        return self._codes[key]

    def stage_codes(self, keys: npt.ArrayLike) -> npt.NDArray[np.int64]:
        """Stage keys (``None``/NaN/``""``/``"unstaged"`` for none) -> codes, vectorised.

        Raises ``KeyError`` naming the first unknown key.
        """
        values = pd.Series(np.asarray(keys, dtype=object).reshape(-1), dtype=object)
        blank = (values.isna() | values.isin(["", UNSTAGED])).to_numpy()
        codes = pd.Index(self.stage_keys, dtype=object).get_indexer(values.where(~blank, None))
        unknown = (codes < 0) & ~blank
        if unknown.any():
            raise KeyError(values.iloc[int(np.argmax(unknown))])
        return codes.astype(np.int64)

    def stage_keys_of(self, codes: npt.ArrayLike) -> npt.NDArray[np.object_]:
        """Stage codes -> keys (``None`` for -1), vectorised."""
        table = np.array([*self.stage_keys, None], dtype=object)
        return table[np.asarray(codes, dtype=np.int64)]
