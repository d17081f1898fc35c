"""Admin use cases (SPEC §5.7–§5.9): one module per admin screen. Every state change is audited with
the admin as actor (before/after where state changes)."""
