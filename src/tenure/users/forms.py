"""The form of a team member's name and email: one's own profile, and an admin's edit of any
member from the Team page. The email's format is the form's; whether another member has it is
the service's (``user_update_profile``), whose errors come back onto these fields."""

from __future__ import annotations

from typing import Any

from django import forms

from tenure.access.form_limits import limits_onto_form


class ProfileForm(forms.Form):
    first_name = forms.CharField(
        label="First name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "given-name"}),
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "family-name"}),
    )
    email = forms.EmailField(
        label="Email",
        max_length=254,
        required=False,
        error_messages={"invalid": "Enter a valid email address, such as pat@example.com."},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        limits_onto_form(self, cleaned)
        return cleaned
