"""Double-entry ledger: accounts, journal entries with idempotency keys, balances, invariant check."""
