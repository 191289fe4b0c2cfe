"""A real BIND for the tests and the DNS benchmark: `named` on a loopback port serving a follower's zones.conf,
with an rndc control channel of its own so `dns_zones --follow --command` can reload it."""

import base64
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

NAMED, RNDC, DIG = shutil.which("named") or "/usr/sbin/named", shutil.which("rndc") or "/usr/sbin/rndc", "dig"


def missing() -> str | None:
    """Why a BIND cannot run here, or None."""
    for program in (NAMED, RNDC, shutil.which(DIG)):
        if not program or not os.access(program, os.X_OK):
            return "named, rndc and dig are needed (Debian packages bind9, bind9-dnsutils)"
    return None


def free_port(kind=socket.SOCK_STREAM) -> int:
    """A port free on 127.0.0.1 for both TCP and UDP (named listens on both)."""
    while True:
        with (
            socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp,
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp,
        ):
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            try:
                udp.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


class Bind:
    """named in `directory`, including `zones_conf`; `rndc_command` reloads it, `dig()` asks it."""

    def __init__(self, directory: Path, zones_conf: Path):
        self.directory, self.zones_conf = directory, zones_conf
        self.port, self.control = free_port(), free_port()
        secret = base64.b64encode(secrets.token_bytes(32)).decode()
        key = f'key "contractor-test" {{ algorithm hmac-sha256; secret "{secret}"; }};\n'
        self.rndc_conf = directory / "rndc.conf"
        self.rndc_conf.write_text(
            key
            + f'options {{ default-key "contractor-test"; default-server 127.0.0.1; default-port {self.control}; }};\n'
        )
        self.conf = directory / "named.conf"
        self.conf.write_text(
            key
            + f"""options {{
    directory "{directory}";
    pid-file "{directory}/named.pid";
    session-keyfile "{directory}/session.key";
    listen-on port {self.port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
}};
controls {{ inet 127.0.0.1 port {self.control} allow {{ 127.0.0.1; }} keys {{ "contractor-test"; }}; }};
include "{zones_conf}";
"""
        )
        self.process: subprocess.Popen | None = None
        self.log = directory / "named.log"

    @property
    def rndc_command(self) -> str:
        return f"{RNDC} -c {self.rndc_conf} reload"

    def start(self, timeout: float = 60):
        """Start named in the foreground (its own process group) and wait until it answers rndc."""
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(
                [NAMED, "-g", "-c", str(self.conf)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"named exited: {self.log.read_text()}")
            status = subprocess.run([RNDC, "-c", str(self.rndc_conf), "status"], capture_output=True, timeout=30)
            if status.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError(f"named did not answer rndc in {timeout} s: {self.log.read_text()}")

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)

    def dig(self, *query: str) -> list[str]:
        """The answer section of `dig query` against this server (`+short`: one record's data per line)."""
        done = subprocess.run(
            [DIG, "@127.0.0.1", "-p", str(self.port), "+short", "+norecurse", "+time=1", "+tries=1", *query],
            capture_output=True,
            text=True,
            timeout=30,
        )
        return done.stdout.split() if done.returncode == 0 else []


def wait_for(predicate, seconds: float, interval: float = 0.02) -> float | None:
    """Seconds until `predicate()` held, polling every `interval`; None if it did not within `seconds`."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if predicate():
            return time.monotonic() - start
        time.sleep(interval)
    return None
