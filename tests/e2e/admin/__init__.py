"""Admin screens through the real bot (log in with ``helpers.login``)."""
