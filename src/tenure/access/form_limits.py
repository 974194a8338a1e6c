"""The limits of ``tenure.domain.limits`` as a form's field errors: one loop for every form
(the pages' forms, the admin's, the lists' filters)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms

from tenure.domain.limits import attributes_problem, integer_problem, value_problem


def limits_onto_form(form: forms.BaseForm, cleaned: Mapping[str, Any]) -> None:
    """Add, as its field's error, every cleaned value tenure could not store and read back: a
    moment outside the calendar, NUL, an integer beyond the database's, too many or too long
    custom attributes."""
    for name, value in list(cleaned.items()):
        problem = value_problem(value)
        if problem is None and isinstance(value, int) and not isinstance(value, bool):
            problem = integer_problem(value)
        if problem is None and name == "custom_attributes" and isinstance(value, dict):
            problem = attributes_problem(value)
        if problem is not None:
            form.add_error(name, problem)
