"""Writing zone files to a directory: only the changed ones, then an optional command (e.g. rndc reload)."""

import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from contractor.dns import services
from contractor.dns.state import ZoneState
from contractor.dns.zonefile import ZoneText


@dataclass
class WriteResult:
    """What a run wrote, left alone, and what the after-write command did."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    serials: dict[str, int] = field(default_factory=dict)
    command_status: int | None = None
    command_output: str = ""


def file_name(origin: str) -> str:
    return f"{origin}.zone"


def zones_write(*, output: Path, command: str | None = None, timeout: float = 60) -> WriteResult:
    """Render every zone, bump the serials of changed ones, write the files that differ, then run `command`."""
    zones = ZoneState.load()
    return texts_write(output=output, texts=zones.texts(), origins=zones.origins(), command=command, timeout=timeout)


def texts_write(
    *, output: Path, texts: dict[str, ZoneText], origins, command: str | None = None, timeout: float = 60
) -> WriteResult:
    """Bump the serials of the zone files `texts` whose content changed and write those that differ from the
    disk, then zones.conf declaring `origins` (every zone there is), then run `command` if anything was written."""
    output.mkdir(parents=True, exist_ok=True)
    published = services.zone_texts_publish(texts=texts)
    result = WriteResult()
    for origin in sorted(published):
        changed = _write_if_changed(output / file_name(origin), published[origin].text)
        (result.written if changed else result.unchanged).append(origin)
        result.serials[origin] = published[origin].serial
    if _write_if_changed(output / "zones.conf", zones_conf(origins, output)):
        result.written.append("zones.conf")
    if result.written and command:
        _run(command, timeout, result)
    return result


def zones_conf(origins, output: Path) -> str:
    """A named.conf fragment declaring every zone file, for `include` in named.conf."""
    return "".join(
        f'zone "{origin}" {{ type primary; file "{output.resolve() / file_name(origin)}"; }};\n'
        for origin in sorted(origins)
    )


def _write_if_changed(path: Path, content: str) -> bool:
    """Write `content` atomically unless the file already holds exactly it."""
    data = content.encode()
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "wb") as stream:
        stream.write(data)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)
    return True


def _run(command: str, timeout: float, result: WriteResult):
    try:
        done = subprocess.run(shlex.split(command), capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        result.command_status, result.command_output = -1, str(error)
        return
    result.command_status, result.command_output = done.returncode, (done.stdout + done.stderr).strip()
