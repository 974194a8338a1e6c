"""Lifecycle stages that move by themselves: stages and rules as data, one small engine.

Pure: no Django. The Django app stores a definition (versioned JSON), computes the facts per
customer, calls :func:`lifecycle_evaluate` for the whole base (bulk) or for one customer (when
an event arrives) and stores the new stages and :meth:`Evaluation.transitions`.

Example
-------
>>> from tenure.domain.lifecycle import definition_validate, lifecycle_evaluate, preset_definition
>>> model = definition_validate(preset_definition("default"))
>>> result = lifecycle_evaluate(model, facts_frame, current_stage_keys)
>>> result.to_frame(reasons=True)        # previous_stage, stage, changed, rule, reason

The definition grammar (grammar 1)
----------------------------------
A definition is a JSON object::

    {
      "grammar": 1,                           # optional; 1 is the only version
      "name": "...", "description": "...",    # optional, for people
      "stages": [{"key": "retention", "name": "Retention", "description": "...",
                  "role": "loyal"}, ...],
      "conditions": {"slowing": <condition>, ...},   # optional, named and reusable
      "rules": [<rule>, ...]                  # tried in this order
    }

- **Stage**: ``key`` (lower-case letters, digits, ``_``; stored per customer), ``name`` (shown),
  ``description`` (what the business does for customers in it), ``role`` (what the stage
  means to the rest of tenure, one of ``STAGE_ROLES``: lead, new, active, loyal, advocate,
  at_risk, lost, won_back; the at-risk list, the churn audit, health and the funnel ask for
  roles, never for keys; without one, a preset's key takes its preset's role, another
  ``active``). Their order is the funnel order. ``"unstaged"`` is reserved: the pseudo-stage
  of a customer in no stage yet.
- **Rule**: ``{"name": "repeat_purchase", "from": ["acquisition", "development"],
  "to": "retention", "when": <condition>, "reason": "Bought again: {orders_count} orders"}``.
  ``name`` is a key (stored with each transition); ``from`` lists stage keys, ``"unstaged"``,
  or ``"*"`` (every stage, and none yet; ``"from": "*"`` also works); ``reason`` is a sentence
  in ``str.format`` syntax whose fields are facts or ``from_stage`` / ``to_stage`` (display
  names): ``"No order for {days_since_last_order:.0f} days"``. A missing value prints
  "unknown".
- **Condition**, one of:

  - ``{"all": [c1, c2, ...]}``: every one holds (a non-empty list);
  - ``{"any": [c1, c2, ...]}``: at least one holds;
  - ``{"not": c}``;
  - ``{"condition": "slowing"}``: the named condition of that name;
  - ``{"fact": "orders_count", "op": ">=", "value": 2}``: a fact against a literal; ``op`` is
    one of ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=``. Numeric facts take numbers
    (probabilities from 0 to 1); yes/no facts take ``true``/``false`` with ``==``/``!=``;
  - ``{"fact": "days_since_last_order", "op": ">=", "value": {"fact": "typical_gap_days",
    "times": 3, "plus": 0}}``: a fact against ``times x`` another fact ``+ plus`` (both
    optional: 1 and 0);
  - ``{"fact": "channel", "op": "is", "value": "partner"}``: a category fact (a text value per
    customer) against text: ``is`` / ``is_not`` take one value, ``in`` / ``not_in`` a
    non-empty list (``{"fact": "category", "op": "in", "value": ["b2b", "enterprise"]}``).
    Values are compared exactly (case counts) after trimming spaces at both ends, on both
    sides; an empty value is missing. Category facts take only these four operators (and
    ``known`` / ``missing``), number and yes/no facts never take them;
  - ``{"fact": "attribute.plan", "op": "is", "value": "gold"}``: an imported attribute
    (``Customer.custom_attributes``), spelt ``attribute.`` and its name as imported (built-in
    names have no dot, so they cannot collide). The operator says how it is read: ``is``,
    ``is_not``, ``in``, ``not_in`` as a category (its text, trimmed; numbers as written);
    ``==``, ``!=``, ``<``, ``<=``, ``>``, ``>=`` with a number (or as the other side of a
    comparison between facts) as a number, the values that do not read as one (``"12"``,
    ``"1,200"`` and ``3.5`` do) being missing. One definition reads an attribute one way;
    ``==`` with text is refused (say ``is``). A customer without it: missing;
  - ``{"fact": "latest_nps", "op": "missing"}`` / ``"op": "known"``: whether a value is there.

  A comparison with a missing value (NaN) is false, ``!=`` included; so ``{"not": {"fact":
  "p_alive", "op": "<", "value": 0.5}}`` holds when P(alive) is missing. Say ``known`` when
  that matters. Likewise a missing category matches neither ``is`` / ``in`` nor ``is_not`` /
  ``not_in``: ``{"fact": "channel", "op": "is_not", "value": "partner"}`` holds for a customer
  with another channel, not for one with none.

The built-in facts are listed with their meaning in :data:`FACTS`; the timeless ones (the
customer's channel and category, the account's industry and size bands) are registered by the
apps that hold them (:mod:`tenure.domain.facts`) and listed with the built-in ones by
:func:`~tenure.domain.lifecycle.facts.rule_facts`. They and the attributes have no history:
a replay reads their value as it is now at every past moment. The semantics of evaluation
(first matching rule, repeated to a fixed point) in :mod:`tenure.domain.lifecycle.engine`;
the two built-in models and their design in :mod:`tenure.domain.lifecycle.presets`.
"""

from tenure.domain.lifecycle.engine import (
    Evaluation,
    LifecycleCycleError,
    Moves,
    lifecycle_evaluate,
)
from tenure.domain.lifecycle.facts import FACTS, Fact
from tenure.domain.lifecycle.model import (
    ANY_STAGE,
    OFF_PATH_ROLES,
    STAGE_ROLES,
    UNSTAGED,
    Condition,
    DefinitionError,
    LifecycleModel,
    Problem,
    Rule,
    Stage,
)
from tenure.domain.lifecycle.parse import condition_compile, definition_validate
from tenure.domain.lifecycle.presets import PRESET_NAMES, preset_definition, preset_model

__all__ = [
    "ANY_STAGE",
    "FACTS",
    "OFF_PATH_ROLES",
    "PRESET_NAMES",
    "STAGE_ROLES",
    "UNSTAGED",
    "Condition",
    "DefinitionError",
    "Evaluation",
    "Fact",
    "LifecycleCycleError",
    "LifecycleModel",
    "Moves",
    "Problem",
    "Rule",
    "Stage",
    "condition_compile",
    "definition_validate",
    "lifecycle_evaluate",
    "preset_definition",
    "preset_model",
]
