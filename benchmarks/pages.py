"""Response times of every page of the navigation at 100,000 customers and 1,000,000 orders.

    .venv/bin/python benchmarks/pages.py                       # PostgreSQL, 100k / 1M, 20 a page
    .venv/bin/python benchmarks/pages.py --reuse               # keep the database for the next run
    .venv/bin/python benchmarks/pages.py --customers 20000 --orders 200000 --engines sqlite

Loads a deterministic business (orders spread from each customer's creation to yesterday) into
a fresh database (SQLite: a file in a temporary directory; PostgreSQL: a database created for
the run and dropped after it, or kept and reused with ``--reuse``) with bulk inserts (COPY on
PostgreSQL), fits the models (``clv_fit``), places every customer in their stage
(``lifecycle_recompute``) and scores health (``health_recompute``), as the nightly chain does.
Then a manager and a success manager, signed in with Django's test client (the whole Django
stack: middleware, session, queries, templates; no network), request every page of the
navigation (customers, accounts, a customer's cockpit, tasks, Analytics, Lifecycle, a stage,
at risk, churn audit, segments, the mail outbox, playbooks, "my day", home, the orders list,
the lifecycle board, surveys, where that page exists: a name that does not resolve is skipped
with a note) once to warm up, then ``--requests`` times
each, and prints p50 / p95 / max in milliseconds per page and whether p95 is under 300 ms.

Each engine runs in a child process, because Django's settings (the database) are fixed per
process.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/postgres"
REUSED = "tenure_bench_pages"  # the database ``--reuse`` keeps between runs
# Customers join over three years up to yesterday; each buys between joining and yesterday.
END = datetime.combine(datetime.now(UTC).date(), datetime.min.time(), tzinfo=UTC)
START = END - timedelta(days=3 * 365)
SPAN_SECONDS = 3 * 365 * 86400
TARGET_MS = 300
FIRST_NAMES = [
    "Ada",
    "Alan",
    "Grace",
    "Edsger",
    "Barbara",
    "Donald",
    "Ken",
    "Dennis",
    "Margaret",
    "Katherine",
    "Tim",
    "Linus",
    "Guido",
    "Bjarne",
    "Frances",
    "John",
    "Mary",
    "Anita",
    "Radia",
    "Shafi",
    "Leslie",
    "Niklaus",
    "Tony",
    "Robin",
    "Judea",
    "Yoshua",
    "Fei",
    "Andrew",
    "Sophie",
    "Hedy",
    "Joan",
    "Lynn",
    "Carol",
    "Sandra",
    "Jean",
    "Annie",
    "Evelyn",
    "Betty",
    "Kathleen",
    "Marlyn",
    "Ruth",
    "Adele",
    "Ida",
    "Susan",
    "Amara",
    "Liam",
    "Sofia",
    "Kenji",
    "Mateo",
    "Ines",
    "Tariq",
    "Isla",
    "Noah",
    "Rhea",
    "Mei",
    "Fatima",
    "Lina",
    "Hana",
    "Kofi",
    "Mia",
    "Oscar",
]
LAST_NAMES = [
    "Hopper",
    "Turing",
    "Lovelace",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Thompson",
    "Ritchie",
    "Hamilton",
    "Johnson",
    "Berners",
    "Torvalds",
    "Rossum",
    "Stroustrup",
    "Allen",
    "Backus",
    "Keller",
    "Borg",
    "Perlman",
    "Goldwasser",
    "Lamport",
    "Wirth",
    "Hoare",
    "Milner",
    "Pearl",
    "Bengio",
    "Li",
    "Ng",
    "Wilson",
    "Lamarr",
    "Clarke",
    "Conway",
    "Shaw",
    "Kahn",
    "Sammet",
    "Easley",
    "Holberton",
    "Bartik",
    "Antonelli",
    "Wescoff",
    "Teitelbaum",
    "Goldberg",
    "Rhodes",
    "Kowalski",
    "Novak",
    "Rossi",
    "Sato",
    "Diallo",
    "Bauer",
    "Martin",
    "Suzuki",
    "Fischer",
    "Williams",
    "Richter",
    "Castro",
    "Nguyen",
    "Greene",
    "Chen",
    "Schmidt",
    "Carter",
    "Adeyemi",
]
WHALE_ORDERS = 5000
ROLES = {2: "success_manager"}  # owner2 sees only their own customers
CATEGORIES = ("Home", "Office", "Enterprise", "Cafe", "Student")
CHANNELS = ("Organic search", "Paid search", "Paid social", "Referral", "Newsletter", "Partner")


# --- the business -------------------------------------------------------------------------


def business_generate(*, customers: int, orders: int, seed: int = 20250101) -> dict[str, Any]:
    """Users, accounts, customers (with their cached order figures), orders and interactions.

    Purchase counts are heterogeneous (gamma-distributed rates), so a few customers have
    hundreds of orders and many have one or none; customer 1 has ``WHALE_ORDERS`` (a long
    timeline), and its page is measured too.
    """
    rng = random.Random(seed)
    users = [(n + 1, f"owner{n + 1}", FIRST_NAMES[n], LAST_NAMES[n]) for n in range(20)]
    account_count = max(1, customers // 50)
    accounts = [
        (n + 1, f"Account {n + 1:05d}", rng.choice(("Retail", "Software", "Energy")))
        for n in range(account_count)
    ]
    rates = [rng.gammavariate(0.8, 1.0) for _ in range(customers)]
    total_rate = sum(rates)
    counts = [int(rate / total_rate * orders) for rate in rates]
    for n in rng.sample(range(customers), orders - sum(counts)):  # exactly ``orders`` in all
        counts[n] += 1
    # One customer with a long history (a reseller, say): its page must not slow down.
    whale = min(WHALE_ORDERS, orders // 10)
    while counts[0] < whale:
        donor = rng.randrange(1, customers)
        if counts[donor]:
            counts[donor] -= 1
            counts[0] += 1

    customer_rows, order_rows, interaction_rows = [], [], []
    order_id = 0
    for n in range(customers):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        created = START + timedelta(seconds=rng.randrange(SPAN_SECONDS))
        room = max(1, int((END - created).total_seconds()))
        times = sorted(created + timedelta(seconds=rng.randrange(room)) for _ in range(counts[n]))
        first_at = last_at = None
        completed, revenue = 0, Decimal("0")
        for placed in times:
            order_id += 1
            amount = Decimal(rng.randrange(500, 50_000)) / 100
            status = "refunded" if rng.random() < 0.05 else "completed"
            order_rows.append((order_id, f"O{order_id:08d}", n + 1, placed, amount, "USD", status))
            if status == "completed":
                completed += 1
                revenue += amount
                first_at = first_at or placed
                last_at = placed
        customer_rows.append(
            (
                n + 1,
                f"C{n + 1:07d}",
                first,
                last,
                f"{first.lower()}.{last.lower()}{n + 1}@example.com",
                rng.choice(CATEGORIES),
                rng.choice(CHANNELS),
                rng.randrange(account_count) + 1 if rng.random() < 0.3 else None,
                rng.randrange(len(users)) + 1 if rng.random() < 0.9 else None,
                created,
                first_at,
                last_at,
                completed,
                revenue,
            )
        )
        if rng.random() < 0.5:
            kind = rng.choice(("call", "meeting", "email", "note", "complaint", "ticket"))
            interaction_rows.append(
                (
                    len(interaction_rows) + 1,
                    n + 1,
                    kind,
                    created + timedelta(seconds=rng.randrange(room)),
                    f"About order history {n + 1}",
                    "Talked through the last delivery.",
                    "open" if kind in ("complaint", "ticket") else "",
                )
            )
    heaviest = max(range(customers), key=counts.__getitem__) + 1
    return {
        "users": users,
        "accounts": accounts,
        "customers": customer_rows,
        "orders": order_rows,
        "interactions": interaction_rows,
        "heaviest": heaviest,
        "heaviest_orders": max(counts),
    }


# --- loading (inside the child process) ----------------------------------------------------


def _rows_insert(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """COPY on PostgreSQL; batched executemany in one transaction on SQLite."""
    from django.db import connection, transaction

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor  # psycopg's own cursor, for COPY
            with raw.copy(f'COPY "{table}" ({", ".join(columns)}) FROM STDIN') as copy:
                for row in rows:
                    copy.write_row(row)
        return
    ops = connection.ops

    def adapt(value: Any) -> Any:
        if isinstance(value, datetime):
            return ops.adapt_datetimefield_value(value)
        if isinstance(value, Decimal):
            return str(value)
        return value

    sql = (
        f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({", ".join("%s" for _ in columns)})'
    )
    batch: list[list[Any]] = []
    with transaction.atomic(), connection.cursor() as cursor:
        for row in rows:
            batch.append([adapt(value) for value in row])
            if len(batch) == 20_000:
                cursor.executemany(sql, batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)


def business_load(business: dict[str, Any]) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    now = datetime.now(UTC)
    password = make_password("bench")
    _rows_insert(
        "users_user",
        [
            "id",
            "password",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined",
            "role",
        ],
        [
            (pk, password, False, name, first, last, "", False, True, now, ROLES.get(pk, "manager"))
            for pk, name, first, last in business["users"]
        ],
    )
    _rows_insert(
        "customers_account",
        [
            "id",
            "name",
            "industry",
            "size_band",
            "budget_band",
            "website",
            "custom_attributes",
            "created_at",
            "updated_at",
            "owner_id",
        ],
        [
            (pk, name, industry, "", "", "", "{}", START, now, (pk % 20) + 1)
            for pk, name, industry in business["accounts"]
        ],
    )
    _rows_insert(
        "customers_customer",
        [
            "id",
            "external_id",
            "first_name",
            "last_name",
            "email",
            "category",
            "channel",
            "account_id",
            "owner_id",
            "created_at",
            "first_order_at",
            "last_order_at",
            "orders_count",
            "revenue",
            "phone",
            "time_zone",
            "custom_attributes",
            "updated_at",
        ],
        ((*row, "", "", "{}", now) for row in business["customers"]),
    )
    _rows_insert(
        "orders_order",
        ["id", "external_id", "customer_id", "placed_at", "amount", "currency", "status"],
        business["orders"],
    )
    _rows_insert(
        "interactions_interaction",
        [
            "id",
            "customer_id",
            "kind",
            "occurred_at",
            "subject",
            "body",
            "status",
            "resolution",
            "created_at",
        ],
        ((*row, "", now) for row in business["interactions"]),
    )
    if connection.vendor == "postgresql":
        from django.apps import apps
        from django.core.management.color import no_style

        models = [
            apps.get_model(label)
            for label in (
                "users.User",
                "customers.Account",
                "customers.Customer",
                "orders.Order",
                "interactions.Interaction",
            )
        ]
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
            cursor.execute("VACUUM ANALYZE")


# --- the nightly chain's figures -----------------------------------------------------------


def insights_prepare() -> dict[str, float]:
    """Fit the models, place everyone in their stage and score health: seconds of each."""
    from tenure.insights.services import clv_fit
    from tenure.lifecycle.health import health_recompute
    from tenure.lifecycle.services import lifecycle_recompute

    took = {}
    for name, step in (
        ("fit", lambda: clv_fit()),
        ("stages", lambda: lifecycle_recompute(from_scratch=True)),
        ("health", lambda: health_recompute()),
    ):
        started = time.perf_counter()
        step()
        took[name] = time.perf_counter() - started
    return took


# --- measuring ----------------------------------------------------------------------------


def _timings(request: Callable[[], Any], repeat: int) -> list[float]:
    request()  # warm up: template loader, connection, database pages
    found = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = request()
        found.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (response.status_code, response.get("Location"))
    return found


def _navigation(own_customer: int, stage: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(page, URL name and arguments, query) of every page of the navigation."""
    month_end = datetime.now(UTC).date().replace(day=1) - timedelta(days=1)
    return [
        ("home", "web:home", {}),
        ("my day", "web:my-day", {}),
        ("customers list", "web:customers", {}),
        ("accounts list", "web:accounts", {}),
        ("orders list", "web:orders", {}),
        ("customer cockpit", f"web:customer {own_customer}", {}),
        ("tasks", "web:tasks", {}),
        ("analytics", "web:analytics", {}),
        ("lifecycle", "web:lifecycle", {}),
        (f"stage page ({stage})", f"web:lifecycle-stage {stage}", {}),
        ("at risk", "web:lifecycle-at-risk", {}),
        ("churn audit", "web:lifecycle-churn-audit", {}),
        ("lifecycle board", "web:lifecycle-board", {}),
        ("segments", "web:segments", {}),
        ("surveys", "web:surveys", {}),
        ("mail outbox", "web:mail-outbox", {}),
        ("playbooks", "web:playbooks", {}),
        (
            "drill-down: last month's lost",
            "web:analytics-drill",
            {
                "chart": "retention",
                "part": "lost",
                "start": month_end.replace(day=1),
                "end": month_end,
            },
        ),
    ]


# Pages that keep their figures while the data is unchanged (``web/views/figures_cache.py``):
# with ``--cold N`` they are measured again with the cache emptied before each request, which
# is what a visit costs after the data changed (and what every visit cost before the cache).
KEEPING = {"analytics", "lifecycle", "at risk", "churn audit", "drill-down: last month's lost"}


def pages_measure(
    repeat: int, cold: int = 0, only: str = ""
) -> tuple[list[dict[str, Any]], list[str]]:
    from django.core.cache import cache
    from django.db.models import Count
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from tenure.customers.models import Customer
    from tenure.lifecycle.models import CustomerStage
    from tenure.users.models import User

    manager = User.objects.get(username="owner1")
    success = User.objects.get(username="owner2")
    own = Customer.objects.filter(owner=success, orders_count__gt=0).order_by("pk").first()
    assert own is not None
    biggest = CustomerStage.objects.values("stage").annotate(n=Count("pk")).order_by("-n").first()
    stage = biggest["stage"] if biggest else "at_risk"
    results, notes = [], []
    for role, user in (("manager", manager), ("success manager", success)):
        client = Client()
        client.force_login(user)
        for name, target, query in _navigation(own.pk, stage):
            if only and only not in name:
                continue
            url_name, *args = target.split()
            try:
                url = reverse(url_name, args=args)
            except NoReverseMatch:
                if role == "manager":
                    notes.append(f"{name}: no page named {url_name!r} here, skipped")
                continue
            if name == "home" and client.get(url).status_code == 302:
                notes.append(f"home: a {role}'s home is another page (measured as that page)")
                continue
            runs = [(name, repeat, False)]
            if cold and name in KEEPING:
                runs.append((f"{name} (cold)", cold, True))
            for shown, times, emptied in runs:

                def get(c=client, u=url, q=query, emptied=emptied):  # type: ignore[no-untyped-def]
                    if emptied:
                        cache.clear()
                    return c.get(u, q)

                found = _timings(get, times)
                p95 = (
                    statistics.quantiles(found, n=20, method="inclusive")[18]
                    if len(found) > 1
                    else found[0]
                )
                results.append(
                    {
                        "role": role,
                        "page": shown,
                        "p50": statistics.median(found),
                        "p95": p95,
                        "max": max(found),
                    }
                )
                print(f"  {role}: {shown} p95 {p95:.0f} ms", file=sys.stderr, flush=True)
    return results, notes


def _loaded(customers: int, orders: int) -> bool:
    """Whether the database holds this business already (``--reuse``), figures included."""
    from tenure.customers.models import Customer
    from tenure.insights.models import FitStatus, ModelFit
    from tenure.orders.models import Order

    return (
        Customer.objects.count() == customers
        and Order.objects.count() == orders
        and ModelFit.objects.filter(status=FitStatus.DONE).exists()
    )


def child(repeat: int, customers: int, orders: int, cold: int, only: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenure.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    generated = loaded = 0.0
    prepared: dict[str, float] = {}
    reused = _loaded(customers, orders)
    if not reused:
        started = time.perf_counter()
        business = business_generate(customers=customers, orders=orders)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        business_load(business)
        loaded = time.perf_counter() - started
        print(f"  loaded in {loaded:.0f} s; fitting and recomputing", file=sys.stderr, flush=True)
        prepared = insights_prepare()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
    results, notes = pages_measure(repeat, cold, only)
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "reused": reused,
                "generated": generated,
                "loaded": loaded,
                "prepared": prepared,
                "pages": results,
                "notes": notes,
            }
        )
    )


def _run_child(database_url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    env = {**os.environ, "TENURE_DATABASE_URL": database_url, "TENURE_DATA_DIR": str(data_dir)}
    command = [
        sys.executable,
        __file__,
        "--child",
        "--requests",
        str(args.requests),
        "--customers",
        str(args.customers),
        "--orders",
        str(args.orders),
        "--cold",
        str(args.cold),
        "--only",
        args.only,
    ]
    out = subprocess.run(command, env=env, stdout=subprocess.PIPE, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"the benchmark on {database_url} failed (its errors are above)")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _postgres_run(pg_url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    import psycopg

    name = REUSED if args.reuse else f"tenure_bench_pages_{os.getpid()}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        return _run_child(pg_url.rsplit("/", 1)[0] + f"/{name}", data_dir, args)
    finally:
        if not args.reuse:
            with psycopg.connect(pg_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _report(result: dict[str, Any]) -> None:
    if result["reused"]:
        print(f"\n{result['vendor']}: the database of an earlier run, reused")
    else:
        prepared = ", ".join(f"{k} {v:.0f} s" for k, v in result["prepared"].items())
        print(
            f"\n{result['vendor']}: generated in {result['generated']:.0f} s, loaded in "
            f"{result['loaded']:.0f} s; {prepared}"
        )
    print(f"{'role':17}{'page':34}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}  p95 < {TARGET_MS} ms")
    for row in result["pages"]:
        ok = "yes" if row["p95"] < TARGET_MS else "NO"
        print(
            f"{row['role']:17}{row['page']:34}{row['p50']:>9.0f}{row['p95']:>9.0f}"
            f"{row['max']:>9.0f}  {ok}"
        )
    for note in result["notes"]:
        print(f"note: {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20, help="timed requests per page")
    parser.add_argument("--engines", default="postgresql", help="postgresql, sqlite")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="a PostgreSQL server to create on")
    parser.add_argument(
        "--reuse", action="store_true", help=f"keep the PostgreSQL database {REUSED} and reuse it"
    )
    parser.add_argument(
        "--cold", type=int, default=0, help="also N requests of the figure-keeping pages, cold"
    )
    parser.add_argument("--only", default="", help="only the pages whose name holds this")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.requests, args.customers, args.orders, args.cold, args.only)
        return

    print(f"{args.customers:,} customers, {args.orders:,} orders; {args.requests} requests a page")
    with tempfile.TemporaryDirectory(prefix="tenure-bench-pages-") as tmp:
        work = Path(tmp)
        for engine in args.engines.split(","):
            if engine == "sqlite":
                result = _run_child(f"sqlite:///{work / 'bench.sqlite3'}", work, args)
            elif engine == "postgresql":
                result = _postgres_run(args.pg_url, work, args)
            else:
                raise SystemExit(f"unknown engine {engine!r}")
            _report(result)


if __name__ == "__main__":
    main()
