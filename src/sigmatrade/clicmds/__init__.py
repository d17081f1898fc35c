"""CLI command groups contributed by features: each module exposes ``register(subparsers)``."""
