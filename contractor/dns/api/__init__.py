"""REST API for the dns app."""
