"""Changing one's own password: the old one first, then the new one twice, checked by the
password validators of the settings (12 characters at least). The session that changed it stays
signed in; every other session of the user ends, since Django ties sessions to the password."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.password_validation import password_validators_help_texts
from django.http import HttpResponse
from django.urls import reverse_lazy


class PasswordChange(auth_views.PasswordChangeView):
    """Django's view (login required, CSRF, update_session_auth_hash) in the app's frame."""

    template_name = "web/password_change.html"
    success_url = reverse_lazy("web:password-change")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["section"] = "password"
        context["rules"] = password_validators_help_texts()
        return context

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(
            self.request, "Your password was changed. Your other sessions were signed out."
        )
        return response


password_change = PasswordChange.as_view()
