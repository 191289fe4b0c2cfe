"""REST API for the webhooks app."""
