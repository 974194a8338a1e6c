"""The REST API under /api/v1/: one NinjaAPI, one router per app, one error shape."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, JsonResponse
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from tenure.api.analytics import router as analytics_router
from tenure.api.appreciation import router as appreciation_router
from tenure.api.auth import BearerToken
from tenure.api.bulk import router as bulk_router
from tenure.api.customers import router as customers_router
from tenure.api.errors import error_body, install_error_handlers
from tenure.api.events import router as events_router
from tenure.api.exports import router as exports_router
from tenure.api.feedback import router as feedback_router
from tenure.api.feedback_forms import router as feedback_forms_router
from tenure.api.ideas import router as ideas_router
from tenure.api.imports import router as imports_router
from tenure.api.interactions import router as interactions_router
from tenure.api.lifecycle import router as lifecycle_router
from tenure.api.loyalty import router as loyalty_router
from tenure.api.loyalty_challenges import router as loyalty_challenges_router
from tenure.api.loyalty_program import router as loyalty_program_router
from tenure.api.mail import router as mail_router
from tenure.api.myday import router as myday_router
from tenure.api.orders import router as orders_router
from tenure.api.playbooks import router as playbooks_router
from tenure.api.referrals import router as referrals_router
from tenure.api.reports import router as reports_router
from tenure.api.rewards import router as rewards_router
from tenure.api.saved_views import router as saved_views_router
from tenure.api.segments import router as segments_router
from tenure.api.success import router as success_router
from tenure.api.surveys import router as surveys_router
from tenure.api.themes import router as themes_router
from tenure.api.users import router as users_router
from tenure.api.voices import router as voices_router
from tenure.api.webhooks import router as webhooks_router


class TenureAPI(NinjaAPI):
    """The API whose OpenAPI document is built once per path prefix: its 166 operations take
    seconds to describe, and nothing in it changes while the process runs."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._documents: dict[str, OpenAPISchema] = {}

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        if path_prefix not in self._documents:
            self._documents[path_prefix] = super().get_openapi_schema(path_prefix=path_prefix)
        return self._documents[path_prefix]  # shared: read it, never change it


api = TenureAPI(
    title="tenure API",
    version="1",
    description=(
        "Customers, orders, their history and the analytics computed from them. Authenticate "
        "with `Authorization: Bearer <token>` (`tenure token create USERNAME`). Every POST "
        "accepts an `Idempotency-Key` header: a retry with the same key and token returns the "
        "first response without running again. A record outside your role's scope is answered "
        "as one that does not exist (404; `no customer with id N` in a body). External ids and "
        "account names are unique across all records, so reusing one is refused as `already "
        "taken`, in the same words whoever holds it: that tells the value is in use, and "
        "nothing about the record that holds it."
    ),
    auth=BearerToken(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)
api.add_router("", exports_router)
api.add_router("", bulk_router)  # before the customers' CRUD: "bulk" is no customer id
api.add_router("", customers_router)
api.add_router("", orders_router)
api.add_router("", interactions_router)
api.add_router("", feedback_router)
api.add_router("", surveys_router)  # surveys, questions, translations, sends, results
api.add_router("", voices_router)  # comments and reviews, free-text search
api.add_router("", feedback_forms_router)  # the public feedback forms
api.add_router("", analytics_router)
api.add_router("", lifecycle_router)
api.add_router("", events_router)
api.add_router("", segments_router)
api.add_router("", webhooks_router)
api.add_router("", mail_router)
api.add_router("", playbooks_router)
api.add_router("", saved_views_router)  # saved list views (h/lists)
api.add_router("", imports_router)  # h/importwiz: read and revert imports
api.add_router("", myday_router)  # the caller's own worklist and notifications
api.add_router("", users_router)  # /me: the caller, their name and email
api.add_router("", referrals_router)  # referral rewards (issue 17)
api.add_router("", loyalty_router)  # loyalty points (issue 17)
api.add_router("", loyalty_challenges_router)  # loyalty challenges (issue 17)
api.add_router("", loyalty_program_router)  # program analytics, value of a point (issue 17)
api.add_router("", rewards_router)  # rewards catalog and coupons (issue 17)
api.add_router("", reports_router)  # results reports and agency metrics
api.add_router("", ideas_router)  # the ideas board
api.add_router("", appreciation_router)  # gifts, notes, invitations
api.add_router("", success_router)  # onboarding and success plans
api.add_router("", themes_router)  # themes of what customers wrote


def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    """Unknown paths under /api/ answer in the API's error shape, not with an HTML page."""
    return JsonResponse(error_body("not_found", f"no endpoint at {request.path}"), status=404)
