"""The operators' command line: migrate, create a tenant, and run every job of
``travelcore_adapters.jobs`` (``python -m examples.ops --help``)."""
