"""A guided walk through travelcore, one scenario per module."""
