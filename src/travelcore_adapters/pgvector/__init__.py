"""PostgreSQL + pgvector adapter: the vector store and PostgreSQL full-text search."""

from travelcore_adapters.pgvector.jsonpath import compile_filter
from travelcore_adapters.pgvector.store import PgVectorStore, create_schema

__all__ = ["PgVectorStore", "compile_filter", "create_schema"]
