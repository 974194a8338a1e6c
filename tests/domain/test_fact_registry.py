"""The facts registry (pure part): providers declare their facts, one provider per fact, and a
request for some facts plans only their providers, the required ones first."""

from __future__ import annotations

import pytest

from tenure.domain.facts import (
    REGISTRY,
    Fact,
    FactProvider,
    FactRegistry,
    UnknownFactsError,
    attribute_fact,
    is_attribute,
)


def _nothing(request):
    return {}


A = FactProvider("alpha", (Fact("a_count", "count", "A count of a."),), _nothing)
B = FactProvider(
    "beta",
    (Fact("b_days", "days", "Days of b.", nullable=True),),
    _nothing,
    requires=("a_count",),
)
TIER = FactProvider(
    "tiers", (Fact("tier", "category", "A tier.", nullable=True),), _nothing, timeless=True
)
ATTRS = FactProvider("attrs", (), _nothing, timeless=True, attributes=True)


def _registry(*providers: FactProvider) -> FactRegistry:
    registry = FactRegistry()
    for provider in providers:
        registry.register(provider)
    return registry


def test_a_request_plans_only_the_providers_needed_required_first():
    registry = _registry(B, A, TIER, ATTRS)
    assert [(p.name, sorted(asked)) for p, asked in registry.plan({"a_count"})] == [
        ("alpha", ["a_count"])
    ]
    assert [(p.name, sorted(asked)) for p, asked in registry.plan({"b_days"})] == [
        ("alpha", ["a_count"]),
        ("beta", ["b_days"]),
    ]
    planned = registry.plan({"tier", "attribute.Plan Name", "attribute.seats"})
    assert [(p.name, sorted(asked)) for p, asked in planned] == [
        ("attrs", ["attribute.Plan Name", "attribute.seats"]),
        ("tiers", ["tier"]),
    ]


def test_unknown_facts_are_named():
    registry = _registry(A)
    with pytest.raises(UnknownFactsError, match=r"unknown facts: attribute\.x, zzz") as caught:
        registry.plan({"zzz", "a_count", "attribute.x"})  # no attributes provider here
    assert caught.value.names == ("attribute.x", "zzz")


def test_one_provider_per_fact_and_registering_twice_is_harmless():
    registry = _registry(A)
    registry.register(A)
    assert registry.providers == (A,)
    thief = FactProvider("gamma", (Fact("a_count", "count", "Again."),), _nothing)
    with pytest.raises(ValueError, match="'a_count' of 'gamma' is provided by alpha"):
        registry.register(thief)
    with pytest.raises(ValueError, match="registered already"):
        registry.register(FactProvider("alpha", (), _nothing))
    with pytest.raises(ValueError, match="lower-case letters"):
        registry.register(FactProvider("delta", (Fact("Bad.Name", "count", "x"),), _nothing))
    with pytest.raises(ValueError, match="never missing"):
        registry.register(FactProvider("eps", (Fact("n", "count", "x", nullable=True),), _nothing))
    registry.register(ATTRS)
    with pytest.raises(ValueError, match="attributes are provided by 'attrs'"):
        registry.register(FactProvider("more", (), _nothing, attributes=True))


def test_rules_may_read_the_timeless_facts():
    registry = _registry(A, TIER)
    assert list(registry.rule_facts()) == ["tier"]
    registry.unregister("tiers")
    assert registry.rule_facts() == {} and registry.provider_of("tier") is None


def test_attribute_names_cannot_collide_with_fact_names():
    assert is_attribute("attribute.plan") and is_attribute("attribute.Plan name")
    assert not is_attribute("attribute.") and not is_attribute("attribute_plan")
    assert not is_attribute("attribute." + "x" * 101)
    assert attribute_fact("attribute.seats", "number").nullable
    with pytest.raises(ValueError):
        attribute_fact("attribute.seats", "flag")


def test_every_registered_fact_is_documented():
    # The apps registered theirs as Django started (tests run with the project's settings).
    names = {provider.name for provider in REGISTRY.providers}
    assert {"orders", "subscriptions", "profile", "attributes", "interactions", "feedback",
            "predictions", "stage", "lead", "email"} <= names  # fmt: skip
    for provider in REGISTRY.providers:
        for fact in provider.facts:
            assert fact.description.endswith(".") and len(fact.description) > 20, fact
