"""Extractors, one module per kind of Debian localization source (see recipes.py)."""
