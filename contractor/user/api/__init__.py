"""REST API for the user app."""
