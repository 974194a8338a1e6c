"""Reading an import file: UTF-8 CSV with a header, streamed row by row with line numbers."""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
from collections.abc import Iterator
from typing import BinaryIO

from tenure.domain.records import ImportFileError
from tenure.transfer.csv_safety import cell_restore

_CHUNK = 1 << 20


def _utf8_check(source: BinaryIO) -> None:
    """Refuse a file that is not UTF-8 before a single row is stored (one fast pass)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    start = source.tell()
    lines_before = 1
    while chunk := source.read(_CHUNK):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            line = lines_before + chunk.count(b"\n", 0, error.start)
            raise ImportFileError(
                f"not UTF-8 text (line {line} has the byte 0x{chunk[error.start]:02x}); "
                "save the file as 'CSV UTF-8'"
            ) from None
        lines_before += chunk.count(b"\n")
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise ImportFileError("not UTF-8 text (it ends in the middle of a character)") from None
    source.seek(start)


class CsvRows:
    """An open CSV file: ``header`` (apostrophe prefixes undone), then ``for line, cells in``.

    ``line`` is the line on which the row starts (the header is line 1; a quoted value may span
    lines). Blank lines are skipped. ``bytes_done`` tells how far reading has come. The source
    stays open and is not closed here: it belongs to the caller.
    """

    def __init__(self, source: BinaryIO) -> None:
        self.bytes_total = 0
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
            _utf8_check(source)
        self._binary = source
        self._start = source.tell() if source.seekable() else 0
        self._text = io.TextIOWrapper(source, encoding="utf-8-sig", newline="")
        self._reader = csv.reader(self._text)
        try:
            raw_header = next(self._reader)
        except StopIteration:
            raise ImportFileError("the file is empty: it needs a header row") from None
        except (csv.Error, UnicodeDecodeError) as error:
            raise ImportFileError(f"line 1 (the header) cannot be read: {error}") from None
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

    def __iter__(self) -> Iterator[tuple[int, list[str]]]:
        reader = self._reader
        start = reader.line_num + 1
        while True:
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as error:
                raise ImportFileError(f"line {start} cannot be read as CSV: {error}") from None
            except UnicodeDecodeError:
                raise ImportFileError(f"line {start}: not UTF-8 text") from None
            if cells:
                yield start, cells
            start = reader.line_num + 1

    def release(self) -> None:
        """Let go of the source without closing it (the caller opened it)."""
        with contextlib.suppress(ValueError):  # already detached
            self._text.detach()
