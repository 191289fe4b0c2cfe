"""The discovery image's fact reading (images/installer/discover) run by busybox's sh, as in the image, against
this machine's own kernel: its JSON parses and says what /proc and /sys say."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

DISCOVER = Path(__file__).resolve().parents[2] / "images" / "installer" / "discover"

pytestmark = pytest.mark.skipif(shutil.which("busybox") is None, reason="busybox (the image's shell) is not installed")


def run_facts(tmp_path, block: str = "/sys/block") -> dict:
    """Only the functions of the script (not its report and poll), with `ip` a no-op: the test brings no link up;
    `block` stands for /sys/block."""
    text = DISCOVER.read_text().replace("/sys/block/*", f"{block}/*")
    functions = text[text.index("jstr() {") : text.index("\nMAC=")]
    script = tmp_path / "facts.sh"
    script.write_text("ip() { :; }\n" + functions + "\nfacts\n")
    done = subprocess.run(["busybox", "sh", str(script)], capture_output=True, text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def test_the_facts_are_this_machines(tmp_path):
    """CPU count, memory, interfaces with their MACs, block devices with sizes and PCI IDs as the kernel has them."""
    facts = run_facts(tmp_path)
    cpuinfo = Path("/proc/cpuinfo").read_text()
    assert facts["cpu_count"] == len(re.findall(r"^processor\s*:", cpuinfo, re.M))
    mem_kb = int(re.search(r"^MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text(), re.M).group(1))
    assert facts["memory_mb"] == mem_kb // 1024
    net = {p.name: (p / "address").read_text().strip() for p in Path("/sys/class/net").iterdir() if p.name != "lo"}
    assert {i["name"]: i["mac"] for i in facts["interfaces"]} == net
    for disk in facts["disks"]:
        assert disk["size_bytes"] == int(Path(f"/sys/block/{disk['name']}/size").read_text()) * 512
    pci = (
        sorted(p.name for p in Path("/sys/bus/pci/devices").iterdir()) if Path("/sys/bus/pci/devices").exists() else []
    )
    assert sorted(d["address"] for d in facts["pci_devices"]) == pci
    for device in facts["pci_devices"]:
        assert not device["vendor"].startswith("0x") and len(device["vendor"]) == 4
    assert set(facts["dmi"]) == {"vendor", "product", "serial", "uuid"}


def test_strings_are_escaped(tmp_path):
    """A quote, a backslash and a control character in a value still make valid JSON (jstr)."""
    text = DISCOVER.read_text()
    jstr = text[text.index("jstr() {") : text.index("jnum() {")]
    (tmp_path / "value").write_text('a"b\\c\tz ')
    script = tmp_path / "jstr.sh"
    script.write_text(jstr + '\njstr "$(cat "$1")"\n')
    done = subprocess.run(
        ["busybox", "sh", str(script), str(tmp_path / "value")], capture_output=True, text=True, timeout=60, check=True
    )
    assert json.loads(done.stdout) == 'a"b\\cz'


def test_a_machine_without_disks_reports_none(tmp_path):
    """No block device at all (a diskless VM, seen booting the image): an empty list, not the unexpanded pattern."""
    empty = tmp_path / "block"
    empty.mkdir()
    assert run_facts(tmp_path, block=str(empty))["disks"] == []
