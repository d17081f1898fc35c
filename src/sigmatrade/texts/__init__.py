"""UI texts: one package per language (ru, en), one module per feature, identical keys and placeholders."""
