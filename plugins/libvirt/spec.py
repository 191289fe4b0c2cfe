"""A VM's spec from its foundation's merged config, with the documented defaults (docs/plugins.md)."""

from contractor.configuration import merged_config
from tscript import ParameterError

#: config key -> default; a foundation blueprint, the site or the foundation's own attributes set them.
DEFAULTS = {
    "cpu_count": 1,
    "memory_mb": 512,
    "disk_gb": 0,
    "libvirt_bridge": "virbr0",
    "libvirt_nic_model": "virtio",
    "libvirt_firmware": "bios",
    "libvirt_boot_order": ["network", "hd"],
}
FIRMWARES = ("bios", "uefi")
ACCELERATORS = ("auto", "tcg", "kvm")
BOOT_DEVICES = ("network", "hd")
#: set_boot( device= ) takes the IPMI plugin's names too, so blueprints for both read alike.
DEVICE_ORDERS = {"pxe": ["network", "hd"], "network": ["network", "hd"], "disk": ["hd", "network"],
                 "hd": ["hd", "network"]}  # fmt: skip
DEFAULT_INTERFACE = "eth0"


def _whole(config: dict, key: str, least: int = 1) -> int:
    value = config.get(key, DEFAULTS[key])
    if not isinstance(value, int) or isinstance(value, bool) or value < least:
        raise ParameterError(f"config value {key} must be a whole number of at least {least}, not {value!r}")
    return value


def boot_order(value) -> list[str]:
    """A checked boot order: a non-empty list of network and hd, each once."""
    if not isinstance(value, list) or not value or len(set(value)) != len(value):
        raise ParameterError(f"boot order must be a list of {' and '.join(BOOT_DEVICES)}, each once, not {value!r}")
    for device in value:
        if device not in BOOT_DEVICES:
            raise ParameterError(f"boot device {device!r} is not one of {', '.join(BOOT_DEVICES)}")
    return list(value)


def interfaces(foundation, config: dict) -> list[dict]:
    """The VM's NICs: one per interface planned on the foundation (provisioning first), else one `eth0`.

    Each joins the `libvirt_bridge`; a MAC the operator set on the interface is kept, otherwise libvirt picks one.
    """
    planned = sorted(foundation.interfaces.all(), key=lambda i: (not i.is_provisioning, i.name))
    names = [(i.name, i.mac) for i in planned] or [(DEFAULT_INTERFACE, "")]
    bridge, model = config.get("libvirt_bridge", DEFAULTS["libvirt_bridge"]), config.get("libvirt_nic_model")
    if not isinstance(bridge, str) or not bridge:
        raise ParameterError(f"config value libvirt_bridge must name a bridge, not {bridge!r}")
    model = model or DEFAULTS["libvirt_nic_model"]
    return [{"name": name, "bridge": bridge, "model": model, **({"mac": mac} if mac else {})} for name, mac in names]


def provisioning_pxe(foundation) -> str:
    """The PXE record (`libvirt_pxe` config value) a new provisioning interface boots; empty for none."""
    value = merged_config(foundation, reveal_secrets=False).get("libvirt_pxe") or ""
    return value if isinstance(value, str) else ""


def vm_spec(foundation) -> dict:
    """What `libvirt.create` takes besides uri and uuid: name, cpu_count, memory_mb, disk_gb, firmware,
    boot_order and interfaces, from the foundation's merged config; a bad value is a script error."""
    config = merged_config(foundation, reveal_secrets=False)
    firmware = config.get("libvirt_firmware", DEFAULTS["libvirt_firmware"])
    if firmware not in FIRMWARES:
        raise ParameterError(f"config value libvirt_firmware must be bios or uefi, not {firmware!r}")
    spec = {
        "name": foundation.locator,
        "cpu_count": _whole(config, "cpu_count"),
        "memory_mb": _whole(config, "memory_mb"),
        "disk_gb": _whole(config, "disk_gb", least=0),  # 0: no disk (the shipped installer runs in memory)
        "firmware": firmware,
        "boot_order": boot_order(config.get("libvirt_boot_order", DEFAULTS["libvirt_boot_order"])),
        "interfaces": interfaces(foundation, config),
    }
    return {**spec, **_host_options(foundation, config)}


def _host_options(foundation, config: dict) -> dict:
    """Where the host keeps the VM's disks and serial console, and which accelerator it uses: only when set."""
    options = {}
    for key, parameter in (("libvirt_disk_dir", "disk_dir"), ("libvirt_serial_dir", "serial_log")):
        value = config.get(key)
        if value in (None, ""):
            continue
        if not isinstance(value, str) or not value.startswith("/"):
            raise ParameterError(f"config value {key} must be an absolute path on the host, not {value!r}")
        options[parameter] = value if parameter == "disk_dir" else f"{value.rstrip('/')}/{foundation.locator}.log"
    accelerator = config.get("libvirt_accelerator")
    if accelerator not in (None, ""):
        if accelerator not in ACCELERATORS:
            raise ParameterError(f"config value libvirt_accelerator must be one of auto, tcg, kvm, not {accelerator!r}")
        options["accelerator"] = accelerator
    return options
