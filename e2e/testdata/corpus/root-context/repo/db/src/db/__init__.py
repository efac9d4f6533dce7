"""Database access of the plant monitor."""
