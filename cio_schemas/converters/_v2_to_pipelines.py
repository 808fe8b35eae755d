"""Converters (being filled in)."""
