"""Admin for reference data: PPKS types, ATENSI components, stage lists."""
