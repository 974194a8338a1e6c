"""Reading an import file: UTF-8 CSV with a header, streamed row by row with line numbers.

A row that cannot be read (a byte that is not UTF-8, a field larger than the reader takes)
comes out as an ``UnreadableRow`` carrying its ``ImportRowError`` (line, column, reason): the
import rejects that row and keeps the good rows around it. Only a header that cannot be read
refuses the whole file.

Speed: the bytes are decoded with ``surrogateescape``, so a bad byte becomes a stand-in
character instead of an exception that would end the reader; a first pass over the bytes (as
fast as decoding) finds the lines that have one, and only the rows on those lines are
searched. Fields are read up to ``FIELD_MAX`` characters (Python's default of 131,072 would end
the file at a long cell); a cell's own limit is the domain's (``tenure.domain.records``).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import re
import sys
from collections.abc import Iterator
from typing import BinaryIO

from tenure.domain.records import ImportFileError, ImportRowError
from tenure.transfer.csv_safety import cell_restore

_CHUNK = 1 << 20
# Larger than any cell tenure stores, small enough that a stray quote (the rest of the file
# read as one field) cannot take the memory of the machine. The csv module's limit is
# process-wide; raising it only lets other readers take longer fields.
FIELD_MAX = 64 * 1024 * 1024
_ESCAPED = re.compile("[\udc80-\udcff]")
_NEVER = sys.maxsize
_SHOWN_MAX = 1_000  # characters of a rejected cell kept in the rejects file


def _lines_not_utf8(source: BinaryIO) -> list[int]:
    """The lines (as the CSV reader counts them: ends are \\n, \\r\\n or \\r) holding a byte
    that is not UTF-8, in one pass over the file; the position is restored."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="surrogateescape")
    start = source.tell()
    found: list[int] = []
    lines_before, ended_with_cr = 1, False
    while True:
        chunk = source.read(_CHUNK)
        text: str | bytes
        if chunk.isascii() and not decoder.getstate()[0]:
            text = chunk  # most chunks of most files: no decoding needed to know they are fine
        else:
            text = decoder.decode(chunk, final=not chunk)
            for bad in _ESCAPED.finditer(text):
                found.append(lines_before + _line_ends(text, bad.start(), ended_with_cr))
        lines_before += _line_ends(text, len(text), ended_with_cr)
        ended_with_cr = text[-1:] in ("\r", b"\r") if text else ended_with_cr
        if not chunk:
            break
    source.seek(start)
    return sorted(set(found))


def _line_ends(text: str | bytes, end: int, after_cr: bool) -> int:
    cr, lf = ("\r", "\n") if isinstance(text, str) else (b"\r", b"\n")
    ends = text.count(lf, 0, end) + text.count(cr, 0, end) - text.count(cr + lf, 0, end)  # type: ignore[arg-type, operator]
    return ends - 1 if after_cr and text[:1] == lf and end > 0 else ends


class UnreadableRow(list[str]):
    """The cells of a row that cannot be read (shown readable, long cells cut) and why."""

    def __init__(self, cells: list[str], error: ImportRowError) -> None:
        super().__init__(_shown(cell) for cell in cells)
        self.error = error


def _shown(cell: str) -> str:
    cell = _ESCAPED.sub("\ufffd", cell)
    return cell if len(cell) <= _SHOWN_MAX else cell[:_SHOWN_MAX] + "…"


class CsvRows:
    """An open CSV file: ``header`` (apostrophe prefixes undone), then ``for line, cells in``.

    ``line`` is the line on which the row starts (the header is line 1; a quoted value may span
    lines). Blank lines are skipped. ``bytes_done`` tells how far reading has come. The source
    stays open and is not closed here: it belongs to the caller.
    """

    def __init__(self, source: BinaryIO, *, field_max: int = FIELD_MAX) -> None:
        self.bytes_total = 0
        # Lines with a byte that is not UTF-8; None for a stream that cannot be read twice,
        # whose every row is searched instead.
        self._bad_lines: list[int] | None = None
        if source.seekable():
            start = source.tell()
            self.bytes_total = source.seek(0, io.SEEK_END) - start
            source.seek(start)
            head = source.read(4)
            source.seek(start)
            if head.startswith(b"PK\x03\x04"):
                raise ImportFileError(
                    "this is a spreadsheet or zip file, not CSV; save it as 'CSV UTF-8'"
                )
            self._bad_lines = _lines_not_utf8(source)
        csv.field_size_limit(field_max)
        self._binary = source
        self._start = source.tell() if source.seekable() else 0
        self._text = io.TextIOWrapper(
            source, encoding="utf-8-sig", errors="surrogateescape", newline=""
        )
        self._reader = csv.reader(self._text)
        try:
            raw_header = next(self._reader)
        except StopIteration:
            raise ImportFileError("the file is empty: it needs a header row") from None
        except csv.Error as error:
            raise ImportFileError(f"line 1 (the header) cannot be read: {error}") from None
        if any(_ESCAPED.search(name) for name in raw_header):
            raise ImportFileError(
                "line 1 (the header) is not UTF-8 text; save the file as 'CSV UTF-8'"
            )
        if not any(name.strip() for name in raw_header):
            raise ImportFileError("the first line (the header) is empty")
        if len(raw_header) == 1 and (";" in raw_header[0] or "\t" in raw_header[0]):
            separator = "semicolons" if ";" in raw_header[0] else "tabs"
            raise ImportFileError(
                f"the header is one column separated by {separator}; tenure reads "
                "comma-separated files"
            )
        self.raw_header = raw_header
        self.header = [cell_restore(name) for name in raw_header]

    @property
    def bytes_done(self) -> int:
        if not self._binary.seekable():
            return 0
        return self._binary.tell() - self._start

    def _column(self, position: int) -> str:
        if position < len(self.header):
            return self.header[position].strip() or f"column {position + 1}"
        return f"column {position + 1}"

    def _not_utf8(self, line: int, cells: list[str]) -> UnreadableRow | None:
        for position, cell in enumerate(cells):
            if found := _ESCAPED.search(cell):
                byte = ord(found.group()) - 0xDC00
                reason = f"not UTF-8 text (the byte 0x{byte:02x}); save the file as 'CSV UTF-8'"
                error = ImportRowError(line=line, column=self._column(position), reason=reason)
                return UnreadableRow(cells, error)
        return None

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        reader = self._reader
        # The next line known to hold a bad byte (the end of time when none is left); a stream
        # read once was not searched ahead, so its every row is searched.
        pending = iter(self._bad_lines if self._bad_lines is not None else ())
        next_bad = next(pending, _NEVER) if self._bad_lines is not None else 0
        start = reader.line_num + 1
        while True:
            try:
                for cells in reader:  # a for loop: the hot path of every import
                    line_end = reader.line_num
                    if cells:
                        if next_bad <= line_end:
                            while next_bad <= line_end and self._bad_lines is not None:
                                next_bad = next(pending, _NEVER)
                            unreadable = self._not_utf8(start, cells)
                            yield start, (cells if unreadable is None else unreadable)
                        else:
                            yield start, cells
                    start = line_end + 1
                return
            except csv.Error as error:
                # The reader drops the rest of the physical line and goes on with the next.
                reason = f"cannot be read as CSV ({error}; an unclosed quote?)"
                yield start, UnreadableRow([], ImportRowError(line=start, column="", reason=reason))
                start = reader.line_num + 1

    def release(self) -> None:
        """Let go of the source without closing it (the caller opened it)."""
        with contextlib.suppress(ValueError):  # already detached
            self._text.detach()
