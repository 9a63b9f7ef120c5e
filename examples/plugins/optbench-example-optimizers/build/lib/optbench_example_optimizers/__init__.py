"""Example optimizer plugins for optbench (see README.md)."""
