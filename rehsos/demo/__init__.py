"""Demo data: synthetic centres, users for every role and persons (no real people)."""
