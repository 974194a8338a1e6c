"""How fast tenure's CSV reader (`tenure.transfer.reading.CsvRows`) reads an order log, against
plain `csv.reader` over the same bytes, in the same run.

    .venv/bin/python benchmarks/csv_reading.py --rows 1000000

The reader decodes with ``surrogateescape`` (a bad byte costs its row, not the file), checks
the whole file for UTF-8 first (one pass over the bytes) and, only when the file has a bad
byte, searches each row for one. Three files: clean UTF-8; the same with one latin-1 byte
(every row searched); the same with one 10 MB field. Each is read three times; the best time
counts. Prints rows/s and the ratio to plain ``csv.reader`` (which cannot read the last two).
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


def best(read, content: bytes, repeats: int = 3) -> tuple[float, int]:
    times, count = [], 0
    for _ in range(repeats):
        started = time.perf_counter()
        count = read(content)
        times.append(time.perf_counter() - started)
    return min(times), count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    args = parser.parse_args()
    clean = orders_csv(args.rows)
    middle = clean.index(b"\n", len(clean) // 2) + 1
    one_bad_byte = clean[:middle] + b"O-x,Andr\xe9,2024-01-01,1,EUR,completed\r\n" + clean[middle:]
    huge = b'O-y,"' + b"x" * (10 * 1024 * 1024) + b'",2024-01-01,1,EUR,completed\r\n'
    one_huge_field = clean[:middle] + huge + clean[middle:]

    base_time, base_rows = best(plain, clean)
    print(f"{args.rows:,} rows, {len(clean) / 1e6:.1f} MB")
    print(f"{'file':<24}{'reader':<18}{'rows/s':>14}{'vs csv.reader':>16}")
    print(f"{'clean UTF-8':<24}{'csv.reader':<18}{base_rows / base_time:>14,.0f}{1.0:>16.2f}")
    for name, content in (
        ("clean UTF-8", clean),
        ("one latin-1 byte", one_bad_byte),
        ("one 10 MB field", one_huge_field),
    ):
        seconds, rows = best(tenure_reader, content)
        ratio = (rows / seconds) / (base_rows / base_time)
        print(f"{name:<24}{'CsvRows':<18}{rows / seconds:>14,.0f}{ratio:>16.2f}")


if __name__ == "__main__":
    main()
