"""Domain errors that every edge turns into a message a person understands."""

from __future__ import annotations


class Conflict(Exception):
    """The request is valid but clashes with what is stored (e.g. deleting a customer with
    orders). The API answers 409."""
