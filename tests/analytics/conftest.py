"""Fixtures for the analytics tests: the CDNOW and sBG reference data, copied from shared/data.

CDNOW (Fader, Hardie & Lee 2005; the 1/10 sample distributed with lifetimes) and the sBG
renewal cohorts (Fader & Hardie 2007) live in ``tests/analytics/data`` so the suite runs from a
plain checkout.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="session")
def cdnow_transactions() -> pd.DataFrame:
    """The 6,919 CDNOW purchases: customer, date, number of CDs, dollar value."""
    frame = pd.read_csv(
        DATA / "CDNOW_sample.txt",
        sep=r"\s+",
        header=None,
        names=["customer_full", "customer", "date", "cds", "value"],
        dtype={"date": str},
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame[["customer", "date", "cds", "value"]]


@pytest.fixture(scope="session")
def cdnow_summary() -> pd.DataFrame:
    """The paper's calibration summary (weeks 1-39): ID, frequency, recency, T."""
    return pd.read_csv(DATA / "cdnow_customers_summary.csv").set_index("ID")


@pytest.fixture(scope="session")
def cdnow_spend() -> pd.DataFrame:
    """The summary with zbar, the mean repeat-purchase value: ID, x, t_x, T, zbar."""
    return pd.read_csv(DATA / "cdnow_customers_summary_with_transactions.csv").set_index("ID")


@pytest.fixture(scope="session")
def renewal_survival() -> pd.DataFrame:
    """Percent of each 1,000-customer cohort still subscribed at the start of years 0-12."""
    return pd.read_csv(DATA / "survival.csv").set_index("year")


def cohort_counts(percent: pd.Series, years: int = 7) -> np.ndarray:
    """Customers alive at the start of years 0..years out of 1,000 (FH07's fitting data)."""
    return np.round(percent.loc[:years].to_numpy() * 10)
