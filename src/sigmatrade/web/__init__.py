"""HTTP: health, readiness, metrics, webhook."""
