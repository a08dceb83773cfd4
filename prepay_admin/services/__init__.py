"""Use cases. Each takes a session factory and owns its transaction: one use case, one commit."""
