"""REST API for the blueprint app."""
