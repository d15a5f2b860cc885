"""Repositories: explicit row <-> entity mapping, one module per bounded context."""
