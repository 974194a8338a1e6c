"""Filled in by the transfer work."""

COMMANDS: list = []
