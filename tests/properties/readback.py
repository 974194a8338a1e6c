"""Read every stored row back through every reader a person has: the API's lists and details,
the customer page and its timeline, the CSV exports (page, API, `tenure export`) and
`tenure person export`. A row stored but unreadable fails here, naming the reader."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from click.testing import CliRunner

from tenure.cli.main import cli, register_commands
from tenure.customers.models import Customer

LISTS = (
    "/customers",
    "/accounts",
    "/contacts",
    "/subscriptions",
    "/orders",
    "/interactions",
    "/survey-responses",
    "/referrals",
    "/tasks",
)


def _csv_rows(content: bytes) -> int:
    return sum(1 for _ in csv.reader(io.StringIO(content.decode("utf-8"))))


def _streamed(response) -> bytes:
    return b"".join(response.streaming_content)


def read_everything(api, web, tmp_path: Path) -> None:
    """``api``: ``tests.api.helpers.Api`` of an admin; ``web``: a client signed in as one."""
    for path in LISTS:
        items, _ = api.walk(path, limit=200)
        for item in items:
            detail = api.get(f"{path}/{item['id']}")
            assert detail.status_code == 200, (path, item["id"], detail.content[:300])
    customers = list(Customer.objects.values_list("pk", "external_id"))
    for pk, _ in customers:
        page = web.get(f"/customers/{pk}/")
        assert page.status_code == 200, (pk, page.content[:300])
        fragment = web.get(f"/customers/{pk}/timeline/", headers={"HX-Request": "true"})
        assert fragment.status_code == 200, (pk, fragment.content[:300])
        cursor = None
        while True:  # the whole timeline, page after page
            timeline = api.get(
                f"/customers/{pk}/timeline", limit=200, **({"cursor": cursor} if cursor else {})
            )
            assert timeline.status_code == 200, (pk, timeline.content[:300])
            cursor = timeline.json()["next_cursor"]
            if cursor is None:
                break
    for url in ("/customers/export.csv", "/customers/orders.csv"):
        response = web.get(url)
        assert response.status_code == 200, url
        assert _csv_rows(_streamed(response)) >= 1
    for path in ("/customers/export.csv", "/orders/export.csv"):
        response = api.get(path)
        assert response.status_code == 200, path
        assert _csv_rows(_streamed(response)) >= 1
    register_commands()
    runner = CliRunner()
    for kind in ("customers", "orders"):
        target = tmp_path / f"{kind}.csv"
        done = runner.invoke(cli, ["export", kind, str(target)], catch_exceptions=False)
        assert done.exit_code == 0, done.output
        assert _csv_rows(target.read_bytes()) >= 1
    for _, external_id in customers:
        done = runner.invoke(cli, ["person", "export", "--", external_id], catch_exceptions=False)
        assert done.exit_code == 0, (external_id, done.output[-300:])
        assert json.loads(done.output)
