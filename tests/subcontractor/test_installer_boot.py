"""A real boot: a QEMU VM PXE-boots in the lab (dnsmasq DHCP, iPXE, HTTP), runs the installer image and reports."""

import datetime
import hashlib
import json
import re
import sys
import threading
import time
import uuid as uuid_module
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from vmlab import LIBVIRT_URI, wait_until

from subcontractor.handlers import libvirt as handler

pytestmark = pytest.mark.slow

# Software emulation on a shared machine: the boot took 15-40 s here; the limit only catches a hang.
BOOT_TIMEOUT = 300
MOTD = 'Built by Contractor.\n"quoted" \\ backslash\ttab, unicode: é €\n'
TEMPLATE = "# rendered installer template\nrole=web\n"


class BootServer:
    """Plays Contractor's boot endpoints over real HTTP on the lab's host address, recording every request.

    Like Contractor it answers the boot script only to the planned address with the planned MAC.
    """

    def __init__(self, lab, image: Path, host: dict, config: dict):
        self.image, self.host, self.config = image, host, config
        self.requests: list[tuple[float, str, str, str]] = []  # (monotonic time, client, method, path)
        self.signalled = threading.Event()
        self.server = ThreadingHTTPServer((lab.host_address, 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://{lab.host_address}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def boot_script(self) -> str:
        base, uuid = self.url, self.host["config_uuid"]
        files = f"{base}/boot/files/contractor-installer"
        return (
            "#!ipxe\n"
            f"kernel {files}/vmlinuz initrd=initrd.img console=ttyS0 contractor={base} "
            f"config={base}/boot/{uuid}/config/ signal={base}/boot/{uuid}/signal/ "
            f"template={base}/boot/{uuid}/template/\n"
            f"initrd {files}/initrd.img\n"
            "boot\n"
        )

    def first(self, path_pattern: str) -> tuple[float, str, str, str] | None:
        return next((r for r in self.requests if re.search(path_pattern, r[3])), None)

    def _handler(self):
        boot = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes, kind: str = "text/plain"):
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _route(self, method: str):
                boot.requests.append((time.monotonic(), self.client_address[0], method, self.path))
                url = urlsplit(self.path)
                uuid, planned = boot.host["config_uuid"], self.client_address[0] == boot.host["address"]
                mac = parse_qs(url.query).get("mac", [""])[0]
                if method == "GET" and url.path == "/boot/script/" and planned and mac == boot.host["mac"]:
                    return self._send(200, boot.boot_script().encode())
                if method == "GET" and url.path.startswith("/boot/files/contractor-installer/"):
                    file = boot.image / url.path.rsplit("/", 1)[1]
                    if file.name in ("vmlinuz", "initrd.img"):
                        return self._send(200, file.read_bytes(), "application/octet-stream")
                if method == "GET" and url.path == f"/boot/{uuid}/config/":
                    return self._send(200, json.dumps(boot.config).encode(), "application/json")
                if method == "GET" and url.path == f"/boot/{uuid}/template/":
                    return self._send(200, TEMPLATE.encode())
                if method == "POST" and url.path == f"/boot/{uuid}/signal/":
                    self.rfile.read(int(self.headers.get("Content-Length", 0)))
                    boot.signalled.set()
                    return self._send(200, b'{"job": 1, "signalled": true}', "application/json")
                self._send(404, b"Nothing is being built here.")

            def do_GET(self):
                self._route("GET")

            def do_POST(self):
                self._route("POST")

        return Handler

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


def dnsmasq_acks(log: str, mac: str) -> list[datetime.datetime]:
    """When dnsmasq acknowledged a lease for the MAC (its log has wall-clock seconds)."""
    year = datetime.date.today().year
    stamps = []
    for line in log.splitlines():
        if "DHCPACK" in line and mac in line:
            stamps.append(datetime.datetime.strptime(f"{year} {line[:15]}", "%Y %b %d %H:%M:%S"))
    return stamps


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def nvram_path(uuid: str) -> Path | None:
    """The running VM's own UEFI variable store (None for a BIOS VM); libvirt chooses the firmware at each start,
    so only the live definition names it."""
    import libvirt

    connection = libvirt.open(LIBVIRT_URI)
    try:
        nvram = ET.fromstring(connection.lookupByUUIDString(uuid).XMLDesc()).findtext("os/nvram")
    finally:
        connection.close()
    return Path(nvram) if nvram else None


@pytest.mark.parametrize(("firmware", "finish"), [("bios", "listen"), ("uefi", "poweroff")])
def test_a_vm_pxe_boots_the_installer_and_reports_back(vm_lab, installer_image, vm_accelerator, firmware, finish):
    """DHCP from the lab's dnsmasq, iPXE to the boot script, kernel and initrd over HTTP; the installer takes
    its planned address, writes the hostname, keys and files its config names, and signals. Then it finishes as
    installer_finish says: `listen` stays up with its SSH port answering from inside the namespace (and an ACPI
    shutdown powers it off); `poweroff` (the default) powers the VM off itself once the signal was heard.

    With UEFI firmware (OVMF, secure boot off) the NIC's iPXE EFI ROM does the same boot, asking DHCP as an
    x86-64 UEFI client (client-arch 7); the VM has its own NVRAM variable store, which destroy removes."""
    keys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG9vm1 ops@contractor", "ssh-rsa AAAAB3NzaC1yc2EAAAAD admin@site"]
    name = f"{vm_lab.namespace}-web1"
    vm = {
        "uri": LIBVIRT_URI,
        "uuid": str(uuid_module.uuid4()),
        "name": name,
        "memory_mb": 384,
        "accelerator": vm_accelerator,
        "interfaces": [{"name": "eth0", "bridge": vm_lab.bridge}],
        "serial_log": vm_lab.serial_log(name),
        "firmware": firmware,
    }
    started = time.monotonic()
    created = handler.create(vm)
    create_seconds = time.monotonic() - started
    mac = created["interfaces"][0]["mac"]
    host = {"mac": mac, "address": vm_lab.address(20), "config_uuid": str(uuid_module.uuid4())}
    config = {
        "_hostname": "web1",
        "ssh_authorized_keys": keys,
        "installer_files": {"/etc/motd": MOTD},
        "installer_template_path": "/etc/contractor/role.conf",
        "ssh_port": 22,
        "installer_finish": finish,
    }
    boot = BootServer(vm_lab, installer_image, host, config)
    try:
        plan = {
            "static": [
                {
                    "mac": mac,
                    "address": host["address"],
                    "netmask": vm_lab.netmask,
                    "hostname": "web1",
                    "boot": f"{boot.url}/boot/script/?mac={mac}",
                }
            ],
            "dynamic": [],
            "boot_file": "undionly.kpxe",
            "efi_boot_file": "ipxe.efi",
            "tftp_server": vm_lab.server_address,
        }
        report = vm_lab.pxe_sync(plan)
        assert report["added"] and vm_lab.dnsmasq_running(), vm_lab.dnsmasq_log()
        assert vm_lab.port_open(host["address"], 22, timeout=1) != "open"  # nothing listens before the boot

        wall_start, started = datetime.datetime.now(), time.monotonic()
        assert handler.start(vm) == {"state": "on"}
        start_seconds = time.monotonic() - started
        nvram = nvram_path(vm["uuid"])
        assert boot.signalled.wait(BOOT_TIMEOUT), f"no signal within {BOOT_TIMEOUT} s\n{vm_lab.report()}"
        signalled = time.monotonic()
        if finish == "listen":
            assert wait_until(lambda: vm_lab.port_open(host["address"], 22) == "open", 60), vm_lab.report()
            banner = vm_lab.read_banner(host["address"], 22)
            # The installer's acpid powers off on the ACPI power button: libvirt.shutdown really shuts it down.
            started_shutdown = time.monotonic()
            assert handler.shutdown({**vm, "wait": 120}) == {"state": "off"}, vm_lab.report()
        else:
            started_shutdown = time.monotonic()
            off = wait_until(lambda: handler.power_state(vm) == {"state": "off"}, 120, 0.5)
            assert off, f"still on 120 s after its signal\n{vm_lab.report()}"
            assert vm_lab.port_open(host["address"], 22, timeout=1) != "open"  # it never listened
        shutdown_seconds = time.monotonic() - started_shutdown
    finally:
        boot.stop()

    serial = vm_lab.serial(name)
    if finish == "listen":
        assert banner == "SSH-2.0-ContractorInstaller web1"
        serial.wait_for(r"installer: done$", 10)
        assert serial.find(r"installer: listening 22") and serial.find(r"installer: power button, powering off")
    else:
        serial.wait_for(r"installer: done, powering off", 10)
        assert not serial.find(r"installer: listening")
    assert serial.find(rf"installer: dhcp {re.escape(host['address'])}/24 ")
    assert serial.find(r"installer: hostname web1$")
    assert serial.find(r"installer: wrote /root/.ssh/authorized_keys " + sha256("\n".join(keys) + "\n"))
    assert serial.find(r"installer: wrote /etc/motd " + sha256(MOTD))
    assert serial.find(r"installer: wrote /etc/contractor/role.conf " + sha256(TEMPLATE))
    assert serial.find(r'installer: signal ok \{"job": 1, "signalled": true\}')
    # Everything the VM asked for came from its planned address, in the order of a PXE boot.
    paths = [unquote(path) for _at, client, _method, path in boot.requests if client == host["address"]]
    assert paths[0] == f"/boot/script/?mac={mac}" and paths[1:3] == [
        "/boot/files/contractor-installer/vmlinuz",
        "/boot/files/contractor-installer/initrd.img",
    ]
    assert paths[3:] == [f"/boot/{host['config_uuid']}/config/", f"/boot/{host['config_uuid']}/template/",
                         f"/boot/{host['config_uuid']}/signal/"]  # fmt: skip
    assert all(client == host["address"] for _at, client, _method, _path in boot.requests)
    acks = dnsmasq_acks(vm_lab.dnsmasq_log(), mac)
    assert len(acks) >= 2, vm_lab.dnsmasq_log()  # iPXE's lease and the installer's own
    arch = "00007" if firmware == "uefi" else "00000"
    assert f"vendor class: PXEClient:Arch:{arch}:" in vm_lab.dnsmasq_log(), vm_lab.dnsmasq_log()[-3000:]
    if firmware == "uefi":
        assert serial.find(r"iPXE .* -- Open Source Network Boot Firmware") and serial.find(r"Features: .*EFI")
        assert nvram is not None and nvram.is_file() and nvram.name == f"{name}_VARS.fd"
        assert handler.destroy(vm) == {"destroyed": True}
        assert not nvram.exists()  # destroy removed the VM's own variable store with it
    else:
        assert nvram is None

    figures = {
        "firmware": firmware,
        "accelerator": created["accelerator"],
        "libvirt create s": round(create_seconds, 3),
        "libvirt start s": round(start_seconds, 3),
        "first DHCP ack s (1 s resolution)": (acks[0] - wall_start.replace(microsecond=0)).total_seconds(),
        "boot script s": round(boot.first(r"^/boot/script/")[0] - started, 1),
        "kernel fetched s": round(boot.first(r"/vmlinuz$")[0] - started, 1),
        "kernel's first line s": round(serial.find(r"Linux version")[0] - started, 1),
        "installer start s": round(serial.find(r"installer: start")[0] - started, 1),
        "installer lease s": round(serial.find(r"installer: dhcp \d")[0] - started, 1),
        "signal s": round(signalled - started, 1),
        "installer_finish": finish,
        "off after (ACPI shutdown, or its own power-off) s": round(shutdown_seconds, 1),
    }
    print(f"boot figures (from VM start): {figures}; load: {Path('/proc/loadavg').read_text().strip()}")


def test_a_subcontractor_in_the_lab_builds_and_removes_a_vm(vm_lab, installer_image, vm_accelerator, tmp_path):
    """The real daemon, inside the lab's namespace, as the end-to-end tests run it: it creates the VM by a
    libvirt task, writes dnsmasq's config from Contractor's PXE plan (starting dnsmasq), starts the VM, sees its
    SSH port open with iputils from inside the namespace, and destroys it."""
    from subcontractor_support import TOKEN, StubContractor, wait_for

    contractor = StubContractor(host=vm_lab.host_address)
    contractor.start()
    name = f"{vm_lab.namespace}-db1"
    vm = {"uri": LIBVIRT_URI, "uuid": str(uuid_module.uuid4())}
    host = {"mac": "", "address": vm_lab.address(30), "config_uuid": str(uuid_module.uuid4())}
    boot = BootServer(
        vm_lab, installer_image, host, {"_hostname": "db1", "ssh_port": 2222, "installer_finish": "listen"}
    )
    pxe = vm_lab.pxe_section()
    config = tmp_path / "sc.toml"
    config.write_text(
        f'[contractor]\nurl = "{contractor.url}"\ntoken = "{TOKEN}"\nsite = "lab"\npoll_interval = 0.2\n'
        f"[modules]\nlibvirt = 2\niputils = 2\n"
        f"[pxe]\n"
        + "".join(f"{key} = {json.dumps(value)}\n" for key, value in pxe.items())
        + f'[daemon]\nspool_dir = "{tmp_path / "spool"}"\n'
    )

    def run(function, parameters, module="libvirt", timeout=60):
        task = contractor.add_task(module, function, parameters)
        wait_for(lambda: task["id"] in contractor.applied, timeout=timeout)
        answer = contractor.applied[task["id"]]
        assert "result" in answer, f"{module}.{function} failed: {answer}\n{(tmp_path / 'sc.log').read_text()}"
        return answer["result"]

    vm_lab.popen([sys.executable, "-m", "subcontractor", "--config", str(config)], log=tmp_path / "sc.log")
    try:
        interfaces = [{"name": "eth0", "bridge": vm_lab.bridge, "model": "e1000"}]
        serial = vm_lab.serial_log(name)
        created = run("create", {**vm, "name": name, "interfaces": interfaces, "serial_log": serial,
                                 "accelerator": vm_accelerator})  # fmt: skip
        host["mac"] = created["interfaces"][0]["mac"]
        contractor.pxe_plan = {
            "static": [{"mac": host["mac"], "address": host["address"], "netmask": vm_lab.netmask,
                        "hostname": "db1", "boot": f"{boot.url}/boot/script/?mac={host['mac']}"}],
            "dynamic": [],
            "boot_file": "undionly.kpxe",
            "tftp_server": vm_lab.server_address,
        }  # fmt: skip
        host_file = Path(pxe["dnsmasq_hosts_dir"]) / host["mac"].replace(":", "-")
        wait_for(lambda: host_file.exists() and vm_lab.dnsmasq_running(), timeout=30)
        assert run("start", vm) == {"state": "on"}
        waited = run("wait_for_port", {"address": host["address"], "port": 2222, "timeout": BOOT_TIMEOUT,
                                       "interval": 1}, module="iputils", timeout=BOOT_TIMEOUT + 30)  # fmt: skip
        assert waited["state"] == "open", vm_lab.report()
        assert created["accelerator"] == vm_accelerator
        assert vm_lab.read_banner(host["address"], 2222) == "SSH-2.0-ContractorInstaller db1"
        assert boot.signalled.wait(30)
        assert run("power_state", vm) == {"state": "on"}
        assert run("destroy", vm) == {"destroyed": True}
        assert vm["uuid"] not in vm_lab.vm_uuids()
        print(f"the daemon's wait_for_port waited {waited['waited']} s for the VM")
    finally:
        boot.stop()
        contractor.stop()
