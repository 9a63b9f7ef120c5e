"""Training tasks: data + model + loss + metric (SPEC §4)."""
