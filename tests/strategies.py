"""Hypothesis strategies of hostile input: what an attacker, a broken client or a spreadsheet
sends. Each gives text as it travels (JSON values, CSV cells, query strings), mixing values
tenure must refuse with values at the edge of what it accepts.

- moments: the calendar's ends (0001, 9999) in odd offsets (±23:59, ±16:00, ±15:59),
  near the limits tenure keeps (1900, 2199), naive, dates alone, and garbage;
- text: NUL, lone surrogates, odd Unicode (RTL marks, combining marks, U+FFFF, BOM,
  emoji, a formula start), blanks, and sizes around the limits (100, 2,000, 131,072);
- numbers: NaN, infinity, huge and tiny, many decimals, negative, beyond 64 bits;
- custom attributes: too many, names and values too long, nested, hostile values inside.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

ODD_OFFSETS = ("+23:59", "-23:59", "+16:00", "-16:00", "+15:59", "-15:59", "+14:00", "-12:00")
EXTREME_MOMENTS = (
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59.999999+00:00",
    "0001-01-01T00:00:00Z",
    "1899-12-31T23:59:59Z",
    "1900-01-01T00:00:00Z",
    "2199-12-31T23:59:59Z",
    "2200-01-01T00:00:00Z",
    "2262-04-12T00:00:00Z",
    "1677-09-21T00:00:00Z",
    "1970-01-01T00:00:00Z",
    "2025-02-29T00:00:00Z",
    "2025-13-01T00:00:00Z",
    "0000-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "2025-01-01T24:00:00Z",
    "2025-01-01T00:00:00+99:99",
)
EXTREME_DAYS = ("0001-01-01", "9999-12-31", "1699-12-31", "1700-01-01", "2199-12-31", "2200-01-01")
ODD_CHARACTERS = (
    "\x00",
    "\ud800",
    "\udfff",
    "\udc80",
    "\u202e",  # right-to-left override
    "\u200b",  # zero width space
    "\ufeff",  # byte order mark
    "\uffff",
    "\u0301",  # combining acute
    "\U0001f600",
    "\r\n",
    "\t",
    "=1+2",
    "'",
    '"',
    ",",
    "\\",
)


@st.composite
def moments(draw: st.DrawFn) -> str:
    """A date-time as ISO 8601 text, often at or beyond the edges."""
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.sampled_from(EXTREME_MOMENTS))
    year = draw(st.sampled_from([1, 2, 1899, 1900, 1969, 2025, 2199, 2200, 9998, 9999]))
    month, day = draw(st.integers(1, 12)), draw(st.integers(1, 28))
    hour, minute = draw(st.integers(0, 23)), draw(st.integers(0, 59))
    offset = draw(st.sampled_from(("", "Z", *ODD_OFFSETS)))
    if kind == 3:
        return f"{year:04d}-{month:02d}-{day:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00{offset}"


def days() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(EXTREME_DAYS),
        st.dates().map(lambda day: day.isoformat()),
    )


def hostile_text(*, max_size: int = 40) -> st.SearchStrategy[str]:
    """Short text with odd characters, or a long run around a limit."""
    odd = st.lists(
        st.one_of(st.sampled_from(ODD_CHARACTERS), st.text(max_size=4)), min_size=1, max_size=6
    ).map("".join)
    sized = st.sampled_from([100, 101, 2_000, 2_001, 50_001, 131_073]).map(lambda n: "x" * n)
    return st.one_of(odd, sized, st.text(max_size=max_size))


def csv_safe_text() -> st.SearchStrategy[str]:
    """Hostile text that a UTF-8 file can hold (no lone surrogates: those are bytes that are
    not UTF-8, tested on their own)."""
    return hostile_text().map(
        lambda text: "".join(c for c in text if not 0xD800 <= ord(c) < 0xE000)
    )


def numbers() -> st.SearchStrategy[Any]:
    """Numbers as JSON values (Python's JSON writes NaN and Infinity, as broken clients do)."""
    return st.one_of(
        st.sampled_from(
            [float("nan"), float("inf"), float("-inf"), 1e308, -1e308, 5e-324, 0, -1, 2**63, 2**64]
        ),
        st.integers(min_value=-(2**70), max_value=2**70),
        st.floats(allow_nan=True, allow_infinity=True),
        st.decimals(allow_nan=False, allow_infinity=False, places=5).map(str),
        st.sampled_from(["NaN", "Infinity", "-0", "1e400", "0.001", "99999999999999.99", "1,5"]),
    )


def json_values(depth: int = 2) -> st.SearchStrategy[Any]:
    leaves = st.one_of(st.none(), st.booleans(), numbers(), hostile_text(), moments())
    if depth == 0:
        return leaves
    inner = json_values(depth - 1)
    return st.one_of(
        leaves,
        st.lists(inner, max_size=3),
        st.dictionaries(hostile_text(max_size=8), inner, max_size=3),
    )


def custom_attributes() -> st.SearchStrategy[dict[str, Any]]:
    """Attribute maps: hostile values, and sizes around 100 attributes, 100-character names,
    2,000-character values."""
    many = st.sampled_from([100, 101, 150]).map(lambda n: {f"a{i}": i for i in range(n)})
    long_name = st.sampled_from([100, 101]).map(lambda n: {"n" * n: "v"})
    long_value = st.sampled_from([2_000, 2_001, 100_000]).map(lambda n: {"v": "x" * n})
    hostile = st.dictionaries(hostile_text(max_size=12), json_values(), max_size=4)
    return st.one_of(many, long_name, long_value, hostile)


def hostile_for(schema: dict[str, Any], name: str = "") -> st.SearchStrategy[Any]:
    """A hostile JSON value for a property of an OpenAPI schema (by its type and format)."""
    if name == "custom_attributes":
        return custom_attributes()
    kind = schema.get("type")
    if "anyOf" in schema:
        options = [part for part in schema["anyOf"] if part.get("type") != "null"]
        kind = options[0].get("type") if options else None
        schema = options[0] if options else schema
    shape = schema.get("format", "")
    if shape == "date-time":
        return moments()
    if shape == "date":
        return st.one_of(days(), moments())
    if kind in ("integer", "number") or shape == "decimal":
        return numbers()
    if kind == "object":
        return st.dictionaries(hostile_text(max_size=8), json_values(), max_size=4)
    if kind == "array":
        return st.lists(json_values(1), max_size=3)
    return hostile_text()
