"""Bodies and queries for every operation of the API, read from its own OpenAPI document:
a valid value for each property (ids of seed records, enums, dates), and a hostile one
(``tests.strategies``) for any of them. New endpoints are covered without editing a list."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.strategies import hostile_for

_serial = itertools.count(1)


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as documented, with {placeholders}
    body: dict[str, Any] | None  # the request body's schema, refs resolved
    query: dict[str, dict[str, Any]]  # query parameter -> its schema


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        node: Any = document
        for part in schema["$ref"].lstrip("#/").split("/"):
            node = node[part]
        schema = node
    if "anyOf" in schema:
        options = [resolve(document, part) for part in schema["anyOf"]]
        solid = [part for part in options if part.get("type") != "null"]
        if solid:
            return {**solid[0], "nullable": len(solid) < len(options)}
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return {**schema, **resolve(document, schema["allOf"][0])}
    return schema


def operations(document: dict[str, Any]) -> list[Operation]:
    found = []
    for path, item in document["paths"].items():
        for method, spec in item.items():
            body = None
            content = spec.get("requestBody", {}).get("content", {})
            if "application/json" in content:
                body = resolve(document, content["application/json"]["schema"])
            query = {
                parameter["name"]: resolve(document, parameter.get("schema", {}))
                for parameter in spec.get("parameters", [])
                if parameter["in"] == "query"
            }
            found.append(Operation(method.upper(), path, body, query))
    return found


def valid_value(document: dict[str, Any], name: str, schema: dict[str, Any], seeds: dict) -> Any:
    """A value the API should accept for ``name`` (seed ids; unique external ids)."""
    schema = resolve(document, schema)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind, shape = schema.get("type"), schema.get("format", "")
    if name.endswith("_id") and kind == "integer":
        return seeds.get(name, seeds["customer_id"])
    if shape == "date-time":
        return "2025-03-01T10:00:00+01:00"
    if shape == "date":
        return "2025-03-01"
    if shape == "decimal":
        return "10.00"
    if kind == "integer":
        return max(schema.get("minimum", 1), min(schema.get("maximum", 5), 5))
    if kind == "number":
        low, high = schema.get("exclusiveMinimum", 0), schema.get("maximum", 1)
        return (low + high) / 2 if high < 10 else low + 1
    if kind == "boolean":
        return True
    if kind == "array":
        return [valid_value(document, name, schema.get("items", {}), seeds)]
    if kind == "object" or "properties" in schema:
        if name == "definition":
            return seeds["definition"]
        return valid_body(document, schema, seeds) if "properties" in schema else {}
    if name == "currency":
        return "EUR"
    if "email" in name:
        return f"p{next(_serial)}@example.com"
    if name in ("external_id", "name", "title") or name.endswith("_id"):
        return f"{name[:3]}-{next(_serial)}"
    if name == "period":
        return "2025-Q1"
    return "x" * max(schema.get("minLength", 1), 1)


def valid_body(document: dict[str, Any], schema: dict[str, Any], seeds: dict) -> dict[str, Any]:
    required = set(schema.get("required", ()))
    return {
        name: valid_value(document, name, part, seeds)
        for name, part in schema.get("properties", {}).items()
        if name in required or name in ("custom_attributes",)
    }


@st.composite
def hostile_body(draw: st.DrawFn, document: dict, schema: dict, seeds: dict) -> dict[str, Any]:
    """A valid body with one or more of its properties made hostile."""
    body = valid_body(document, schema, seeds)
    properties = schema.get("properties", {})
    names = draw(st.lists(st.sampled_from(sorted(properties)), min_size=1, max_size=3, unique=True))
    for name in names:
        part = resolve(document, properties[name])
        if part.get("type") == "array" and "properties" in resolve(document, part.get("items", {})):
            item_schema = resolve(document, part["items"])
            body[name] = [
                valid_body(document, item_schema, seeds),
                draw(hostile_body(document, item_schema, seeds)),
                valid_body(document, item_schema, seeds),
            ]
        else:
            body[name] = draw(hostile_for(part, name))
    return body
