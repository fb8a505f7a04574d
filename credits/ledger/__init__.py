"""The credit pool's double-entry ledger: the only code that moves value. See models.py
(accounts, lots, transactions, entries), posting.py (the writes) and balances.py (the
derived figures)."""
