"""Pure statistics for the customer lifecycle: metrics, RFM summaries, cohorts and the
buy-till-you-die models. No Django: works on plain DataFrames in a notebook.

Modules (imported on demand, so ``import tenure.analytics.metrics`` stays light):

- :mod:`~tenure.analytics.metrics`: retention, churn, historical CLV, order metrics, NPS,
  CSAT, renewal rate, gross and net revenue retention.
- :mod:`~tenure.analytics.summary`: ``rfm_summary`` (transactions -> frequency, recency, T,
  monetary value; calibration/holdout split) and ``compress_rfm``.
- :mod:`~tenure.analytics.sufficient`: ``sufficient_statistics``: the models' inputs counted
  on the engine that holds the orders (DuckDB, Spark), fitted on the driver.
- :mod:`~tenure.analytics.rfm`: RFM quintile scores and named groups.
- :mod:`~tenure.analytics.cohorts`: cohort retention tables and per-period order metrics.
- :mod:`~tenure.analytics.models`: ``BetaGeo``, ``ParetoNBD``, ``GammaGamma``,
  ``ShiftedBetaGeometric``.
- :mod:`~tenure.analytics.simulate`: simulated customer bases with the truth kept.
- :mod:`~tenure.analytics.feedback`: ``nps_score``, ``csat_score``, ``ces_score``,
  ``survey_score`` and ``survey_score_from_counts``: survey scores with their confidence
  intervals (``SurveyScore``).
- :mod:`~tenure.analytics.feedback_trends`: ``survey_trends``: NPS, CSAT and CES per group
  (account, person, project, ...) and week, month or quarter, with response rates.
- :mod:`~tenure.analytics.themes`: ``themes_find`` and ``themes_trend``: themes found in
  free-text answers (offline, TF-IDF + NMF) and their share per month.
- :mod:`~tenure.analytics.errors`: the exceptions raised on purpose.

Example
-------
>>> from tenure.analytics.summary import rfm_summary
>>> from tenure.analytics.models import BetaGeo, GammaGamma
>>> s = rfm_summary(orders, "customer_id", "ordered_at", "total", freq="D")
>>> purchases = BetaGeo().fit(s["frequency"], s["recency"], s["T"])
>>> spend = GammaGamma().fit(s["frequency"], s["monetary_value"])
>>> clv = spend.customer_lifetime_value(
...     purchases, s["frequency"], s["recency"], s["T"], s["monetary_value"],
...     horizon=365, periods_per_year=365.25, discount_rate_annual=0.1)
"""
