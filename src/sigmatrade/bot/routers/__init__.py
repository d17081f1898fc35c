"""Routers. Order matters: global commands first, fallbacks last."""
