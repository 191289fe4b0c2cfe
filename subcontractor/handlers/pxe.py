"""PXE sync: render Contractor's PXE plan for a site into dnsmasq configuration and tell dnsmasq.

Not a polled task module: the daemon calls pxe_sync() every ``pxe.interval`` seconds.
"""

import ipaddress
import logging
import os
import re
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from subcontractor.handlers import HandlerError

__all__ = ["PxeFiles", "pxe_render", "pxe_sync"]

log = logging.getLogger(__name__)

MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
HOSTNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9-]{0,62})$")
UNSAFE = re.compile(r"[\s,#\"']")
HEADER = "# Written by the subcontractor PXE sync; do not edit, it is overwritten.\n"


@dataclass(frozen=True)
class PxeFiles:
    """What one PXE plan renders to: per-host files (live in dnsmasq) and the conf part (needs a reload)."""

    hosts: dict[str, str]
    opts: dict[str, str]
    conf: str


def pxe_render(plan: dict, *, hosts_dir: Path, opts_dir: Path) -> PxeFiles:
    """Render a plan (see docs/subcontractor.md, "PXE plan") into dnsmasq files; HandlerError names a bad entry."""
    hosts, opts, networks = {}, {}, set()
    for index, entry in enumerate(plan.get("static", [])):
        mac, address, hostname, boot, network = _static(entry, f"static[{index}]")
        name, tag = mac.replace(":", "-"), "h" + mac.replace(":", "")
        hosts[name] = f"{mac},set:{tag},{address}" + (f",{hostname}" if hostname else "") + "\n"
        if boot:
            opts[name] = f"tag:{tag},tag:ipxe,option:bootfile-name,{boot}\n"
        networks.add(network)
    lines = [
        HEADER,
        f"dhcp-hostsdir={hosts_dir}",
        f"dhcp-optsdir={opts_dir}",
        "dhcp-match=set:ipxe,175",
        "dhcp-userclass=set:ipxe,iPXE",
    ]
    for network in sorted(networks, key=str):
        lines.append(f"dhcp-range={network.network_address},static,{network.netmask}")
    for index, pool in enumerate(plan.get("dynamic", [])):
        lines.extend(_dynamic(pool, index))
    lines.extend(_boot(plan))
    return PxeFiles(hosts=hosts, opts=opts, conf="\n".join(lines) + "\n")


def pxe_sync(
    plan: dict,
    *,
    hosts_dir: Path,
    opts_dir: Path,
    conf: Path,
    pid_file: Path | None = None,
    restart_command: list[str] | None = None,
) -> dict:
    """Write the rendered plan, changing only what differs, and tell dnsmasq when it must re-read.

    New host files are picked up by dnsmasq on its own (inotify). A changed or removed host file, or a changed conf
    part, needs dnsmasq to re-read: with a ``restart_command`` it is restarted, otherwise it gets a SIGHUP. (A
    restart, because dnsmasq 2.86 to 2.90, Debian 12's among them, crashes on a SIGHUP once it has leased an
    address to a host whose entry sets a tag, which every planned host's does.) With a ``restart_command`` and a
    ``pid_file``, a dnsmasq that is not running (it crashed, or was never started) is started again.
    Returns ``{"added": [...], "changed": [...], "removed": [...], "conf_changed": bool, "signalled": str|None}``;
    ``signalled`` is "restart", "SIGHUP" or None.
    """
    files = pxe_render(plan, hosts_dir=hosts_dir, opts_dir=opts_dir)
    report = {"added": [], "changed": [], "removed": [], "conf_changed": False, "signalled": None}
    for directory, wanted in ((hosts_dir, files.hosts), (opts_dir, files.opts)):
        _sync_dir(Path(directory), wanted, report)
    report["conf_changed"] = _write_if_changed(Path(conf), files.conf)
    reread = report["conf_changed"] or report["changed"] or report["removed"]
    gone = restart_command and pid_file is not None and not _running(pid_file)
    if restart_command and (reread or gone):
        if gone and not reread:
            log.warning("dnsmasq is not running (pid file %s); starting it again", pid_file)
        subprocess.run(restart_command, check=True, timeout=60)
        report["signalled"] = "restart"
    elif reread:
        report["signalled"] = "SIGHUP" if _sighup(pid_file) else None
    return report


def _static(entry, where: str):
    if not isinstance(entry, dict):
        raise HandlerError(f"{where} must be an object")
    mac = str(entry.get("mac", "")).lower().replace("-", ":")
    if not MAC.match(mac):
        raise HandlerError(f"{where}.mac is not a MAC address: {entry.get('mac')!r}")
    address = _address(entry.get("address"), f"{where}.address")
    hostname = entry.get("hostname") or ""
    if hostname and not HOSTNAME.match(hostname):
        raise HandlerError(f"{where}.hostname is not a host name: {hostname!r}")
    boot = _boot_target(entry.get("boot"), f"{where}.boot")
    netmask = entry.get("netmask", "255.255.255.0")
    try:
        network = ipaddress.IPv4Network(f"{address}/{netmask}", strict=False)
    except ValueError as error:
        raise HandlerError(f"{where}.netmask: {error}") from error
    return mac, address, hostname, boot, network


def _dynamic(pool, index: int) -> list[str]:
    where = f"dynamic[{index}]"
    if not isinstance(pool, dict):
        raise HandlerError(f"{where} must be an object")
    start = _address(pool.get("start"), f"{where}.start")
    end = _address(pool.get("end"), f"{where}.end")
    netmask = _address(pool.get("netmask", "255.255.255.0"), f"{where}.netmask")
    lease = pool.get("lease", "1h")
    if not re.match(r"^\d+[smhdw]?$|^infinite$", str(lease)):
        raise HandlerError(f"{where}.lease must be like 3600, 30m, 1h or infinite, got {lease!r}")
    lines = [f"dhcp-range=set:pool{index},{start},{end},{netmask},{lease}"]
    boot = _boot_target(pool.get("boot"), f"{where}.boot")
    if boot:
        lines.append(f"dhcp-option=tag:pool{index},tag:!known,tag:ipxe,option:bootfile-name,{boot}")
    return lines


#: DHCP option 93 (client-arch, RFC 4578) of x86-64 UEFI firmware: 7 (EFI BC) and 9 (EFI x86-64).
EFI_ARCHES = (7, 9)


def _boot(plan: dict) -> list[str]:
    """What a firmware that is not iPXE yet loads over TFTP: `boot_file` for BIOS, `efi_boot_file` for a UEFI
    client (told apart by its client-arch); the iPXE it loads then asks again and gets its boot script."""
    boot_file, efi_boot_file = _file(plan, "boot_file"), _file(plan, "efi_boot_file")
    server = plan.get("tftp_server")
    # Contractor's default (CONTRACTOR_PXE_TFTP_SERVER unset) is empty: dnsmasq serves TFTP itself
    where = "" if server in (None, "") else f",,{_address(server, 'tftp_server')}"
    if not efi_boot_file:  # a plan from before UEFI clients were told apart
        return [f"dhcp-boot=tag:!ipxe,{boot_file}{where}"] if boot_file else []
    lines = [f"dhcp-match=set:efi64,option:client-arch,{arch}" for arch in EFI_ARCHES]
    if boot_file:
        lines.append(f"dhcp-boot=tag:!ipxe,tag:!efi64,{boot_file}{where}")
    return [*lines, f"dhcp-boot=tag:!ipxe,tag:efi64,{efi_boot_file}{where}"]


def _file(plan: dict, key: str) -> str:
    value = plan.get(key) or ""
    if not isinstance(value, str) or UNSAFE.search(value):
        raise HandlerError(f"{key} must be a file name without spaces or commas, got {value!r}")
    return value


def _address(value, where: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value))
    except (ValueError, TypeError) as error:
        raise HandlerError(f"{where} is not an IPv4 address: {value!r}") from error


def _boot_target(value, where: str) -> str:
    if not value:
        return ""
    if not isinstance(value, str) or UNSAFE.search(value):
        raise HandlerError(f"{where} must be a URL or file name without spaces, commas or quotes, got {value!r}")
    return value


def _sync_dir(directory: Path, wanted: dict[str, str], report: dict) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for path in directory.iterdir():
        if path.is_file() and path.name not in wanted and not path.name.startswith("."):
            path.unlink()
            report["removed"].append(path.name)
    for name, content in wanted.items():
        path = directory / name
        existed = path.exists()
        if _write_if_changed(path, content):
            report["changed" if existed else "added"].append(name)


def _write_if_changed(path: Path, content: str) -> bool:
    """Atomically replace path with content unless it already holds it; True when it was written."""
    try:
        if path.read_text() == content:
            return False
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    with os.fdopen(handle, "w") as stream:
        stream.write(content)
    os.chmod(temporary, 0o644)
    os.replace(temporary, path)
    return True


def _running(pid_file: Path) -> bool:
    """Whether the process named by the pid file is alive (one this user may not signal counts as alive)."""
    try:
        os.kill(int(Path(pid_file).read_text().split()[0]), 0)
    except PermissionError:
        return True
    except (OSError, ValueError, IndexError):
        return False
    return True


def _sighup(pid_file: Path | None) -> bool:
    if pid_file is None:
        return False
    try:
        pid = int(Path(pid_file).read_text().split()[0])
        os.kill(pid, signal.SIGHUP)
    except FileNotFoundError:
        log.info("dnsmasq is not running (no pid file %s); it reads the new config when it starts", pid_file)
        return False
    except (OSError, ValueError, IndexError) as error:
        log.warning("could not signal dnsmasq (pid file %s): %s", pid_file, error)
        return False
    return True
