"""Writes with business rules in the shared kernel, one module per sub-domain."""
