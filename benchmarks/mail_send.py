"""Messages a second signed (DKIM) and delivered to an SMTP server on loopback by one sender.

    .venv/bin/python benchmarks/mail_send.py                    # SQLite, 5,000 messages
    .venv/bin/python benchmarks/mail_send.py --pg postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python benchmarks/mail_send.py --pure-python      # dkimpy's own RSA, to compare
    .venv/bin/python benchmarks/mail_send.py --baseline 22b508b --rounds 3   # old code beside

A fresh database with ``--messages`` customers who agreed to marketing email, one message each
(a template with HTML and text, personalised), DKIM on (a fresh 2048-bit key), no quiet hours;
the SMTP server runs in a process of its own. The sender is the worker's own step
(``mail_send_due``, batches of TENURE_MAIL_BATCH), called until nothing is due, in a process of
its own (one per run). Checks every message arrived once and one signature verifies.

With ``--baseline REV`` the same runs are made with the sources of that git revision too,
alternating (this code, the baseline, this code, ...) so that both see the same load on a
shared machine; the summary gives each one's median and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from mail_common import SmtpServer, django_setup, dkim_key_file, fresh_database, migrate, populate


def measure(options: argparse.Namespace) -> dict[str, Any]:
    """One run in this process: a fresh database and server, everything due sent."""
    server = SmtpServer()
    key_file, record = dkim_key_file()
    dkim = {} if options.no_dkim else {
        "TENURE_DKIM_SELECTOR": "bench", "TENURE_DKIM_DOMAIN": "example.com",
        "TENURE_DKIM_KEY_FILE": key_file,
    }  # fmt: skip
    try:
        url = fresh_database(options.pg, options.pg_database)
        django_setup(
            url, TENURE_SMTP_URL=server.url, TENURE_MAIL_QUIET_HOURS="", TENURE_MAIL_CAP="",
            TENURE_DATA_DIR="/tmp/tenure-mail-bench", **dkim,
        )  # fmt: skip
        migrate()
        populate(customers=options.messages, per_customer=1)
        from tenure.mail import signing
        from tenure.mail.sending import mail_send_due

        if options.pure_python:
            signing.openssl_signing_install = lambda: None  # type: ignore[assignment]
        began = time.perf_counter()
        sent = 0
        while True:
            result = mail_send_due()
            sent += result.sent
            if not result.handled:
                break
        seconds = time.perf_counter() - began
        received = server.received()
        ok = len(received) == options.messages and max(received.values()) == 1
        verified = None
        if not options.no_dkim:
            import dkim as dkimpy

            from tenure.mail.models import Message

            raw = Message.objects.filter(status="sent").first().raw.encode()
            verified = dkimpy.verify(raw, dnsfunc=lambda name, timeout=5: record.encode())
            ok = ok and verified
        from django.db import connection

        connection.close()
        if options.pg:
            import psycopg

            with psycopg.connect(options.pg, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE "{options.pg_database}" WITH (FORCE)')
        return {
            "sent": sent, "seconds": seconds, "received": sum(received.values()),
            "distinct": len(received), "verified": verified, "ok": ok,
        }  # fmt: skip
    finally:
        server.stop()
        Path(key_file).unlink(missing_ok=True)


def _child(options: argparse.Namespace, src: Path | None) -> dict[str, Any]:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = str(src)
    command = [sys.executable, __file__, "--child", "--messages", str(options.messages)]
    command += ["--pg", options.pg, "--pg-database", options.pg_database] if options.pg else []
    command += ["--pure-python"] if options.pure_python else []
    command += ["--no-dkim"] if options.no_dkim else []
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0 or not done.stdout.strip():
        raise SystemExit(f"the benchmark failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _baseline_sources(rev: str, folder: str) -> Path:
    base = Path(folder) / "baseline"
    base.mkdir()
    archive = subprocess.run(["git", "archive", rev, "src"], capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
    return base / "src"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--pg", metavar="URL", help="a PostgreSQL server (default: SQLite)")
    parser.add_argument(
        "--pg-database", default="tenure_mail_bench_send", help="made afresh for each run"
    )
    parser.add_argument("--pure-python", action="store_true", help="dkimpy's own RSA")
    parser.add_argument("--no-dkim", action="store_true")
    parser.add_argument("--baseline", metavar="REV", help="also run the code of this revision")
    parser.add_argument("--rounds", type=int, default=1, help="runs of each code, alternating")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.child:
        print(json.dumps(measure(options)))
        return 0

    signing_by = "pure Python" if options.pure_python else "OpenSSL"
    database = "PostgreSQL" if options.pg else "SQLite"
    print(f"database {database}, DKIM {'off' if options.no_dkim else signing_by}, "
          f"{options.messages:,} messages a run")  # fmt: skip
    rates: dict[str, list[float]] = {}
    ok = True
    with tempfile.TemporaryDirectory(prefix="tenure-bench-mail-src-") as folder:
        runs: list[tuple[str, Path | None]] = [("this code", None)]
        if options.baseline:
            runs.append((options.baseline, _baseline_sources(options.baseline, folder)))
        for _ in range(options.rounds):
            for label, src in runs:
                result = _child(options, src)
                rate = result["sent"] / result["seconds"]
                rates.setdefault(label, []).append(rate)
                ok = ok and result["ok"]
                print(
                    f"{label:>12}: sent {result['sent']:,} in {result['seconds']:.2f} s: "
                    f"{rate:,.0f} messages/s; received {result['received']:,}, distinct "
                    f"{result['distinct']:,}, a signature verifies: {result['verified']}; "
                    f"load average {os.getloadavg()[0]:.2f}"
                )
    medians = {label: statistics.median(values) for label, values in rates.items()}
    for label, median in medians.items():
        print(f"{label:>12}: median {median:,.0f} messages/s over {len(rates[label])} run(s)")
    if options.baseline:
        ratio = medians["this code"] / medians[options.baseline]
        print(f"this code sends {ratio:.2f} x the messages a second of {options.baseline}")
    print("every check: " + ("ok" if ok else "MISMATCH"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
