"""The trajectory protocol: seeding, evaluation schedule, records, checkpoints (SPEC §4)."""
