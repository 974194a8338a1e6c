"""Stored customer predictions (BG/NBD, Gamma-Gamma), their fits, and the retention, churn and
CLV figures read from the database under the role policy."""
