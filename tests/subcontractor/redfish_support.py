"""sushy-tools' Redfish emulator as a test server: basic authentication, optionally TLS, the fake or libvirt driver.

Used by the handler's tests (tests/subcontractor/test_redfish.py) and the Redfish plugin's end-to-end tests.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.subcontractor.subcontractor_support import ServerProcess, free_port

USERNAME, PASSWORD = "admin", "redfish-secret"
FAKE_UUID = "7f0b6a2e-3d41-4c4e-9b8e-1a2b3c4d5e6f"
FAKE_MACS = ("52:54:00:aa:00:01", "52:54:00:aa:00:02")
# The fake driver applies a power change 1 to 11 s after the request (as a real BMC may); run by
# sushy_launcher.py it waits power_lag seconds instead (default 1). Tests poll for the change either way.
POWER_LANDS_WITHIN = 20
LAUNCHER = Path(__file__).resolve().with_name("sushy_launcher.py")


class RedfishEmulator:
    """One sushy-emulator process with basic authentication, optionally TLS, on a free loopback port."""

    def __init__(
        self, root: Path, *, config: dict, tls: bool = False, host: str = "127.0.0.1", power_lag: int | None = 1
    ):
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
        command = [sys.executable, str(LAUNCHER), "--config", str(root / "emulator.conf")]
        env = {key: value for key, value in os.environ.items() if key != "FAKE_POWER_LAG_SECONDS"}
        if power_lag is not None:
            env["FAKE_POWER_LAG_SECONDS"] = str(power_lag)
        self.server = ServerProcess(command, root / "emulator.log", f"{self.url}/redfish/v1/", env=env)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def parameters(self, **extra) -> dict:
        return {"url": self.url, "username": USERNAME, "password": PASSWORD, **extra}

    def system(self, identity: str) -> dict:
        """The system as the emulator itself reports it (plain HTTP, not through the handler's client)."""
        response = self._session().get(f"{self.url}/redfish/v1/Systems/{identity}", timeout=10)
        response.raise_for_status()
        return response.json()

    def reset(self, identity: str, reset_type: str) -> None:
        """What the machine itself or its operator does through the BMC: a ComputerSystem.Reset action."""
        response = self._session().post(
            f"{self.url}/redfish/v1/Systems/{identity}/Actions/ComputerSystem.Reset",
            json={"ResetType": reset_type}, timeout=30,
        )  # fmt: skip
        response.raise_for_status()

    @staticmethod
    def _session() -> requests.Session:
        session = requests.Session()
        session.trust_env = False  # no proxy from the environment between the test and the emulator
        session.auth, session.verify = (USERNAME, PASSWORD), False
        return session

    def power_off(self, identity: str, within: float = POWER_LANDS_WITHIN) -> None:
        """Switch the system off through the emulator's own API (ForceOff) and wait until it reports Off."""
        if self.system(identity)["PowerState"] == "Off":
            return
        self.reset(identity, "ForceOff")
        deadline = time.monotonic() + within
        while self.system(identity)["PowerState"] != "Off":
            if time.monotonic() > deadline:
                raise AssertionError(f"{identity} did not power off within {within} s")
            time.sleep(0.2)

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
