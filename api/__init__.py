"""The HTTP API (FastAPI). Imports ``shared`` only: never the worker, never torch."""
