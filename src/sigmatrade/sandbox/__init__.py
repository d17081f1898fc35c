"""Sandbox: the built-in Bot API emulator and local-chain helpers (tests and ``sigmatrade demo``)."""
