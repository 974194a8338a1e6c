"""Loyalty points: the program's settings, an append-only ledger, lots with expiry, balances."""
