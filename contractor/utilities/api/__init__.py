"""REST API for the utilities app."""
