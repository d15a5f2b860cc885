"""Adapters for travelcore's ports: ``memory`` (reference), ``postgres``, ``pinecone`` and more."""

__all__: list[str] = []
