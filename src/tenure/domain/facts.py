"""Facts by registration: what each app says it knows about every customer, and who computes it.

Pure: no Django. A *fact* is one value per customer (a number, a yes/no, or a category: a
text value), declared once with its kind, a description and whether it may be missing. The
app that owns the data declares a :class:`FactProvider`: the facts it computes and a function
that computes them for a chunk of customers at a moment, set-wise (one aggregate query per
source table per chunk). It registers it in :data:`REGISTRY` from its ``AppConfig.ready()``
(``tenure.facts.fact_provider_register``); the lifecycle engine, the health score and later
segments ask the registry (``tenure.facts.facts_compute``) for the facts they need, and only
the providers of those facts run.

Imported attributes (``Customer.custom_attributes``) are facts too, spelt
``attribute.<name>`` (``attribute.plan``): built-in fact names are lower-case identifiers with
no dot, so the two never collide, and ``<name>`` is the attribute's name as imported (case
and spaces kept). One provider declares ``attributes=True`` and computes them all. An
attribute's kind is given by its use: a number when a rule compares it with a number, a
category otherwise (see :mod:`tenure.domain.lifecycle`).

Provider functions are opaque here (the Django side calls them with a request of its own);
this module only keeps the declarations and decides which providers a set of facts needs, in
an order that computes a provider's ``requires`` before it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

FactKind = Literal["count", "days", "probability", "score", "number", "flag", "category"]

KIND_WORDS: dict[str, str] = {
    "count": "a count (a whole number >= 0)",
    "days": "a number of days",
    "probability": "a probability between 0 and 1",
    "score": "a score",
    "number": "a number",
    "flag": "a yes/no fact",
    "category": "a category (a text value)",
}
NUMERIC_KINDS = frozenset({"count", "days", "probability", "score", "number"})

ATTRIBUTE_PREFIX = "attribute."
"""Rules read an imported attribute as ``attribute.<name>``."""
ATTRIBUTE_NAME_MAX = 100
FACT_NAME = re.compile(r"[a-z][a-z0-9_]{0,59}")


@dataclass(frozen=True)
class Fact:
    """One column the engine reads.

    Attributes
    ----------
    name : str
        The column name, as rules and reason templates spell it.
    kind : {"count", "days", "probability", "score", "number", "flag", "category"}
        Flags are compared with ``true``/``false``; categories with ``is``, ``is_not``,
        ``in``, ``not_in`` and text; every other kind with numbers.
    description : str
        What it measures, for the rule editor.
    nullable : bool
        Whether a missing value (NaN, or None for a category) is legal; counts and flags are
        never missing.
    """

    name: str
    kind: FactKind
    description: str
    nullable: bool = False


def is_attribute(name: object) -> bool:
    """Whether ``name`` spells an imported attribute (``attribute.<name>``)."""
    return (
        isinstance(name, str)
        and name.startswith(ATTRIBUTE_PREFIX)
        and 0 < len(name) - len(ATTRIBUTE_PREFIX) <= ATTRIBUTE_NAME_MAX
    )


def attribute_key(name: str) -> str:
    """``"attribute.plan"`` -> ``"plan"``."""
    return name[len(ATTRIBUTE_PREFIX) :]


def attribute_fact(name: str, kind: FactKind) -> Fact:
    """The declaration of the imported attribute ``name`` read as ``kind`` (number or
    category); missing for a customer without it (or, read as a number, whose value does not
    read as one)."""
    if kind not in ("number", "category"):
        raise ValueError(f"an attribute is read as a number or a category, not {kind!r}")
    return Fact(
        name,
        kind,
        f"The imported attribute {attribute_key(name)!r}, read as "
        f"{'a number' if kind == 'number' else 'a category'}; missing without it.",
        nullable=True,
    )


@dataclass(frozen=True)
class FactProvider:
    """What one app computes: ``facts`` (its declarations) by ``compute(request)``, which
    returns a mapping of fact name -> one value per customer of the request (at least the
    facts asked for; more is allowed and ignored).

    ``requires``: facts of other providers the function reads from the request (computed
    first). ``timeless``: the facts have no history in the timeline (a customer's channel, an
    account's industry, imported attributes): rules may read them, and a replay reads their
    current value at every moment. Facts that are not timeless and not part of the lifecycle
    engine's own catalogue (health figures) are for the health score, not for rules.
    ``attributes``: the provider also computes every ``attribute.<name>``."""

    name: str
    facts: tuple[Fact, ...]
    compute: Callable[[Any], Mapping[str, Any]]
    requires: tuple[str, ...] = ()
    timeless: bool = False
    attributes: bool = False


class UnknownFactsError(ValueError):
    """No provider computes these facts."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(sorted(names))
        super().__init__(f"unknown facts: {', '.join(self.names)}")


class FactRegistry:
    """Fact providers by name, each fact computed by exactly one of them."""

    def __init__(self) -> None:
        self._providers: dict[str, FactProvider] = {}
        self._owner: dict[str, str] = {}
        self._attributes: str | None = None

    def register(self, provider: FactProvider) -> None:
        """Add a provider; the same one again is a no-op, another claiming a fact already
        provided (or the attributes) is a mistake."""
        if not FACT_NAME.fullmatch(provider.name):
            raise ValueError(f"a fact provider's name is a lower-case key: {provider.name!r}")
        known = self._providers.get(provider.name)
        if known is not None:
            if known != provider:
                raise ValueError(f"fact provider {provider.name!r} is registered already")
            return
        seen: set[str] = set()
        for fact in provider.facts:
            if not FACT_NAME.fullmatch(fact.name):
                raise ValueError(
                    f"fact {fact.name!r} of {provider.name!r}: a fact name is lower-case "
                    "letters, digits and _ (starting with a letter)"
                )
            if fact.kind not in KIND_WORDS:
                raise ValueError(f"fact {fact.name!r}: unknown kind {fact.kind!r}")
            if fact.kind in ("count", "flag") and fact.nullable:
                raise ValueError(f"fact {fact.name!r}: counts and flags are never missing")
            owner = self._owner.get(fact.name)
            if owner is not None or fact.name in seen:
                raise ValueError(
                    f"fact {fact.name!r} of {provider.name!r} is provided by {owner or 'it'} "
                    "already"
                )
            seen.add(fact.name)
        if provider.attributes and self._attributes is not None:
            raise ValueError(f"attributes are provided by {self._attributes!r} already")
        self._providers[provider.name] = provider
        for name in seen:
            self._owner[name] = provider.name
        if provider.attributes:
            self._attributes = provider.name

    def unregister(self, name: str) -> None:
        """Remove a provider (tests that register one of their own)."""
        provider = self._providers.pop(name)
        for fact in provider.facts:
            self._owner.pop(fact.name, None)
        if self._attributes == name:
            self._attributes = None

    @property
    def providers(self) -> tuple[FactProvider, ...]:
        return tuple(self._providers.values())

    def fact(self, name: str) -> Fact | None:
        """The declaration of a registered fact (None: unknown, or an attribute)."""
        owner = self._owner.get(name)
        if owner is None:
            return None
        return next(f for f in self._providers[owner].facts if f.name == name)

    def provider_of(self, name: str) -> FactProvider | None:
        if is_attribute(name) and self._attributes is not None:
            return self._providers[self._attributes]
        owner = self._owner.get(name)
        return self._providers[owner] if owner is not None else None

    def facts(self) -> dict[str, Fact]:
        """Every registered fact by name, provider by provider in registration order."""
        return {fact.name: fact for provider in self._providers.values() for fact in provider.facts}

    def rule_facts(self) -> dict[str, Fact]:
        """The timeless facts (rules may read them), by name."""
        return {
            fact.name: fact
            for provider in self._providers.values()
            if provider.timeless
            for fact in provider.facts
        }

    def plan(self, needed: Iterable[str]) -> list[tuple[FactProvider, frozenset[str]]]:
        """The providers to run for ``needed`` (with what each is asked for), each after the
        providers of its ``requires``; raises :class:`UnknownFactsError`."""
        asked: dict[str, set[str]] = {}
        unknown: set[str] = set()
        todo = list(needed)
        while todo:
            name = todo.pop()
            provider = self.provider_of(name)
            if provider is None:
                unknown.add(name)
                continue
            mine = asked.setdefault(provider.name, set())
            if name in mine:
                continue
            mine.add(name)
            todo.extend(provider.requires)
        if unknown:
            raise UnknownFactsError(unknown)
        order: list[tuple[FactProvider, frozenset[str]]] = []
        placed: set[str] = set()
        visiting: list[str] = []

        def place(key: str) -> None:
            if key in placed:
                return
            if key in visiting:
                raise ValueError(f"fact providers require each other: {' -> '.join(visiting)}")
            visiting.append(key)
            provider = self._providers[key]
            for required in provider.requires:
                owner = self.provider_of(required)
                if owner is not None and owner.name != key:
                    place(owner.name)
            visiting.pop()
            placed.add(key)
            order.append((provider, frozenset(asked[key])))

        for key in sorted(asked):  # a stable order, whatever order the facts came in
            place(key)
        return order


REGISTRY = FactRegistry()
"""The process's providers, registered by the apps as Django starts."""
