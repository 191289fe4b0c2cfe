"""What every entry point (manage.py, the WSGI application) checks before Contractor starts."""

from django.core.exceptions import ImproperlyConfigured

DEVELOPMENT_SECRET_KEY = "contractor-development-key-not-for-production"
MINIMUM_SECRET_KEY_LENGTH = 32


def secret_key_refusal(*, debug: bool, secret_key: str) -> str | None:
    """The one-line reason to refuse to start with this secret key, or None when it may be used.

    Anyone who knows the key forges session cookies (an admin's login among them) and password-reset links, so
    outside development (DEBUG on) the well-known default, Django's `django-insecure-` keys and short keys are
    refused.
    """
    if debug:
        return None
    if secret_key == DEVELOPMENT_SECRET_KEY or secret_key.startswith("django-insecure-"):
        problem = "is the well-known development key"
    elif len(secret_key) < MINIMUM_SECRET_KEY_LENGTH:
        problem = f"is shorter than {MINIMUM_SECRET_KEY_LENGTH} characters"
    else:
        return None
    return (
        f"Contractor refuses to start: the secret key {problem}; set CONTRACTOR_SECRET_KEY (or name a file holding "
        "it in CONTRACTOR_SECRET_KEY_FILE) to a long random value (python3 -c 'import secrets; "
        "print(secrets.token_urlsafe(50))'), or CONTRACTOR_DEBUG=1 for development."
    )


def settings_check() -> None:
    """Raise ImproperlyConfigured (one line) when the settings are not safe to start with."""
    from django.conf import settings

    refusal = secret_key_refusal(debug=settings.DEBUG, secret_key=settings.SECRET_KEY)
    if refusal:
        raise ImproperlyConfigured(refusal)
