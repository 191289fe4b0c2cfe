"""REST API for the building app."""
