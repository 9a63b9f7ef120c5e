"""Celery workers: thin tasks that load a run by ID, execute it, and persist results."""
