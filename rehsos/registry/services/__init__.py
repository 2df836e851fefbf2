"""Registry use cases: one function per write, each in a transaction."""
