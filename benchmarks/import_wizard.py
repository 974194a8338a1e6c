"""The import wizard's own costs: the preview (every row checked, nothing written) and the
revert of a whole import (a record at a time, through the apps' services).

    .venv/bin/python benchmarks/import_wizard.py --rows 10000
    .venv/bin/python benchmarks/import_wizard.py --rows 10000 --database-url postgresql://...

A fresh database (SQLite in a temporary data directory by default); a customers file of
``--rows`` rows, one in ten with a bad email, a fifth of them naming customers that exist
already (updated); the preview, the import (the job runner, in this process) and the revert
timed. Prints seconds and rows (records) per second.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))


def customers_csv(rows: int) -> str:
    lines = ["Client No,E-mail,First Name,Tier"]
    for n in range(rows):
        email = "not-an-email" if n % 10 == 3 else f"c{n}@example.com"
        lines.append(f"K-{n},{email},Name{n},{'gold' if n % 2 else 'silver'}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--database-url", default="")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="tenure-wizard-"))
    os.environ["TENURE_DATA_DIR"] = str(work)
    os.environ["TENURE_DATABASE_URL"] = options.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tenure.config.settings")
    import django

    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from tenure.customers.models import Customer
    from tenure.jobs.runner import run_execute
    from tenure.transfer.mapping import mapping_suggest
    from tenure.transfer.preview import import_preview
    from tenure.transfer.revert import import_revert
    from tenure.transfer.wizard import import_upload_keep, import_upload_map, import_upload_run
    from tenure.users.models import User

    call_command("migrate", verbosity=0)
    user = User.objects.create(username="bench", role="manager")
    Customer.objects.bulk_create(
        Customer(external_id=f"K-{n}", email=f"old{n}@example.com", created_at=user.date_joined)
        for n in range(0, options.rows, 5)
    )
    content = customers_csv(options.rows).encode()
    file = SimpleUploadedFile("bench.csv", content, content_type="text/csv")
    kept = import_upload_keep(by=user, kind="customers", upload=file)
    fields = mapping_suggest("customers", kept.header)
    kept = import_upload_map(by=user, upload_id=kept.pk, fields=fields, attributes=["Tier"])

    began = time.perf_counter()
    preview = import_preview(upload=kept)
    seconds = time.perf_counter() - began
    print(
        f"preview: {options.rows:,} rows in {seconds:.2f} s ({options.rows / seconds:,.0f} rows/s)"
        f"; valid {preview.valid:,}, invalid {preview.invalid:,}"
    )
    job = import_upload_run(by=user, upload_id=kept.pk)
    began = time.perf_counter()
    run_execute(job.run_id)
    job.refresh_from_db()
    seconds = time.perf_counter() - began
    print(
        f"import: {seconds:.2f} s; created {job.rows_created:,}, updated {job.rows_updated:,}, "
        f"rejected {job.rows_rejected:,}"
    )
    began = time.perf_counter()
    report = import_revert(by=user, job_id=job.pk)
    seconds = time.perf_counter() - began
    records = len(report["deleted"]) + len(report["restored"])
    print(
        f"revert: {records:,} records in {seconds:.2f} s ({records / seconds:,.0f} records/s); "
        f"deleted {len(report['deleted']):,}, restored {len(report['restored']):,}, "
        f"kept {len(report['kept']):,}"
    )


if __name__ == "__main__":
    main()
