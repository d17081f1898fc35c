"""Background jobs: an in-process scheduler with one DB lease per job (SPEC §7)."""
