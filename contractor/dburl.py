"""Turn a CONTRACTOR_DATABASE_URL into a Django DATABASES entry."""

from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

ENGINES = {
    "sqlite": "django.db.backends.sqlite3",
    "postgres": "django.db.backends.postgresql",
    "postgresql": "django.db.backends.postgresql",
    "pgsql": "django.db.backends.postgresql",
}


def parse_database_url(url: str, base_dir: Path) -> dict:
    """Return the Django database settings that `url` describes.

    `sqlite:///relative/path` is relative to `base_dir`, `sqlite:////abs/path` is absolute, and
    `postgres://user:password@host:port/name?sslmode=require` passes query values as OPTIONS.
    """
    parts = urlsplit(url)
    engine = ENGINES.get(parts.scheme)
    if engine is None:
        raise ValueError(f"CONTRACTOR_DATABASE_URL: unsupported scheme {parts.scheme!r} (use sqlite or postgres)")
    if engine.endswith("sqlite3"):
        path = unquote(parts.path)[1:] if parts.path.startswith("/") else unquote(parts.path)
        if not path or path == ":memory:":
            return {"ENGINE": engine, "NAME": ":memory:"}
        name = Path(path) if Path(path).is_absolute() else base_dir / path
        return {"ENGINE": engine, "NAME": str(name)}
    return {
        "ENGINE": engine,
        "NAME": unquote(parts.path.lstrip("/")) or "contractor",
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        "OPTIONS": dict(parse_qsl(parts.query)),
    }
