"""Tuning studies: an equal-budget Optuna search per optimizer, run as trials on the
workers (see ``settings`` for the spec, ``space`` for search spaces, ``study`` for the
accounting, ``storage`` for Optuna's tables)."""
