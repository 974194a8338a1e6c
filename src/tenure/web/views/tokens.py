"""API tokens: every team member lists, creates and revokes their own; an admin sees and may
revoke everyone's. A new token is shown once, in the answer to the form that made it: only its
SHA-256 is stored."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from tenure.access import may
from tenure.domain.access import Action
from tenure.users.models import ApiToken
from tenure.users.selectors import api_token_get, api_tokens_of
from tenure.users.services import api_token_create, api_token_revoke
from tenure.web.forms import ApiTokenForm
from tenure.web.views._render import signed_in_user


@never_cache  # the page that shows a new token must not be kept by any cache
@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    form = ApiTokenForm(request.POST or None)
    created: dict[str, Any] | None = None
    if request.method == "POST" and form.is_valid():
        token, secret = api_token_create(
            user=user, name=form.cleaned_data["name"], days=form.cleaned_data["days"]
        )
        created = {"token": token, "secret": secret}
        form = ApiTokenForm()
    context = {
        "form": form,
        "created": created,
        "tokens": api_tokens_of(user=user),
        "sees_everyone": may(user, Action.ADMINISTER),
        "section": "tokens",
    }
    return render(request, "web/tokens/list.html", context)


@login_required
@require_POST
def api_token_revoke_page(request: HttpRequest, token_id: int) -> HttpResponse:
    user = signed_in_user(request)
    try:
        token = api_token_get(user=user, token_id=token_id)
    except ApiToken.DoesNotExist as missing:
        raise Http404("No such token.") from missing
    api_token_revoke(by=user, token=token)
    messages.success(request, f"Token {token.prefix}… revoked: requests with it are refused now.")
    return redirect("web:api-tokens")
