"""sushy-tools' Redfish emulator as a test server: basic authentication, optionally TLS, the fake or libvirt driver.

Used by the handler's tests (tests/subcontractor/test_redfish.py) and the Redfish plugin's end-to-end tests.
"""

import subprocess
import sys
from pathlib import Path

import requests

from tests.subcontractor.subcontractor_support import ServerProcess, free_port

USERNAME, PASSWORD = "admin", "redfish-secret"
FAKE_UUID = "7f0b6a2e-3d41-4c4e-9b8e-1a2b3c4d5e6f"
FAKE_MACS = ("52:54:00:aa:00:01", "52:54:00:aa:00:02")
# The fake driver applies a power change 1 to 11 s after the request (as a real BMC may): tests wait for it.
POWER_LANDS_WITHIN = 20


class RedfishEmulator:
    """One sushy-emulator process with basic authentication, optionally TLS, on a free loopback port."""

    def __init__(self, root: Path, *, config: dict, tls: bool = False, host: str = "127.0.0.1"):
        root.mkdir(parents=True, exist_ok=True)
        self.root, self.port, self.tls, self.host = root, free_port(host=host), tls, host
        import bcrypt

        digest = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
        (root / "htpasswd").write_text(f"{USERNAME}:{digest}\n")
        settings = {
            "SUSHY_EMULATOR_LISTEN_IP": host,
            "SUSHY_EMULATOR_LISTEN_PORT": self.port,
            "SUSHY_EMULATOR_STATE_DIR": str(root / "state"),
            "SUSHY_EMULATOR_AUTH_FILE": str(root / "htpasswd"),
            **config,
        }
        if tls:
            self.certificate = root / "bmc.crt"
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
                + [
                    "-addext",
                    "subjectAltName=IP:127.0.0.1",
                    "-keyout",
                    str(root / "bmc.key"),
                    "-out",
                    str(self.certificate),
                ],
                check=True,
                capture_output=True,
            )
            settings["SUSHY_EMULATOR_SSL_CERT"] = str(self.certificate)
            settings["SUSHY_EMULATOR_SSL_KEY"] = str(root / "bmc.key")
        (root / "emulator.conf").write_text("".join(f"{key} = {value!r}\n" for key, value in settings.items()))
        command = [str(Path(sys.executable).with_name("sushy-emulator")), "--config", str(root / "emulator.conf")]
        self.server = ServerProcess(command, root / "emulator.log", f"{self.url}/redfish/v1/")

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def parameters(self, **extra) -> dict:
        return {"url": self.url, "username": USERNAME, "password": PASSWORD, **extra}

    def system(self, identity: str) -> dict:
        """The system as the emulator itself reports it (plain HTTP, not through the handler's client)."""
        response = requests.get(
            f"{self.url}/redfish/v1/Systems/{identity}", auth=(USERNAME, PASSWORD), timeout=10, verify=False
        )
        response.raise_for_status()
        return response.json()

    def stop(self) -> None:
        self.server.stop()


def fake_systems(*uuids: str) -> list[dict]:
    return [
        {
            "uuid": uuid,
            "name": f"node-{index}",
            "power_state": "Off",
            "external_notifier": False,
            "nics": [{"mac": mac, "ip": "192.0.2.10"} for mac in FAKE_MACS] if index == 0 else [],
        }
        for index, uuid in enumerate(uuids)
    ]
