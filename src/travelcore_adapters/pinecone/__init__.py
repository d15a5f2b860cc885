"""Pinecone adapter: the vector store over the official ``pinecone`` SDK."""

from travelcore_adapters.pinecone.store import PineconeVectorStore, translate

__all__ = ["PineconeVectorStore", "translate"]
