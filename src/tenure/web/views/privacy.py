"""Personal-data requests from the customer page: export everything, or erase. Admins only."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from tenure.customers.models import Customer
from tenure.privacy.services import JSON_ENCODER, person_erase, person_export
from tenure.web.views._render import signed_in_user


@login_required
@require_GET
def personal_data_export(request: HttpRequest, customer_id: int) -> HttpResponse:
    try:
        data = person_export(by=signed_in_user(request), customer_id=customer_id)
    except Customer.DoesNotExist as missing:
        raise Http404("No such customer.") from missing
    response = HttpResponse(
        json.dumps(data, cls=JSON_ENCODER, indent=2, ensure_ascii=False),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="person-{customer_id}.json"'
    return response


@login_required
@require_POST
def personal_data_erase(request: HttpRequest, customer_id: int) -> HttpResponse:
    try:
        person_erase(by=signed_in_user(request), customer_id=customer_id)
    except Customer.DoesNotExist as missing:
        raise Http404("No such customer.") from missing
    messages.success(request, "The personal data was erased; orders stay as anonymous figures.")
    return redirect("web:customer", customer_id=customer_id)
