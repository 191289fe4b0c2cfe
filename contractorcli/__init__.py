"""The `contractor` command-line client: a pure HTTP client of the REST API (it imports nothing from Django)."""
