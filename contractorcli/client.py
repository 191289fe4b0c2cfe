"""A small HTTP client of /api/v1/: token auth, JSON in and out, API errors turned into one-line CliErrors."""

from urllib.parse import urljoin

import requests

from contractorcli.errors import UNREACHABLE, CliError, error_lines, status_exit_code

TIMEOUT = 30


class Client:
    """Talks to one Contractor server with one token."""

    def __init__(self, url: str, token: str | None = None, session: requests.Session | None = None):
        self.base = url.rstrip("/") + "/api/v1/"
        self.session = session or requests.Session()  # login passes its logged-in session
        self.session.headers["Accept"] = "application/json"
        if token:
            self.session.headers["Authorization"] = f"Token {token}"

    def request(self, method: str, path: str, *, params=None, body=None, raw: bool = False):
        """The answer's JSON (or its text with `raw`); an error status raises CliError with the API's message."""
        url = urljoin(self.base, path)
        try:
            response = self.session.request(method, url, params=params, json=body, timeout=TIMEOUT)
        except requests.RequestException as error:
            raise CliError(f"cannot reach {self.base}: {error}", UNREACHABLE) from None
        if response.status_code >= 400:
            raise CliError(response_message(response), status_exit_code(response.status_code))
        if raw:
            return response.text
        if response.status_code == 204 or not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise CliError(f"{method} {url}: the answer is not JSON ({response.status_code})", UNREACHABLE) from None

    def get(self, path: str, params=None, raw: bool = False):
        return self.request("GET", path, params=params, raw=raw)

    def post(self, path: str, body=None):
        return self.request("POST", path, body=body if body is not None else {})

    def pages(self, path: str, params=None, limit: int | None = None):
        """Rows of a paged list, following `next` until `limit` rows (all with None); and the total count."""
        params = list(params or [])
        if limit:
            params.append(("limit", min(limit, 1000)))
        page = self.get(path, params)
        if not isinstance(page, dict) or "results" not in page:  # an unpaged list (types/, some actions)
            return (page, len(page)) if isinstance(page, list) else ([page], 1)
        rows = list(page["results"])
        while page.get("next") and (limit is None or len(rows) < limit):
            page = self.get(page["next"])
            rows += page["results"]
        return rows[:limit] if limit else rows, page.get("count", len(rows))


def response_message(response) -> str:
    """One line from an error answer: the API's field errors as `field: message`, joined by '; '."""
    try:
        body = response.json()
    except ValueError:
        text = " ".join(response.text.split())[:200]
        return f"HTTP {response.status_code} from {response.url}" + (f": {text}" if text else "")
    return "; ".join(error_lines(body)) or f"HTTP {response.status_code}"
