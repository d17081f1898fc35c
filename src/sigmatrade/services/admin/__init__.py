"""Admin use cases (docs/bot-conventions.md, "Admin screens"): one module per admin feature."""
