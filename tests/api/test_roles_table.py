"""Every role against every API operation and every web page: generated tables of role x
endpoint (or page) x outcome.

Each resource has a record owned by the success manager ("own") and one owned by another
success manager ("other"). The expected status follows from the role policy alone:
admins and managers may do everything; analysts read everything and change nothing (403);
success managers reach their own book and find nothing else (404, never revealing a record).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, reverse
from django.utils import timezone

from tenure.api.main import api as ninja_api
from tenure.customers.models import Contact, Subscription
from tenure.domain.lifecycle import preset_definition
from tenure.feedback.models import Referral, SurveyResponse
from tenure.interactions.models import Interaction
from tenure.jobs.models import Run
from tenure.lifecycle.services import definition_save, lifecycle_recompute
from tenure.playbooks.models import Playbook
from tenure.todos.services import task_create
from tenure.transfer.models import ImportJob
from tenure.users.models import Role
from tenure.users.services import api_token_create
from tenure.web import urls as web_urls
from tests.api.helpers import Api
from tests.factories import PASSWORD, T0, make_account, make_customer, make_order, make_user

ROLES = [Role.ADMIN, Role.MANAGER, Role.ANALYST, Role.SUCCESS_MANAGER]


@dataclass(frozen=True)
class Resource:
    path: str
    make: Callable[[Any], Any]  # owner -> a record in that owner's book
    create_body: Callable[[Any], dict]  # a record of the caller's book -> body of a new one
    patch_body: dict | None  # None: the resource has no PATCH (a survey answer is never edited)


def _customer(owner):
    return make_customer(owner=owner)


def _account(owner):
    return make_account(owner=owner)


def _contact(owner):
    return Contact.objects.create(account=make_account(owner=owner), first_name="C")


def _subscription(owner):
    return Subscription.objects.create(
        customer=make_customer(owner=owner),
        plan="Pro",
        amount=Decimal("9.00"),
        currency="USD",
        interval="month",
        started_at=T0,
    )


def _order(owner):
    return make_order(customer=make_customer(owner=owner))


RESOURCES = {
    "customers": Resource(
        "/customers", _customer, lambda own: {"external_id": f"NEW-{own.pk}"}, {"category": "vip"}
    ),
    "accounts": Resource(
        "/accounts", _account, lambda own: {"name": f"New {own.pk}"}, {"industry": "retail"}
    ),
    "contacts": Resource(
        "/contacts",
        _contact,
        lambda own: {"account_id": own.account_id, "first_name": "New"},
        {"title": "CTO"},
    ),
    "subscriptions": Resource(
        "/subscriptions",
        _subscription,
        lambda own: {
            "customer_id": own.customer_id,
            "plan": "Max",
            "amount": "19.00",
            "currency": "USD",
            "interval": "year",
            "started_at": "2025-02-01T00:00:00Z",
        },
        {"plan": "Team"},
    ),
}
RESOURCES["orders"] = Resource(
    "/orders",
    _order,
    lambda own: {
        "external_id": f"NEW-O-{own.pk}",
        "customer_id": own.customer_id,
        "placed_at": "2025-03-01T10:00:00Z",
        "amount": "10.00",
        "currency": "USD",
    },
    {"status": "refunded"},
)


def _interaction(owner):
    return Interaction.objects.create(
        customer=make_customer(owner=owner),
        kind="complaint",
        status="open",
        occurred_at=T0,
        body="late delivery",
    )


RESOURCES["interactions"] = Resource(
    "/interactions",
    _interaction,
    lambda own: {
        "customer_id": own.customer_id,
        "kind": "call",
        "occurred_at": "2025-03-01T10:00:00Z",
        "body": "checked in",
    },
    {"status": "resolved", "resolution": "refunded the shipping"},
)


def _survey_response(owner):
    customer = make_customer(owner=owner)
    return SurveyResponse.objects.create(customer=customer, kind="nps", score=9, answered_at=T0)


def _referral(owner):
    return Referral.objects.create(
        referrer=make_customer(owner=owner), referred_email="friend@example.com", referred_at=T0
    )


RESOURCES["survey-responses"] = Resource(
    "/survey-responses",
    _survey_response,
    lambda own: {
        "customer_id": own.customer_id,
        "kind": "csat",
        "score": 4,
        "answered_at": "2025-03-01T10:00:00Z",
    },
    None,
)
RESOURCES["referrals"] = Resource(
    "/referrals",
    _referral,
    lambda own: {
        "referrer_id": own.referrer_id,
        "referred_email": "another@example.com",
        "referred_at": "2025-03-01T10:00:00Z",
    },
    {"status": "signed_up"},
)


def _appreciation(owner):
    """A gift to an account of ``owner``'s book (h2: recorded or deleted, never edited)."""
    from tenure.success.models import Appreciation

    return Appreciation.objects.create(
        account=make_account(owner=owner), kind="gift", cost=Decimal("20.00"), currency="USD",
        given_on=T0.date(), created_at=T0,
    )  # fmt: skip


RESOURCES["appreciations"] = Resource(
    "/appreciations",
    _appreciation,
    lambda own: {"account_id": own.account_id, "kind": "thank_you_note", "cost": "4.50"},
    None,
)


def _voice(owner):
    """A review about a customer of ``owner``'s book (local import: the voices app, h3)."""
    from tenure.voices.models import Voice

    n = Voice.objects.count()
    return Voice.objects.create(
        customer=make_customer(owner=owner), source_kind="review_site", source_name="Trustpilot",
        external_id=f"tp-{n}", text=f"Lovely service number {n}x", published_at=T0,
    )  # fmt: skip


# Comments and reviews: a success manager records and reads their book's only.
RESOURCES["voices"] = Resource(
    "/voices",
    _voice,
    lambda own: {
        "customer_id": own.customer_id,
        "source_kind": "social",
        "source_name": "Twitter/X",
        "text": "Great",
        "published_at": "2025-03-01T10:00:00Z",
    },
    {"language": "en"},
)
# Extra read-only views of one record, answered like reading the record itself.
RECORD_VIEWS = {"customers": ["", "/history", "/timeline"]}


def expected(role: Role, operation: str, whose: str) -> int:
    reads = {"list": 200, "read": 200}
    if role in (Role.ADMIN, Role.MANAGER):
        return {**reads, "create": 201, "update": 200, "delete": 204}[operation]
    if role == Role.ANALYST:
        return reads.get(operation, 403)
    # success manager
    if operation in ("list", "create"):
        return {"list": 200, "create": 201}[operation]
    if whose == "other":
        return 404
    return {"read": 200, "update": 200, "delete": 204}[operation]


def _table() -> list[tuple[Role, str, str, str, str]]:
    rows = []
    for role in ROLES:
        for name in RESOURCES:
            rows.append((role, name, "list", "", "own"))
            rows.append((role, name, "create", "", "own"))
            for whose in ("own", "other"):
                for view in RECORD_VIEWS.get(name, ["", "/history"]):
                    rows.append((role, name, "read", view, whose))
                if RESOURCES[name].patch_body is not None:
                    rows.append((role, name, "update", "", whose))
                rows.append((role, name, "delete", "", whose))
    return rows


TABLE = _table()


def _id(row: tuple) -> str:
    role, name, operation, view, whose = row
    return f"{role}-{operation}-{name}{view}-{whose}-{expected(role, operation, whose)}"


@pytest.mark.django_db
@pytest.mark.parametrize("row", TABLE, ids=[_id(row) for row in TABLE])
def test_role_table(client, row):
    role, name, operation, view, whose = row
    resource = RESOURCES[name]
    success_manager = make_user(role=Role.SUCCESS_MANAGER)
    other = make_user(role=Role.SUCCESS_MANAGER)
    caller = Api(
        client, user=success_manager if role == Role.SUCCESS_MANAGER else make_user(role=role)
    )
    own = resource.make(success_manager)
    theirs = resource.make(other)
    target = own if whose == "own" else theirs
    detail = f"{resource.path}/{target.pk}"

    if operation == "list":
        response = caller.get(resource.path)
    elif operation == "create":
        response = caller.post(resource.path, resource.create_body(own))
    elif operation == "read":
        response = caller.get(detail + view)
    elif operation == "update":
        response = caller.patch(detail, resource.patch_body)
    else:
        response = caller.delete(detail)

    want = expected(role, operation, whose)
    assert response.status_code == want, response.content
    if want >= 400:
        assert response.json()["error"]["code"] in {"permission_denied", "not_found"}
        assert type(target).objects.filter(pk=target.pk).exists()  # nothing was changed
    if operation == "list":
        ids = {item["id"] for item in response.json()["items"]}
        assert own.pk in ids
        assert (theirs.pk in ids) == (role != Role.SUCCESS_MANAGER)


def test_every_api_operation_is_in_the_table():
    """A new endpoint must be added to the table above (or here, with a reason)."""
    # The caller only: every role reads and changes its own (test_auth_and_errors, test_me).
    covered = {"/api/v1/me"}
    for resource in RESOURCES.values():
        covered.add(f"/api/v1{resource.path}")
        covered.add(f"/api/v1{resource.path}/{{record_id}}")
        covered.add(f"/api/v1{resource.path}/{{record_id}}/history")
    covered.add("/api/v1/customers/{customer_id}/timeline")
    # Bulk ingestion applies order_create/order_update to each item: the orders rows above hold.
    covered.add("/api/v1/orders/bulk")
    # Bulk changes of customers go row by row through the customers' services (the rows above
    # hold); the run's own table, analysts and another's run: tests/api/test_customers_bulk.py.
    covered |= {"/api/v1/customers/bulk", "/api/v1/customers/bulk/{run_id}"}
    # The same for accounts, through account_update/account_delete: tests/api/test_accounts_bulk.py.
    covered |= {"/api/v1/accounts/bulk", "/api/v1/accounts/bulk/{run_id}"}
    # The same for tasks, through task_update: tests/api/test_tasks_bulk_api.py.
    covered |= {"/api/v1/tasks/bulk", "/api/v1/tasks/bulk/{run_id}"}
    # The same for orders' status, through order_update: tests/api/test_orders_bulk_api.py.
    covered |= {"/api/v1/orders/bulk-changes", "/api/v1/orders/bulk-changes/{run_id}"}
    # The exports read through the customers list's selector: tests/api/test_exports.py.
    covered |= {"/api/v1/customers/export.csv", "/api/v1/orders/export.csv"}
    covered |= {f"/api/v1{path}" for path in ANALYTICS_PATHS}
    covered |= {f"/api/v1{path}" for path in LIFECYCLE_PATHS}
    # The events: every role that views, a success manager their book's (test_events_api.py);
    # webhooks: admins only (test_webhooks_api.py has their table).
    covered |= {"/api/v1/events", "/api/v1/events/kinds"}
    covered |= {
        "/api/v1/webhooks",
        "/api/v1/webhooks/{endpoint_id}",
        "/api/v1/webhooks/{endpoint_id}/deliveries",
    }
    # Segments: their own table of every role x operation (tests/segments/test_api.py).
    covered |= {
        "/api/v1/segments",
        "/api/v1/segments/facts",
        "/api/v1/segments/preview",
        "/api/v1/segments/{segment_id}",
        "/api/v1/segments/{segment_id}/refresh",
        "/api/v1/segments/{segment_id}/members",
        "/api/v1/segments/{segment_id}/members.csv",
        "/api/v1/segments/{segment_id}/members/remove",
    }
    covered |= {f"/api/v1{path}" for path in MAIL_PATHS}
    # Onboarding and success plans: their table is test_success_api_table below.
    covered |= {f"/api/v1{path}" for path in SUCCESS_API_PATHS}
    # Playbooks: every role reads them and the enrolments of its book; admins and managers
    # change them (tests/playbooks/test_api.py has their table).
    covered |= {
        "/api/v1/playbooks",
        "/api/v1/playbooks/{playbook_id}",
        "/api/v1/playbooks/{playbook_id}/enable",
        "/api/v1/playbooks/{playbook_id}/disable",
        "/api/v1/playbooks/{playbook_id}/enrollments",
    }
    # Saved list views: their own table of every role (tests/workspace/test_saved_views.py).
    covered |= {"/api/v1/views", "/api/v1/views/{view_id}"}
    # Imports: read and reverted by whoever may see them (tests/transfer/test_revert_edges.py
    # has their table: every role, own and another's import).
    covered |= {"/api/v1/imports/{import_id}", "/api/v1/imports/{import_id}/revert"}
    # The caller's own worklist and notifications: their table of roles, another's book and
    # another's notification is tests/notifications/test_api.py.
    covered |= {
        "/api/v1/me/day",
        "/api/v1/me/day/customers/{customer_id}/snooze",
        "/api/v1/me/day/customers/{customer_id}/done",
        "/api/v1/me/day/accounts/{account_id}/snooze",
        "/api/v1/me/day/accounts/{account_id}/done",
        "/api/v1/me/notifications",
        "/api/v1/me/notifications/read",
    }
    # Results reports and agency metrics: their table of every role, own account and
    # another's, is tests/reports/test_api.py and tests/reports/test_metrics.py.
    covered |= {
        "/api/v1/accounts/{account_id}/report",
        "/api/v1/accounts/{account_id}/report.pdf",
        "/api/v1/account-metrics",
    }
    # The ideas board: everyone reads, a success manager asks for their book's customers,
    # admins and managers steer; its table of every role is tests/ideas/test_api.py.
    covered |= {
        "/api/v1/ideas",
        "/api/v1/ideas/{record_id}",
        "/api/v1/ideas/{record_id}/requests",
        "/api/v1/ideas/{record_id}/requests/{request_id}",
        "/api/v1/ideas/{record_id}/status",
        "/api/v1/ideas/{record_id}/merge",
    }
    # Voices in a batch go one by one through voice_record (the voices rows above hold);
    # the search reads each source under visible: tests/voices/test_search.py, test_api.py.
    covered |= {"/api/v1/voices/batch", "/api/v1/feedback/search"}
    # Feedback forms: every role reads, admins and managers change (tests/voices/test_forms_api.py).
    covered |= {
        "/api/v1/feedback-forms",
        "/api/v1/feedback-forms/{record_id}",
        "/api/v1/feedback-forms/{record_id}/history",
    }
    # Loyalty points: their own table of every role and operation (tests/loyalty/test_api.py).
    covered |= {
        "/api/v1/loyalty/customers/{customer_id}/points",
        "/api/v1/loyalty/customers/{customer_id}/points/earn",
        "/api/v1/loyalty/customers/{customer_id}/points/redeem",
        "/api/v1/loyalty/customers/{customer_id}/points/adjust",
        "/api/v1/loyalty/redemptions/{entry_id}/cancel",
        "/api/v1/loyalty/program",
        "/api/v1/loyalty/tiers",  # every role reads, admins change: loyalty/test_tiers_edges.py
        # challenges: every role reads, admins and managers change (loyalty/test_challenges_api.py)
        "/api/v1/loyalty/challenges",
        "/api/v1/loyalty/challenges/{challenge_id}",
        "/api/v1/loyalty/customers/{customer_id}/challenges",
        "/api/v1/loyalty/program/analytics",  # every role over its book; tests/loyalty too
        "/api/v1/loyalty/program/point-value",  # admins
    }
    # Rewards and coupons: their own table of every role and operation, tests/rewards/test_api.py.
    covered |= {
        "/api/v1/rewards",
        "/api/v1/rewards/{reward_id}/redeem",
        "/api/v1/reward-redemptions/{redemption_id}/cancel",
        "/api/v1/coupons",
        "/api/v1/coupons/{coupon_id}",
        "/api/v1/coupons/validate",
        "/api/v1/coupons/redeem",
        "/api/v1/coupon-redemptions/{redemption_id}/release",
    }
    # Referral rewards: their own table of every role and operation
    # (tests/referrals/test_api.py; the override's roles: tests/referrals/test_end_to_end.py).
    covered |= {
        "/api/v1/loyalty/referrals",
        "/api/v1/loyalty/referrals/program",
        "/api/v1/loyalty/referrals/attribute",
        "/api/v1/loyalty/referrals/{attribution_id}",
        "/api/v1/loyalty/referrals/{attribution_id}/override",
        "/api/v1/loyalty/referrals/customers/{customer_id}",
        "/api/v1/loyalty/referrals/customers/{customer_id}/code",
        "/api/v1/loyalty/referrals/customers/{customer_id}/code/revoke",
    }
    # Themes: their own table of every role and operation (tests/themes/test_api.py).
    covered |= {
        "/api/v1/themes",
        "/api/v1/themes/run",
        "/api/v1/themes/{theme_id}",
        "/api/v1/themes/{theme_id}/answers",
        "/api/v1/themes/{theme_id}/rename",
        "/api/v1/themes/{theme_id}/tags",
        "/api/v1/themes/{theme_id}/hide",
        "/api/v1/themes/{theme_id}/merge",
    }
    # Surveys: their own table of every role and operation (tests/api/test_surveys_api.py).
    covered |= {
        "/api/v1/surveys",
        "/api/v1/surveys/trends",
        "/api/v1/surveys/{survey_id}",
        "/api/v1/surveys/{survey_id}/questions",
        "/api/v1/surveys/{survey_id}/questions/{question_id}",
        "/api/v1/surveys/{survey_id}/translations/{language}",
        "/api/v1/surveys/{survey_id}/send",
        "/api/v1/surveys/{survey_id}/sends",
        "/api/v1/surveys/{survey_id}/results",
    }
    documented = set(ninja_api.get_openapi_schema()["paths"])
    assert documented - covered == set()


# --- The web app's pages: the same policy, the same table -----------------------------------
#
# Every page of `tenure.web.urls` for every role and for a stranger (sent to the login). A
# page names the operation it performs, read by `expected` above, and the status it answers on
# success (302 for a form that redirects). "administer" pages are for admins only (403 else);
# "self" pages are every member's own (the landing page, the token page); "caller_own" pages
# show the caller's own things (a token, an import job) and, to the roles in `everyones`,
# everyone's (404 otherwise, as for a record outside one's book).

ANONYMOUS = "anonymous"
PAGE_CALLERS = [*ROLES, ANONYMOUS]
GOOD_PASSWORD = "plum-orchard-7731"
NOT_IN_THE_PAGE_TABLE = {
    "login": "public: the login form itself (tests/web/test_access.py)",
    "demo-load": "admins, into a database without customers only (tests/web/test_empty_state.py)",
    "logout": "every session, signed in or not, may end (tests/web/test_access.py)",
    # Saved list views are preferences, not records: every role keeps private ones, sharing and
    # role defaults need more; their own table is tests/workspace/test_saved_views.py.
    "saved-view-new": "a view of one's own (tests/workspace/test_saved_views.py)",
    "saved-view-change": "a view of one's own (tests/workspace/test_saved_views.py)",
    "saved-view-delete": "a view of one's own (tests/workspace/test_saved_views.py)",
    "undo": "its author's or an admin's, a refusal in the toast's words; an analyst 403 "
    "(tests/web/test_bulk_pages.py)",
    "trash-erase": "admins only, a 404 for an item gone (tests/web/test_bulk_pages.py)",
    "trash-restore": "what one deleted (admins and managers: everything); an analyst 403 "
    "(tests/web/test_bulk_pages.py)",
}


@dataclass(frozen=True)
class Page:
    name: str  # the URL's name in tenure.web.urls
    operation: str  # list, read, create, update (as `expected` reads them), administer, self,
    # caller_own, change_all (admins and managers: roles that change every record)
    make: Callable[[Any], Any] | None = None  # owner -> the record the URL names or lists
    method: str = "get"
    data: Callable[[], dict] = dict
    done: int = 200  # the status of success
    headers: dict[str, str] = field(default_factory=dict)
    shows: Callable[[Any], str] | None = None  # a list: the text that names a record in it
    everyones: tuple[Role, ...] = ()  # caller_own: the roles that reach everyone's
    args: tuple[str, ...] = ()  # URL arguments that are not a record's id (a stage's key)
    query: str = ""  # a query string (the tasks list's "all I may see")


def _import_job(owner):
    return ImportJob.objects.create(
        run=Run.objects.create(kind="transfer.import"),
        kind="orders",
        file_name="o.csv",
        path="/nowhere",
        created_by=owner,
    )


def _import_upload(owner):
    """A mapped upload of the import wizard, its file kept (h/importwiz)."""
    from django.conf import settings

    from tenure.transfer.models import ImportUpload

    path = Path(settings.MEDIA_ROOT) / f"upload-{owner.pk}-{ImportUpload.objects.count()}.csv"
    path.write_text("order_id,customer_id,placed_at,amount\nW1,C1,2025-01-01,5\n")
    return ImportUpload.objects.create(
        kind="orders",
        file_name="o.csv",
        path=str(path),
        header=["order_id", "customer_id", "placed_at", "amount"],
        column_map={"order_id": "order_id", "customer_id": "customer_id",
                    "placed_at": "placed_at", "amount": "amount"},
        mapped=True,
        created_by=owner,
    )  # fmt: skip


def _import_done(owner):
    """A finished import with its rejected rows kept (h/importwiz)."""
    job = _import_job(owner)
    upload = _import_upload(owner)
    rejects = f"{upload.path}.rejects.csv"
    Path(rejects).write_text("order_id,error\nW2,amount: not a number\n")
    ImportJob.objects.filter(pk=job.pk).update(
        status="done", upload=upload, path=upload.path, rejects_path=rejects, rows_rejected=1
    )
    return job


def _mapping_form() -> dict:
    return {f"field_{name}": name for name in ("order_id", "customer_id", "placed_at", "amount")}


def _token(owner):
    return api_token_create(user=owner)[0]


def _orders_file() -> dict:
    header = b"order_id,customer_id,placed_at,amount\n"
    return {"kind": "orders", "file": SimpleUploadedFile("o.csv", header, "text/csv")}


def _at_risk_customer(owner):
    # Two orders 50 days apart, the last 110 days ago: the recompute puts them at risk.
    customer = make_customer(owner=owner)
    now = timezone.now()
    for days in (160, 110):
        make_order(customer=customer, placed_at=now - timedelta(days=days))
    lifecycle_recompute(customer_ids=[customer.pk], now=now)
    return customer


def _task(owner):
    return task_create(
        by=None, title=f"Call {owner.pk}", owner=owner, due=T0.date(),
        customer_id=make_customer(owner=owner).pk,
    )  # fmt: skip


def _segment(owner):
    from tenure.segments.services import segment_create

    make_customer(owner=owner, category="vip")
    definition = {"when": {"fact": "category", "op": "is", "value": "vip"}}
    return segment_create(by=owner, name=f"VIPs of {owner.pk}", definition=definition, shared=False)


def _segment_form() -> dict:
    return {"name": "Buyers", "fact_0": "orders_count", "op_0": ">=", "value_0": "1"}


SEGMENT_PAGES = [
    # A private segment is its owner's (and seen by the roles that see all): as a record.
    Page("segments", "list", _segment, shows=lambda s: s.name),
    Page("segment-new", "create"),
    Page("segment-new", "create", method="post", data=_segment_form, done=302),
    Page("segment-preview", "list", method="post", data=_segment_form),
    Page("segment", "read", _segment),
    Page("segment-members-csv", "read", _segment),
    Page("segment-edit", "update", _segment),
    Page("segment-edit", "update", _segment, method="post", data=_segment_form, done=302),
    Page("segment-refresh", "update", _segment, method="post", done=302),
    Page("segment-delete", "update", _segment, method="post", done=302),
]


def _definition_version(owner):
    return definition_save(by=None, data=preset_definition("journey"), activate=False)


def _health_run(owner):
    from tenure.lifecycle.models import HealthBacktestRun

    return HealthBacktestRun.objects.create(
        observation_end=T0.date(), fitted_weights={"recency": 40.0, "complaints": 5.0}
    )


LIFECYCLE_PAGES = [
    Page("lifecycle", "list"),  # every count is of the caller's customers (lifecycle selectors)
    # A recompute moves every customer: the roles that change every record.
    Page("lifecycle-recompute", "change_all", method="post", done=302),
    Page(
        "lifecycle-stage",
        "list",
        _at_risk_customer,
        args=("at_risk",),
        shows=lambda c: c.external_id,
    ),
    Page("lifecycle-at-risk", "list", _at_risk_customer, shows=lambda c: c.external_id),
    # The board lists the caller's customers by stage; a move by hand changes the customer.
    Page("lifecycle-board", "list", _at_risk_customer, shows=lambda c: f"/customers/{c.pk}/"),
    Page("stage-move", "update", _at_risk_customer),
    Page(
        "stage-move",
        "update",
        _at_risk_customer,
        method="post",
        data=lambda: {"stage": "advocacy", "reason": "Told a friend"},
        done=302,
    ),
    # The one-click follow-up writes a task about the customer: a change of the customer's book.
    Page("lifecycle-follow-up", "update", _at_risk_customer, method="post", done=302),
    # The health backtest describes the whole base; adopting weights rescores everyone.
    Page("lifecycle-health-backtest", "change_all", method="post", done=302),
    Page("lifecycle-health-adopt", "administer", _health_run, method="post", done=302),
    Page("lifecycle-health-reset", "administer", method="post", done=302),
    Page("lifecycle-churn-audit", "list"),
    Page("lifecycle-churn-audit-csv", "list"),
    Page("lifecycle-definition", "administer"),
    Page(
        "lifecycle-definition",
        "administer",
        method="post",
        data=lambda: {"definition": json.dumps(preset_definition("journey"))},
        done=302,
    ),
    Page(
        "lifecycle-definition-activate",
        "administer",
        _definition_version,
        method="post",
        done=302,
    ),
    Page("tasks", "list", _task, query="?view=all", shows=lambda t: t.title),
    Page(
        "tasks",
        "create",
        method="post",
        data=lambda: {"title": "Ring back", "due": "2025-03-01", "priority": "normal"},
        done=302,
    ),
    Page("task", "read", _task),
    Page("task-status", "update", _task, method="post", data=lambda: {"status": "done"}, done=302),
    Page("task-comment", "update", _task, method="post", data=lambda: {"body": "hi"}, done=302),
    Page(
        "task-plan",
        "update",
        _task,
        method="post",
        data=lambda: {"owner": "nobody-by-this-name", "due": "2025-03-05"},
        done=422,  # refused on its field: reached the form, past the role and scope checks
    ),
]


def _message(owner):
    from tenure.mail.models import Message

    customer = make_customer(owner=owner)
    return Message.objects.create(
        key=f"welcome:1:{customer.pk}:", source="welcome", customer=customer, kind="marketing",
        subject="s", text="t", due_at=T0, next_at=T0, created_at=T0, status="sent",
        raw="Subject: s\r\n\r\nt",
    )  # fmt: skip


def _template(owner):
    from tenure.mail.models import Template

    make_customer(owner=owner)
    return Template.objects.create(name=f"T{owner.pk}", subject="Hi {{ customer.name }}", text="x")


def _latest_customer() -> dict:
    from tenure.customers.models import Customer

    return {"customer": str(Customer.objects.latest("pk").pk)}


def _broadcast_in(status: str):
    def make(owner):
        from tenure.mail.models import Broadcast, Template
        from tenure.segments.models import Segment

        n = Broadcast.objects.count()
        segment = Segment.objects.create(name=f"S{n}", slug=f"s{n}", definition={"when": {}})
        template = Template.objects.create(name=f"News {n}", subject="News", text="Hello")
        return Broadcast.objects.create(
            name=f"B{n}", segment=segment, template=template, status=status, scheduled_at=T0
        )

    return make


def _broadcast_form() -> dict:
    broadcast = _broadcast_in("draft")(None)
    return {"name": "Q3", "segment_id": broadcast.segment_id,
            "template_id": broadcast.template_id, "valid_days": "3", "priority": "0"}  # fmt: skip


_TEMPLATE_FORM = {"name": "Welcome", "kind": "marketing", "topic": "email_marketing",
                  "subject": "Hi", "text": "Hello", "html": ""}  # fmt: skip
# Email: the outbox and a message are the customer's book's; templates are the business's
# (the roles that change every record).
MAIL_PAGES = [
    Page("mail-outbox", "list", _message, shows=lambda m: m.key),
    Page("mail-message", "read", _message),
    Page("mail-templates", "change_all"),
    Page("mail-templates", "change_all", method="post", data=lambda: _TEMPLATE_FORM, done=302),
    Page("mail-template", "change_all", _template),
    Page(
        "mail-template",
        "change_all",
        _template,
        method="post",
        data=lambda: _TEMPLATE_FORM,
        done=302,
    ),
    Page(
        "mail-template-test",
        "change_all",
        _template,
        method="post",
        data=_latest_customer,
        done=302,
    ),
    # Broadcasts: every role reads them (the recipients of its book); admins and managers
    # make and steer them.
    Page("mail-broadcasts", "self"),
    Page("mail-broadcasts", "change_all", method="post", data=_broadcast_form, done=302),
    Page("mail-broadcast", "self", _broadcast_in("sending")),
    Page(
        "mail-broadcast-schedule",
        "change_all",
        _broadcast_in("draft"),
        method="post",
        data=lambda: {"scheduled_at": "2030-01-01T09:00"},
        done=302,
    ),
    Page("mail-broadcast-pause", "change_all", _broadcast_in("sending"), method="post", done=302),
    Page("mail-broadcast-resume", "change_all", _broadcast_in("paused"), method="post", done=302),
    Page(
        "mail-broadcast-cancel",
        "change_all",
        _broadcast_in("paused"),
        method="post",
        data=lambda: {"reason": "typo"},
        done=302,
    ),
]


def _playbook(owner):
    from tenure.playbooks.services import playbook_create

    n = Playbook.objects.count()
    return playbook_create(by=None, data={
        "name": f"Follow-up {n}", "slug": f"follow-up-{n}",
        "trigger": {"type": "event", "kind": "complaint.opened"},
        "steps": [{"kind": "task", "title": "Call"}],
    })  # fmt: skip


def _playbook_json() -> dict:
    return {"definition": json.dumps({
        "name": "Made on a page", "slug": "made-on-a-page",
        "trigger": {"type": "event", "kind": "order.placed"},
        "steps": [{"kind": "wait", "days": 1}],
    })}  # fmt: skip


def _subscription_form() -> dict:
    return {"plan": "Team", "amount": "19.00", "currency": "EUR", "interval": "year",
            "started_at": "2025-02-01T00:00:00"}  # fmt: skip


def _order_form() -> dict:
    return {"external_id": "WEB-O-1", "placed_at": "2025-03-01T10:00", "amount": "10.00",
            "currency": "USD", "status": "refunded"}  # fmt: skip


# The record forms (tenure.web.views.records, record_parts): a new customer or account is a
# "create"; a new contact, subscription or order is a change of the account's or customer's
# book (as logging an interaction is); editing and deleting change the record itself.
RECORD_PAGES = [
    Page("customer-new", "create"),
    Page("customer-new", "create", method="post", data=lambda: {"external_id": "WEB-1"}, done=302),
    Page("customer-edit", "update", _customer),
    Page(
        "customer-edit",
        "update",
        _customer,
        method="post",
        data=lambda: {"external_id": "WEB-2", "created_at": "2025-01-01T00:00"},
        done=302,
    ),
    Page("customer-delete", "update", _customer),
    Page("customer-delete", "update", _customer, method="post", done=302),
    Page("account-new", "create"),
    Page("account-new", "create", method="post", data=lambda: {"name": "Web Ltd"}, done=302),
    Page("account-edit", "update", _account),
    Page(
        "account-edit",
        "update",
        _account,
        method="post",
        data=lambda: {"name": "Web Inc", "created_at": "2025-01-01T00:00"},
        done=302,
    ),
    Page("account-delete", "update", _account),
    Page("account-delete", "update", _account, method="post", done=302),
    Page("contact-new", "update", _account),
    Page(
        "contact-new",
        "update",
        _account,
        method="post",
        data=lambda: {"first_name": "New", "role": "user"},
        done=302,
    ),
    Page("contact-edit", "update", _contact),
    Page(
        "contact-edit",
        "update",
        _contact,
        method="post",
        data=lambda: {"first_name": "Ed", "role": "champion"},
        done=302,
    ),
    Page("contact-delete", "update", _contact),
    Page("contact-delete", "update", _contact, method="post", done=302),
    Page("subscription-new", "update", _customer),
    Page("subscription-new", "update", _customer, method="post", data=_subscription_form, done=302),
    Page("subscription-edit", "update", _subscription),
    Page(
        "subscription-edit",
        "update",
        _subscription,
        method="post",
        data=_subscription_form,
        done=302,
    ),
    Page("subscription-delete", "update", _subscription),
    Page("subscription-delete", "update", _subscription, method="post", done=302),
    Page("order-new", "update", _customer),
    Page("order-new", "update", _customer, method="post", data=_order_form, done=302),
    Page("order-edit", "update", _order),
    Page("order-edit", "update", _order, method="post", data=_order_form, done=302),
    Page("order-delete", "update", _order),
    Page("order-delete", "update", _order, method="post", done=302),
]


def _bulk_run(owner):
    return Run.objects.create(kind="bulk.customers", requested_by=owner, args={"action": "set"})


def _accounts_bulk_run(owner):
    return Run.objects.create(kind="bulk.accounts", requested_by=owner, args={"action": "set"})


def _tasks_bulk_run(owner):
    return Run.objects.create(kind="bulk.tasks", requested_by=owner, args={"action": "set"})


def _orders_bulk_run(owner):
    return Run.objects.create(kind="bulk.orders", requested_by=owner, args={"action": "set"})


# The customers list's bulk bar and cells (tenure.web.views.bulk), and the trash.
BULK_PAGES = [
    Page("customer-cell", "read", _customer, args=("category",)),
    Page(
        "customer-cell",
        "update",
        _customer,
        args=("category",),
        method="post",
        data=lambda: {"category": "gold"},
    ),
    Page(
        "customers-bulk",
        "create",
        method="post",
        data=lambda: {"all": "1", "operation": "category", "value": "gold"},
        done=302,
    ),
    Page("customers-bulk-run", "caller_own", _bulk_run, everyones=(Role.ADMIN,)),
    Page("customers-bulk-export", "list", _customer, query="?all=1", shows=lambda c: c.external_id),
    Page("trash", "self"),
    # The accounts list's bar and cells (h/acctbulk).
    Page("account-cell", "read", _account, args=("industry",)),
    Page(
        "account-cell",
        "update",
        _account,
        args=("industry",),
        method="post",
        data=lambda: {"industry": "retail"},
    ),
    Page(
        "accounts-bulk",
        "create",
        method="post",
        data=lambda: {"all": "1", "operation": "industry", "value": "retail"},
        done=302,
    ),
    Page("accounts-bulk-run", "caller_own", _accounts_bulk_run, everyones=(Role.ADMIN,)),
    Page("accounts-bulk-export", "list", _account, query="?all=1", shows=lambda a: a.name),
    # The tasks list's bar: reassign, reschedule, close.
    Page(
        "tasks-bulk",
        "create",
        method="post",
        data=lambda: {
            "all": "1",
            "query": "view=all",
            "operation": "status",
            "new_status": "done",
        },
        done=302,
    ),
    Page("tasks-bulk-run", "caller_own", _tasks_bulk_run, everyones=(Role.ADMIN,)),
    # The tasks list's cells: owner, due date, status, through task_update.
    Page("task-cell", "read", _task, args=("due",)),
    Page(
        "task-cell",
        "update",
        _task,
        args=("status",),
        method="post",
        data=lambda: {"status": "done"},
    ),
    # The orders list's bar (status, export) and cells (status, amount), through order_update.
    Page(
        "orders-bulk",
        "create",
        method="post",
        data=lambda: {"all": "1", "operation": "status", "new_status": "refunded"},
        done=302,
    ),
    Page("orders-bulk-run", "caller_own", _orders_bulk_run, everyones=(Role.ADMIN,)),
    Page("orders-bulk-export", "list", _order, query="?all=1", shows=lambda o: o.external_id),
    Page("order-cell", "read", _order, args=("status",)),
    Page(
        "order-cell",
        "update",
        _order,
        args=("amount",),
        method="post",
        data=lambda: {"amount": "12.50"},
    ),
]


DRILLED = "chart=retention&part=lost&start=2025-01-01&end=2025-03-31"


def _predicted_customer(owner):
    """A customer with a stored prediction: 2 repeat purchases (the model check's bar 2)."""
    from tenure.insights.models import CustomerPrediction, FitStatus, ModelFit

    customer = make_customer(owner=owner)
    fit = ModelFit.objects.create(status=FitStatus.DONE, observation_end=T0.date())
    CustomerPrediction.objects.create(
        customer=customer, fit=fit, frequency=2, recency=50.0, T=100.0, p_alive=0.5,
        churn_risk=0.5, expected_purchases_365=1.0, expected_average_spend=Decimal("1"),
        predicted_clv_365=Decimal("1"), value_if_stays_365=Decimal("1"), historic_clv=Decimal(0),
    )  # fmt: skip
    return customer


def _renewing_customer(owner):
    """A yearly subscription since 2020-01-01, renewed twice by mid-2022."""
    customer = make_customer(owner=owner)
    Subscription.objects.create(
        customer=customer, plan="yearly", amount=Decimal("120.00"), currency="USD",
        interval="year", started_at=T0.replace(year=2020, month=1, day=1),
    )  # fmt: skip
    return customer


def _churned_customer(owner):
    # Two orders a year and more ago: the recompute puts them in the churned stage.
    customer = make_customer(owner=owner, birthday=T0.date().replace(year=1980))
    now = timezone.now()
    for days in (420, 380):
        make_order(customer=customer, placed_at=now - timedelta(days=days))
    lifecycle_recompute(customer_ids=[customer.pk], now=now)
    return customer


# The models' and the churn audit's points (web/views/drill_points.py): the same page.
FIGURE_DRILLS = [
    Page("analytics-drill", "list", _renewing_customer, shows=lambda c: c.external_id,
         query="?chart=survival&interval=year&renewals=2&as_of=2022-06-30"),
    Page("analytics-drill", "list", _predicted_customer, shows=lambda c: c.external_id,
         query="?chart=repeat&repeat=2"),
    Page("analytics-drill", "list", _churned_customer, shows=lambda c: c.external_id,
         query="?chart=audit&attribute=age"),
    Page("analytics-drill-csv", "list", _churned_customer, shows=lambda c: c.external_id,
         query="?chart=audit&attribute=age"),
]  # fmt: skip


def _survey(owner):
    from tenure.feedback.models import Survey

    return Survey.objects.create(
        name=f"NPS {owner.pk}-{Survey.objects.count()}", kind="nps", question="Recommend us?"
    )


def _survey_question(owner):
    from tenure.feedback.questions import survey_question_add

    survey = _survey(owner)
    return survey_question_add(by=None, survey_id=survey.pk, kind="text", text="Else?")


def _answered_account(owner):
    account = make_account(owner=owner)
    SurveyResponse.objects.create(
        customer=make_customer(account=account, owner=owner), kind="nps", score=9,
        answered_at=timezone.now() - timedelta(days=1),
    )  # fmt: skip
    return account


# Surveys: every role reads them (rates counted over its book); admins and managers make and
# send them. The answer page (/s/<token>/) is public, in tenure.web.public_urls.
SURVEY_PAGES = [
    Page("surveys", "self"),
    Page("surveys", "change_all", method="post", done=302,
         data=lambda: {"name": "Made on a page", "kind": "csat", "question": "Happy?"}),
    Page("survey", "self", _survey),
    Page("survey-send", "change_all", _survey, method="post", done=302,
         data=lambda: {"customers": "1"}),
    # A survey's links, custom questions and translations: admins and managers.
    Page("survey-edit", "change_all", _survey, method="post", done=302,
         data=lambda: {"review_url": "https://reviews.example/", "active": "on"}),
    Page("survey-question-add", "change_all", _survey, method="post", done=302,
         data=lambda: {"kind": "text", "text": "Anything else?"}),
    Page("survey-question-delete", "change_all", _survey_question, method="post", done=302),
    Page("survey-translation-save", "change_all", _survey, method="post", done=302,
         data=lambda: {"language": "de", "question": "Empfehlen Sie uns?"}),
    Page("survey-translation-delete", "change_all", _survey, method="post", done=302,
         data=lambda: {"language": "de"}),
    # Trends: every role reads them over its book (an account's answers shown by its name).
    Page("survey-trends", "list", _answered_account, shows=lambda a: a.name),
    # The single-threaded accounts: an account with no contact rests on no one.
    Page("accounts-single-threaded", "list", _account, shows=lambda a: a.name),
]  # fmt: skip


def _planned_goal(owner):
    """A goal in a success plan of an account of ``owner``'s book (local import: the success
    app's pages, h/success)."""
    from datetime import date

    from tenure.success.models import Goal, SuccessPlan

    plan = SuccessPlan.objects.create(account=make_account(owner=owner), title="Grow")
    return Goal.objects.create(plan=plan, title="Adopt", target_date=date(2099, 6, 1), owner=owner)


def _planned_account(owner):
    return _planned_goal(owner).plan.account


def _milestone(owner):
    from datetime import date

    from tenure.success.models import Milestone

    goal = _planned_goal(owner)
    return Milestone.objects.create(goal=goal, title="Kickoff", due=date(2099, 1, 1))


def _goal_form():
    from tenure.users.models import User

    someone = User.objects.filter(is_active=True).order_by("pk").first()
    assert someone is not None
    owner = str(someone.pk)
    return {"title": "Adopt", "target_date": "2099-01-01", "owner": owner, "status": "open"}


# Success plans (h/success): read on the account's page; changed by those who may change the
# account (a success manager their book's, an analyst nothing).
SUCCESS_PAGES = [
    Page("success-plan-edit", "update", _account),
    Page("success-plan-edit", "update", _account, method="post", done=302,
         data=lambda: {"title": "Grow", "status": "draft", "reminder_days": "7"}),
    Page("success-plan-review", "update", _planned_account),
    Page("success-plan-review", "update", _planned_account, method="post", done=302,
         data=lambda: {"next_review": "2099-01-01"}),
    Page("success-goal-new", "update", _account),
    Page("success-goal-new", "update", _account, method="post", done=302, data=_goal_form),
    Page("success-goal-edit", "update", _planned_goal),
    Page("success-goal-edit", "update", _planned_goal, method="post", done=302, data=_goal_form),
    Page("success-milestone-new", "update", _planned_goal),
    Page("success-milestone-new", "update", _planned_goal, method="post", done=302,
         data=lambda: {"title": "Kickoff", "due": "2099-01-01"}),
    Page("success-milestone-edit", "update", _milestone),
    Page("success-milestone-edit", "update", _milestone, method="post", done=302,
         data=lambda: {"title": "Kickoff", "due": "2099-01-01", "done": "on"}),
]  # fmt: skip


def _checklist(owner):
    """A checklist of two steps (the business's: ``owner`` does not matter; h6)."""
    from tenure.success.models import ChecklistStep, ChecklistTemplate

    n = ChecklistTemplate.objects.count()
    template = ChecklistTemplate.objects.create(name=f"Checklist {n}")
    for position, title in enumerate(("Kickoff", "Set-up")):
        ChecklistStep.objects.create(template=template, position=position, title=title)
    return template


def _checklist_step(owner):
    return _checklist(owner).steps.order_by("position").first()


def _onboarded_account(owner):
    from tenure.success.onboarding import onboarding_start

    account = make_account(owner=owner)
    onboarding_start(
        by=None, template_id=_checklist(owner).pk, account_id=account.pk, now=timezone.now()
    )
    return account


def _start_form():
    return {"template": str(_checklist(None).pk)}


_STEP_FORM = {"title": "Call", "days_after_start": "1", "owner_kind": "owner"}
# Onboarding: the list is of one's book's accounts; checklists are the business's (every
# role reads them, admins and managers change them); a start by hand changes the account.
ONBOARDING_PAGES = [
    Page("onboardings", "list", _onboarded_account, shows=lambda a: a.name),
    Page("onboarding-templates", "self"),
    Page("onboarding-templates", "change_all", method="post", done=302,
         data=lambda: {"name": "Made on a page", "applies_to": "account", "active": "on"}),
    Page("onboarding-template", "self", _checklist),
    Page("onboarding-template", "change_all", _checklist, method="post", done=302,
         data=lambda: {"name": "Renamed", "applies_to": "account", "active": "on"}),
    Page("onboarding-step-new", "change_all", _checklist),
    Page("onboarding-step-new", "change_all", _checklist, method="post", done=302,
         data=lambda: _STEP_FORM),
    Page("onboarding-step-edit", "change_all", _checklist_step),
    Page("onboarding-step-edit", "change_all", _checklist_step, method="post", done=302,
         data=lambda: _STEP_FORM),
    Page("onboarding-step-move", "change_all", _checklist_step, method="post", done=302,
         data=lambda: {"direction": "down"}),
    Page("onboarding-step-remove", "change_all", _checklist_step, method="post", done=302),
    Page("onboarding-start", "update", _account, method="post", data=_start_form, done=302),
]  # fmt: skip
# An account's results report: read with the account (a success manager their book's).
REPORT_PAGES = [
    Page("account-report", "read", _account, query="?period=2025-07"),
    Page("account-report-pdf", "read", _account, query="?period=2025-07"),
]


def _idea(owner):
    """An idea asked for by a customer of ``owner``'s book."""
    from tenure.ideas.services import idea_create, idea_request_add

    idea = idea_create(by=None, data={"title": f"Idea of {owner.pk}"}, now=T0)
    customer = make_customer(owner=owner)
    idea_request_add(by=None, idea_id=idea.pk, customer_id=customer.pk, data={}, now=T0)
    return idea


def _idea_request(owner):
    return _idea(owner).requests.get()


def _first_idea_customer() -> dict:
    """The customer of the first idea made (the success manager's own, made first)."""
    from tenure.ideas.models import IdeaRequest

    return {"customer": str(IdeaRequest.objects.order_by("pk")[0].customer_id), "note": "hi"}


def _an_idea() -> dict:
    from tenure.ideas.services import idea_create

    return {"idea": str(idea_create(by=None, data={"title": "Asked"}, now=T0).pk), "note": "x"}


def _appreciation_form() -> dict:
    return {"kind": "gift", "given_on": "2025-03-01", "cost": "12.50", "currency": "USD"}


# The ideas board: every role reads it (what an idea weighs, over one's book); adding an
# idea or a request changes records (an analyst is refused, a success manager reaches their
# customers); a status and a merge reach every customer who asked: admins and managers.
# Appreciation: the account's records, listed for the team over one's book.
IDEA_PAGES = [
    Page("ideas", "self"),
    Page("ideas", "create", method="post", data=lambda: {"title": "Made on a page"}, done=302),
    Page("idea", "self", _idea),
    Page("idea-request-add", "create", _idea, method="post", data=_first_idea_customer, done=302),
    Page("idea-status", "change_all", _idea, method="post", data=lambda: {"status": "planned"},
         done=302),
    Page("idea-merge", "change_all", _idea, method="post", data=lambda: {"into": "1"}, done=302),
    Page("idea-request-remove", "update", _idea_request, method="post", done=302),
    Page("customer-idea-request", "update", _customer),
    Page("customer-idea-request", "update", _customer, method="post", data=_an_idea, done=302),
    Page("appreciations", "list", _appreciation, shows=lambda a: f"/accounts/{a.account_id}/"),
    Page("appreciation-new", "update", _account),
    Page("appreciation-new", "update", _account, method="post", data=_appreciation_form,
         done=302),
]  # fmt: skip


def _feedback_form(owner):
    from tenure.voices.models import FeedbackForm

    n = FeedbackForm.objects.count()
    return FeedbackForm.objects.create(slug=f"tell-us-{n}", title=f"Tell us {n}")


def _first_voices_customer() -> dict:
    """The customer of the first voice made (the success manager's own)."""
    from tenure.voices.models import Voice

    first = Voice.objects.order_by("pk").first()
    assert first is not None
    return {"customer": str(first.customer_id)}


# Comments and reviews: every role reads its book's (unmatched ones: the roles over all);
# feedback forms are the business's, read by every role, made by admins and managers; the
# public form (/f/<slug>/) is in tenure.web.public_urls (tests/voices/test_public_form.py).
VOICE_PAGES = [
    Page("voices", "list", _voice, shows=lambda v: v.text),
    Page("voice", "read", _voice),
    Page("voice-attach", "update", _voice, method="post", done=302, data=_first_voices_customer),
    Page("feedback-forms", "self"),
    Page("feedback-forms", "change_all", method="post", done=302,
         data=lambda: {"title": "Tell us", "slug": "tell-us-new", "rating_scale": "5"}),
    Page("feedback-form", "self", _feedback_form),
    Page("feedback-form", "change_all", _feedback_form, method="post", done=302,
         data=lambda: {"title": "Tell us", "slug": "tell-us-changed", "rating_scale": "5"}),
    Page("feedback-search", "list", _voice, shows=lambda v: f"/feedback/voices/{v.pk}/",
         query="?q=lovely"),
]  # fmt: skip
# Loyalty: the overview counts one's book; the settings are the admins'; a customer's
# points are read as the customer; adjusting is for the roles that change every record.
LOYALTY_PAGES = [
    Page("loyalty", "self"),
    Page("loyalty-settings", "administer"),
    Page("loyalty-settings", "administer", method="post", done=302,
         data=lambda: {"points_per_unit": "1", "rounding": "floor", "lot_lifetime_days": "365",
                       "negative_floor": "-500", "refund_window_days": "30"}),
    Page("loyalty-tiers", "administer"),
    Page("loyalty-tiers", "administer", method="post", done=302,
         data=lambda: {"basis": "points", "period": "lifetime", "window_days": "365",
                       "tiers": "Gold | 1000 | 1.5 | Free shipping"}),
    Page("customer-points", "read", _customer),
    Page("loyalty-program", "self"),
    Page("loyalty-program-point-value", "administer", method="post", done=302,
         data=lambda: {"point_value": "0.01"}),
    Page("customer-points-link", "update", _customer),
    Page("customer-points-adjust", "change_all", _customer),
    Page("customer-points-adjust", "change_all", _customer, method="post", done=302,
         data=lambda: {"points": "5", "cause": "goodwill", "key": "page-table"}),
]  # fmt: skip


def _reward(owner):
    from tenure.rewards.models import Reward

    return Reward.objects.create(
        name=f"Reward {Reward.objects.count()}", points_cost=100, kind="other", created_at=T0
    )


def _coupon(owner):
    """A coupon only ``owner``'s new customer may use (a success manager's book's)."""
    from tenure.rewards.models import Coupon

    customer = make_customer(owner=owner)
    return Coupon.objects.create(
        code=f"PAGE-{customer.pk}", kind="fixed", value=5, customer=customer, created_at=T0
    )


# Rewards and coupons: every role reads the catalog, admins and managers add and edit it and
# make coupons; a coupon tied to a customer is that customer's (404 outside one's book).
REWARD_PAGES = [
    Page("rewards", "self"),
    Page("reward-new", "change_all"),
    Page("reward-new", "change_all", method="post", done=302,
         data=lambda: {"name": "Mug", "points_cost": "50", "kind": "other"}),
    Page("reward-edit", "change_all", _reward),
    Page("reward-edit", "change_all", _reward, method="post", done=302,
         data=lambda: {"name": "Mug", "points_cost": "60", "kind": "other"}),
    Page("coupons", "list", _coupon, shows=lambda c: c.code),
    Page("coupon-new", "change_all"),
    Page("coupon-new", "change_all", method="post", done=302,
         data=lambda: {"kind": "fixed", "value": "5"}),
    Page("coupon", "read", _coupon),
]  # fmt: skip


def _challenge(owner):
    from tenure.loyalty.models import Challenge

    return Challenge.objects.create(
        name="Trio", kind="orders_count", target_count=3, bonus_points=10, created_at=T0
    )


# Loyalty challenges: every role reads them, admins and managers add and edit; a customer's
# progress is read as the customer.
CHALLENGE_PAGES = [
    Page("challenges", "self"),
    Page("challenge-new", "change_all"),
    Page("challenge-new", "change_all", method="post", done=302,
         data=lambda: {"name": "Trio", "kind": "orders_count", "target_count": "3",
                       "bonus_points": "10", "active": "on"}),
    Page("challenge-edit", "change_all", _challenge),
    Page("challenge-edit", "change_all", _challenge, method="post", done=302,
         data=lambda: {"name": "Quartet", "kind": "orders_count", "target_count": "4",
                       "bonus_points": "10", "active": "on"}),
    Page("customer-challenges", "read", _customer),
]  # fmt: skip


def _theme(owner):
    """A theme holding one answer of ``owner``'s book."""
    from tenure.themes.models import Theme, ThemeAssignment

    customer = make_customer(owner=owner)
    said = SurveyResponse.objects.create(
        customer=customer, kind="nps", score=9, comment="late", answered_at=timezone.now()
    )
    theme = Theme.objects.create(label=f"Theme of {customer.external_id}", terms=["late"])
    ThemeAssignment.objects.create(
        theme=theme, source="survey", source_id=said.pk, customer=customer, at=said.answered_at
    )
    return theme


# Themes: every role reads them, a success manager those holding an answer of their book
# (another's is 404 to them); admins and managers curate them and ask for a run.
THEME_PAGES = [
    Page("themes", "list", _theme, shows=lambda t: t.label),
    Page("theme", "read", _theme),
    Page("themes-run", "change_all", method="post", done=302),
    Page("theme-rename", "change_all", _theme, method="post", done=302,
         data=lambda: {"label": "Late"}),
    Page("theme-tag", "change_all", _theme, method="post", done=302, data=lambda: {"tag": "ops"}),
    Page("theme-untag", "change_all", _theme, method="post", done=302,
         data=lambda: {"tag": "ops"}),
    Page("theme-hide", "change_all", _theme, method="post", done=302,
         data=lambda: {"hidden": "1"}),
    Page("theme-merge", "change_all", _theme, method="post", done=302,
         data=lambda: {"into": str(_theme(None).pk)}),
]  # fmt: skip


def _blocked_referral(owner):
    """A referral blocked as a self-referral (the same email with a +tag)."""
    from tenure.referrals.services import code_make, referral_attribute

    referrer = make_customer(owner=owner, email=f"ann{owner.pk}@example.com")
    twin = make_customer(owner=owner, email=f"ann{owner.pk}+twin@example.com")
    code, _ = code_make(by=None, customer_id=referrer.pk, now=timezone.now())
    return referral_attribute(by=None, code=code.code, customer_id=twin.pk, now=timezone.now())[0]


# Referral rewards: the list over one's book; the settings and the override are the admins';
# a customer's code is made and revoked by who changes the customer.
REFERRAL_PAGES = [
    Page("referrals", "self"),
    Page("referral-settings", "administer"),
    Page("referral-settings", "administer", method="post", done=302,
         data=lambda: {"referrer_points": "100", "referred_points": "50", "signup_url": ""}),
    Page("referral-override", "administer", _blocked_referral),
    Page("referral-override", "administer", _blocked_referral, method="post", done=302,
         data=lambda: {"reason": "two people, one inbox"}),
    Page("customer-referral-code", "update", _customer, method="post", done=302),
    Page("customer-referral-code-revoke", "update", _customer, method="post", done=302),
    Page("customer-referred-by", "update", _customer, method="post", done=302,
         data=lambda: {"code": "NOSUCHCO"}),
]  # fmt: skip
PAGES = [
    Page("home", "self", done=302),
    *LOYALTY_PAGES,
    *REFERRAL_PAGES,
    *REWARD_PAGES,
    *CHALLENGE_PAGES,
    *VOICE_PAGES,
    *IDEA_PAGES,
    *SUCCESS_PAGES,
    *REPORT_PAGES,
    *ONBOARDING_PAGES,
    *THEME_PAGES,
    Page("search", "self"),  # the palette: what each role may open (tests/web/test_palette.py)
    *RECORD_PAGES,
    *BULK_PAGES,
    # Playbooks are the business's settings: every member reads them (the enrolments listed are
    # of the customers one sees); admins and managers change them (a playbook reaches everyone).
    Page("playbooks", "self"),
    Page("playbook", "self", _playbook),
    Page("playbook-new", "change_all"),
    Page("playbook-new", "change_all", method="post", data=_playbook_json, done=302),
    Page("playbook-edit", "change_all", _playbook),
    Page("playbook-switch", "change_all", _playbook, method="post", done=302),
    *MAIL_PAGES,
    *SURVEY_PAGES,
    Page("customers", "list", _customer, shows=lambda c: c.external_id),
    Page("customers-csv", "list", _customer, shows=lambda c: c.external_id),
    Page("customer-orders-csv", "list", _order, shows=lambda o: o.external_id),
    Page("customer", "read", _customer),
    Page("customer-timeline", "read", _customer, headers={"HX-Request": "true"}),
    Page(
        "interaction-create",
        "update",  # logs an interaction on the customer: a change of the customer's record
        _customer,
        method="post",
        data=lambda: {"kind": "note", "occurred_at": "2025-03-01T10:00", "body": "called"},
        done=302,
    ),
    Page("personal-data-export", "administer", _customer),
    Page("personal-data-erase", "administer", _customer, method="post", done=302),
    Page("accounts", "list", _account, shows=lambda a: a.name),
    Page("account", "read", _account),
    Page("account-timeline", "read", _account, headers={"HX-Request": "true"}),
    Page(
        "account-interaction-create",
        "update",  # the composer on an account's page: a change of the account's record
        _account,
        method="post",
        data=lambda: {"kind": "note", "occurred_at": "2025-03-01T10:00", "body": "met"},
        done=302,
    ),
    Page("orders", "list", _order, shows=lambda o: o.external_id),
    Page("order", "read", _order),
    Page("imports", "list"),
    Page("imports", "create", method="post", data=_orders_file, done=302),
    Page("import", "caller_own", _import_job, everyones=(Role.ADMIN, Role.MANAGER)),
    Page("import-progress", "caller_own", _import_job, everyones=(Role.ADMIN, Role.MANAGER)),
    # The import wizard (h/importwiz): each step changes records (an analyst is refused, a
    # success manager reaches their own uploads); its results are read as the job page is.
    Page("import-map", "update", _import_upload),
    Page("import-map", "update", _import_upload, method="post", data=_mapping_form, done=302),
    Page("import-preview", "update", _import_upload),
    Page("import-run", "update", _import_upload, method="post", done=302),
    Page("import-revert", "update", _import_done, method="post", done=302),
    Page("import-rejects", "caller_own", _import_done, everyones=(Role.ADMIN, Role.MANAGER)),
    Page("import-records", "caller_own", _import_done, everyones=(Role.ADMIN, Role.MANAGER)),
    Page("analytics", "list"),  # every figure counts only the caller's customers (insights)
    # A refit replaces everyone's predictions: the roles that change every record.
    Page("analytics-refit", "change_all", method="post", done=302),
    # insight: the customers behind a figure, counted over the caller's book; saving them makes
    # a static segment the caller owns (a creation: the analyst may not).
    Page("analytics-drill", "list", query="?" + DRILLED),
    Page("analytics-drill-csv", "list", query="?" + DRILLED),
    Page(
        "analytics-drill-save",
        "create",
        method="post",
        data=lambda: {"query": DRILLED, "name": "Drilled"},
        done=302,
    ),
    *FIGURE_DRILLS,
    *LIFECYCLE_PAGES,
    *SEGMENT_PAGES,
    Page("api-tokens", "self"),
    Page("api-tokens", "self", method="post", data=lambda: {"name": "shop"}),
    Page(
        "api-token-revoke", "caller_own", _token, method="post", done=302, everyones=(Role.ADMIN,)
    ),
    # Everyone changes their own password (the old one first); tests/web/test_password_change.py
    Page("password-change", "self"),
    Page(
        "password-change",
        "self",
        method="post",
        data=lambda: {
            "old_password": PASSWORD,
            "new_password1": GOOD_PASSWORD + "-new",
            "new_password2": GOOD_PASSWORD + "-new",
        },
        done=302,
    ),
    # Everyone edits their own name and email; an admin anyone's (tests/web/test_profile.py).
    Page("profile", "self"),
    Page(
        "profile",
        "self",
        method="post",
        data=lambda: {"first_name": "Pat", "last_name": "Lee", "email": ""},
        done=302,
    ),
    # Cockpit: everyone has a day and notifications of their own; setting a customer aside
    # is a change about that customer (a success manager's own book).
    Page("my-day", "self"),
    Page(
        "my-day-snooze",
        "update",
        _customer,
        method="post",
        data=lambda: {"until": "2099-01-01"},
        done=302,
    ),
    Page("my-day-done", "update", _customer, method="post", done=302),
    Page(
        "my-day-account-snooze",
        "update",
        _account,
        method="post",
        data=lambda: {"until": "2099-01-01"},
        done=302,
    ),
    Page("my-day-account-done", "update", _account, method="post", done=302),
    Page("notifications", "self"),
    Page("notifications-read", "self", method="post", done=302),
    Page("team", "administer"),
    Page(
        "team",
        "administer",
        method="post",
        data=lambda: {"username": "newbie", "role": "analyst", "password": GOOD_PASSWORD},
        done=302,
    ),
    Page(
        "team-member-role",
        "administer",
        lambda owner: owner,
        method="post",
        data=lambda: {"role": "analyst"},
        done=302,
    ),
    Page(
        "team-member-active",
        "administer",
        lambda owner: owner,
        method="post",
        data=lambda: {"active": "0"},
        done=302,
    ),
    Page("team-member-edit", "administer", lambda owner: owner),
    Page(
        "team-member-edit",
        "administer",
        lambda owner: owner,
        method="post",
        data=lambda: {"first_name": "Sam", "last_name": "Lee", "email": ""},
        done=302,
    ),
]


def expected_page(caller: str, page: Page, whose: str) -> int:
    if caller == ANONYMOUS:
        return 302  # to the login
    role = Role(caller)
    if page.name == "home":  # a success manager's home is My day; every other role's a dashboard
        return 302 if role == Role.SUCCESS_MANAGER else 200
    if page.operation == "administer":
        return page.done if role == Role.ADMIN else 403
    if page.operation == "change_all":
        return page.done if role in (Role.ADMIN, Role.MANAGER) else 403
    if page.operation == "self":
        return page.done
    if page.operation == "caller_own":
        return page.done if whose == "own" or role in page.everyones else 404
    status = expected(role, page.operation, whose)
    return page.done if status < 400 else status


def _page_table() -> list[tuple[str, Page, str]]:
    rows = []
    for caller in PAGE_CALLERS:
        for page in PAGES:
            per_record = page.operation in ("read", "update", "caller_own")
            for whose in ("own", "other") if per_record else ("own",):
                rows.append((caller, page, whose))
    return rows


PAGE_TABLE = _page_table()


def _page_id(row: tuple[str, Page, str]) -> str:
    caller, page, whose = row
    return f"{caller}-{page.method}-{page.name}-{whose}-{expected_page(caller, page, whose)}"


def _body(response) -> str:
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("row", PAGE_TABLE, ids=[_page_id(row) for row in PAGE_TABLE])
def test_page_table(client, settings, tmp_path, row):
    caller_role, page, whose = row
    settings.MEDIA_ROOT = tmp_path  # where an upload is kept
    success_manager = make_user(role=Role.SUCCESS_MANAGER)
    other = make_user(role=Role.SUCCESS_MANAGER)
    caller = None
    if caller_role != ANONYMOUS:
        caller = (
            success_manager if caller_role == Role.SUCCESS_MANAGER else make_user(role=caller_role)
        )
        client.force_login(caller)
    # A record page names the success manager's record ("own") or another's; a caller_own
    # page names the caller's own thing or someone else's.
    own_owner = (caller or success_manager) if page.operation == "caller_own" else success_manager
    own = page.make(own_owner) if page.make else None
    theirs = page.make(other) if page.make else None
    target = own if whose == "own" else theirs
    args = (
        [target.pk, *page.args]
        if target is not None and page.operation != "list"
        else list(page.args)
    )
    url = reverse(f"web:{page.name}", args=args) + page.query

    send = client.post if page.method == "post" else client.get
    response = send(url, page.data(), headers=page.headers)

    want = expected_page(caller_role, page, whose)
    assert response.status_code == want, _body(response)[:500]
    if caller_role == ANONYMOUS:
        assert response["Location"].startswith(reverse("web:login"))
    if page.shows is not None and caller_role != ANONYMOUS:
        body = _body(response)
        assert page.shows(own) in body
        assert (page.shows(theirs) in body) == (caller_role != Role.SUCCESS_MANAGER)


def test_every_page_is_in_the_table():
    """A new page must be added to PAGES above (or to NOT_IN_THE_PAGE_TABLE, with a reason)."""
    routes = {pattern.name for pattern in web_urls.urlpatterns if isinstance(pattern, URLPattern)}
    assert routes - {page.name for page in PAGES} == set(NOT_IN_THE_PAGE_TABLE)
    assert {page.operation for page in PAGES} <= {
        "list",
        "read",
        "create",
        "update",
        "administer",
        "change_all",
        "self",
        "caller_own",
    }


# --- Analytics: figures for every role (over their own book), fits for those who see all ----
#
# Aggregates are open to every role, counted over what the caller may see (the insights tests
# check the counts); a customer's prediction is a record of the customer (404 outside one's
# book); model fits count every customer, so a role limited to its own book may not read them
# (403); refitting replaces everyone's predictions: admins and managers only.
ANALYTICS_READS = [
    "/analytics/retention?period=2025-Q1",
    "/analytics/retention/series?period=quarter&count=2",
    "/analytics/retention/customers?period=2025-Q1&part=lost",
    "/analytics/cohorts?count=3",
    "/analytics/clv/top",
    "/analytics/clv/distribution",
    "/analytics/p-alive-by-recency",
    "/analytics/fit-check",
    "/analytics/orders?period=month&count=3",
    "/analytics/contracts?period=2025-Q1",
    "/analytics/renewal-survival",
]
ANALYTICS_PATHS = {
    *(path.split("?")[0] for path in ANALYTICS_READS),
    "/analytics/fits",
    "/analytics/fits/{fit_id}",
    "/customers/{customer_id}/prediction",
}


def _analytics_expected(role: Role, operation: str, whose: str) -> int:
    sees_all = role != Role.SUCCESS_MANAGER
    if operation in ("figures", "run_read"):
        return 200
    if operation == "prediction":
        return 200 if sees_all or whose == "own" else 404
    if operation in ("fits", "fit"):
        return 200 if sees_all else 403
    return 202 if role in (Role.ADMIN, Role.MANAGER) else 403  # refit


ANALYTICS_TABLE = [
    (role, operation, target, whose)
    for role in ROLES
    for operation, targets, owners in (
        ("figures", ANALYTICS_READS, ["own"]),
        ("prediction", ["/customers/{id}/prediction"], ["own", "other"]),
        ("fits", ["/analytics/fits"], ["own"]),
        ("fit", ["/analytics/fits/{fit}"], ["own"]),
        ("refit", ["/analytics/fits"], ["own"]),
    )
    for target in targets
    for whose in owners
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "row",
    ANALYTICS_TABLE,
    ids=[
        f"{r[0]}-{r[1]}-{r[2]}-{r[3]}-{_analytics_expected(r[0], r[1], r[3])}"
        for r in ANALYTICS_TABLE
    ],
)
def test_analytics_role_table(client, row):
    from tenure.insights.models import CustomerPrediction, ModelFit

    role, operation, target, whose = row
    success_manager = make_user(role=Role.SUCCESS_MANAGER)
    caller = Api(
        client, user=success_manager if role == Role.SUCCESS_MANAGER else make_user(role=role)
    )
    fit = ModelFit.objects.create(status="done", params={}, log_likelihood={})
    customers = {"own": _customer(success_manager), "other": _customer(make_user())}
    for customer in customers.values():
        CustomerPrediction.objects.create(
            customer=customer,
            fit=fit,
            frequency=0,
            recency=0.0,
            T=10.0,
            p_alive=1.0,
            churn_risk=0.0,
            expected_purchases_365=1.0,
            expected_average_spend=Decimal("10.00"),
            predicted_clv_365=Decimal("10.00"),
            historic_clv=Decimal("10.00"),
        )
    path = target.replace("{id}", str(customers[whose].pk)).replace("{fit}", str(fit.pk))
    if operation == "refit":
        response = caller.post(path, {})
    else:
        response = caller.client.get(f"/api/v1{path}", headers=caller.headers)
    want = _analytics_expected(role, operation, whose)
    assert response.status_code == want, response.content
    if want >= 400:
        assert response.json()["error"]["code"] in {"permission_denied", "not_found"}
    if operation == "refit":
        assert ModelFit.objects.count() == (2 if want == 202 else 1)


# --- Lifecycle and tasks ---------------------------------------------------------------------
#
# Figures (funnel, flow, buckets, at risk, churn audit) and the definitions are open to every
# role, counted over the caller's book; a customer's lifecycle is a record of the customer;
# storing a definition is administration; a recompute moves every customer (admins and
# managers), and its figures count every customer (the roles that see them all: 403 for a
# success manager, as for model fits). Tasks follow the records table: a success manager's own
# tasks and those about their customers, 404 otherwise; an analyst reads and changes nothing.
LIFECYCLE_READS = [
    "/lifecycle/funnel",
    "/lifecycle/flow?period=month&count=3",
    "/lifecycle/buckets?period=month&count=3",
    "/lifecycle/at-risk",
    "/lifecycle/at-risk/backtest",
    "/lifecycle/churn-audit",
    "/lifecycle/definitions",
]
LIFECYCLE_PATHS = {
    *(path.split("?")[0] for path in LIFECYCLE_READS),
    "/lifecycle/recompute",
    "/lifecycle/recompute/{run_id}",
    "/customers/{customer_id}/lifecycle",
    "/customers/{customer_id}/follow-up",
    "/customers/{customer_id}/stage",
    "/tasks",
    "/tasks/{task_id}",
    "/tasks/{task_id}/comments",
}


def _lifecycle_expected(role: Role, operation: str, whose: str) -> int:
    if operation == "figures":
        return 200
    if operation == "run_read":  # whole-base counts: for the roles that see every customer
        return 403 if role == Role.SUCCESS_MANAGER else 200
    if operation == "define":
        return 201 if role == Role.ADMIN else 403
    if operation == "recompute":
        return 202 if role in (Role.ADMIN, Role.MANAGER) else 403
    if operation == "customer":
        return expected(role, "read", whose)
    if operation in ("follow_up", "task_update", "stage_move"):
        return expected(role, "update", whose)
    if operation == "task_comment":
        status = expected(role, "update", whose)
        return 201 if status == 200 else status
    return expected(role, {"task_list": "list", "task_create": "create",
                           "task_read": "read"}[operation], whose)  # fmt: skip


LIFECYCLE_TABLE = [
    (role, operation, target, whose)
    for role in ROLES
    for operation, targets, owners in (
        ("figures", LIFECYCLE_READS, ["own"]),
        ("define", ["/lifecycle/definitions"], ["own"]),
        ("recompute", ["/lifecycle/recompute"], ["own"]),
        ("run_read", ["/lifecycle/recompute/{run}"], ["own"]),
        ("customer", ["/customers/{customer}/lifecycle"], ["own", "other"]),
        ("follow_up", ["/customers/{customer}/follow-up"], ["own", "other"]),
        ("stage_move", ["/customers/{customer}/stage"], ["own", "other"]),
        ("task_list", ["/tasks?view=all"], ["own"]),
        ("task_create", ["/tasks"], ["own"]),
        ("task_read", ["/tasks/{task}"], ["own", "other"]),
        ("task_update", ["/tasks/{task}"], ["own", "other"]),
        ("task_comment", ["/tasks/{task}/comments"], ["own", "other"]),
    )
    for target in targets
    for whose in owners
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "row",
    LIFECYCLE_TABLE,
    ids=[
        f"{r[0]}-{r[1]}-{r[2]}-{r[3]}-{_lifecycle_expected(r[0], r[1], r[3])}"
        for r in LIFECYCLE_TABLE
    ],
)
def test_lifecycle_role_table(client, row):
    from tenure.lifecycle.models import LifecycleDefinition, ManualMove
    from tenure.todos.models import Task

    role, operation, target, whose = row
    success_manager = make_user(role=Role.SUCCESS_MANAGER)
    other = make_user(role=Role.SUCCESS_MANAGER)
    caller = Api(
        client, user=success_manager if role == Role.SUCCESS_MANAGER else make_user(role=role)
    )
    customers = {"own": _at_risk_customer(success_manager), "other": _at_risk_customer(other)}
    tasks = {"own": _task(success_manager), "other": _task(other)}
    path = target.replace("{customer}", str(customers[whose].pk)).replace(
        "{task}", str(tasks[whose].pk)
    )
    if "{run}" in path:
        path = path.replace("{run}", str(lifecycle_recompute(now=timezone.now()).run_id))
    if operation == "define":
        response = caller.post(path, {"definition": preset_definition("journey")})
    elif operation in ("recompute", "follow_up"):
        response = caller.post(path, {})
    elif operation == "task_create":
        response = caller.post(path, {"title": "Ring back", "due": "2025-03-01"})
    elif operation == "task_update":
        response = caller.patch(path, {"status": "done"})
    elif operation == "stage_move":
        response = caller.post(path, {"stage": "advocacy", "reason": "Told a friend"})
    elif operation == "task_comment":
        response = caller.post(path, {"body": "hi"})
    else:
        response = caller.client.get(f"/api/v1{path}", headers=caller.headers)
    want = _lifecycle_expected(role, operation, whose)
    assert response.status_code == want, response.content
    if want >= 400:
        assert response.json()["error"]["code"] in {"permission_denied", "not_found"}
        assert Task.objects.filter(status="open").count() == 2  # nothing was changed
        assert LifecycleDefinition.objects.count() == 1
        assert not ManualMove.objects.exists()
    if operation == "stage_move" and want == 200:
        assert response.json()["stage"] == "advocacy"
        assert response.json()["rule"] == "by-hand"
    if operation == "task_list":
        ids = {item["id"] for item in response.json()["items"]}
        assert tasks["own"].pk in ids
        assert (tasks["other"].pk in ids) == (role != Role.SUCCESS_MANAGER)


# --- Account health: a record of the account --------------------------------------------------
#
# Whoever may view the account sees its health: every role reads all accounts but a success
# manager, who reads their own (404 for another's, never revealing it exists).
ACCOUNT_HEALTH_PATHS = {"/accounts/{account_id}/health"}
LIFECYCLE_PATHS |= ACCOUNT_HEALTH_PATHS  # served by the lifecycle router; counted as covered
ACCOUNT_HEALTH_TABLE = [(role, whose) for role in ROLES for whose in ("own", "other")]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "row",
    ACCOUNT_HEALTH_TABLE,
    ids=[
        f"{r[0]}-account-health-{r[1]}-{expected(r[0], 'read', r[1])}" for r in ACCOUNT_HEALTH_TABLE
    ],
)
def test_account_health_role_table(client, row):
    from tenure.lifecycle.health import account_health_recompute

    role, whose = row
    success_manager = make_user(role=Role.SUCCESS_MANAGER)
    caller = Api(
        client, user=success_manager if role == Role.SUCCESS_MANAGER else make_user(role=role)
    )
    accounts = {"own": _account(success_manager), "other": _account(make_user())}
    account_health_recompute()
    response = caller.get(f"/accounts/{accounts[whose].pk}/health")
    want = expected(role, "read", whose)
    assert response.status_code == want, response.content
    if want >= 400:
        assert response.json()["error"]["code"] == "not_found"
    else:
        health = response.json()["health"]
        # No open case (complaints 100); its owner alone looks after it (relationship 0):
        # (15 x 100 + 5 x 0) / 20 = 75, the top of yellow.
        assert (health["band"], health["score"]) == ("yellow", 75)


# --- Health: its backtest and adopting fitted weights -----------------------------------------
#
# The backtest's figures describe the whole base: read by the roles that see every customer
# (403 for a success manager, as for model fits); running one writes a record of the whole base
# (admins and managers); adopting weights changes every customer's score (admins).
HEALTH_PATHS = {"/lifecycle/health/backtest", "/lifecycle/health/adopt", "/lifecycle/health/reset"}
LIFECYCLE_PATHS |= HEALTH_PATHS  # served by the lifecycle router; counted as covered
HEALTH_TABLE = [
    (role, operation) for role in ROLES for operation in ("read", "run", "adopt", "reset")
]


def _health_expected(role: Role, operation: str) -> int:
    if operation == "read":
        return 403 if role == Role.SUCCESS_MANAGER else 200
    if operation == "run":
        return 201 if role in (Role.ADMIN, Role.MANAGER) else 403
    return 200 if role == Role.ADMIN else 403


@pytest.mark.django_db
@pytest.mark.parametrize(
    "row", HEALTH_TABLE, ids=[f"{r[0]}-health-{r[1]}-{_health_expected(*r)}" for r in HEALTH_TABLE]
)
def test_health_role_table(client, row):
    from tenure.lifecycle.models import HealthBacktestRun, HealthDefinition

    role, operation = row
    caller = Api(client, user=make_user(role=role))
    _at_risk_customer(make_user(role=Role.SUCCESS_MANAGER))
    # A stored run with fitted weights to adopt (the backtest itself: tests/lifecycle).
    run = HealthBacktestRun.objects.create(
        observation_end=T0.date(), fitted_weights={"recency": 40.0, "complaints": 5.0}
    )
    if operation == "read":
        response = caller.get("/lifecycle/health/backtest")
    elif operation == "run":
        response = caller.post("/lifecycle/health/backtest", {})
    elif operation == "adopt":
        response = caller.post("/lifecycle/health/adopt", {"run_id": run.pk})
    else:
        response = caller.post("/lifecycle/health/reset", {})
    want = _health_expected(role, operation)
    assert response.status_code == want, response.content
    if want >= 400:
        assert response.json()["error"]["code"] == "permission_denied"
        assert HealthDefinition.objects.count() == 0  # nothing was changed
        assert HealthBacktestRun.objects.count() == 1
    elif operation == "adopt":
        assert response.json()["weights_in_use"]["recency"] == 40.0
        assert HealthDefinition.objects.get().source == "fitted"
    elif operation == "reset":
        assert response.json()["weights_in_use"]["recency"] == 25.0
        assert HealthDefinition.objects.get().source == "default"


# --- Email: the ledger by the customer's book, templates and suppressions business-wide ------
#
# Every role reads the ledger (a success manager the messages of their book's customers: 404
# for another's) and the templates; writing templates, previewing or test-sending them on a
# customer, and the suppression list are for the roles that change every record (admins,
# managers): 403 for the others.
MAIL_PATHS = {
    "/mail/messages",
    "/mail/messages/{message_id}",
    "/mail/templates",
    "/mail/templates/{template_id}",
    "/mail/templates/{template_id}/preview",
    "/mail/templates/{template_id}/test",
    "/mail/suppressions",
    "/mail/suppressions/{address}",
    "/mail/broadcasts",
    "/mail/broadcasts/{broadcast_id}",
    "/mail/broadcasts/{broadcast_id}/schedule",
    "/mail/broadcasts/{broadcast_id}/pause",
    "/mail/broadcasts/{broadcast_id}/resume",
    "/mail/broadcasts/{broadcast_id}/cancel",
    "/mail/broadcasts/{broadcast_id}/recipients",
}
MAIL_OPERATIONS = [
    # (name, method, path, body, kind): kind "book" (every role, a success manager their
    # own), "read" (every role), "change_all" (admins and managers)
    ("messages", "get", "/mail/messages", None, "list"),
    ("message", "get", "/mail/messages/{message}", None, "book"),
    ("templates", "get", "/mail/templates", None, "read"),
    ("template", "get", "/mail/templates/{template}", None, "read"),
    ("template-create", "post", "/mail/templates", {"name": "New", "subject": "Hi",
                                                    "text": "Hello"}, "change_all"),
    ("template-update", "patch", "/mail/templates/{template}", {"subject": "Hey"}, "change_all"),
    ("template-preview", "post", "/mail/templates/{template}/preview", "customer", "change_all"),
    ("template-test", "post", "/mail/templates/{template}/test", "customer", "change_all"),
    ("template-delete", "delete", "/mail/templates/{template}", None, "change_all"),
    ("suppressions", "get", "/mail/suppressions", None, "change_all"),
    ("suppression-add", "post", "/mail/suppressions", {"address": "x@example.com"},
     "change_all"),
    ("suppression-delete", "delete", "/mail/suppressions/gone@example.com", None, "change_all"),
    # Broadcasts: read like the outbox (the recipients of one's book), changed like templates.
    ("broadcasts", "get", "/mail/broadcasts", None, "read"),
    ("broadcast", "get", "/mail/broadcasts/{sending}", None, "read"),
    ("broadcast-create", "post", "/mail/broadcasts", "broadcast", "change_all"),
    ("broadcast-update", "patch", "/mail/broadcasts/{draft}", {"name": "Q3"}, "change_all"),
    ("broadcast-schedule", "post", "/mail/broadcasts/{draft}/schedule",
     {"scheduled_at": "2030-01-01T09:00:00Z"}, "change_all"),
    ("broadcast-pause", "post", "/mail/broadcasts/{sending}/pause", {}, "change_all"),
    ("broadcast-resume", "post", "/mail/broadcasts/{paused}/resume", {}, "change_all"),
    ("broadcast-cancel", "post", "/mail/broadcasts/{paused}/cancel", {"reason": "typo"},
     "change_all"),
    ("broadcast-recipients", "get", "/mail/broadcasts/{sending}/recipients", None, "list"),
]  # fmt: skip
_MAIL_DONE = {"get": 200, "post": 201, "patch": 200, "delete": 204}


def _mail_expected(role: Role, operation: tuple, whose: str) -> int:
    name, method, _, _, kind = operation
    acts = name.startswith("broadcast-") and name != "broadcast-create"
    done = 200 if name == "template-preview" or acts else _MAIL_DONE[method]
    if kind in ("read", "list"):
        return done
    if kind == "book":
        return 404 if role == Role.SUCCESS_MANAGER and whose == "other" else done
    return done if role in (Role.ADMIN, Role.MANAGER) else 403


MAIL_TABLE = [
    (role, operation, whose)
    for role in ROLES
    for operation in MAIL_OPERATIONS
    for whose in (("own", "other") if operation[4] == "book" else ("own",))
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "row",
    MAIL_TABLE,
    ids=[f"{r}-{o[0]}-{w}-{_mail_expected(r, o, w)}" for r, o, w in MAIL_TABLE],
)
def test_mail_table(client, row):
    from tenure.mail.models import Broadcast, Message, Suppression, Template
    from tenure.segments.models import Segment

    role, operation, whose = row
    _, method, path, body, kind = operation
    success_manager = make_user(role=Role.SUCCESS_MANAGER)
    other = make_user(role=Role.SUCCESS_MANAGER)
    caller = Api(
        client, user=success_manager if role == Role.SUCCESS_MANAGER else make_user(role=role)
    )
    own_customer = _customer(success_manager)
    their_customer = _customer(other)
    template = Template.objects.create(name="Welcome", subject="Hi {{ customer.first_name }}",
                                       text="Hello")  # fmt: skip
    segment = Segment.objects.create(name="All", slug="all", definition={"when": {}})
    newsletter = Template.objects.create(name="News", subject="News", text="Hello")
    broadcasts = {
        status: Broadcast.objects.create(name=status, segment=segment, template=newsletter,
                                         status=status, scheduled_at=T0)
        for status in ("draft", "sending", "paused")
    }  # fmt: skip
    messages = {
        who: Message.objects.create(
            key=f"k:{who}", source=f"broadcast:{broadcasts['sending'].pk}", customer=customer,
            kind="transactional",
            subject="s", text="t", due_at=T0, next_at=T0, created_at=T0,
        )
        for who, customer in (("own", own_customer), ("other", their_customer))
    }  # fmt: skip
    Suppression.objects.create(address="gone@example.com", suppressed_at=T0, reason="manual")
    target = messages[whose]
    url = path.format(message=target.pk, template=template.pk,
                      **{status: b.pk for status, b in broadcasts.items()})  # fmt: skip
    payload = {"customer_id": own_customer.pk} if body == "customer" else body
    if body == "broadcast":
        payload = {"name": "Q3", "template_id": template.pk, "segment_id": segment.pk}
    send = getattr(caller, method)
    response = send(url, payload) if method in ("post", "patch") else send(url)
    want = _mail_expected(role, operation, whose)
    assert response.status_code == want, response.content
    if kind == "list":
        ids = {item["id"] for item in response.json()["items"]}
        assert messages["own"].pk in ids
        assert (messages["other"].pk in ids) == (role != Role.SUCCESS_MANAGER)


# --- Onboarding and success plans ---------------------------------------------------------
#
# Checklists are the business's settings: every role reads them, admins and managers change them
# (403 otherwise). Onboardings and success plans are their account's: a success manager reaches
# their book's (404 for another's), an analyst reads and changes nothing (403).
SUCCESS_API_PATHS = {
    "/checklist-templates",
    "/checklist-templates/{template_id}",
    "/checklist-templates/{template_id}/steps",
    "/checklist-templates/{template_id}/steps/{step_id}",
    "/onboardings",
    "/onboardings/{onboarding_id}",
    "/accounts/{account_id}/success-plan",
    "/accounts/{account_id}/success-plan/review",
    "/accounts/{account_id}/success-plan/goals",
    "/success-goals/{goal_id}",
    "/success-goals/{goal_id}/milestones",
    "/success-milestones/{milestone_id}",
}
SUCCESS_API_OPERATIONS = [
    # (name, method, path, body, kind, status when allowed): kind "read" (every role),
    # "change_all" (admins and managers), "list" (every role, a success manager their book's),
    # "book" (read: every role, a success manager their own), "change" (their account's
    # changers: admins, managers, a success manager their own), "create" (own account only)
    ("templates", "get", "/checklist-templates", None, "read", 200),
    ("template", "get", "/checklist-templates/{template}", None, "read", 200),
    ("template-create", "post", "/checklist-templates",
     {"name": "Made by API", "steps": [{"title": "Call"}]}, "change_all", 201),
    ("template-update", "patch", "/checklist-templates/{template}", {"name": "Renamed"},
     "change_all", 200),
    ("template-delete", "delete", "/checklist-templates/{spare}", None, "change_all", 204),
    ("step-create", "post", "/checklist-templates/{template}/steps", {"title": "Train"},
     "change_all", 201),
    ("step-update", "patch", "/checklist-templates/{template}/steps/{step}",
     {"days_after_start": 3}, "change_all", 200),
    ("step-delete", "delete", "/checklist-templates/{template}/steps/{step}", None,
     "change_all", 204),
    ("onboardings", "get", "/onboardings", None, "list", 200),
    ("onboarding", "get", "/onboardings/{onboarding}", None, "book", 200),
    ("onboarding-start", "post", "/onboardings", "start", "create", 201),
    ("plan", "get", "/accounts/{account}/success-plan", None, "book", 200),
    ("plan-put", "put", "/accounts/{account}/success-plan", {"title": "Grow", "status": "active"},
     "change", 200),
    ("plan-review", "post", "/accounts/{account}/success-plan/review",
     {"next_review": "2099-01-01"}, "change", 200),
    ("goals", "get", "/accounts/{account}/success-plan/goals", None, "book", 200),
    ("goal-create", "post", "/accounts/{account}/success-plan/goals", "goal", "change", 201),
    ("goal", "get", "/success-goals/{goal}", None, "book", 200),
    ("goal-update", "patch", "/success-goals/{goal}", {"status": "achieved"}, "change", 200),
    ("goal-delete", "delete", "/success-goals/{goal}", None, "change", 204),
    ("milestone-create", "post", "/success-goals/{goal}/milestones",
     {"title": "Kickoff", "due": "2099-01-01"}, "change", 201),
    ("milestone", "get", "/success-milestones/{milestone}", None, "book", 200),
    ("milestone-update", "patch", "/success-milestones/{milestone}", {"done": True}, "change",
     200),
    ("milestone-delete", "delete", "/success-milestones/{milestone}", None, "change", 204),
]  # fmt: skip


def _success_expected(role: Role, operation: tuple, whose: str) -> int:
    kind, done = operation[4], operation[5]
    if kind in ("read", "list"):
        return done
    if kind == "change_all":
        return done if role in (Role.ADMIN, Role.MANAGER) else 403
    if kind == "book":
        return 404 if role == Role.SUCCESS_MANAGER and whose == "other" else done
    status = expected(role, "update" if kind == "change" else kind, whose)
    return done if status < 400 else status


SUCCESS_API_TABLE = [
    (role, operation, whose)
    for role in ROLES
    for operation in SUCCESS_API_OPERATIONS
    for whose in (("own", "other") if operation[4] in ("book", "change") else ("own",))
]


def _onboarded_book(owner) -> dict[str, Any]:
    """An account of ``owner``'s with a started onboarding and a success plan with a goal and
    a milestone."""
    from datetime import date

    from tenure.success.models import ChecklistTemplate, Goal, Milestone, SuccessPlan
    from tenure.success.onboarding import onboarding_start

    account = make_account(owner=owner)
    template = ChecklistTemplate.objects.get(name="Kickoff")
    onboarding, _ = onboarding_start(
        by=None, template_id=template.pk, account_id=account.pk, now=timezone.now()
    )
    plan = SuccessPlan.objects.create(account=account, title="Grow")
    goal = Goal.objects.create(plan=plan, title="Adopt", target_date=date(2099, 6, 1), owner=owner)
    milestone = Milestone.objects.create(goal=goal, title="Train", due=date(2099, 1, 1))
    return {"account": account, "onboarding": onboarding, "goal": goal, "milestone": milestone}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "row",
    SUCCESS_API_TABLE,
    ids=[f"{r}-{o[0]}-{w}-{_success_expected(r, o, w)}" for r, o, w in SUCCESS_API_TABLE],
)
def test_success_api_table(client, row):
    from tenure.success.models import ChecklistStep, ChecklistTemplate, Goal, Onboarding
    from tenure.todos.models import Task

    role, operation, whose = row
    _, method, path, body, kind, _ = operation
    success_manager = make_user(role=Role.SUCCESS_MANAGER)
    other = make_user(role=Role.SUCCESS_MANAGER)
    caller = Api(
        client, user=success_manager if role == Role.SUCCESS_MANAGER else make_user(role=role)
    )
    template = ChecklistTemplate.objects.create(name="Kickoff")
    step = ChecklistStep.objects.create(template=template, position=0, title="Kickoff call")
    second = ChecklistTemplate.objects.create(name="Second")
    ChecklistStep.objects.create(template=second, position=0, title="Review")
    spare = ChecklistTemplate.objects.create(name="Spare")
    books = {"own": _onboarded_book(success_manager), "other": _onboarded_book(other)}
    book = books[whose]
    url = path.format(
        template=template.pk, spare=spare.pk, step=step.pk, account=book["account"].pk,
        onboarding=book["onboarding"].pk, goal=book["goal"].pk, milestone=book["milestone"].pk,
    )  # fmt: skip
    payload = body
    if body == "start":
        payload = {"template_id": second.pk, "account_id": books["own"]["account"].pk}
    elif body == "goal":
        payload = {"title": "Expand", "target_date": "2099-03-01", "owner_id": success_manager.pk}
    if method == "put":
        response = caller.client.put(
            f"/api/v1{url}", payload, content_type="application/json", headers=caller.headers
        )
    elif method in ("post", "patch"):
        response = getattr(caller, method)(url, payload)
    else:
        response = getattr(caller, method)(url)
    want = _success_expected(role, operation, whose)
    assert response.status_code == want, response.content
    if want >= 400:
        assert response.json()["error"]["code"] in {"permission_denied", "not_found"}
        assert Onboarding.objects.count() == 2  # nothing was changed
        assert Task.objects.count() == 2
        assert Goal.objects.filter(status="open").count() == 2
        assert ChecklistTemplate.objects.filter(name__in=["Kickoff", "Spare"]).count() == 2
    if kind == "list":
        ids = {item["id"] for item in response.json()["items"]}
        assert books["own"]["onboarding"].pk in ids
        assert (books["other"]["onboarding"].pk in ids) == (role != Role.SUCCESS_MANAGER)
