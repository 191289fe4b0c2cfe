"""A container's spec from its foundation's merged config, with the documented defaults (docs/plugins.md)."""

from contractor.configuration import merged_config
from tscript import ParameterError

PULL_POLICIES = ("missing", "always", "never")
PROTOCOLS = ("tcp", "udp", "sctp")
DEFAULT_PORT_RANGE = (30000, 32767)


def _port_number(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise ParameterError(f"{where} must be a port number (1-65535), not {value!r}")
    return value


def container_ports(config: dict) -> list[tuple[int, str]]:
    """`container_ports`: a list of container ports to publish, each a number (tcp) or "8080/udp"."""
    value = config.get("container_ports") or []
    if not isinstance(value, list):
        raise ParameterError(f"config value container_ports must be a list of ports, not {value!r}")
    ports = []
    for item in value:
        number, _, protocol = str(item).partition("/") if isinstance(item, str) else (item, "", "tcp")
        protocol = protocol or "tcp"
        if isinstance(number, str):
            number = int(number) if number.isdigit() else number
        if protocol not in PROTOCOLS:
            raise ParameterError(f"config value container_ports: protocol of {item!r} must be tcp, udp or sctp")
        port = (_port_number(number, f"config value container_ports item {item!r}"), protocol)
        if port in ports:
            raise ParameterError(f"config value container_ports names {item!r} twice")
        ports.append(port)
    return ports


def port_range(config: dict) -> tuple[int, int]:
    """The host ports a host gives containers: its `container_port_min`..`container_port_max` (30000-32767)."""
    low = _port_number(config.get("container_port_min", DEFAULT_PORT_RANGE[0]), "config value container_port_min")
    high = _port_number(config.get("container_port_max", DEFAULT_PORT_RANGE[1]), "config value container_port_max")
    if low > high:
        raise ParameterError(f"config value container_port_min ({low}) is above container_port_max ({high})")
    return low, high


def container_spec(foundation) -> dict:
    """What `containers.create` takes besides engine, name, token and ports, from the merged config:
    image, import_from, pull, command, environment, cpu_limit, memory_mb, restart, network, networks."""
    config = merged_config(foundation, reveal_secrets=True)
    image = config.get("container_image")
    if not isinstance(image, str) or not image:
        raise ParameterError(f"config value container_image must name an image (repo:tag), not {image!r}")
    spec: dict = {"image": image}
    source = config.get("container_import_from")
    if source not in (None, ""):
        if not isinstance(source, str):
            raise ParameterError(f"config value container_import_from must be a URL or a path, not {source!r}")
        spec["import_from"] = source
    pull = config.get("container_pull", "missing")
    if pull not in PULL_POLICIES:
        raise ParameterError(f"config value container_pull must be one of {', '.join(PULL_POLICIES)}, not {pull!r}")
    spec["pull"] = pull
    command = config.get("container_command")
    if command not in (None, "", []):
        if not (isinstance(command, str) or (isinstance(command, list) and all(isinstance(c, str) for c in command))):
            raise ParameterError(f"config value container_command must be a string or list of strings, not {command!r}")
        spec["command"] = command
    environment = config.get("container_environment") or {}
    if not isinstance(environment, dict):
        raise ParameterError(f"config value container_environment must map names to values, not {environment!r}")
    spec["environment"] = {str(key): str(value) for key, value in environment.items()}
    cpus = config.get("container_cpus")
    if cpus not in (None, "", 0):
        if isinstance(cpus, bool) or not isinstance(cpus, int | float) or cpus <= 0:
            raise ParameterError(f"config value container_cpus must be a number above 0, not {cpus!r}")
        spec["cpu_limit"] = cpus
    memory = config.get("container_memory_mb", config.get("memory_mb"))
    if memory not in (None, "", 0):
        if isinstance(memory, bool) or not isinstance(memory, int) or memory < 6:
            raise ParameterError(
                f"config value container_memory_mb must be a whole number of at least 6, not {memory!r}"
            )
        spec["memory_mb"] = memory
    for key, parameter in (("container_restart", "restart"), ("container_network", "network")):
        value = config.get(key)
        if value not in (None, ""):
            if not isinstance(value, str):
                raise ParameterError(f"config value {key} must be a string, not {value!r}")
            spec[parameter] = value
    networks = config.get("container_networks") or []
    if not isinstance(networks, list) or not all(isinstance(name, str) and name for name in networks):
        raise ParameterError(f"config value container_networks must be a list of network names, not {networks!r}")
    if networks:
        spec["networks"] = networks
    return spec
