"""Admin texts (en): keys prefixed ``adm.``."""
