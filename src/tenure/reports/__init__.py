"""The results report of an account for a month or a quarter, and the agency metrics it shows."""
