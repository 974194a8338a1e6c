"""The facts registry on the Django side: apps register providers, consumers ask for facts.

An app that knows something about every customer declares a
:class:`~tenure.domain.facts.FactProvider` (its facts, with kind, description and whether
they may be missing, and a function computing them) and registers it from its
``AppConfig.ready()`` with :func:`fact_provider_register`. :func:`facts_compute` answers a
request for some facts of a chunk of customers at a moment: it runs only the providers of the
facts asked for (and of what they require), each with a :class:`FactRequest`, so a fact
nobody needs costs no query.

This module sits below every app (``pyproject.toml``'s layers): it imports none of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from tenure.domain.facts import REGISTRY, FactProvider, is_attribute
from tenure.facts.chunks import Chunk, IntArray

__all__ = ["FactRequest", "fact_provider_register", "facts_compute"]


@dataclass
class FactRequest:
    """What a provider's function is asked: the facts ``needed`` (its own) of the customers
    ``ids`` (sorted, existing, all in ``chunk``: select rows with ``chunk.where(column)``) as
    of ``now``. ``facts``: what the providers before it computed (its ``requires``).
    ``kinds``: how each ``attribute.<name>`` asked for is read (``"number"`` or
    ``"category"``). ``context``: what the caller lends (figures it read already, a
    base-wide figure such as the median gap); a provider reads only what it knows."""

    chunk: Chunk
    ids: IntArray
    now: datetime
    needed: frozenset[str]
    facts: dict[str, Any] = field(default_factory=dict)
    kinds: Mapping[str, str] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)

    def kind_of(self, name: str) -> str:
        """How an attribute asked for is read (a category unless said otherwise)."""
        return self.kinds.get(name, "category")


def fact_provider_register(provider: FactProvider) -> None:
    """Register an app's provider (from its ``AppConfig.ready()``)."""
    REGISTRY.register(provider)


def facts_compute(
    *,
    chunk: Chunk,
    ids: IntArray,
    now: datetime,
    needed: Iterable[str],
    kinds: Mapping[str, str] | None = None,
    context: dict[str, Any] | None = None,
    on_provider: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """The ``needed`` facts of the customers ``ids`` as columns (one value per id, in order):
    each provider of them run once, after the providers of what it requires. Raises
    ``UnknownFactsError`` (a ``ValueError``) for a fact no provider computes."""
    wanted = set(needed)
    computed: dict[str, Any] = {}
    request_context = {} if context is None else context
    for provider, asked in REGISTRY.plan(wanted):
        if on_provider is not None:
            on_provider(provider.name)
        request = FactRequest(chunk, ids, now, asked, computed, dict(kinds or {}), request_context)
        found = provider.compute(request)
        for name in asked:
            if name not in found:
                raise ValueError(f"fact provider {provider.name!r} did not compute {name!r}")
            column = found[name]
            if np.shape(column) != (ids.size,):
                raise ValueError(
                    f"fact provider {provider.name!r} gave {np.shape(column)} values of "
                    f"{name!r} for {ids.size} customers"
                )
        computed.update({k: v for k, v in found.items() if k in asked or not is_attribute(k)})
    return {name: computed[name] for name in wanted}
