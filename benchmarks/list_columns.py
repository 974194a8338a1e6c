"""The customers list by what the apps above concluded (stage, health, predictions) at 100,000
customers: the new filters and sorts beside an indexed one, on the database named.

    TENURE_DATABASE_URL= TENURE_DATA_DIR=/tmp/bench .venv/bin/python benchmarks/list_columns.py
    TENURE_DATABASE_URL=postgresql://.../empty_db .venv/bin/python benchmarks/list_columns.py

Migrates the database named (SQLite in TENURE_DATA_DIR when the URL is empty; give an empty
one), bulk-loads ``--customers`` customers, each with a stage and a health score, 80 % with a
prediction, then requests the customers page ``--requests`` times per query through Django's
test client (the whole stack, signed in, no network) as a manager and as a success manager
(a tenth of the base), and prints p50 / p95 in milliseconds.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal

START = datetime(2023, 1, 1, tzinfo=UTC)
QUERIES = [
    "sort=name",
    "sort=-last_order",
    "sort=-clv",
    "sort=-churn_risk",
    "sort=health",
    "health=red",
    "stage=at_risk&health=red",
    "churn_risk_min=0.8&sort=-clv",
    "clv_min=1000&clv_max=2000",
]


def load(customers: int, rng: random.Random) -> None:
    from tenure.customers.models import Customer
    from tenure.insights.models import CustomerPrediction, FitStatus, ModelFit
    from tenure.lifecycle.models import CustomerStage, HealthScore
    from tenure.lifecycle.services import active_definition
    from tenure.users.models import User

    owners = [User.objects.create(username=f"sm{n}", role="success_manager") for n in range(10)]
    User.objects.create(username="boss", role="manager")
    Customer.objects.bulk_create(
        [
            Customer(
                external_id=f"C{n:07d}", first_name="Ada", last_name=f"Person{n:07d}",
                email=f"c{n}@example.com", created_at=START, owner=owners[n % 10],
                last_order_at=START + timedelta(days=rng.randrange(1, 1000)),
            )
            for n in range(customers)
        ],
        batch_size=5000,
    )  # fmt: skip
    ids = list(Customer.objects.values_list("pk", flat=True))
    definition = active_definition()
    stages = ["acquisition", "development", "retention", "advocacy", "at_risk", "churned"]
    CustomerStage.objects.bulk_create(
        [CustomerStage(customer_id=pk, stage=rng.choice(stages), entered_at=START,
                       definition=definition) for pk in ids],
        batch_size=5000,
    )  # fmt: skip
    scores = [rng.uniform(0, 100) for _ in ids]
    HealthScore.objects.bulk_create(
        [HealthScore(customer_id=pk, score=score, computed_at=START,
                     band="red" if score < 40 else "yellow" if score < 70 else "green")
         for pk, score in zip(ids, scores, strict=True)],
        batch_size=5000,
    )  # fmt: skip
    fit = ModelFit.objects.create(status=FitStatus.DONE, observation_end=START.date())
    predicted = []
    for pk in ids:
        if rng.random() < 0.8:
            risk = rng.random()
            clv = Decimal(f"{rng.lognormvariate(5, 1.2):.2f}")
            predicted.append(CustomerPrediction(
                customer_id=pk, fit=fit, frequency=2, recency=50.0, T=300.0, p_alive=1 - risk,
                churn_risk=risk, expected_purchases_365=1.0, expected_average_spend=clv,
                predicted_clv_365=clv, value_if_stays_365=clv, historic_clv=clv,
            ))  # fmt: skip
    CustomerPrediction.objects.bulk_create(predicted, batch_size=5000)


def measure(client, query: str, repeat: int) -> tuple[float, float]:
    found = []
    client.get(f"/customers/?{query}")  # warm
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(f"/customers/?{query}")
        found.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (query, response.status_code)
    return statistics.median(found), statistics.quantiles(found, n=20, method="inclusive")[18]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=7)
    parser.add_argument("--reuse", action="store_true", help="measure the business loaded before")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenure.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from tenure.users.models import User

    call_command("migrate", verbosity=0)
    if not args.reuse:
        started = time.perf_counter()
        load(args.customers, random.Random(7))
        seconds = time.perf_counter() - started
        print(f"{connection.vendor}: loaded {args.customers} in {seconds:.0f} s")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    for username in ("boss", "sm1"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for query in QUERIES:
            p50, p95 = measure(client, query, args.requests)
            print(f"{username:5} {query:32} p50 {p50:7.0f} ms  p95 {p95:7.0f} ms")


if __name__ == "__main__":
    main()
