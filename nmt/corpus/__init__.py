"""Parallel-corpus building: Debian localization sources, user data import, cleaning, splits."""
