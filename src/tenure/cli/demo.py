"""Filled in by the demo work."""

COMMANDS: list = []
