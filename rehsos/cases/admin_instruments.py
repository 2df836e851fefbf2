"""Admin for assessment instruments: add or version an instrument without code."""
