"""Admin feature routers: one module per admin screen (``ORDER``, ``build()``), mounted under the admin gate."""
