"""The HTTP API example: ``python -m examples.api --sample-data`` (see docs/http-api.md)."""
