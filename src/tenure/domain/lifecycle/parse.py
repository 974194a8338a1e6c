"""A lifecycle definition (plain JSON data) -> :class:`LifecycleModel`, or every problem found.

Each problem names its path in the definition (``rules[3].when.all[1].fact``) and says what is
wrong in words, with a suggestion for a misspelt name. The grammar is documented in
:mod:`tenure.domain.lifecycle`.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Mapping
from typing import Any

from tenure.domain.facts import attribute_fact, is_attribute
from tenure.domain.lifecycle.facts import KIND_WORDS, Fact, rule_facts
from tenure.domain.lifecycle.model import (
    ANY_STAGE,
    CATEGORY_OPS,
    COMPARE_OPS,
    DEFAULT_ROLE,
    PRESENCE_OPS,
    ROLES_BY_KEY,
    STAGE_ROLES,
    UNSTAGED,
    UNSTAGED_CODE,
    AllOf,
    AnyOf,
    Category,
    Compare,
    Condition,
    DefinitionError,
    LifecycleModel,
    Not,
    Presence,
    Problem,
    Rule,
    Stage,
    condition_facts,
)
from tenure.domain.lifecycle.reasons import REASON_FIELDS, positional, reason_facts

GRAMMAR = 1
_TOP_KEYS = ("grammar", "name", "description", "stages", "conditions", "rules")
_STAGE_KEYS = ("key", "name", "description", "role")
_RULE_KEYS = ("name", "from", "to", "when", "reason")
_NODE_KINDS = ("all", "any", "not", "fact", "condition")
_IDENTIFIER = re.compile(r"[a-z][a-z0-9_]{0,59}")
_SAMPLE: dict[str, Any] = {"count": 2, "flag": "yes", "category": "text"}
_NUMBER_OPS = ", ".join(COMPARE_OPS)


def did_you_mean(name: object, choices: Iterable[str]) -> str:
    """`` (did you mean "x"?)`` for the closest choice, or ``""``."""
    if not isinstance(name, str):
        return ""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f' (did you mean "{close[0]}"?)' if close else ""


def shown(value: object, *, typed: bool = False) -> str:
    """A value as the definition spells it (``typed``: saying "text" for a string, when the
    type is the problem)."""
    text = json.dumps(value)
    return f"{text} (text)" if typed and isinstance(value, str) else text


class _Checker:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def keys(self, raw: Mapping[str, Any], path: str, allowed: Iterable[str]) -> None:
        allowed = tuple(allowed)
        for key in raw:
            if key not in allowed:
                where = f"{path}.{key}" if path else str(key)
                self.add(where, f'unknown key "{key}"{did_you_mean(key, allowed)}')

    def text(self, raw: Mapping[str, Any], key: str, path: str, *, required: bool) -> str | None:
        if key not in raw:
            if required:
                self.add(f"{path}.{key}" if path else key, "missing")
            return None
        value = raw[key]
        if not isinstance(value, str) or (required and not value.strip()):
            self.add(
                f"{path}.{key}" if path else key, f"must be non-empty text, got {shown(value)}"
            )
            return None
        return value


def definition_validate(data: Any, *, facts: Mapping[str, Fact] | None = None) -> LifecycleModel:
    """Check a lifecycle definition and compile it; refuse it with every problem found.

    Parameters
    ----------
    data : dict
        A definition in the grammar of :mod:`tenure.domain.lifecycle` (parsed JSON).
    facts : mapping of str to Fact, optional
        The facts rules may read (besides ``attribute.<name>``); by default
        :func:`~tenure.domain.lifecycle.facts.rule_facts`: the built-in ones and the timeless
        ones the apps registered.

    Returns
    -------
    LifecycleModel
        With ``warnings`` for what is allowed but probably unintended (a stage no rule can
        reach, a rule that can never move anyone).

    Raises
    ------
    DefinitionError
        With one :class:`Problem` per mistake, each naming its path, e.g.
        ``rules[3].when.all[1].fact: unknown fact "order_count" (did you mean
        "orders_count"?)``; also when the rules move some customer round in a circle.
    """
    try:
        normalised = json.loads(json.dumps(data, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise DefinitionError([Problem("", f"must be plain JSON data ({exc})")]) from None
    if not isinstance(normalised, dict):
        raise DefinitionError([Problem("", "must be an object with stages and rules")])
    check = _Checker()
    check.keys(normalised, "", _TOP_KEYS)
    if normalised.setdefault("grammar", GRAMMAR) != GRAMMAR:
        check.add("grammar", f"unknown grammar version {shown(normalised['grammar'])}: use 1")
    check.text(normalised, "name", "", required=False)
    check.text(normalised, "description", "", required=False)
    stages = _stages(normalised.get("stages"), check)
    codes = {stage.key: code for code, stage in enumerate(stages)}
    catalogue = dict(rule_facts() if facts is None else facts)
    compiler = _Compiler(normalised.get("conditions", {}), check, catalogue)
    rules = _rules(normalised.get("rules"), codes, compiler, check)
    if check.problems:
        raise DefinitionError(check.problems)
    specs = {name: compiler.spec(name) for name in frozenset().union(*(r.facts for r in rules))}
    model = LifecycleModel(tuple(stages), tuple(rules), normalised, (), codes, specs)
    from tenure.domain.lifecycle.probe import probe_cycles  # the probe runs the engine

    cycle = probe_cycles(model)
    if cycle is not None:
        raise DefinitionError([Problem("rules", str(cycle))])
    return LifecycleModel(tuple(stages), tuple(rules), normalised, _warnings(model), codes, specs)


def condition_compile(
    raw: Any,
    *,
    facts: Mapping[str, Fact],
    path: str = "when",
    named: Any = None,
) -> tuple[Condition, dict[str, Fact]]:
    """Compile one condition of the rule grammar (with optional ``named`` conditions) over
    ``facts`` (and ``attribute.<name>``): the condition and the declaration of each fact it
    reads. Raises :class:`DefinitionError` with every problem, each naming its path under
    ``path`` (``when.all[1].op``). Segments use it; lifecycle rules compile theirs the same
    way."""
    check = _Checker()
    compiler = _Compiler({} if named is None else named, check, dict(facts))
    node = compiler.node(raw, path)
    if check.problems or node is None:
        raise DefinitionError(check.problems or [Problem(path, "is not a condition")])
    return node, {name: compiler.spec(name) for name in sorted(condition_facts(node))}


def _stages(raw: Any, check: _Checker) -> list[Stage]:
    if not isinstance(raw, list) or not raw:
        check.add("stages", "must be a non-empty list of stages ({key, name, description, role})")
        return []
    stages: list[Stage] = []
    first_at: dict[str, int] = {}
    for i, item in enumerate(raw):
        path = f"stages[{i}]"
        if not isinstance(item, dict):
            check.add(path, "must be an object with key, name and description")
            continue
        check.keys(item, path, _STAGE_KEYS)
        key = check.text(item, "key", path, required=True)
        name = check.text(item, "name", path, required=True)
        description = check.text(item, "description", path, required=False) or ""
        role = check.text(item, "role", path, required=False)
        if key is None or name is None:
            continue
        if role is None:  # stored before stages had roles, or left to the default
            role = item["role"] = ROLES_BY_KEY.get(key, DEFAULT_ROLE)
        elif role not in STAGE_ROLES:
            check.add(
                f"{path}.role",
                f"unknown role {shown(role)}{did_you_mean(role, STAGE_ROLES)}: one of "
                + ", ".join(STAGE_ROLES),
            )
        if not _IDENTIFIER.fullmatch(key):
            check.add(
                f"{path}.key",
                f"{shown(key)} must be lower-case letters, digits and _ (starting with a letter)",
            )
        elif key == UNSTAGED:
            check.add(f"{path}.key", f'"{UNSTAGED}" is reserved for customers in no stage yet')
        elif key in first_at:
            check.add(f"{path}.key", f'duplicate stage "{key}" (also stages[{first_at[key]}])')
        else:
            first_at[key] = i
            stages.append(Stage(key, name, description, role))
    return stages


class _Compiler:
    """Compiles condition trees; a named condition is compiled once and shared."""

    def __init__(self, named: Any, check: _Checker, catalogue: dict[str, Fact]) -> None:
        self.check = check
        self.catalogue = catalogue
        self.attributes: dict[str, tuple[str, str]] = {}  # name -> (kind, where it was typed)
        self.raw: dict[str, Any] = {}
        self.done: dict[str, Condition | None] = {}
        self.stack: list[str] = []
        if not isinstance(named, dict):
            check.add("conditions", "must be an object of named conditions")
            return
        for name, tree in named.items():
            if not _IDENTIFIER.fullmatch(name):
                check.add(f"conditions.{name}", "a condition name must be lower-case letters, "
                          "digits and _ (starting with a letter)")  # fmt: skip
            self.raw[name] = tree
        for name in self.raw:
            self.named(name, f"conditions.{name}")

    def named(self, name: Any, path: str) -> Condition | None:
        if not isinstance(name, str) or name not in self.raw:
            self.check.add(path, f"unknown condition {shown(name)}{did_you_mean(name, self.raw)}")
            return None
        if name in self.done:
            return self.done[name]
        if name in self.stack:
            loop = " -> ".join([*self.stack[self.stack.index(name) :], name])
            self.check.add(path, f"conditions refer to each other in a circle: {loop}")
            return None
        self.stack.append(name)
        compiled = self.node(self.raw[name], f"conditions.{name}")
        self.stack.pop()
        self.done[name] = compiled
        return compiled

    def node(self, raw: Any, path: str) -> Condition | None:
        kinds = [kind for kind in _NODE_KINDS if isinstance(raw, dict) and kind in raw]
        if len(kinds) != 1:
            found = f"; this one has {' and '.join(kinds)}" if kinds else ""
            self.check.add(
                path,
                'a condition is one of {"all": [...]}, {"any": [...]}, {"not": ...}, '
                '{"fact": ..., "op": ..., "value": ...} or {"condition": name}' + found,
            )
            return None
        kind = kinds[0]
        if kind == "fact":
            return self.leaf(raw, path)
        self.check.keys(raw, path, (kind,))
        if kind == "condition":
            return self.named(raw[kind], f"{path}.condition")
        if kind == "not":
            inner = self.node(raw[kind], f"{path}.not")
            return None if inner is None else Not(inner)
        items = raw[kind]
        if not isinstance(items, list) or not items:
            self.check.add(f"{path}.{kind}", "must be a non-empty list of conditions")
            return None
        compiled = [self.node(item, f"{path}.{kind}[{i}]") for i, item in enumerate(items)]
        if any(item is None for item in compiled):
            return None
        return (AllOf if kind == "all" else AnyOf)(tuple(compiled))  # type: ignore[arg-type]

    def fact(self, name: Any, path: str) -> str | None:
        if isinstance(name, str) and (name in self.catalogue or is_attribute(name)):
            return name
        self.check.add(path, f"unknown fact {shown(name)}{did_you_mean(name, self.catalogue)}")
        return None

    def kind(self, name: str) -> str:
        """A fact's kind; an attribute's as typed so far (``""``: not yet)."""
        if name in self.catalogue:
            return self.catalogue[name].kind
        return self.attributes.get(name, ("", ""))[0]

    def spec(self, name: str) -> Fact:
        """The declaration the model reads a fact with (an attribute used only in reasons or
        with known/missing is a category)."""
        if name in self.catalogue:
            return self.catalogue[name]
        return attribute_fact(name, "number" if self.kind(name) == "number" else "category")

    def typed(self, name: str, kind: str, path: str) -> bool:
        """Read the attribute ``name`` as ``kind`` here; one definition reads it one way."""
        if not is_attribute(name) or name in self.catalogue:
            return True
        known, where = self.attributes.setdefault(name, (kind, path))
        if known != kind:
            self.check.add(
                path,
                f"{name} is read as a {known} at {where}: a definition reads an attribute "
                f"either as a number or as a category",
            )
            return False
        return True

    def leaf(self, raw: dict[str, Any], path: str) -> Condition | None:
        self.check.keys(raw, path, ("fact", "op", "value"))
        fact = self.fact(raw["fact"], f"{path}.fact")
        op = raw.get("op")
        if op not in (*COMPARE_OPS, *CATEGORY_OPS, *PRESENCE_OPS):
            if fact is not None and is_attribute(fact) and fact not in self.catalogue:
                ops = (*COMPARE_OPS, *CATEGORY_OPS, *PRESENCE_OPS)
            elif fact is not None and self.kind(fact) == "category":
                ops = (*CATEGORY_OPS, *PRESENCE_OPS)
            else:
                ops = (*COMPARE_OPS, *PRESENCE_OPS)
            got = "missing" if "op" not in raw else f"unknown operator {shown(op)}"
            self.check.add(f"{path}.op", f"{got} (use one of {', '.join(ops)})")
            return None
        if fact is None:
            return None
        if op in PRESENCE_OPS:
            if "value" in raw:
                self.check.add(f"{path}.value", f'"{op}" takes no value')
            if fact in self.catalogue and not self.catalogue[fact].nullable:
                always = "false" if op == "missing" else "true"
                self.check.add(
                    f"{path}.op", f'{fact} is never missing, so "{op}" is always {always}'
                )
            return Presence(fact, known=op == "known")
        if "value" not in raw:
            self.check.add(f"{path}.value", f"missing: what to compare {fact} with")
            return None
        value = raw["value"]
        if is_attribute(fact) and fact not in self.catalogue:
            if op in ("==", "!=") and isinstance(value, str):
                self.check.add(
                    f"{path}.op",
                    f'{fact} compared with text: use "is" or "is_not" (==, != and the other '
                    "comparisons read it as a number)",
                )
                return None
            wanted = "category" if op in CATEGORY_OPS else "number"
            if not self.typed(fact, wanted, f"{path}.op"):
                return None
        kind = self.kind(fact)
        if op in CATEGORY_OPS:
            if kind != "category":
                use = "== or !=" if kind == "flag" else _NUMBER_OPS
                self.check.add(f"{path}.op", f'{fact} is {KIND_WORDS[kind]}: use {use}, not "{op}"')
                return None
            values = self.texts(op, value, f"{path}.value", fact)
            return None if values is None else Category(fact, values, op in ("is_not", "not_in"))
        if kind == "category":
            self.check.add(
                f"{path}.op", f'{fact} is a category: use is, is_not, in or not_in, not "{op}"'
            )
            return None
        if kind == "flag":
            if op not in ("==", "!="):
                self.check.add(f"{path}.op", f'{fact} is a yes/no fact: use == or !=, not "{op}"')
            if not isinstance(value, bool):
                self.check.add(
                    f"{path}.value",
                    f"{fact} is a yes/no fact: use true or false, got {shown(value, typed=True)}",
                )
            return Compare(fact, op, value=bool(value))
        if isinstance(value, dict):
            return self.reference(fact, op, value, f"{path}.value")
        number = self.number(value, f"{path}.value", f"{fact} is {KIND_WORDS[kind]}: the value")
        if number is None:
            return None
        if kind == "probability" and not 0 <= number <= 1:
            self.check.add(
                f"{path}.value",
                f"{fact} is a probability: use a value from 0 to 1, got {shown(value)}",
            )
        return Compare(fact, op, value=number)

    def texts(self, op: str, value: Any, path: str, fact: str) -> tuple[str, ...] | None:
        """The text values of a category comparison, trimmed (``is``: one; ``in``: a list)."""
        one = op in ("is", "is_not")
        other = {"is": "in", "is_not": "not_in", "in": "is", "not_in": "is_not"}[op]
        if one and isinstance(value, list):
            self.check.add(path, f'"{op}" takes one text value: use "{other}" for a list')
            return None
        if not one and not isinstance(value, list):
            hint = f'; use "{other}" for one' if isinstance(value, str) else ""
            self.check.add(
                path, f'"{op}" takes a list of text values, e.g. ["partner", "reseller"]{hint}'
            )
            return None
        items = [value] if one else value
        if not items:
            self.check.add(path, f'"{op}" takes a non-empty list of text values')
            return None
        out: list[str] = []
        for i, item in enumerate(items):
            where = path if one else f"{path}[{i}]"
            if not isinstance(item, str) or not item.strip():
                self.check.add(
                    where,
                    f"{fact} is a category: the value must be non-empty text, got "
                    f"{shown(item, typed=True)}",
                )
                return None
            out.append(item.strip())
        return tuple(dict.fromkeys(out))

    def reference(self, fact: str, op: Any, raw: dict[str, Any], path: str) -> Condition | None:
        self.check.keys(raw, path, ("fact", "times", "plus"))
        other = self.fact(raw.get("fact"), f"{path}.fact")
        times = self.number(raw.get("times", 1), f"{path}.times", "times")
        plus = self.number(raw.get("plus", 0), f"{path}.plus", "plus")
        if other is None or times is None or plus is None:
            return None
        if not self.typed(other, "number", f"{path}.fact"):
            return None
        if self.kind(other) == "flag":
            self.check.add(
                f"{path}.fact", f"{other} is a yes/no fact: compare numbers with numbers"
            )
            return None
        if self.kind(other) == "category":
            self.check.add(f"{path}.fact", f"{other} is a category: compare numbers with numbers")
            return None
        return Compare(fact, op, other=other, times=times, plus=plus)

    def number(self, value: Any, path: str, what: str) -> float | None:
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            self.check.add(path, f"{what} must be a number, got {shown(value, typed=True)}")
            return None
        return float(value)


def _rules(raw: Any, codes: dict[str, int], compiler: _Compiler, check: _Checker) -> list[Rule]:
    if not isinstance(raw, list) or not raw:
        check.add("rules", "must be a non-empty list of rules ({name, from, to, when, reason})")
        return []
    rules: list[Rule] = []
    first_at: dict[str, int] = {}
    passed: set[int] = set()  # rules whose reason passed (an attribute perhaps not typed yet)
    for i, item in enumerate(raw):
        path = f"rules[{i}]"
        if not isinstance(item, dict):
            check.add(path, "must be an object with name, from, to, when and reason")
            continue
        check.keys(item, path, _RULE_KEYS)
        name = check.text(item, "name", path, required=True)
        if name is not None:
            if not _IDENTIFIER.fullmatch(name):
                check.add(f"{path}.name", f"{shown(name)} must be lower-case letters, digits and _ "
                          "(starting with a letter); the reason is where the words go")  # fmt: skip
            elif name in first_at:
                check.add(
                    f"{path}.name", f'duplicate rule name "{name}" (also rules[{first_at[name]}])'
                )
            else:
                first_at[name] = i
        sources = _sources(item.get("from"), codes, f"{path}.from", check)
        target = _target(item.get("to"), codes, f"{path}.to", check)
        when = None
        if "when" not in item:
            check.add(
                f"{path}.when", "missing: the condition under which the rule moves a customer"
            )
        else:
            when = compiler.node(item["when"], f"{path}.when")
        reason = check.text(item, "reason", path, required=True)
        if reason is not None and not _reason_ok(reason, f"{path}.reason", check, compiler):
            reason = None
        elif reason is not None:
            passed.add(i)
        if None in (name, sources, target, when, reason):
            continue
        rules.append(
            Rule(name, sources, target, when, reason, condition_facts(when) | reason_facts(reason))  # type: ignore[arg-type]
        )
    for i, item in enumerate(raw):  # attributes printed: with the kind the conditions gave them
        reason = item.get("reason") if isinstance(item, dict) else None
        if not isinstance(reason, str) or i not in passed:
            continue
        if any(is_attribute(name) for name in reason_facts(reason)):
            _reason_ok(reason, f"rules[{i}].reason", check, compiler, strict=True)
    return rules


def _sources(raw: Any, codes: dict[str, int], path: str, check: _Checker) -> frozenset[int] | None:
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        check.add(path, 'must be a non-empty list of stage keys, or "*" for any stage')
        return None
    found: set[int] = set()
    for i, key in enumerate(raw):
        if key == ANY_STAGE:
            found.update([UNSTAGED_CODE, *codes.values()])
        elif key == UNSTAGED:
            found.add(UNSTAGED_CODE)
        elif isinstance(key, str) and key in codes:
            found.add(codes[key])
        else:
            choices = [*codes, UNSTAGED, ANY_STAGE]
            check.add(f"{path}[{i}]", f"unknown stage {shown(key)}{did_you_mean(key, choices)}")
            return None
    return frozenset(found)


def _target(raw: Any, codes: dict[str, int], path: str, check: _Checker) -> int | None:
    if isinstance(raw, str) and raw in codes:
        return codes[raw]
    if raw in (UNSTAGED, ANY_STAGE):
        check.add(path, f"must be a stage: a rule cannot move a customer to {shown(raw)}")
    else:
        check.add(path, f"unknown stage {shown(raw)}{did_you_mean(raw, codes)}")
    return None


class _Either:
    """A sample for an attribute whose kind is not known yet: formats as a number or text."""

    def __format__(self, spec: str) -> str:
        try:
            return format(1.5, spec)
        except ValueError:
            return format("text", spec)


def _reason_ok(
    template: str, path: str, check: _Checker, compiler: _Compiler, *, strict: bool = False
) -> bool:
    """Whether a reason's fields are facts (or the stages) and format with a sample of each
    kind; an attribute not typed yet passes with a number or a text sample unless ``strict``
    (the check after every condition has typed it)."""
    from string import Formatter

    fields = {*compiler.catalogue, *REASON_FIELDS}
    samples: dict[str, Any] = {}
    try:
        pieces = list(Formatter().parse(template))
    except ValueError as exc:
        check.add(path, f"cannot be read: {exc} (write {{{{ and }}}} for a literal brace)")
        return False
    for _literal, name, _spec, conversion in pieces:
        if name is None:
            continue
        if (name not in fields and not is_attribute(name)) or conversion is not None:
            check.add(
                path, f"{{{name}}} is not a fact or from_stage/to_stage{did_you_mean(name, fields)}"
            )
            return False
        kind = "stage" if name in REASON_FIELDS else compiler.kind(name)
        if kind == "stage":
            samples[name] = "Stage"
        elif not kind:
            samples[name] = "text" if strict else _Either()
        else:
            samples[name] = _SAMPLE.get(kind, 1.5)
    text, names = positional(template)
    try:
        text.format(*(samples[name] for name in names))
    except (ValueError, TypeError) as exc:
        check.add(path, f"cannot be formatted: {exc}")
        return False
    return True


def _warnings(model: LifecycleModel) -> tuple[str, ...]:
    warnings = []
    reached = {UNSTAGED_CODE}
    grew = True
    while grew:
        grew = False
        for rule in model.rules:
            if rule.sources & reached and rule.target not in reached:
                reached.add(rule.target)
                grew = True
    for code, stage in enumerate(model.stages):
        if code not in reached:
            warnings.append(
                f'stage "{stage.key}" cannot be reached: no chain of rules leads to it from a '
                "customer in no stage yet"
            )
    for rule in model.rules:
        if rule.sources == {rule.target}:
            warnings.append(
                f'rule "{rule.name}" can only hold customers in "{model.stages[rule.target].key}",'
                " never move them"
            )
    return tuple(warnings)
