"""PXE sync: rendering a plan for dnsmasq, and a real dnsmasq handing a real DHCP client what Contractor planned."""

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from subcontractor_support import need_binary, wait_for

from subcontractor.handlers import HandlerError
from subcontractor.handlers.pxe import pxe_render, pxe_sync

WEB1 = {"mac": "52:54:00:00:00:20", "address": "10.250.0.20", "hostname": "web1", "boot": "http://c/boot/web1.ipxe"}
WEB2 = {"mac": "52:54:00:00:00:21", "address": "10.250.0.21", "hostname": "web2", "boot": "http://c/boot/web2.ipxe"}
POOL = {"start": "10.250.0.100", "end": "10.250.0.150", "netmask": "255.255.255.0", "boot": "http://c/boot/any.ipxe"}


def plan(*static, dynamic=(POOL,)):
    return {"static": list(static), "dynamic": list(dynamic), "boot_file": "undionly.kpxe", "tftp_server": "10.250.0.1"}


def paths(tmp_path):
    return {"hosts_dir": tmp_path / "hosts", "opts_dir": tmp_path / "opts", "conf": tmp_path / "dnsmasq.conf"}


def test_render_one_file_per_host_and_a_conf_part(tmp_path):
    """Each static host becomes a dhcp-host line (tagged) and an iPXE boot option; pools and boot go in the conf."""
    files = pxe_render(plan(WEB1), hosts_dir=tmp_path / "h", opts_dir=tmp_path / "o")
    assert files.hosts == {"52-54-00-00-00-20": "52:54:00:00:00:20,set:h525400000020,10.250.0.20,web1\n"}
    assert files.opts == {
        "52-54-00-00-00-20": "tag:h525400000020,tag:ipxe,option:bootfile-name,http://c/boot/web1.ipxe\n"
    }
    lines = files.conf.splitlines()
    assert f"dhcp-hostsdir={tmp_path / 'h'}" in lines
    assert "dhcp-range=10.250.0.0,static,255.255.255.0" in lines
    assert "dhcp-range=set:pool0,10.250.0.100,10.250.0.150,255.255.255.0,1h" in lines
    assert "dhcp-option=tag:pool0,tag:!known,tag:ipxe,option:bootfile-name,http://c/boot/any.ipxe" in lines
    assert "dhcp-boot=tag:!ipxe,undionly.kpxe,,10.250.0.1" in lines


def test_render_tells_uefi_clients_apart(tmp_path):
    """With an efi_boot_file (Contractor's plans have one), a firmware whose client-arch is x86-64 UEFI (7 or 9)
    loads it, and the BIOS boot file is kept for the others; iPXE gets its boot script either way."""
    files = pxe_render({**plan(WEB1), "efi_boot_file": "ipxe.efi"}, hosts_dir=tmp_path / "h", opts_dir=tmp_path / "o")
    lines = files.conf.splitlines()
    assert "dhcp-match=set:efi64,option:client-arch,7" in lines and "dhcp-match=set:efi64,option:client-arch,9" in lines
    assert "dhcp-boot=tag:!ipxe,tag:!efi64,undionly.kpxe,,10.250.0.1" in lines
    assert "dhcp-boot=tag:!ipxe,tag:efi64,ipxe.efi,,10.250.0.1" in lines
    assert not any(line.startswith("dhcp-boot=tag:!ipxe,undionly") for line in lines)


@pytest.mark.parametrize("server", [None, ""])
def test_render_without_a_tftp_server_lets_dnsmasq_serve_tftp(tmp_path, server):
    """No TFTP server in the plan (Contractor's default sends an empty one) boots from dnsmasq's own TFTP."""
    files = pxe_render({**plan(WEB1), "tftp_server": server}, hosts_dir=tmp_path / "h", opts_dir=tmp_path / "o")
    assert "dhcp-boot=tag:!ipxe,undionly.kpxe" in files.conf.splitlines()


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ({"static": [{**WEB1, "mac": "52:54:00:00:20"}]}, r"static\[0\].mac is not a MAC address"),
        ({"static": [{**WEB1, "address": "10.250.0.300"}]}, r"static\[0\].address is not an IPv4 address"),
        ({"static": [{**WEB1, "hostname": "web 1"}]}, r"static\[0\].hostname"),
        ({"static": [{**WEB1, "boot": "http://c/a,b"}]}, r"static\[0\].boot must be a URL"),
        ({"dynamic": [{**POOL, "lease": "forever"}]}, r"dynamic\[0\].lease"),
        ({"boot_file": "a file"}, "boot_file must be a file name"),
        ({"efi_boot_file": "ipxe,efi"}, "efi_boot_file must be a file name"),
    ],
)
def test_render_refuses_bad_entries_naming_them(tmp_path, bad, message):
    """A plan entry that would break (or inject into) dnsmasq's config is refused, naming the entry."""
    with pytest.raises(HandlerError, match=message):
        pxe_render({**plan(), **bad}, hosts_dir=tmp_path, opts_dir=tmp_path)


def _hup_target() -> subprocess.Popen:
    """A process that SIGHUP ends, even when this one ignores SIGHUP (run under nohup, say): it would inherit that."""
    return subprocess.Popen(["sleep", "60"], preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL))


def test_sync_writes_only_what_changed_and_signals_when_needed(tmp_path):
    """Unchanged plans write nothing; new hosts need no signal; removed hosts and conf changes send SIGHUP."""
    sleeper = _hup_target()
    hups = []
    try:
        (tmp_path / "pid").write_text(f"{sleeper.pid}\n")
        signal.signal(signal.SIGUSR1, signal.SIG_DFL)
        first = pxe_sync(plan(WEB1), **paths(tmp_path), pid_file=tmp_path / "pid")
        assert first["added"] == ["52-54-00-00-00-20", "52-54-00-00-00-20"] and first["conf_changed"]
        assert first["signalled"] == "SIGHUP"
        sleeper.wait(timeout=5)
        hups.append(sleeper.returncode)
        sleeper = _hup_target()
        (tmp_path / "pid").write_text(f"{sleeper.pid}\n")
        again = pxe_sync(plan(WEB1), **paths(tmp_path), pid_file=tmp_path / "pid")
        assert again == {"added": [], "changed": [], "removed": [], "conf_changed": False, "signalled": None}
        added = pxe_sync(plan(WEB1, WEB2), **paths(tmp_path), pid_file=tmp_path / "pid")
        assert added["added"] and added["signalled"] is None
        removed = pxe_sync(plan(WEB2), **paths(tmp_path), pid_file=tmp_path / "pid")
        assert removed["removed"] == ["52-54-00-00-00-20", "52-54-00-00-00-20"]
        assert removed["signalled"] == "SIGHUP"
        sleeper.wait(timeout=5)
        hups.append(sleeper.returncode)
    finally:
        sleeper.kill()
    assert hups == [-signal.SIGHUP, -signal.SIGHUP]
    assert sorted(os.listdir(tmp_path / "hosts")) == ["52-54-00-00-00-21"]


def test_conf_change_runs_the_restart_command(tmp_path):
    """With pxe.restart_command set, a changed conf part runs it instead of sending SIGHUP."""
    marker = tmp_path / "restarted"
    command = ["sh", "-c", f"echo yes >> {marker}"]
    assert pxe_sync(plan(WEB1), **paths(tmp_path), restart_command=command)["signalled"] == "restart"
    assert pxe_sync(plan(WEB1), **paths(tmp_path), restart_command=command)["signalled"] is None
    assert marker.read_text() == "yes\n"


class Lab:
    """Two network namespaces joined by a veth pair: dnsmasq on 10.250.0.1/24 in one, DHCP clients in the other."""

    def __init__(self, root):
        self.root = root
        tag = f"{os.getpid() % 100000}"
        self.server_ns, self.client_ns = f"sc{tag}s", f"sc{tag}c"
        self.server_if, self.client_if = f"sc{tag}a", f"sc{tag}b"
        self.dnsmasq = None
        # dnsmasq drops to nobody: what it reads later (hosts and opts dirs, TFTP root) must be reachable by
        # everyone, which pytest's tmp_path is not.
        self.shared = Path(tempfile.mkdtemp(prefix="subcontractor-pxe-"))
        self.shared.chmod(0o755)
        self.ip("netns", "add", self.server_ns)
        self.ip("netns", "add", self.client_ns)
        self.ip("link", "add", self.server_if, "type", "veth", "peer", "name", self.client_if)
        self.ip("link", "set", self.server_if, "netns", self.server_ns)
        self.ip("link", "set", self.client_if, "netns", self.client_ns)
        self.ip("-n", self.server_ns, "addr", "add", "10.250.0.1/24", "dev", self.server_if)
        self.ip("-n", self.server_ns, "link", "set", self.server_if, "up")
        self.ip("-n", self.client_ns, "link", "set", self.client_if, "up")
        self.script = root / "udhcpc.sh"
        self.script.write_text(
            '#!/bin/sh\n[ "$1" = bound ] && echo "ip=$ip siaddr=$siaddr boot_file=$boot_file hostname=$hostname"'
            f" > {root}/lease.out\nexit 0\n"
        )
        self.script.chmod(0o755)

    @staticmethod
    def ip(*args):
        subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)

    def start_dnsmasq(self, conf):
        self.dnsmasq = subprocess.Popen(self.dnsmasq_command(conf, "--keep-in-foreground"))
        wait_for(lambda: self._started())
        return int((self.root / "pid").read_text())

    def restart_script(self, conf) -> Path:
        """A restart_command as an operator's would be: stop the dnsmasq of the pid file, start one (it forks off)."""
        script = self.root / "restart-dnsmasq"
        pid = self.root / "pid"
        # (gone once it is a zombie: PID 1 here reaps orphans only every second or two, and kill -0 finds a zombie)
        script.write_text(
            f'#!/bin/sh\npid=$(cat "{pid}" 2>/dev/null) && kill "$pid" 2>/dev/null && '
            f'while kill -0 "$pid" 2>/dev/null && [ "$(cut -d" " -f3 /proc/"$pid"/stat 2>/dev/null)" != Z ]; '
            f'do sleep 0.05; done\nrm -f "{pid}"\n' + " ".join(self.dnsmasq_command(conf)) + "\n"
        )
        script.chmod(0o755)
        return script

    def dnsmasq_pid(self) -> int | None:
        try:
            pid = int((self.root / "pid").read_text())
            os.kill(pid, 0)
        except (OSError, ValueError):
            return None
        return pid

    def dnsmasq_command(self, conf, *extra):
        tftp = self.shared / "tftp"
        tftp.mkdir(exist_ok=True)
        (tftp / "undionly.kpxe").write_bytes(b"\0" * 64)
        return [
            "ip",
            "netns",
            "exec",
            self.server_ns,
            need_binary("dnsmasq", "dnsmasq-base"),
            *extra,
            f"--conf-file={conf}",
            "--port=0",
            f"--interface={self.server_if}",
            "--bind-interfaces",
            "--no-ping",
            "--no-resolv",
            "--no-hosts",
            "--enable-tftp",
            f"--tftp-root={tftp}",
            f"--pid-file={self.root / 'pid'}",
            f"--dhcp-leasefile={self.root / 'leases'}",
            "--log-dhcp",
            f"--log-facility={self.root / 'dnsmasq.log'}",
        ]

    def _started(self):
        if self.dnsmasq.poll() is not None:
            raise AssertionError(f"dnsmasq exited: {(self.root / 'dnsmasq.log').read_text()}")
        return (self.root / "pid").exists() and (self.root / "pid").read_text().strip()

    def lease(self, mac, *, ipxe=False, arch=None):
        """Run udhcpc in the client namespace with this MAC; returns what the DHCP server offered."""
        self.ip("-n", self.client_ns, "link", "set", self.client_if, "down")
        self.ip("-n", self.client_ns, "link", "set", self.client_if, "address", mac)
        self.ip("-n", self.client_ns, "link", "set", self.client_if, "up")
        out = self.root / "lease.out"
        out.unlink(missing_ok=True)
        extra = ["-x", "0xaf:01"] if ipxe else []  # DHCP option 175 is how iPXE identifies itself
        if arch is not None:
            extra += ["-x", f"0x5d:{arch:04x}"]  # option 93, client-arch: 7 is x86-64 UEFI firmware
        command = ["ip", "netns", "exec", self.client_ns, need_binary("udhcpc", "udhcpc"), "-i", self.client_if]
        command += ["-n", "-q", "-f", "-t", "5", "-T", "1", "-s", str(self.script), *extra]
        subprocess.run(command, capture_output=True, timeout=30)
        if not out.exists():
            raise AssertionError(f"no lease for {mac}; dnsmasq log:\n{(self.root / 'dnsmasq.log').read_text()}")
        return dict(item.split("=", 1) for item in out.read_text().split())

    def close(self):
        if (pid := self.dnsmasq_pid()) is not None:
            os.kill(pid, signal.SIGTERM)
        if self.dnsmasq:
            self.dnsmasq.terminate()
            try:
                self.dnsmasq.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.dnsmasq.kill()
        for ns in (self.server_ns, self.client_ns):
            pids = subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split()
            for pid in pids:
                os.kill(int(pid), signal.SIGKILL)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        shutil.rmtree(self.shared)


@pytest.fixture
def lab(tmp_path):
    need_binary("ip", "iproute2")
    need_binary("dnsmasq", "dnsmasq-base")
    need_binary("udhcpc", "udhcpc")
    if os.geteuid() != 0:
        pytest.skip("needs root to create network namespaces (ip netns)")
    built = Lab(tmp_path)
    yield built
    built.close()


@pytest.mark.slow
def test_dnsmasq_gives_clients_what_contractor_planned(lab):
    """A real DHCP client gets its planned address, host name, TFTP boot file and iPXE chain URL; a host added
    later is served without a dnsmasq restart; an unplanned MAC gets a pool address and the pool's boot URL."""
    pxe_sync(plan(WEB1), **paths(lab.shared), pid_file=lab.root / "pid")
    pid = lab.start_dnsmasq(lab.shared / "dnsmasq.conf")

    first = lab.lease(WEB1["mac"])
    assert first == {"ip": "10.250.0.20", "siaddr": "10.250.0.1", "boot_file": "undionly.kpxe", "hostname": "web1"}
    assert lab.lease(WEB1["mac"], ipxe=True)["boot_file"] == "http://c/boot/web1.ipxe"

    report = pxe_sync(plan(WEB1, WEB2), **paths(lab.shared), pid_file=lab.root / "pid")
    assert report["added"] and not report["conf_changed"] and report["signalled"] is None
    time.sleep(0.2)  # dnsmasq notices the new file through inotify
    second = lab.lease(WEB2["mac"])
    assert (second["ip"], second["hostname"], second["boot_file"]) == ("10.250.0.21", "web2", "undionly.kpxe")
    assert lab.lease(WEB2["mac"], ipxe=True)["boot_file"] == "http://c/boot/web2.ipxe"
    assert lab.dnsmasq.poll() is None and int((lab.root / "pid").read_text()) == pid, "same dnsmasq, no restart"

    stranger = lab.lease("52:54:00:00:00:99", ipxe=True)
    assert 100 <= int(stranger["ip"].rsplit(".", 1)[1]) <= 150
    assert stranger["boot_file"] == "http://c/boot/any.ipxe"


@pytest.mark.slow
def test_dnsmasq_hands_a_uefi_firmware_the_efi_boot_file(lab):
    """A client saying client-arch 7 or 9 (x86-64 UEFI, as OVMF's own PXE does) gets efi_boot_file, a BIOS one
    boot_file, and iPXE (either) its boot script."""
    pxe_sync({**plan(WEB1), "efi_boot_file": "ipxe.efi"}, **paths(lab.shared), pid_file=lab.root / "pid")
    lab.start_dnsmasq(lab.shared / "dnsmasq.conf")
    assert lab.lease(WEB1["mac"], arch=7)["boot_file"] == "ipxe.efi"
    assert lab.lease(WEB1["mac"], arch=9)["boot_file"] == "ipxe.efi"
    assert lab.lease(WEB1["mac"], arch=0)["boot_file"] == "undionly.kpxe"
    assert lab.lease(WEB1["mac"])["boot_file"] == "undionly.kpxe"
    assert lab.lease(WEB1["mac"], ipxe=True, arch=7)["boot_file"] == "http://c/boot/web1.ipxe"


@pytest.mark.slow
def test_with_a_restart_command_dnsmasq_is_restarted_not_hung_up_and_started_again_when_gone(lab):
    """A removed host after a lease: dnsmasq is restarted, not sent the SIGHUP that crashes 2.86-2.90 (the removed
    host now gets a pool address, the other its planned one); a dnsmasq that died is started by the next sync."""
    conf = lab.shared / "dnsmasq.conf"
    restart = [str(lab.restart_script(conf))]
    sync = {**paths(lab.shared), "pid_file": lab.root / "pid", "restart_command": restart}
    assert pxe_sync(plan(WEB1, WEB2), **sync)["signalled"] == "restart"  # none ran: started
    wait_for(lab.dnsmasq_pid)
    first = lab.dnsmasq_pid()
    assert lab.lease(WEB1["mac"])["ip"] == "10.250.0.20"

    report = pxe_sync(plan(WEB2), **sync)
    assert report["removed"] and report["signalled"] == "restart"
    wait_for(lab.dnsmasq_pid)
    assert lab.dnsmasq_pid() != first
    assert lab.lease(WEB2["mac"])["ip"] == "10.250.0.21"
    assert 100 <= int(lab.lease(WEB1["mac"])["ip"].rsplit(".", 1)[1]) <= 150, "no longer planned: a pool address"
    assert pxe_sync(plan(WEB2), **sync)["signalled"] is None, "running and nothing changed: left alone"

    os.kill(lab.dnsmasq_pid(), signal.SIGKILL)
    wait_for(lambda: lab.dnsmasq_pid() is None)
    assert pxe_sync(plan(WEB2), **sync)["signalled"] == "restart"
    wait_for(lab.dnsmasq_pid)
    assert lab.lease(WEB2["mac"])["ip"] == "10.250.0.21"
