"""The ``libvirt`` task module: define, power and remove virtual machines through libvirt's Python binding."""

import hashlib
import re
import time
import uuid as uuid_module
import xml.etree.ElementTree as ET
from contextlib import contextmanager

from subcontractor.handlers import HandlerError, require

__all__ = ["ACCELERATORS", "BOOT_DEVICES", "FIRMWARES", "FUNCTIONS", "domain_xml"]

BOOT_DEVICES = ("network", "hd")
FIRMWARES = ("bios", "uefi")
ACCELERATORS = ("tcg", "kvm", "auto")
NIC_MODELS = ("virtio", "e1000", "e1000e", "rtl8139")
METADATA_NS = "https://github.com/contractor/libvirt/1"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
MAC = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
BRIDGE = re.compile(r"^[A-Za-z0-9_.-]{1,15}$")
# libvirt's error codes for "nothing by that UUID" and "it is not running", which are normal outcomes here.
NO_DOMAIN = 42  # VIR_ERR_NO_DOMAIN
NO_STORAGE_VOL = 50  # VIR_ERR_NO_STORAGE_VOL
OPERATION_INVALID = 55  # VIR_ERR_OPERATION_INVALID
# The host could not be reached (refused, no daemon, connection lost): worth trying again later.
UNREACHABLE_CODES = {5, 38, 39}  # VIR_ERR_NO_CONNECT, VIR_ERR_SYSTEM_ERROR, VIR_ERR_RPC
OFF_STATES = {0, 5, 6}  # VIR_DOMAIN_NOSTATE, _SHUTOFF, _CRASHED; running, paused, shutting down count as on


def _libvirt():
    """libvirt's binding, imported when a task runs so the daemon starts (and lists the module) without it."""
    try:
        import libvirt
    except ImportError as error:
        raise HandlerError("the libvirt module needs libvirt-python: pip install 'contractor[libvirt]'") from error
    # Without a handler libvirt prints every error on stderr as well as raising it.
    libvirt.registerErrorHandler(lambda _context, _error: None, None)
    return libvirt


@contextmanager
def _connection(parameters: dict):
    """Open the libvirt connection the parameters name; libvirt errors become HandlerErrors naming the URI."""
    uri = require(parameters, "uri", str)
    libvirt = _libvirt()
    try:
        connection = libvirt.open(uri)
    except libvirt.libvirtError as error:
        retryable = error.get_error_code() in UNREACHABLE_CODES
        raise HandlerError(f"libvirt {uri}: cannot connect: {error}", retryable=retryable) from error
    try:
        yield connection
    except libvirt.libvirtError as error:
        code = error.get_error_code()
        raise HandlerError(f"libvirt {uri}: {error}", retryable=code in UNREACHABLE_CODES) from error
    finally:
        try:
            connection.close()
        except libvirt.libvirtError:
            pass


def _uuid(parameters: dict) -> str:
    value = require(parameters, "uuid", str)
    try:
        return str(uuid_module.UUID(value))
    except ValueError as error:
        raise HandlerError(f"parameter 'uuid' is not a UUID: {value!r}") from error


def _lookup(connection, uuid: str):
    """The domain with that UUID, or None when there is none."""
    libvirt = _libvirt()
    try:
        return connection.lookupByUUIDString(uuid)
    except libvirt.libvirtError as error:
        if error.get_error_code() == NO_DOMAIN:
            return None
        raise


def _domain(connection, parameters: dict):
    uuid = _uuid(parameters)
    domain = _lookup(connection, uuid)
    if domain is None:
        raise HandlerError(f"libvirt {parameters['uri']}: no VM with uuid {uuid}")
    return domain


def _state(domain) -> str:
    return "off" if domain.state()[0] in OFF_STATES else "on"


# --- the VM spec -----------------------------------------------------------------------------------------------


def _boot_order(parameters: dict) -> list[str]:
    order = require(parameters, "boot_order", list, ["network", "hd"])
    if not order or any(device not in BOOT_DEVICES for device in order) or len(set(order)) != len(order):
        raise HandlerError(f"parameter 'boot_order' must list distinct devices of {', '.join(BOOT_DEVICES)}")
    return order


def _choice(parameters: dict, name: str, choices: tuple, default: str) -> str:
    value = require(parameters, name, str, default)
    if value not in choices:
        raise HandlerError(f"parameter '{name}' must be one of {', '.join(choices)}, got {value!r}")
    return value


def _positive(parameters: dict, name: str, default: int, minimum: int = 1) -> int:
    value = require(parameters, name, int, default)
    if value < minimum:
        raise HandlerError(f"parameter '{name}' must be at least {minimum}, got {value}")
    return value


def _interfaces(parameters: dict) -> list[dict]:
    interfaces = require(parameters, "interfaces", list)
    if not interfaces:
        raise HandlerError("parameter 'interfaces' must list at least one interface")
    checked, names = [], set()
    for index, interface in enumerate(interfaces):
        where = f"interfaces[{index}]"
        if not isinstance(interface, dict):
            raise HandlerError(f"parameter '{where}' must be an object")
        name, bridge = (_text(interface, key, f"{where}.{key}") for key in ("name", "bridge"))
        model = interface.get("model") or "virtio"
        mac = (interface.get("mac") or "").lower().replace("-", ":")
        if not NAME.match(name) or name in names:
            raise HandlerError(f"parameter '{where}.name' must be a distinct interface name, got {name!r}")
        if not BRIDGE.match(bridge):
            raise HandlerError(f"parameter '{where}.bridge' is not a bridge name: {bridge!r}")
        if model not in NIC_MODELS:
            raise HandlerError(f"parameter '{where}.model' must be one of {', '.join(NIC_MODELS)}, got {model!r}")
        if mac and not MAC.match(mac):
            raise HandlerError(f"parameter '{where}.mac' is not a MAC address: {interface.get('mac')!r}")
        names.add(name)
        checked.append({"name": name, "bridge": bridge, "model": model, "mac": mac})
    return checked


def _text(values: dict, key: str, where: str) -> str:
    value = values.get(key)
    if not isinstance(value, str) or not value:
        raise HandlerError(f"parameter '{where}' is required (a string)")
    return value


def _spec(parameters: dict) -> dict:
    name = require(parameters, "name", str)
    if not NAME.match(name):
        raise HandlerError(f"parameter 'name' must be letters, digits, '.', '_' or '-', got {name!r}")
    disk_dir = require(parameters, "disk_dir", str, "/var/lib/libvirt/images")
    if not disk_dir.startswith("/"):
        raise HandlerError(f"parameter 'disk_dir' must be an absolute path, got {disk_dir!r}")
    serial_log = require(parameters, "serial_log", str, "")
    if serial_log and not serial_log.startswith("/"):
        raise HandlerError(f"parameter 'serial_log' must be an absolute path, got {serial_log!r}")
    uuid = _uuid(parameters)
    interfaces = _interfaces(parameters)
    for index, interface in enumerate(interfaces):
        interface["mac"] = interface["mac"] or _derived_mac(uuid, index)
    return {
        "uuid": uuid,
        "name": name,
        "cpu_count": _positive(parameters, "cpu_count", 1),
        "memory_mb": _positive(parameters, "memory_mb", 512, minimum=32),
        "disk_gb": _positive(parameters, "disk_gb", 0, minimum=0),
        "disk_dir": disk_dir.rstrip("/") or "/",
        "firmware": _choice(parameters, "firmware", FIRMWARES, "bios"),
        "boot_order": _boot_order(parameters),
        "interfaces": interfaces,
        "accelerator": _choice(parameters, "accelerator", ACCELERATORS, "tcg"),
        "serial_log": serial_log,
    }


def _derived_mac(uuid: str, index: int) -> str:
    """A MAC made from the VM's UUID and the NIC's position (QEMU's locally administered 52:54 prefix).

    libvirt would pick a random one at each define: two creates of one VM racing (a task handed out again)
    would then answer different MACs, and the one Contractor records could be the one overwritten.
    """
    digest = hashlib.sha256(f"{uuid}/{index}".encode()).digest()
    return ":".join(f"{byte:02x}" for byte in (0x52, 0x54, *digest[:4]))


def domain_xml(spec: dict, *, accelerator: str, disk_path: str = "") -> str:
    """The libvirt domain XML for a checked spec (see _spec); `accelerator` is "tcg" or "kvm"."""
    domain = ET.Element("domain", type="kvm" if accelerator == "kvm" else "qemu")
    ET.SubElement(domain, "name").text = spec["name"]
    ET.SubElement(domain, "uuid").text = spec["uuid"]
    metadata = ET.SubElement(ET.SubElement(domain, "metadata"), f"{{{METADATA_NS}}}vm")
    for interface in spec["interfaces"]:
        ET.SubElement(metadata, f"{{{METADATA_NS}}}interface", name=interface["name"], bridge=interface["bridge"])
    ET.SubElement(domain, "memory", unit="MiB").text = str(spec["memory_mb"])
    ET.SubElement(domain, "vcpu").text = str(spec["cpu_count"])
    os_element = ET.SubElement(domain, "os", {"firmware": "efi"} if spec["firmware"] == "uefi" else {})
    ET.SubElement(os_element, "type", arch="x86_64", machine="q35").text = "hvm"
    if spec["firmware"] == "uefi":
        # libvirt picks the host's OVMF build from its firmware descriptors and gives the VM its own NVRAM copy
        # of that build's variables (removed by destroy); secure boot off: Debian's iPXE EFI ROMs are unsigned.
        firmware = ET.SubElement(os_element, "firmware")
        for feature in ("secure-boot", "enrolled-keys"):
            ET.SubElement(firmware, "feature", enabled="no", name=feature)
    for device in spec["boot_order"]:
        ET.SubElement(os_element, "boot", dev=device)
    features = ET.SubElement(domain, "features")
    ET.SubElement(features, "acpi")
    ET.SubElement(features, "apic")
    # Software emulation offers every CPU feature QEMU can emulate; KVM passes the host's CPU through.
    ET.SubElement(domain, "cpu", mode="host-passthrough" if accelerator == "kvm" else "maximum")
    for event, action in (("on_poweroff", "destroy"), ("on_reboot", "restart"), ("on_crash", "destroy")):
        ET.SubElement(domain, event).text = action
    devices = ET.SubElement(domain, "devices")
    if disk_path:
        disk = ET.SubElement(devices, "disk", type="file", device="disk")
        ET.SubElement(disk, "driver", name="qemu", type="qcow2")
        ET.SubElement(disk, "source", file=disk_path)
        ET.SubElement(disk, "target", dev="vda", bus="virtio")
    for interface in spec["interfaces"]:
        element = ET.SubElement(devices, "interface", type="bridge")
        ET.SubElement(element, "source", bridge=interface["bridge"])
        ET.SubElement(element, "mac", address=interface["mac"])
        ET.SubElement(element, "model", type=interface["model"])
    serial = ET.SubElement(devices, "serial", type="file" if spec["serial_log"] else "pty")
    if spec["serial_log"]:
        ET.SubElement(serial, "source", path=spec["serial_log"], append="on")
    ET.SubElement(serial, "target", port="0")
    ET.SubElement(devices, "memballoon", model="none")
    return ET.tostring(domain, encoding="unicode")


# --- disks -----------------------------------------------------------------------------------------------------


def _pool_for(connection, directory: str):
    """The active storage pool whose target is `directory`, made (transient, type dir) when there is none."""
    libvirt = _libvirt()
    for pool in connection.listAllStoragePools():
        target = ET.fromstring(pool.XMLDesc()).findtext("target/path")
        if target and target.rstrip("/") == directory:
            if not pool.isActive():
                pool.create()
            return pool
    name = "contractor-" + uuid_module.uuid5(uuid_module.NAMESPACE_URL, directory).hex[:12]
    xml = f"<pool type='dir'><name>{name}</name><target><path>{_escape(directory)}</path></target></pool>"
    try:
        return connection.storagePoolCreateXML(xml, 0)
    except libvirt.libvirtError:
        # Another task made it meanwhile.
        return connection.storagePoolLookupByName(name)


def _volume(pool, name: str):
    """The pool's volume by that name, rescanning the directory once if libvirt does not know it; else None."""
    libvirt = _libvirt()
    for attempt in range(2):
        try:
            return pool.storageVolLookupByName(name)
        except libvirt.libvirtError as error:
            if error.get_error_code() != NO_STORAGE_VOL:
                raise
        if attempt == 0:
            try:
                pool.refresh()
            except libvirt.libvirtError:
                pass  # another task is making a volume in it ("asynchronous jobs running"): look again as it is
    return None


def _disk(connection, spec: dict) -> str:
    """The VM's qcow2 disk (made unless a redone create finds it already there); returns its path."""
    libvirt = _libvirt()
    pool = _pool_for(connection, spec["disk_dir"])
    name = f"{spec['uuid']}.qcow2"
    volume = _volume(pool, name)
    if volume is not None:
        return volume.path()
    xml = (
        f"<volume><name>{name}</name><capacity unit='GiB'>{spec['disk_gb']}</capacity>"
        "<target><format type='qcow2'/></target></volume>"
    )
    try:
        return pool.createXML(xml, 0).path()
    except libvirt.libvirtError:
        # A second create of the same VM (its task handed out again) is making it at the same moment.
        volume = _volume(pool, name)
        if volume is None:
            raise
        return volume.path()


def _disk_paths(domain) -> list[str]:
    tree = ET.fromstring(domain.XMLDesc())
    return [path for source in tree.findall("devices/disk[@device='disk']/source") if (path := source.get("file"))]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("'", "&apos;")


# --- reading a domain ------------------------------------------------------------------------------------------


def _child(element: ET.Element, path: str) -> ET.Element:
    """The element at `path` below `element`, which libvirt's domain XML always has."""
    found = element.find(path)
    if found is None:
        raise HandlerError(f"libvirt's domain XML has no <{path}> under <{element.tag}>")
    return found


def _interface_map(domain) -> list[dict]:
    """[{name, mac}] in the domain's order; names come from the metadata create wrote, else eth<N>."""
    tree = ET.fromstring(domain.XMLDesc(0))
    metadata = tree.find(f"metadata/{{{METADATA_NS}}}vm")
    names = [element.get("name") for element in metadata] if metadata is not None else []
    interfaces = []
    for index, element in enumerate(tree.findall("devices/interface")):
        mac = _child(element, "mac").get("address")
        interfaces.append({"name": names[index] if index < len(names) else f"eth{index}", "mac": mac})
    return interfaces


def _accelerator(domain) -> str:
    return "kvm" if ET.fromstring(domain.XMLDesc(0)).get("type") == "kvm" else "tcg"


def _resolve_accelerator(connection, wanted: str) -> str:
    """`auto` is KVM when libvirt offers it for x86_64, else TCG; an explicit `kvm` that libvirt cannot run fails."""
    if wanted == "tcg":
        return "tcg"
    try:
        connection.getDomainCapabilities(None, "x86_64", None, "kvm")
        available = True
    except Exception:  # noqa: BLE001 - any failure here means libvirt cannot give us KVM
        available = False
    if not available and wanted == "kvm":
        raise HandlerError("parameter 'accelerator' is kvm, but this host's libvirt offers no KVM")
    return "kvm" if available else "tcg"


def _require_uefi(connection, uri: str, accelerator: str) -> None:
    """Refuse a UEFI VM up front when the host has no UEFI firmware (libvirt would only fail at start)."""
    capabilities = ET.fromstring(
        connection.getDomainCapabilities(None, "x86_64", "q35", "kvm" if accelerator == "kvm" else "qemu")
    )
    if "efi" not in [value.text for value in capabilities.findall("os/enum[@name='firmware']/value")]:
        raise HandlerError(f"parameter 'firmware' is uefi, but libvirt {uri} finds no UEFI firmware (install ovmf)")


# --- the task functions ----------------------------------------------------------------------------------------


def create(parameters: dict) -> dict:
    """Define (not start) a VM; a VM with that UUID already defined is returned as it is.

    Parameters and result: docs/subcontractor.md, "libvirt".
    """
    spec = _spec(parameters)
    with _connection(parameters) as connection:
        domain = _lookup(connection, spec["uuid"])
        created = domain is None
        if created:
            accelerator = _resolve_accelerator(connection, spec["accelerator"])
            if spec["firmware"] == "uefi":
                _require_uefi(connection, parameters["uri"], accelerator)
            disk_path = _disk(connection, spec) if spec["disk_gb"] else ""
            domain = connection.defineXML(domain_xml(spec, accelerator=accelerator, disk_path=disk_path))
        return {
            "uuid": spec["uuid"],
            "name": domain.name(),
            "created": created,
            "interfaces": _interface_map(domain),
            "accelerator": _accelerator(domain),
        }


def start(parameters: dict) -> dict:
    """Power the VM on (nothing to do when it is on). Result: ``{"state": "on"}``."""
    with _connection(parameters) as connection:
        domain = _domain(connection, parameters)
        if not domain.isActive():
            domain.create()
        return {"state": _state(domain)}


def shutdown(parameters: dict) -> dict:
    """Ask the guest to shut down (ACPI power button); ``wait`` seconds (default 0) to see it go off.

    Result: ``{"state": "on"|"off"}``; with ``wait`` > 0, a retryable error if it is still on by then.
    """
    wait = require(parameters, "wait", (int, float), 0)
    with _connection(parameters) as connection:
        domain = _domain(connection, parameters)
        if domain.isActive():
            domain.shutdown()
        deadline = time.monotonic() + wait
        while wait and _state(domain) == "on":
            if time.monotonic() > deadline:
                raise HandlerError(f"VM {domain.name()} is still on {wait:g} s after the ACPI shutdown", retryable=True)
            time.sleep(0.2)
        return {"state": _state(domain)}


def power_off(parameters: dict) -> dict:
    """Cut the VM's power at once (libvirt's destroy; the definition stays). Result: ``{"state": "off"}``."""
    with _connection(parameters) as connection:
        domain = _domain(connection, parameters)
        _power_off(domain)
        return {"state": _state(domain)}


def _power_off(domain) -> None:
    libvirt = _libvirt()
    try:
        if domain.isActive():
            domain.destroy()
    except libvirt.libvirtError as error:
        # It went off between the check and the destroy.
        if error.get_error_code() != OPERATION_INVALID:
            raise


def reset(parameters: dict) -> dict:
    """Hard-reset the VM; one that is off is started instead. Result: ``{"state": "on"}``."""
    with _connection(parameters) as connection:
        domain = _domain(connection, parameters)
        if domain.isActive():
            domain.reset(0)
        else:
            domain.create()
        return {"state": _state(domain)}


def power_state(parameters: dict) -> dict:
    """Result: ``{"state": "on"}`` (running, paused, shutting down) or ``{"state": "off"}``."""
    with _connection(parameters) as connection:
        return {"state": _state(_domain(connection, parameters))}


def set_boot(parameters: dict) -> dict:
    """Set the boot order of the VM's definition (used from its next boot). Result: ``{"boot_order": [...]}``."""
    order = _boot_order({"boot_order": parameters.get("boot_order")})
    libvirt = _libvirt()
    with _connection(parameters) as connection:
        domain = _domain(connection, parameters)
        tree = ET.fromstring(domain.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE | libvirt.VIR_DOMAIN_XML_SECURE))
        os_element = _child(tree, "os")
        for boot in os_element.findall("boot"):
            os_element.remove(boot)
        for element in tree.iter():
            for boot in element.findall("boot"):  # per-device boot order would conflict with <os><boot>
                element.remove(boot)
        for device in order:
            os_element.append(ET.Element("boot", dev=device))
        connection.defineXML(ET.tostring(tree, encoding="unicode"))
        return {"boot_order": order}


def destroy(parameters: dict) -> dict:
    """Power the VM off, undefine it and delete its disks. Result: ``{"destroyed": false}`` when it was gone."""
    libvirt = _libvirt()
    with _connection(parameters) as connection:
        domain = _lookup(connection, _uuid(parameters))
        if domain is None:
            return {"destroyed": False}
        disks = _disk_paths(domain)
        _power_off(domain)
        flags = libvirt.VIR_DOMAIN_UNDEFINE_NVRAM | libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE
        domain.undefineFlags(flags | libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA)
        for path in disks:
            _delete_volume(connection, path)
        return {"destroyed": True}


def _delete_volume(connection, path: str) -> None:
    """Delete a disk through its directory's pool (made again if libvirtd forgot a transient one)."""
    directory, name = path.rsplit("/", 1)
    volume = _volume(_pool_for(connection, directory or "/"), name)
    if volume is not None:
        volume.delete(0)


def interface_map(parameters: dict) -> dict:
    """Result: ``{"interfaces": [{"name": "eth0", "mac": "52:54:00:..."}]}`` in the VM's order."""
    with _connection(parameters) as connection:
        return {"interfaces": _interface_map(_domain(connection, parameters))}


FUNCTIONS = {
    "create": create,
    "start": start,
    "shutdown": shutdown,
    "power_off": power_off,
    "reset": reset,
    "power_state": power_state,
    "set_boot": set_boot,
    "destroy": destroy,
    "interface_map": interface_map,
}
