"""Facts by registration, the Django side: chunks of customers, set-wise reads, and the
registry every app registers its fact providers with (``tenure.domain.facts`` holds the pure
declarations). Below every app: it imports none."""

from tenure.facts.chunks import (
    CHUNK,
    DAY,
    LIST_CHUNK,
    Chunk,
    IntArray,
    chunks,
    fetch_numbers,
    lookup,
    scatter,
)
from tenure.facts.registry import FactRequest, fact_provider_register, facts_compute

__all__ = [
    "CHUNK",
    "DAY",
    "LIST_CHUNK",
    "Chunk",
    "FactRequest",
    "IntArray",
    "chunks",
    "fact_provider_register",
    "facts_compute",
    "fetch_numbers",
    "lookup",
    "scatter",
]
