"""The AI travel agent: a conversation loop (text in, text out) over travelcore that keeps
the conversation, remembers what the traveller says in the vector store, searches and books
trips with their line items and pays (``python -m examples.agent --help``)."""
