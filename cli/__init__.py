"""The ``optbench`` command line."""
