"""Moments read in SQL as whole epoch seconds, and local days of the business's time zone.

Shared by every app that reads dated rows set-wise (the fact providers, the insights' readers):
the placed time comes out of SQL as whole epoch seconds (no datetime objects per row); days
are local days of ``TIME_ZONE`` counted from 1970-01-01.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from django.conf import settings
from django.db.models import BigIntegerField, Func

IntArray = npt.NDArray[np.int64]


class EpochSeconds(Func):
    """Whole seconds since 1970-01-01 UTC of a datetime column, on SQLite and PostgreSQL."""

    output_field = BigIntegerField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django stores UTC text; strftime('%s') is exact (julianday arithmetic would round
        # an order at midnight into the day before). %%%% survives the template and the
        # driver's placeholder pass as one literal %.
        return self.as_sql(
            compiler, connection, template="CAST(strftime('%%%%s', %(expressions)s) AS INTEGER)"
        )

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="FLOOR(EXTRACT(EPOCH FROM %(expressions)s))::bigint"
        )


def local_days(seconds: npt.ArrayLike) -> IntArray:
    """Epoch seconds -> local day numbers in ``TIME_ZONE``, vectorised (DST included)."""
    secs = np.asarray(seconds, dtype=np.int64)
    if settings.TIME_ZONE == "UTC":
        return secs // 86_400
    stamps = pd.to_datetime(secs, unit="s", utc=True).tz_convert(settings.TIME_ZONE)
    wall = stamps.tz_localize(None).to_numpy().astype("datetime64[D]")
    return wall.astype(np.int64)
