"""Messages a second signed (DKIM) and delivered to an SMTP server on loopback by one sender.

    .venv/bin/python benchmarks/mail_send.py                    # SQLite, 5,000 messages
    .venv/bin/python benchmarks/mail_send.py --pg postgresql://postgres@127.0.0.1:5432/postgres
    .venv/bin/python benchmarks/mail_send.py --pure-python      # dkimpy's own RSA, to compare

A fresh database with ``--messages`` customers who agreed to marketing email, one message each
(a template with HTML and text, personalised), DKIM on (a fresh 2048-bit key), no quiet hours;
the SMTP server runs in a process of its own. The sender is the worker's own step
(``mail_send_due``, batches of TENURE_MAIL_BATCH), called until nothing is due, in this process.
Checks every message arrived once and one signature verifies.
"""

from __future__ import annotations

import argparse
import sys
import time

from mail_common import SmtpServer, django_setup, dkim_key_file, fresh_database, migrate, populate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--pg", metavar="URL", help="a PostgreSQL server (default: SQLite)")
    parser.add_argument("--pure-python", action="store_true", help="dkimpy's own RSA")
    parser.add_argument("--no-dkim", action="store_true")
    options = parser.parse_args()

    server = SmtpServer()
    key_file, record = dkim_key_file()
    dkim = {} if options.no_dkim else {
        "TENURE_DKIM_SELECTOR": "bench", "TENURE_DKIM_DOMAIN": "example.com",
        "TENURE_DKIM_KEY_FILE": key_file,
    }  # fmt: skip
    try:
        url = fresh_database(options.pg, "tenure_mail_bench_send")
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
        signing_by = "pure Python" if options.pure_python else "OpenSSL"
        database = "PostgreSQL" if options.pg else "SQLite"
        print(f"database {database}, DKIM {'off' if options.no_dkim else signing_by}")
        print(f"sent {sent:,} in {seconds:.2f} s: {sent / seconds:,.0f} messages/s")
        ok = len(received) == options.messages and max(received.values()) == 1
        print(f"received {sum(received.values()):,}, distinct {len(received):,}: "
              f"{'ok' if ok else 'MISMATCH'}")  # fmt: skip
        if not options.no_dkim:
            import dkim as dkimpy

            from tenure.mail.models import Message

            raw = Message.objects.filter(status="sent").first().raw.encode()
            verified = dkimpy.verify(raw, dnsfunc=lambda name, timeout=5: record.encode())
            print(f"a signature verifies: {verified}")
            ok = ok and verified
        return 0 if ok else 1
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
