"""Shared helpers used by every Python service."""
