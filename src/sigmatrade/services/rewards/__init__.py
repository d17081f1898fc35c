"""Rewards (SPEC §3.6): the set-based calculator (``engine``), reward sessions (``sessions``), the
job's run with its notifications (``run``) and the user-facing messages (``notices``)."""
