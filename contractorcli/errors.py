"""The client's errors, each with the exit status the command ends with (docs/cli.md lists them)."""

OK = 0
REFUSED = 1  # the API refused the request: a 400, 405 or 409 (a field error, a job rule, a conflict)
USAGE = 2  # a bad command line (click's own status for usage errors)
DENIED = 3  # not logged in, a bad token (401) or not allowed (403)
NOT_FOUND = 4  # no such object (404)
UNREACHABLE = 5  # the server could not be reached, or answered with a 5xx or something that is not JSON
JOB_ERROR = 6  # `job watch`: the job stopped in error
JOB_ABORTED = 7  # `job watch`: the job was cancelled (aborted)
JOB_PAUSED = 8  # `job watch --exit-on-pause`: the job paused and waits for a person
INTERRUPTED = 130  # Ctrl-C


class CliError(Exception):
    """A failure shown as one line on stderr; `exit_code` is the command's exit status."""

    def __init__(self, message: str, exit_code: int = REFUSED):
        super().__init__(message)
        self.exit_code = exit_code


def status_exit_code(status: int) -> int:
    """The exit status for an HTTP error status."""
    if status in (401, 403):
        return DENIED
    if status == 404:
        return NOT_FOUND
    if status >= 500:
        return UNREACHABLE
    return REFUSED


def error_lines(body, field: str = "") -> list[str]:
    """The API's error body as `field: message` lines: nested fields dotted, `detail` and non-field errors bare."""
    if isinstance(body, dict):
        return [line for key, value in body.items() for line in error_lines(value, _field(field, key))]
    if isinstance(body, list):
        return [line for item in body for line in error_lines(item, field)]
    return [f"{field}: {body}" if field else str(body)]


def _field(outer: str, key: str) -> str:
    if key in ("detail", "non_field_errors"):
        return outer
    return f"{outer}.{key}" if outer else str(key)
