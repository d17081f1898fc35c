"""UI texts: one module per language with identical keys and placeholders."""
