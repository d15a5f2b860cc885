"""PostgreSQL + pgvector adapter: the vector store and PostgreSQL full-text search."""

from travelcore_adapters.pgvector.jsonpath import compile_filter
from travelcore_adapters.pgvector.schema import (
    FieldType,
    create_schema,
    create_vector_index,
)
from travelcore_adapters.pgvector.store import PgVectorStore
from travelcore_adapters.pgvector.text_search import PgTextSearch, create_text_schema

__all__ = [
    "FieldType",
    "PgTextSearch",
    "PgVectorStore",
    "compile_filter",
    "create_schema",
    "create_text_schema",
    "create_vector_index",
]
