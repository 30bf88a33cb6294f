"""HTTP: the Starlette app, health and metrics, and the routes channels and web pages add."""
