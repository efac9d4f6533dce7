"""Pycroft, the AG DSN management system."""
