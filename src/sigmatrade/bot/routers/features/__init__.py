"""Feature routers. Each module exposes ``ORDER: int`` and ``build() -> Router``; they are included
between the common router and the fallback, sorted by ORDER (input-state routers before broad ones)."""
