"""REST API for the site app."""
