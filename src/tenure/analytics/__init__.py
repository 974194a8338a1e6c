"""Pure statistics for the customer lifecycle: metrics, RFM summaries, cohorts and the
buy-till-you-die models. No Django: works on plain DataFrames in a notebook."""
