"""Response times of the web pages at 100,000 customers and 1,000,000 orders, on two engines.

    .venv/bin/python benchmarks/pages.py                      # both engines, 100k / 1M
    .venv/bin/python benchmarks/pages.py --customers 10000 --orders 100000 --engines sqlite

Loads a deterministic business into a fresh database on each engine (SQLite: a file in a
temporary directory; PostgreSQL: a database created for the run and dropped after it) with
bulk inserts (COPY on PostgreSQL), then requests each page ``--requests`` times through Django's
test client, signed in (the whole Django stack: middleware, session, queries, templates; no
network), and prints p50 / p95 in milliseconds per page, one table per engine.

Each engine runs in a child process, because Django's settings (the database) are fixed per
process. Target: p95 under 300 ms for every page.
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
START = datetime(2023, 1, 1, tzinfo=UTC)
SPAN_SECONDS = 3 * 365 * 86400
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
        times = sorted(
            created + timedelta(seconds=rng.randrange(SPAN_SECONDS)) for _ in range(counts[n])
        )
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
                    created + timedelta(seconds=rng.randrange(SPAN_SECONDS)),
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


# --- measuring ----------------------------------------------------------------------------


def _timings(request: Callable[[], Any], repeat: int) -> list[float]:
    for _ in range(3):  # warm the caches (template loader, connection, database pages)
        request()
    found = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = request()
        found.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return found


def pages_measure(business: dict[str, Any], repeat: int, seed: int = 7) -> list[dict[str, Any]]:
    from django.test import Client

    from tenure.users.models import User

    rng = random.Random(seed)
    client = Client()
    client.force_login(User.objects.get(username="owner1"))
    own_only = Client()  # a success manager: every list is narrowed to their own customers
    own_only.force_login(User.objects.get(username="owner2"))
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "results"}
    customers = business["customers"]
    some = [row[0] for row in rng.sample(customers, 200)]
    rare = customers[len(customers) // 2]  # one person, found by a fragment of their email

    def get(url: str, params: dict[str, Any] | None = None, **headers: str) -> Callable[[], Any]:
        return lambda: client.get(url, params or {}, **headers)

    def customer_pages() -> Any:
        return client.get(f"/customers/{rng.choice(some)}/")

    pages: list[tuple[str, Callable[[], Any]]] = [
        ("customers list, by name", get("/customers/")),
        ("customers list, page 400 (offset 9,975)", get("/customers/", {"page": 400})),
        (
            "list: category, by revenue desc",
            get("/customers/", {"category": "Office", "sort": "-revenue"}),
        ),
        (
            "list: channel + owner, by last order",
            get("/customers/", {"channel": "Referral", "owner": 3, "sort": "-last_order"}),
        ),
        ("list: account, by orders desc", get("/customers/", {"account": 7, "sort": "-orders"})),
        ("list: by last order, oldest first", get("/customers/", {"sort": "last_order"})),
        ("list: by customer since, newest", get("/customers/", {"sort": "-since"})),
        ("search: a last name (many hits)", get("/customers/", {"q": "hopper"})),
        ("search: first + last name", get("/customers/", {"q": "grace hopper"})),
        ("search: one email (live, htmx)", get("/customers/", {"q": rare[4][:-12]}, **htmx)),
        ("search: an external id", get("/customers/", {"q": rare[1]})),
        ("search: no match", get("/customers/", {"q": "zzqx"})),
        ("customer page (random)", customer_pages),
        (
            f"customer page ({business['heaviest_orders']:,} orders)",
            get(f"/customers/{business['heaviest']}/"),
        ),
        ("success manager: customers list", lambda: own_only.get("/customers/")),
        ("success manager: search", lambda: own_only.get("/customers/", {"q": "hopper"})),
        ("accounts list", get("/accounts/")),
        ("account page", get("/accounts/7/")),
    ]
    results = []
    for name, request in pages:
        found = _timings(request, repeat)
        quantiles = statistics.quantiles(found, n=20, method="inclusive")
        results.append({"page": name, "p50": statistics.median(found), "p95": quantiles[18]})
    return results


def child(repeat: int, customers: int, orders: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenure.config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    business = business_generate(customers=customers, orders=orders)
    generated = time.perf_counter() - started
    started = time.perf_counter()
    business_load(business)
    loaded = time.perf_counter() - started
    results = pages_measure(business, repeat)
    print(
        json.dumps(
            {
                "vendor": connection.vendor,
                "generated": generated,
                "loaded": loaded,
                "heaviest_orders": business["heaviest_orders"],
                "pages": results,
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
    ]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"the benchmark on {database_url} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def _postgres_run(pg_url: str, data_dir: Path, args: argparse.Namespace) -> dict[str, Any]:
    import psycopg

    name = f"tenure_bench_pages_{os.getpid()}"
    with psycopg.connect(pg_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        return _run_child(pg_url.rsplit("/", 1)[0] + f"/{name}", data_dir, args)
    finally:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40, help="timed requests per page")
    parser.add_argument("--engines", default="sqlite,postgresql", help="sqlite, postgresql")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="a PostgreSQL server to create on")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.requests, args.customers, args.orders)
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
            print(
                f"\n{result['vendor']}: generated in {result['generated']:.0f} s, "
                f"loaded in {result['loaded']:.0f} s"
            )
            print(f"{'page':44}{'p50 ms':>10}{'p95 ms':>10}")
            for row in result["pages"]:
                flag = "" if row["p95"] < 300 else "  over 300 ms"
                print(f"{row['page']:44}{row['p50']:>10.1f}{row['p95']:>10.1f}{flag}")


if __name__ == "__main__":
    main()
