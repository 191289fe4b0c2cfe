"""A "booted host" for the e2e test, started by ipmi_sim's chassis control on power on.

First boot (the installer): ask for the boot URL DHCP would hand its MAC (the subcontractor's PXE plan, which
holds the boot token of the job building it), fetch the iPXE script and config there, POST the signal endpoint
beside them, mark the disk installed and power the machine off. Later boots (the installed OS): listen on
127.0.0.1:<ssh port> ("SSH") until the BMC's power state file reads 0.
Usage: booted_host.py CONTRACTOR_URL SUBCONTRACTOR_TOKEN SITE MAC STATE_DIR SSH_PORT
"""

import json
import socket
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit


def dhcp_boot_url(opener, url: str, token: str, site: str, mac: str) -> str:
    """What dnsmasq would hand this MAC: its static host's boot URL in the PXE plan (its path, on `url`: the
    contractor process under test is not at the CONTRACTOR_HOST the plan names)."""
    plan = urllib.request.Request(
        f"{url}/api/v1/subcontractor/pxe/?site={site}", headers={"Authorization": f"Token {token}"}
    )
    hosts = json.loads(opener.open(plan, timeout=10).read())["static"]
    return url + urlsplit(next(host["boot"] for host in hosts if host["mac"] == mac)).path


def installer(url: str, token: str, site: str, mac: str, state: Path) -> None:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    script = dhcp_boot_url(opener, url, token, site, mac)
    (state / "boot_url.txt").write_text(script)
    (state / "boot_script.txt").write_bytes(opener.open(script, timeout=10).read())
    base = script.removesuffix("script/")
    config = json.loads(opener.open(f"{base}config/", timeout=10).read())
    (state / "config.json").write_text(json.dumps(config))
    request = urllib.request.Request(f"{base}signal/", data=b"", method="POST")
    (state / "signal.json").write_bytes(opener.open(request, timeout=10).read())
    (state / "installed").write_text("yes\n")
    (state / "power").write_text("0\n")


def installed_os(state: Path, port: int) -> None:
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(16)
        listener.settimeout(0.2)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and (state / "power").read_text().strip() != "0":
            try:
                listener.accept()[0].close()
            except TimeoutError:
                pass


def main(url: str, token: str, site: str, mac: str, state_dir: str, port: str) -> None:
    state = Path(state_dir)
    if (state / "installed").exists():
        installed_os(state, int(port))
    else:
        installer(url, token, site, mac, state)


if __name__ == "__main__":
    main(*sys.argv[1:7])
