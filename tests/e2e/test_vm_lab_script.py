"""scripts/vm-lab for real: up makes a namespace, a bridge and dnsmasq on a private range, up again mends and
makes nothing twice, status tells, exec runs inside, down removes exactly what up made; a busy range is refused.

Each test names its lab `vt` + a random suffix and picks a /24 no interface uses, so runs do not collide.
"""

import ipaddress
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "vm-lab"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (network namespaces and bridges)")


def _ip(*args) -> str:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=False).stdout


def _free_network() -> str:
    used = _ip("-o", "-4", "addr", "show") + _ip("-4", "route")
    while True:
        network = f"10.197.{random.randint(0, 255)}.0/24"
        if network.rsplit(".", 1)[0] + "." not in used:
            return network


@pytest.fixture
def lab(tmp_path):
    """Runs scripts/vm-lab on one lab; `down --force` at the end even when the test failed."""
    name = "vt" + "".join(random.choice("0123456789abcdef") for _ in range(4))
    network = _free_network()

    def vm_lab(*args, network=network):
        command = [sys.executable, str(SCRIPT), "--name", name, "--dir", str(tmp_path), *args]
        if network:
            command[4:4] = ["--network", network]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    vm_lab.name, vm_lab.network, vm_lab.root = name, ipaddress.IPv4Network(network), tmp_path / name
    yield vm_lab
    vm_lab("down", "--force")
    assert name not in _ip("netns", "list").split()


def _dnsmasq_pid(lab) -> int:
    return int((lab.root / "dnsmasq.pid").read_text())


def test_up_status_exec_down(lab):
    """A whole cycle, with what each command prints and what really exists in between."""
    status = lab("status")
    assert status.returncode == 2 and f"VM lab {lab.name} ({lab.network}) is down" in status.stdout

    up = lab("up")
    assert up.returncode == 0, up.stderr
    bridge, server, host = f"{lab.name}-br", lab.network.network_address + 1, lab.network.broadcast_address - 1
    assert f"  made:    namespace {lab.name}" in up.stdout and f"  made:    bridge {bridge}" in up.stdout
    assert f"CONTRACTOR_HOST=http://{host}:8000" in up.stdout  # the next steps name the lab's own addresses
    assert lab.name in _ip("netns", "list").split()
    assert f"inet {host}/24" in _ip("-o", "addr", "show", "dev", bridge)
    assert f"master {bridge}" in _ip("-o", "link", "show", f"{lab.name}-h")
    pid = _dnsmasq_pid(lab)
    in_namespace = _ip("netns", "pids", lab.name).split()
    assert str(pid) in in_namespace, (pid, in_namespace)  # dnsmasq runs inside the lab, not here
    assert f"interface={lab.name}-n" in (lab.root / "dnsmasq.conf").read_text()
    recorded = json.loads((lab.root / "lab.json").read_text())
    assert (recorded["network"], recorded["links"]) == (str(lab.network), [bridge, f"{lab.name}-h"])

    again = lab("up", network=None)  # the recorded range is used
    assert again.returncode == 0, again.stderr
    assert "made:" not in again.stdout and "started:" not in again.stdout
    assert f"  there:   dnsmasq (pid {pid})" in again.stdout and _dnsmasq_pid(lab) == pid

    status = lab("status")
    assert status.returncode == 0 and "is up" in status.stdout and f"up   dnsmasq (pid {pid})" in status.stdout

    inside = lab("exec", "ip", "-o", "-4", "addr", "show")
    assert inside.returncode == 0 and f"inet {server}/24" in inside.stdout and str(host) not in inside.stdout

    down = lab("down")
    assert down.returncode == 0, down.stderr
    assert f"stopped: dnsmasq (pid {pid})" in down.stdout and f"deleted: namespace {lab.name}" in down.stdout
    assert lab.name not in _ip("netns", "list").split() and lab.name not in _ip("-o", "link", "show")
    assert not os.path.exists(f"/proc/{pid}") or "Z" in Path(f"/proc/{pid}/stat").read_text().rsplit(")")[1][:3]
    assert lab("status").returncode == 2
    assert lab("down").returncode == 0  # nothing left to do is not an error


def test_up_mends_a_lab_that_lost_a_part(lab):
    """dnsmasq killed and the bridge's address removed: up puts back only those."""
    assert lab("up").returncode == 0
    bridge, host = f"{lab.name}-br", lab.network.broadcast_address - 1
    os.kill(_dnsmasq_pid(lab), 9)
    subprocess.run(["ip", "addr", "del", f"{host}/24", "dev", bridge], check=True)
    status = lab("status")
    assert status.returncode == 1 and "MISSING dnsmasq" in status.stdout and "partly up" in status.stdout
    mended = lab("up")
    assert mended.returncode == 0, mended.stderr
    assert f"  made:    {host}/24 on {bridge}" in mended.stdout and "  started: dnsmasq" in mended.stdout
    assert "made:    namespace" not in mended.stdout
    assert lab("status").returncode == 0


def test_a_range_in_use_or_a_foreign_namespace_is_refused(lab, tmp_path):
    """A range another interface holds is refused, naming it; so is a namespace vm-lab did not make."""
    assert lab("up").returncode == 0
    taken = str(lab.network)
    other = subprocess.run(
        [sys.executable, str(SCRIPT), "--name", lab.name + "x", "--dir", str(tmp_path), "--network", taken, "up"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert other.returncode == 3 and f"{taken} overlaps" in other.stderr and f"{lab.name}-br" in other.stderr
    assert lab.name + "x" not in _ip("netns", "list").split()
    foreign = subprocess.run(
        [sys.executable, str(SCRIPT), "--name", lab.name, "--dir", str(tmp_path / "elsewhere"), "up"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert foreign.returncode == 3 and "was not made by vm-lab" in foreign.stderr
