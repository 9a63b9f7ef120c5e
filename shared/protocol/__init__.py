"""The trajectory protocol: seeding, evaluation schedule, records, checkpoints."""
