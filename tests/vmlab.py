"""A VM lab for tests: libvirtd, a network namespace with dnsmasq, and the bridge real QEMU VMs PXE-boot on.

The network. Each lab picks a random suffix (``vpXXXX``) and a random /24 ``10.A.B.0``:

    main namespace                                   namespace vpXXXX
    VM taps -- bridge vpXXXXb (10.A.B.254) -- veth vpXXXXh == vpXXXXn (10.A.B.1, fdxx::1/64)
                  ^ Contractor / test HTTP servers      ^ dnsmasq (DHCP, TFTP, router adverts), subcontractor

- dnsmasq runs inside the namespace on ``lab.server_address`` (10.A.B.1). Its per-host and PXE config is
  written by the subcontractor's own PXE sync (``subcontractor.handlers.pxe.pxe_sync``) from a Contractor
  PXE plan: ``lab.pxe_sync(plan)`` from a test, or a subcontractor daemon with ``[pxe]`` = ``lab.pxe_section()``.
  The namespace side also has an IPv6 ULA and dnsmasq sends router adverts, or iPXE waits ~13 s for IPv6.
- HTTP servers the VMs must reach (Contractor's gunicorn, or a test's stand-in for its boot endpoints) stay in
  the main namespace and bind ``lab.host_address`` (10.A.B.254, the bridge's address): VMs and the
  subcontractor reach them with their real source address, which the boot endpoints identify a VM by.
  Contractor's ``CONTRACTOR_HOST`` is then ``http://10.A.B.254:PORT``; bind 127.0.0.1 as well for the test's
  own API calls.
- The subcontractor daemon runs inside the namespace (``lab.popen([...])`` = ``ip netns exec``), so its
  ``iputils`` port checks travel over the lab network to the VMs and never leave from the main namespace
  (where a connect to a non-loopback address can be answered falsely). It reaches Contractor at
  ``http://10.A.B.254:PORT`` and libvirtd through its Unix socket (a file path, the same in every namespace).

Using it from another test module (the end-to-end tests do this)::

    from vmlab import installer_image, libvirt_daemon, vm_accelerator, vm_lab  # noqa: F401 - fixtures, in conftest.py

    def test_boot(vm_lab):
        url = f"http://{vm_lab.host_address}:{port}"          # bind gunicorn to vm_lab.host_address:port too
        vm_lab.pxe_section()                                   # the [pxe] table of the subcontractor's config
        daemon = vm_lab.popen([sys.executable, "-m", "subcontractor", "--config", str(toml)], log=path)
        vm_lab.address(20)                                     # "10.A.B.20", a planned static address
        vm_lab.bridge                                          # the bridge name for libvirt.create interfaces
        vm_lab.serial_log(name)                                # a path for create's serial_log; .serial(name)
        vm_lab.port_open(vm_lab.address(20), 22)               # a TCP connect from inside the namespace
        installer_image / "vmlinuz"                            # scripts/build-installer's output (session)
        vm_accelerator                                         # "kvm" only if KVM really boots it, else "tcg"

``tests/`` is on sys.path for test packages directly under it (pytest's rootdir-relative import of
tests/e2e/__init__.py puts it there); elsewhere (tests/plugins/..., no __init__.py) add it in your conftest as
tests/subcontractor/conftest.py does. Contractor's boot script for the installer image: docs/installer.md.
tests/subcontractor/test_installer_boot.py is a worked example (a stand-in for Contractor's boot endpoints,
and a subcontractor daemon inside the namespace doing libvirt, PXE sync and iputils). At the end the lab
destroys every libvirt VM with a NIC on its bridge (also those a subcontractor made), kills every process in
the namespace, and deletes the namespace and bridge, even when the test failed (and the next lab started
sweeps up after a test process that was killed: ``sweep_stale_labs()``); ``vm_lab.report()`` (printed
on failure) shows the serial logs and dnsmasq's log. Needs root, ``ip``, dnsmasq, QEMU and libvirt
(``vm_support_problem()`` says what is missing; the fixtures skip with that reason only then).
"""

import ipaddress
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
LIBVIRT_URI = "qemu:///system"
QEMU_CONF = Path("/etc/libvirt/qemu.conf")
# libvirtd resolves its compiled-in QEMU user before it reads qemu.conf, so the user must exist.
QEMU_USER = "libvirt-qemu"
QEMU_SETTINGS = {"user": '"root"', "group": '"root"', "stdio_handler": '"file"'}
# One marker per started lab, naming the test process that owns it, so a later run can sweep up after a killed one.
REGISTRY = Path("/run/contractor-vmlab")

__all__ = [
    "LIBVIRT_URI",
    "Lab",
    "Libvirtd",
    "SerialLog",
    "all_domains",
    "build_installer",
    "installer_image",
    "libvirt_daemon",
    "probe_accelerator",
    "sweep_stale_labs",
    "vm_accelerator",
    "vm_lab",
    "vm_support_problem",
]


def wait_until(predicate, timeout: float, interval: float = 0.1):
    """Poll until predicate() is truthy and return it; None after timeout seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value or None
        time.sleep(interval)


def _run(command: list[str], check: bool = True, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(command, check=check, capture_output=True, text=True, timeout=60, **kwargs)


def vm_support_problem() -> str | None:
    """Why real VMs cannot run here (missing package, not root), or None when they can."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, bridges, libvirtd)"
    for binary, package in (
        ("qemu-system-x86_64", "qemu-system-x86"),
        ("libvirtd", "libvirt-daemon libvirt-daemon-driver-qemu"),
        ("dnsmasq", "dnsmasq-base"),
        ("ip", "iproute2"),
        ("qemu-img", "qemu-utils"),
    ):
        if not (shutil.which(binary) or os.path.exists(f"/usr/sbin/{binary}")):
            return f"needs {binary}: apt-get install {package}"
    if not Path("/usr/lib/ipxe/qemu").is_dir():
        return "needs the NICs' PXE ROMs: apt-get install ipxe-qemu"
    if not Path("/dev/net/tun").exists():
        return "needs /dev/net/tun for the VMs' NICs"
    try:
        import libvirt  # noqa: F401
    except ImportError:
        return "needs libvirt-python: pip install -e '.[libvirt]' (apt libvirt-dev pkg-config to build it)"
    return None


# --- libvirtd --------------------------------------------------------------------------------------------------


class Libvirtd:
    """The host's libvirtd: used when one answers on qemu:///system, else configured and started (and stopped)."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None

    @staticmethod
    def answers() -> bool:
        import libvirt

        libvirt.registerErrorHandler(lambda _context, _error: None, None)
        try:
            libvirt.open(LIBVIRT_URI).close()
        except libvirt.libvirtError:
            return False
        return True

    def ensure(self) -> "Libvirtd":
        if self.answers():
            return self
        configure_qemu()
        for directory in ("/var/log/libvirt", "/var/lib/libvirt/images", "/run/libvirt"):
            os.makedirs(directory, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_dir / "libvirtd.log", "a") as log:
            # In the foreground (no -d) so we hold its PID; its own pid file lock stops a second daemon.
            self.process = subprocess.Popen(["libvirtd"], stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait_until(lambda: self.answers() or self.process.poll() is not None, 60, 0.2)
        if self.process.poll() is not None:
            # It exited: another test run started a libvirtd at the same moment (and holds its pid file).
            self.process = None
        if not wait_until(self.answers, 30, 0.2):
            pytest.fail(f"libvirtd did not start; see {self.log_dir / 'libvirtd.log'}")
        return self

    def stop(self) -> None:
        """Stop libvirtd if this object started it and no VM is left defined (someone else may be using it)."""
        if self.process is None:
            return
        import libvirt

        try:
            connection = libvirt.open(LIBVIRT_URI)
            busy = connection.listAllDomains()
            connection.close()
        except libvirt.libvirtError:
            busy = []
        if busy:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


def configure_qemu() -> None:
    """Run QEMU as root and log its stdio to files: without this every libvirt call here took about 60 s."""
    if _run(["getent", "passwd", QEMU_USER], check=False).returncode != 0:
        _run(["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", QEMU_USER])
    QEMU_CONF.parent.mkdir(parents=True, exist_ok=True)
    lines = QEMU_CONF.read_text().splitlines() if QEMU_CONF.exists() else []
    kept = [line for line in lines if line.split("=")[0].strip() not in QEMU_SETTINGS]
    wanted = kept + [f"{key} = {value}" for key, value in QEMU_SETTINGS.items()]
    if wanted != lines:
        QEMU_CONF.write_text("\n".join(wanted) + "\n")


# --- serial consoles -------------------------------------------------------------------------------------------


class SerialLog:
    """Follows a VM's serial log file, stamping each line with the time it appeared (for the test's figures)."""

    def __init__(self, path: Path):
        self.path = path
        self.lines: list[tuple[float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True)
        self._thread.start()

    def _follow(self) -> None:
        offset, partial = 0, b""
        while not self._stop.is_set():
            try:
                with open(self.path, "rb") as stream:
                    stream.seek(offset)
                    data = stream.read()
            except FileNotFoundError:
                data = b""
            offset += len(data)
            partial += data
            *complete, partial = partial.split(b"\n")
            now = time.monotonic()
            self.lines.extend((now, line.decode(errors="replace").rstrip("\r")) for line in complete)
            self._stop.wait(0.05)

    def find(self, pattern: str) -> tuple[float, str] | None:
        """The first (time, line) whose line matches the regular expression."""
        regex = re.compile(pattern)
        return next(((at, line) for at, line in list(self.lines) if regex.search(line)), None)

    def wait_for(self, pattern: str, timeout: float) -> tuple[float, str]:
        found = wait_until(lambda: self.find(pattern), timeout, 0.1)
        if found is None:
            raise AssertionError(f"no serial line matching {pattern!r} within {timeout:g} s:\n{self.text()[-4000:]}")
        return found

    def text(self) -> str:
        return "\n".join(line for _at, line in self.lines)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


# --- the lab ---------------------------------------------------------------------------------------------------


class Lab:
    """One lab network (namespace, veth pair, bridge, dnsmasq) and the VMs on it; see the module docstring."""

    def __init__(self, root: Path, suffix: str = ""):
        self.root = root
        self.suffix = suffix or "".join(random.choice("0123456789abcdef") for _ in range(4))
        self.namespace = f"vp{self.suffix}"
        self.bridge, self.host_veth, self.lab_veth = f"vp{self.suffix}b", f"vp{self.suffix}h", f"vp{self.suffix}n"
        self.network = _free_network()
        self.ula = ipaddress.IPv6Network(((0xFD << 120) | (random.getrandbits(56) << 64), 64))  # a random ULA /64
        self.processes: list[subprocess.Popen] = []
        self.serials: dict[str, SerialLog] = {}
        self.dnsmasq_conf = root / "dnsmasq.conf"
        self.pxe_dir = root / "pxe"
        self.tftp_root = root / "tftp"
        self.started = False

    # addresses
    def address(self, index: int) -> str:
        return str(self.network.network_address + index)

    @property
    def server_address(self) -> str:
        return self.address(1)

    @property
    def host_address(self) -> str:
        return self.address(254)

    @property
    def netmask(self) -> str:
        return str(self.network.netmask)

    # setting up and tearing down
    def start(self) -> "Lab":
        sweep_stale_labs()
        self.root.mkdir(parents=True, exist_ok=True)
        REGISTRY.mkdir(parents=True, exist_ok=True)
        (REGISTRY / self.namespace).write_text(json.dumps({"pid": os.getpid(), "root": str(self.root)}))
        self.started = True
        ns, prefix = self.namespace, self.network.prefixlen
        for command in (
            ["ip", "netns", "add", ns],
            ["ip", "link", "add", self.host_veth, "type", "veth", "peer", "name", self.lab_veth],
            ["ip", "link", "set", self.lab_veth, "netns", ns],
            ["ip", "link", "add", self.bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0"],
            ["ip", "link", "set", self.host_veth, "master", self.bridge],
            ["ip", "addr", "add", f"{self.host_address}/{prefix}", "dev", self.bridge],
            ["ip", "link", "set", self.host_veth, "up"],
            ["ip", "link", "set", self.bridge, "up"],
            ["ip", "-n", ns, "link", "set", "lo", "up"],
            ["ip", "-n", ns, "addr", "add", f"{self.server_address}/{prefix}", "dev", self.lab_veth],
            ["ip", "-n", ns, "addr", "add", f"{self.ula.network_address + 1}/64", "dev", self.lab_veth, "nodad"],
            ["ip", "-n", ns, "link", "set", self.lab_veth, "up"],
        ):
            _run(command)
        return self

    def close(self) -> list[str]:
        """Remove the VMs on the bridge, the namespace's processes, the namespace and the bridge; returns problems."""
        problems = []
        for step in (self._destroy_vms, self._destroy_pools, self._kill_processes, self._delete_network):
            try:
                step()
            except Exception as error:  # noqa: BLE001 - every step runs, whatever failed before it
                problems.append(f"{step.__name__}: {error}")
        for serial in self.serials.values():
            serial.stop()
        if not problems:
            (REGISTRY / self.namespace).unlink(missing_ok=True)
        return problems

    def _destroy_vms(self) -> None:
        from subcontractor.handlers.libvirt import destroy

        for uuid in self.vm_uuids():
            destroy({"uri": LIBVIRT_URI, "uuid": uuid})

    def _destroy_pools(self) -> None:
        """Storage pools libvirt.create made for disk directories inside the lab."""
        import libvirt

        connection = libvirt.open(LIBVIRT_URI)
        try:
            for pool in connection.listAllStoragePools():
                if f"<path>{self.root}" in pool.XMLDesc() and pool.isActive():
                    pool.destroy()
        finally:
            connection.close()

    def vm_uuids(self) -> list[str]:
        """UUIDs of the libvirt VMs with a NIC on this lab's bridge."""
        return [uuid for uuid, xml in all_domains().items() if f"bridge='{self.bridge}'" in xml]

    def _kill_processes(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if not self.started:
            return
        for _attempt in range(20):
            pids = _run(["ip", "netns", "pids", self.namespace], check=False).stdout.split()
            if not pids:
                return
            for pid in pids:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.1)

    def _delete_network(self) -> None:
        if not self.started:
            return
        _run(["ip", "netns", "del", self.namespace], check=False)
        _run(["ip", "link", "del", self.bridge], check=False)
        _run(["ip", "link", "del", self.host_veth], check=False)
        leftover = _run(["ip", "-o", "link", "show"], check=False).stdout
        if re.search(rf"\b{self.namespace}[bhn]\b", leftover):
            raise RuntimeError(f"links of {self.namespace} are left: {leftover}")

    # processes in the namespace
    def popen(self, command: list[str], *, log: Path | None = None, **kwargs) -> subprocess.Popen:
        """Start a process inside the namespace; it is killed when the lab closes."""
        output = open(log, "a") if log else subprocess.DEVNULL  # noqa: SIM115 - the child holds it
        env = kwargs.pop("env", None) or {**_python_env(), "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            ["ip", "netns", "exec", self.namespace, *command],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=env,
            **kwargs,
        )
        if log:
            output.close()
        self.processes.append(process)
        return process

    def run(self, command: list[str], **kwargs) -> subprocess.CompletedProcess:
        """Run a command inside the namespace and return what it did."""
        return _run(["ip", "netns", "exec", self.namespace, *command], **kwargs)

    def port_open(self, address: str, port: int, timeout: float = 3) -> str:
        """The subcontractor's own port check (iputils.port_check) from inside the namespace: open/closed/timeout."""
        code = (
            "from subcontractor.handlers.iputils import port_check; "
            "print(port_check({'address': ADDRESS, 'port': PORT, 'timeout': TIMEOUT})['state'])"
        )
        return self._python(code, address, port, timeout)

    def read_banner(self, address: str, port: int, timeout: float = 5) -> str:
        """Connect from inside the namespace and return the first line the listener sends."""
        code = "import socket; print(socket.create_connection((ADDRESS, PORT), timeout=TIMEOUT).makefile().readline())"
        return self._python(code, address, port, timeout)

    def _python(self, code: str, address: str, port: int, timeout: float) -> str:
        prelude = "import sys; ADDRESS, PORT, TIMEOUT = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]); "
        result = self.run([sys.executable, "-c", prelude + code, address, str(port), str(timeout)], env=_python_env())
        return result.stdout.strip()

    # dnsmasq, driven by the subcontractor's PXE sync
    def pxe_section(self, interval: float = 1) -> dict:
        """The ``[pxe]`` table of a subcontractor config that keeps this lab's dnsmasq serving the plan."""
        return {
            "enabled": True,
            "dnsmasq_hosts_dir": str(self.pxe_dir / "hosts"),
            "dnsmasq_opts_dir": str(self.pxe_dir / "opts"),
            "dnsmasq_conf": str(self.pxe_dir / "subcontractor.conf"),
            "dnsmasq_pid_file": str(self.root / "dnsmasq.pid"),
            "restart_command": [str(self._restart_script())],
            "interval": interval,
        }

    def pxe_sync(self, plan: dict) -> dict:
        """Render a Contractor PXE plan into dnsmasq's files with the subcontractor's code, which (re)starts the
        lab's dnsmasq when it must re-read them or is not running."""
        from subcontractor.handlers.pxe import pxe_sync

        section = self.pxe_section()
        return pxe_sync(
            plan,
            hosts_dir=Path(section["dnsmasq_hosts_dir"]),
            opts_dir=Path(section["dnsmasq_opts_dir"]),
            conf=Path(section["dnsmasq_conf"]),
            pid_file=Path(section["dnsmasq_pid_file"]),
            restart_command=section["restart_command"],
        )

    def dnsmasq_running(self) -> bool:
        try:
            return _alive(int((self.root / "dnsmasq.pid").read_text().split()[0]))
        except (FileNotFoundError, ValueError, IndexError):
            return False

    def _restart_script(self) -> Path:
        """A script that (re)starts dnsmasq in the namespace: the subcontractor's pxe.restart_command."""
        script = self.root / "restart-dnsmasq"
        if script.exists():
            return script
        self.tftp_root.mkdir(parents=True, exist_ok=True)
        conf = self.pxe_dir / "subcontractor.conf"
        conf.parent.mkdir(parents=True, exist_ok=True)
        if not conf.exists():
            conf.write_text("# filled by the PXE sync\n")
        self.dnsmasq_conf.write_text(
            "\n".join(
                [
                    "port=0",
                    f"interface={self.lab_veth}",
                    "bind-interfaces",
                    "no-ping",
                    "user=root",
                    "log-dhcp",
                    f"log-facility={self.root / 'dnsmasq.log'}",
                    f"pid-file={self.root / 'dnsmasq.pid'}",
                    f"dhcp-leasefile={self.root / 'dnsmasq.leases'}",
                    "enable-tftp",
                    f"tftp-root={self.tftp_root}",
                    # Router adverts for the ULA: iPXE otherwise waits about 13 s for IPv6 before HTTP.
                    "enable-ra",
                    f"dhcp-range={self.ula.network_address},ra-only,64",
                    # iPXE's no-pxedhcp setting: there is no ProxyDHCP server here, and without it iPXE waits about
                    # 3 s for a ProxyDHCP offer before it takes dnsmasq's, at every boot.
                    "dhcp-option=encap:175,176,1",
                    f"conf-file={conf}",
                ]
            )
            + "\n"
        )
        pid_file = self.root / "dnsmasq.pid"
        # The old dnsmasq has let go of its sockets once it is a zombie (state Z): PID 1 here reaps its orphans only
        # every second or two, and waiting for that (kill -0 succeeds on a zombie) took 1-1.6 s of every restart.
        script.write_text(
            "#!/bin/sh\n# (Re)start the lab's dnsmasq inside its namespace.\n"
            f'pid=$(cat "{pid_file}" 2>/dev/null) && kill "$pid" 2>/dev/null && '
            f'while kill -0 "$pid" 2>/dev/null && [ "$(cut -d" " -f3 /proc/"$pid"/stat 2>/dev/null)" != Z ]; '
            "do sleep 0.05; done\n"
            f'rm -f "{pid_file}"\n'
            f'exec ip netns exec {self.namespace} dnsmasq --conf-file="{self.dnsmasq_conf}"\n'
        )
        script.chmod(0o755)
        return script

    def dnsmasq_log(self) -> str:
        path = self.root / "dnsmasq.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # VMs
    def serial_log(self, name: str) -> str:
        """A path for a VM's serial console (libvirt.create's ``serial_log``), followed from now on."""
        path = self.root / f"serial-{name}.log"
        self.serials.setdefault(name, SerialLog(path))
        return str(path)

    def serial(self, name: str) -> SerialLog:
        return self.serials[name]

    def report(self) -> str:
        """The serial consoles and dnsmasq's log, for a failed test's output."""
        parts = [f"--- serial console of {name}\n{serial.text()[-6000:]}" for name, serial in self.serials.items()]
        parts.append(f"--- dnsmasq log\n{self.dnsmasq_log()[-4000:]}")
        return "\n".join(parts)


def all_domains() -> dict[str, str]:
    """uuid -> domain XML of every VM libvirtd has (one that vanishes meanwhile, another run's, is left out)."""
    import libvirt

    connection = libvirt.open(LIBVIRT_URI)
    domains = {}
    try:
        for domain in connection.listAllDomains():
            try:
                domains[domain.UUIDString()] = domain.XMLDesc()
            except libvirt.libvirtError:
                pass
    finally:
        connection.close()
    return domains


def sweep_stale_labs() -> list[str]:
    """Close the labs whose test process died without closing them (killed runs); returns their namespaces.

    Each started lab leaves a marker in REGISTRY naming its process; a lab whose process is gone is closed
    like any other: its VMs destroyed, its namespace and bridge deleted.
    """
    swept = []
    for marker in sorted(REGISTRY.glob("vp*")) if REGISTRY.is_dir() else []:
        try:
            owner = json.loads(marker.read_text())
        except (OSError, ValueError):
            continue
        if _alive(owner.get("pid", 0)):
            continue
        stale = Lab(Path(owner.get("root", "/nonexistent")), suffix=marker.name[2:])
        stale.started = True
        if not stale.close():
            swept.append(stale.namespace)
    return swept


def _alive(pid: int) -> bool:
    """Whether the process runs; a killed one stays a zombie until its parent (often PID 1 here) reaps it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError, ValueError):
        return False
    return state != "Z"


def _python_env() -> dict:
    """The environment for Python processes in the namespace: the repository importable, no HTTP proxy
    (the lab's addresses are reached directly)."""
    env = {key: value for key, value in os.environ.items() if key.lower() not in ("http_proxy", "https_proxy")}
    return {**env, "PYTHONPATH": str(REPO)}


def _free_network() -> ipaddress.IPv4Network:
    """A random 10.x.y.0/24 that no interface of the main namespace uses (several labs may run at once)."""
    used = "".join(_run(["ip", "-4", *args], check=False).stdout for args in (["-o", "addr", "show"], ["route"]))
    for _attempt in range(100):
        network = ipaddress.IPv4Network(f"10.{random.randint(200, 249)}.{random.randint(0, 255)}.0/24")
        if f"{str(network.network_address)[:-2]}." not in used:
            return network
    raise RuntimeError("no free 10.x.y.0/24 for the lab")


# --- the installer image and the accelerator ------------------------------------------------------------------


def build_installer(out: Path) -> Path:
    """scripts/build-installer's vmlinuz and initrd.img in `out` (its .deb cache makes a second build seconds)."""
    subprocess.run([str(REPO / "scripts" / "build-installer"), "--out", str(out)], check=True, timeout=900)
    return out


def probe_accelerator(image: Path, work: Path, timeout: float = 30) -> tuple[str, str]:
    """("kvm" or "tcg", why): KVM only when it really boots the installer's kernel to userspace.

    Here /dev/kvm exists but QEMU aborts at once with the host CPU (what a `kvm` libvirt domain uses), and a
    stock kernel under it printed only early boot messages after 540 s; a working KVM reaches userspace in a
    few seconds. CONTRACTOR_VM_ACCELERATOR=tcg or kvm skips the probe.
    """
    forced = os.environ.get("CONTRACTOR_VM_ACCELERATOR", "")
    if forced in ("tcg", "kvm"):
        return forced, "CONTRACTOR_VM_ACCELERATOR"
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "tcg", "no usable /dev/kvm"
    work.mkdir(parents=True, exist_ok=True)
    serial = work / "kvm-probe-serial.log"
    started = time.monotonic()
    # fmt: off
    probe = subprocess.Popen(
        ["qemu-system-x86_64", "-machine", "q35,accel=kvm", "-cpu", "host", "-m", "256", "-display", "none",
         "-no-reboot", "-nodefaults", "-serial", f"file:{serial}", "-kernel", str(image / "vmlinuz"),
         "-initrd", str(image / "initrd.img"), "-append", "console=ttyS0 quiet"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: on
    try:
        booted = wait_until(
            lambda: probe.poll() is not None or (serial.exists() and "installer: start" in serial.read_text()),
            timeout,
        )
        if booted and probe.poll() is None:
            return "kvm", f"KVM booted the installer to userspace in {time.monotonic() - started:.1f} s"
        if probe.poll() is not None:
            error = (probe.stderr.read().strip().splitlines() or ["no message"])[-1]
            return "tcg", f"KVM failed at once (QEMU exit {probe.returncode}: {error})"
        return "tcg", f"KVM did not boot the installer to userspace in {timeout:g} s"
    finally:
        if probe.poll() is None:
            probe.kill()
        probe.wait(timeout=10)


# --- fixtures --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def libvirt_daemon(tmp_path_factory):
    """libvirtd answering on qemu:///system (started for the session when none was running)."""
    problem = vm_support_problem()
    if problem:
        pytest.skip(problem)
    daemon = Libvirtd(tmp_path_factory.mktemp("libvirtd")).ensure()
    yield daemon
    daemon.stop()


@pytest.fixture(scope="session")
def installer_image(tmp_path_factory) -> Path:
    """The installer image (vmlinuz, initrd.img) built by scripts/build-installer for this session."""
    started = time.monotonic()
    image = build_installer(tmp_path_factory.mktemp("installer"))
    print(f"installer image built in {time.monotonic() - started:.1f} s")
    return image


@pytest.fixture(scope="session")
def vm_accelerator(installer_image, tmp_path_factory) -> str:
    """The accelerator VMs use in this session: "kvm" where KVM really boots the installer, else "tcg"."""
    accelerator, why = probe_accelerator(installer_image, tmp_path_factory.mktemp("kvm-probe"))
    sys.stderr.write(f"\nVM accelerator: {accelerator} ({why})\n")
    return accelerator


@pytest.fixture
def vm_lab(libvirt_daemon, tmp_path):
    """A started Lab, closed (VMs, dnsmasq, namespace, bridge) after the test, even a failed one.

    Its report (serial consoles, dnsmasq log) is printed at teardown: pytest shows it for failed tests only.
    """
    lab = Lab(tmp_path / "lab")
    try:
        lab.start()
        yield lab
    finally:
        print(lab.report())
        problems = lab.close()
        assert not problems, f"lab clean-up failed: {problems}"
