"""The data migration that rewrites stored lifecycle rules reading the renamed ``segment``."""

from __future__ import annotations

import importlib

migration = importlib.import_module("tenure.lifecycle.migrations.0011_rules_read_category")


def test_rules_and_reasons_reading_segment_read_category():
    stored = {
        "stages": [{"key": "b2b", "name": "B2B"}],
        "conditions": {"firms": {"fact": "segment", "op": "in", "value": ["b2b", "segment"]}},
        "rules": [
            {
                "name": "firm",
                "from": "*",
                "to": "b2b",
                "when": {
                    "all": [{"condition": "firms"}, {"not": {"fact": "segment", "op": "missing"}}]
                },
                "reason": "A firm ({segment}, {channel})",
            }
        ],
    }

    renamed = migration._renamed(stored, "segment", "category")

    assert renamed["conditions"]["firms"] == {
        "fact": "category", "op": "in", "value": ["b2b", "segment"]  # values are data: kept
    }  # fmt: skip
    rule = renamed["rules"][0]
    assert rule["when"]["all"][1] == {"not": {"fact": "category", "op": "missing"}}
    assert rule["reason"] == "A firm ({category}, {channel})"
    assert migration._renamed(renamed, "category", "segment") == stored
