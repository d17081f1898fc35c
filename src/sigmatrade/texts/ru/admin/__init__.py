"""Admin texts (ru): keys prefixed ``adm.``."""
