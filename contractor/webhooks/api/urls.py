"""Routes of the webhooks API."""


def register(router):
    """Add this app's viewsets to the shared /api/v1/ router."""
