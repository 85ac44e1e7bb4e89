"""The HTTP service (FastAPI): routers per capability over one Workspace; deny by default."""
