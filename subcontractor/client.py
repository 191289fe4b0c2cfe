"""The HTTP client for Contractor's subcontractor API (poll, result, error, batch results, lease renewal, pxe)."""

import requests

__all__ = ["ContractorClient", "NoBatchEndpoint", "ProtocolError", "Unreachable"]

ACCEPTED, DUPLICATE, STALE = "accepted", "duplicate", "stale"


class Unreachable(Exception):
    """Contractor did not answer usefully (refused, timeout, 5xx or another unexpected status): try again later."""


class ProtocolError(Unreachable):
    """Contractor answered with something that is not the protocol (bad JSON, missing keys): try again later."""


class NoBatchEndpoint(Exception):
    """Contractor has no batch results (or lease renewal) endpoint: an older version answered 404 or 405."""


class ContractorClient:
    """Speaks the protocol in docs/subcontractor.md; one instance per daemon (it keeps a connection pool)."""

    def __init__(self, *, url: str, token: str, proxy: str | None = None, timeout: float = 10.0):
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Token {token}", "Accept": "application/json"})
        if proxy:
            self.session.proxies.update({"http": proxy, "https": proxy})

    def poll(self, *, sites: tuple[str, ...] | list[str], modules: dict[str, int]) -> dict:
        """Ask for up to ``modules[name]`` tasks per module of ``sites`` (and the sites below them); returns
        ``{"tasks": [...], "poll_interval": ...}``."""
        where = {"site": sites[0]} if len(sites) == 1 else {"sites": list(sites)}
        body = self._json(self._request("post", "/api/v1/subcontractor/poll/", json={**where, "modules": modules}))
        tasks = body.get("tasks")
        if not isinstance(tasks, list) or not all(_is_task(task) for task in tasks):
            raise ProtocolError(f"poll answer has no valid 'tasks' list: {body!r:.200}")
        return body

    def task_result(self, *, task_id: int, cookie: str, result) -> str:
        """Post a task's result; returns "accepted", "duplicate" or "stale"."""
        return self._report(f"/api/v1/subcontractor/tasks/{task_id}/result/", {"cookie": cookie, "result": result})

    def task_error(self, *, task_id: int, cookie: str, error: str, retryable: bool) -> str:
        """Post a task's failure; returns "accepted", "duplicate" or "stale"."""
        body = {"cookie": cookie, "error": error, "retryable": retryable}
        return self._report(f"/api/v1/subcontractor/tasks/{task_id}/error/", body)

    def task_results(self, reports: list[dict]) -> list[str]:
        """Post many results and errors at once; returns "accepted", "duplicate" or "stale" for each, in order.

        Each report is ``{"task": id, "cookie": ..., "result": <JSON>}`` or ``{"task": id, "cookie": ...,
        "error": "...", "retryable": bool}``. Raises NoBatchEndpoint when Contractor does not have the endpoint.
        """
        path = "/api/v1/subcontractor/results/"
        response = self._request("post", path, json={"results": reports}, ok=(200, 404, 405))
        if response.status_code in (404, 405):
            raise NoBatchEndpoint(f"{path} answered HTTP {response.status_code}")
        answers = self._json(response).get("results")
        if not isinstance(answers, list) or len(answers) != len(reports):
            raise ProtocolError(f"{path} answered without one result per report: {answers!r:.200}")
        statuses = []
        for report, answer in zip(reports, answers, strict=True):
            status = answer.get("status") if isinstance(answer, dict) else None
            if status not in (ACCEPTED, DUPLICATE, STALE) or answer.get("task") != report["task"]:
                raise ProtocolError(f"{path} answered {answer!r:.200} for task {report['task']}")
            statuses.append(status)
        return statuses

    def renew(self, tasks: list[dict]) -> tuple[float, dict[int, str]]:
        """Extend the leases of running tasks (each ``{"task": id, "cookie": ...}``); returns the lease length in
        seconds and the new ``lease_expires`` of each task renewed (one no longer held is missing). Raises
        NoBatchEndpoint when Contractor has no renewal endpoint (an older version)."""
        path = "/api/v1/subcontractor/leases/"
        response = self._request("post", path, json={"tasks": tasks}, ok=(200, 404, 405))
        if response.status_code in (404, 405):
            raise NoBatchEndpoint(f"{path} answered HTTP {response.status_code}")
        body = self._json(response)
        seconds, renewed = body.get("lease_seconds"), body.get("tasks")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not isinstance(renewed, list):
            raise ProtocolError(f"{path} answered without lease_seconds and tasks: {body!r:.200}")
        if not all(isinstance(row, dict) and isinstance(row.get("task"), int) for row in renewed):
            raise ProtocolError(f"{path} answered a task without its id: {renewed!r:.200}")
        return float(seconds), {row["task"]: str(row.get("lease_expires")) for row in renewed}

    def pxe(self, *, sites: tuple[str, ...] | list[str]) -> dict:
        """Fetch the PXE plan of ``sites`` and the sites below them: static hosts, dynamic pools, boot file and
        TFTP server."""
        body = self._json(self._request("get", "/api/v1/subcontractor/pxe/", params={"site": list(sites)}))
        if not isinstance(body.get("static", []), list) or not isinstance(body.get("dynamic", []), list):
            raise ProtocolError(f"pxe answer needs 'static' and 'dynamic' lists: {body!r:.200}")
        return body

    def close(self) -> None:
        self.session.close()

    def _report(self, path: str, body: dict) -> str:
        response = self._request("post", path, json=body, ok=(200, 409))
        if response.status_code == 409:
            return STALE
        status = self._json(response).get("status")
        if status not in (ACCEPTED, DUPLICATE):
            raise ProtocolError(f"{path} answered 200 with status {status!r}")
        return status

    def _request(self, method: str, path: str, *, ok=(200,), **kwargs) -> requests.Response:
        try:
            response = self.session.request(method, self.url + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as error:
            raise Unreachable(f"{method.upper()} {path}: {error}") from error
        if response.status_code not in ok:
            raise Unreachable(f"{method.upper()} {path}: HTTP {response.status_code} {response.text[:200]}")
        return response

    @staticmethod
    def _json(response: requests.Response) -> dict:
        try:
            body = response.json()
        except ValueError as error:
            raise ProtocolError(f"{response.url} did not answer JSON") from error
        if not isinstance(body, dict):
            raise ProtocolError(f"{response.url} answered {type(body).__name__}, not an object")
        return body


def _is_task(task) -> bool:
    required = {"id": int, "module": str, "function": str, "cookie": str}
    return isinstance(task, dict) and all(isinstance(task.get(key), kind) for key, kind in required.items())
