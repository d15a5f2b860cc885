"""PostgreSQL + pgvector adapter: the vector store and PostgreSQL full-text search."""

from travelcore_adapters.pgvector.jsonpath import compile_filter
from travelcore_adapters.pgvector.store import PgVectorStore, create_schema
from travelcore_adapters.pgvector.text_search import PgTextSearch, create_text_schema

__all__ = [
    "PgTextSearch",
    "PgVectorStore",
    "compile_filter",
    "create_schema",
    "create_text_schema",
]
