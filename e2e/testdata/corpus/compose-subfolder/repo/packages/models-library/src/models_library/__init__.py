"""Models shared by the services."""
