"""How fast tenure's CSV reader (`tenure.transfer.reading.CsvRows`) reads an order log, against
plain `csv.reader` over the same bytes, in the same run.

    .venv/bin/python benchmarks/csv_reading.py --rows 1000000

The reader decodes with ``surrogateescape`` (a bad byte costs its row, not the file) after one
pass over the bytes that finds the lines holding a byte that is not UTF-8 (ASCII chunks are
only counted, not decoded); only rows on those lines are searched. Three files: clean UTF-8;
the same with one latin-1 byte; the same with one 10 MB field (which is itself read: the file
is 10 MB longer). The readers take turns ``--repeats`` times, the best time of each counts, so
a shared machine's load weighs on all alike. Prints rows/s and the ratio to plain
``csv.reader`` on the clean file (it cannot read the other two).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

from tenure.transfer.reading import CsvRows


def orders_csv(rows: int, *, seed: int = 7) -> bytes:
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["order_id", "customer_id", "placed_at", "amount", "currency", "status"])
    for number in range(rows):
        writer.writerow(
            [
                f"O{number}",
                f"C{rng.randrange(rows // 10 + 1)}",
                f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00+01:00",
                f"{rng.randint(1, 50000) / 100:.2f}",
                "EUR",
                "completed",
            ]
        )
    return out.getvalue().encode()


def plain(content: bytes) -> int:
    text = io.TextIOWrapper(io.BytesIO(content), encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    next(reader)
    return sum(1 for _ in reader)


def tenure_reader(content: bytes) -> int:
    rows = CsvRows(io.BytesIO(content))
    try:
        return sum(1 for _ in rows)
    finally:
        rows.release()


def best_of(readers: dict[str, tuple], repeats: int) -> dict[str, tuple[float, int]]:
    """The best time of each reader, the readers taking turns (a shared machine's load
    then weighs on all of them alike)."""
    found: dict[str, tuple[float, int]] = {}
    for _ in range(repeats):
        for name, (read, content) in readers.items():
            started = time.perf_counter()
            count = read(content)
            seconds = time.perf_counter() - started
            if name not in found or seconds < found[name][0]:
                found[name] = (seconds, count)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    clean = orders_csv(args.rows)
    middle = clean.index(b"\n", len(clean) // 2) + 1
    one_bad_byte = clean[:middle] + b"O-x,Andr\xe9,2024-01-01,1,EUR,completed\r\n" + clean[middle:]
    huge = b'O-y,"' + b"x" * (10 * 1024 * 1024) + b'",2024-01-01,1,EUR,completed\r\n'
    one_huge_field = clean[:middle] + huge + clean[middle:]

    readers = {
        "csv.reader, clean UTF-8": (plain, clean),
        "CsvRows, clean UTF-8": (tenure_reader, clean),
        "CsvRows, one latin-1 byte": (tenure_reader, one_bad_byte),
        "CsvRows, one 10 MB field": (tenure_reader, one_huge_field),
    }
    found = best_of(readers, args.repeats)
    base_time, base_rows = found["csv.reader, clean UTF-8"]
    print(f"{args.rows:,} rows, {len(clean) / 1e6:.1f} MB, best of {args.repeats}")
    print(f"{'reader, file':<30}{'rows/s':>14}{'vs csv.reader':>16}")
    for name, (seconds, rows) in found.items():
        ratio = (rows / seconds) / (base_rows / base_time)
        print(f"{name:<30}{rows / seconds:>14,.0f}{ratio:>16.2f}")


if __name__ == "__main__":
    main()
