"""The ``containers`` task module: containers on a Docker (or Podman) engine, through Docker's Engine API.

Every function takes ``engine`` (the engine's API address: ``unix:///run/docker.sock``, ``tcp://host:2375``,
``ssh://root@host``; Podman serves the same API from ``podman system service``) and ``name`` (the
container's name on that engine, unique there).

``create`` is idempotent by name and ``token``: the container is labelled ``contractor.token`` when it is
made, so a create run again after a lost result finds it (and starts it if it is stopped) instead of
failing on the name or making a second one; a container of that name made by someone else is refused.
"""

import json
from contextlib import contextmanager

from subcontractor.handlers import HandlerError, require

__all__ = ["FUNCTIONS", "TOKEN_LABEL"]

TOKEN_LABEL = "contractor.token"
PULL_POLICIES = ("missing", "always", "never")
# Docker's container states -> Contractor's power words.
POWER_STATES = {
    "created": "off",
    "running": "on",
    "paused": "paused",
    "restarting": "powering on",
    "removing": "powering off",
    "exited": "off",
    "dead": "off",
}
API_TIMEOUT = 60


@contextmanager
def _engine(parameters: dict):
    """A client of the engine the parameters name; engine failures become HandlerErrors."""
    try:
        import docker
        import docker.errors
        import requests
    except ImportError as error:
        raise HandlerError(
            "the containers module needs the docker client: pip install 'contractor[containers]'"
        ) from error

    engine = require(parameters, "engine", str)
    if not engine.startswith(("unix://", "tcp://", "ssh://", "http://", "https://")):
        raise HandlerError(
            f"parameter 'engine' must be a unix://, tcp://, ssh:// or http(s):// address, got '{engine}'"
        )
    try:
        client = docker.DockerClient(base_url=engine, timeout=API_TIMEOUT)
    except docker.errors.DockerException as error:
        raise HandlerError(f"engine {engine} unreachable: {error}", retryable=True) from error
    try:
        yield client
    except docker.errors.ImageNotFound as error:
        raise HandlerError(f"engine {engine}: {error.explanation or error}") from error
    except docker.errors.APIError as error:
        retryable = error.is_server_error()
        raise HandlerError(f"engine {engine}: {error.explanation or error}", retryable=retryable) from error
    except (requests.ConnectionError, docker.errors.DockerException) as error:
        raise HandlerError(f"engine {engine} unreachable: {error}", retryable=True) from error
    finally:
        client.close()


def _container(client, name: str):
    """The container of that name, or None."""
    import docker.errors

    try:
        return client.containers.get(name)
    except docker.errors.NotFound:
        return None


def _existing(client, name: str):
    """The container of that name; an error when the engine has none."""
    container = _container(client, name)
    if container is None:
        raise HandlerError(f"engine has no container '{name}'")
    return container


def _describe(container) -> dict:
    """What Contractor records of a container: id, state, image, published ports, addresses per network."""
    container.reload()
    attributes = container.attrs
    networks = attributes.get("NetworkSettings", {}).get("Networks") or {}
    ports = []
    for port, bindings in sorted((attributes.get("NetworkSettings", {}).get("Ports") or {}).items()):
        number, protocol = port.split("/")
        for binding in bindings or []:
            ports.append(
                {
                    "container_port": int(number),
                    "protocol": protocol,
                    "host_ip": binding.get("HostIp") or None,
                    "host_port": int(binding["HostPort"]),
                }
            )
    state = attributes.get("State", {}).get("Status", "unknown")
    return {
        "id": container.id,
        "name": container.name,
        "state": POWER_STATES.get(state, "unknown"),
        "engine_state": state,
        "image": attributes.get("Config", {}).get("Image"),
        "image_id": attributes.get("Image"),
        "ports": ports,
        "networks": [
            {
                "network": network,
                "address": settings.get("IPAddress") or None,
                "ipv6_address": settings.get("GlobalIPv6Address") or None,
                "mac": (settings.get("MacAddress") or "").lower() or None,
            }
            for network, settings in sorted(networks.items())
        ],
    }


def _image(client, parameters: dict) -> str:
    """Make sure the image is on the engine (import it, or pull it by the policy) and return its reference."""
    import docker.errors

    image = require(parameters, "image", str)
    source = require(parameters, "import_from", str, None)
    policy = require(parameters, "pull", str, "missing")
    if policy not in PULL_POLICIES:
        raise HandlerError(f"parameter 'pull' must be one of {', '.join(PULL_POLICIES)}, got '{policy}'")
    repository, _, tag = image.rpartition(":") if ":" in image.rsplit("/", 1)[-1] else (image, "", "latest")
    try:
        present = client.images.get(image) is not None
    except docker.errors.ImageNotFound:
        present = False
    if source is not None:
        if not present or policy == "always":
            _import(client, source, repository, tag)
        return image
    if policy == "always" or (policy == "missing" and not present):
        client.images.pull(repository, tag=tag)
    elif not present:
        raise HandlerError(f"image '{image}' is not on the engine and 'pull' is 'never'")
    return image


def _import(client, source: str, repository: str, tag: str) -> None:
    """``docker import``: a root filesystem tarball, from a URL the engine fetches or a file sent from here."""
    if source.startswith(("http://", "https://")):
        answer = client.api.import_image_from_url(source, repository=repository, tag=tag)
    else:
        try:
            with open(source, "rb") as tarball:
                answer = client.api.import_image_from_data(tarball, repository=repository, tag=tag)
        except OSError as error:
            raise HandlerError(f"parameter 'import_from': cannot read {source}: {error.strerror}") from error
    # Docker tags the import as asked; Podman's compatible API tags it "latest" whatever the tag: tag it here.
    image_id = _imported_id(answer)
    if image_id and f"{repository}:{tag}" not in _tags(client, image_id):
        client.images.get(image_id).tag(repository, tag)


def _imported_id(answer: str) -> str | None:
    """The image id in an import's answer (JSON lines, the last of which names it)."""
    for line in reversed(str(answer).splitlines()):
        try:
            message = json.loads(line)
        except ValueError:
            continue
        for key in ("status", "id"):
            value = message.get(key, "") if isinstance(message, dict) else ""
            if isinstance(value, str) and value.startswith("sha256:"):
                return value
    return None


def _tags(client, image_id: str) -> list[str]:
    """The image's tags, each also without the ``localhost/`` prefix Podman gives local images."""
    tags = client.images.get(image_id).tags
    return tags + [tag.removeprefix("localhost/") for tag in tags]


def _ports(parameters: dict) -> dict:
    """docker-py's ``ports`` from the task's list of {container_port, host_port, protocol, host_ip}."""
    published: dict = {}
    for index, port in enumerate(require(parameters, "ports", list, [])):
        where = f"parameter 'ports' item {index}"
        if not isinstance(port, dict):
            raise HandlerError(f"{where} must be an object")
        container_port, host_port = port.get("container_port"), port.get("host_port")
        protocol, host_ip = port.get("protocol", "tcp"), port.get("host_ip", "")
        for field, value in (("container_port", container_port), ("host_port", host_port)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
                raise HandlerError(f"{where}: '{field}' must be a port number (1-65535), got {value!r}")
        if protocol not in ("tcp", "udp", "sctp"):
            raise HandlerError(f"{where}: 'protocol' must be tcp, udp or sctp, got {protocol!r}")
        binding = (host_ip, host_port) if host_ip else host_port
        published.setdefault(f"{container_port}/{protocol}", []).append(binding)
    return published


def _run_options(parameters: dict, token: str) -> dict:
    """containers.create()'s keyword arguments from the task's parameters, each checked."""
    environment = require(parameters, "environment", dict, {})
    labels = require(parameters, "labels", dict, {})
    for field, mapping in (("environment", environment), ("labels", labels)):
        for key, value in mapping.items():
            if not isinstance(value, str):
                raise HandlerError(f"parameter '{field}' must map names to strings; '{key}' is {type(value).__name__}")
    command = require(parameters, "command", (list, str), None)
    options = {
        "name": require(parameters, "name", str),
        "command": command,
        "environment": environment,
        "labels": {**labels, TOKEN_LABEL: token},
        "ports": _ports(parameters),
        "network": require(parameters, "network", str, None),
        "detach": True,
    }
    cpus = require(parameters, "cpu_limit", (int, float), None)
    if cpus is not None:
        if cpus <= 0:
            raise HandlerError(f"parameter 'cpu_limit' must be more than 0, got {cpus}")
        options["nano_cpus"] = int(cpus * 1_000_000_000)
    memory_mb = require(parameters, "memory_mb", int, None)
    if memory_mb is not None:
        if memory_mb < 6:
            raise HandlerError(f"parameter 'memory_mb' must be at least 6 (the engine's minimum), got {memory_mb}")
        options["mem_limit"] = f"{memory_mb}m"
    restart = require(parameters, "restart", str, "no")
    if restart not in ("no", "always", "unless-stopped", "on-failure"):
        raise HandlerError(f"parameter 'restart' must be no, always, unless-stopped or on-failure, got '{restart}'")
    if restart != "no":
        options["restart_policy"] = {"Name": restart}
    return {key: value for key, value in options.items() if value is not None}


def create(parameters: dict) -> dict:
    """Make the image present, create the container and start it (or find the one an earlier create made).

    Parameters: ``engine``, ``name``, ``token`` (required: Contractor's key for this foundation), ``image``
    (required, ``repo:tag``), ``import_from`` (a root filesystem tarball: a URL the engine fetches, or a path
    on the subcontractor's machine; without it the image is pulled), ``pull`` (``missing`` (default),
    ``always``, ``never``), ``command`` (list or string), ``environment`` and ``labels`` (objects of strings),
    ``ports`` (``[{"container_port": 80, "host_port": 30080, "protocol": "tcp", "host_ip": "10.0.0.5"}]``),
    ``network`` (the one it is created on, where ``ports`` are published), ``networks`` (more networks it joins
    before it starts: e.g. a macvlan network on a host bridge, where an engine publishes no ports),
    ``cpu_limit`` (CPUs, may be fractional), ``memory_mb``, ``restart``.
    Result: ``describe``'s plus ``created`` (false when it existed already).
    """
    token = require(parameters, "token", str)
    options = _run_options(parameters, token)
    extra = require(parameters, "networks", list, [])
    if not all(isinstance(name, str) and name for name in extra):
        raise HandlerError(f"parameter 'networks' must be a list of network names, got {extra!r}")
    with _engine(parameters) as client:
        container = _container(client, options["name"])
        created = container is None
        if container is None:
            image = _image(client, parameters)
            container = client.containers.create(image, **options)
        elif container.labels.get(TOKEN_LABEL) != token:
            raise HandlerError(
                f"engine already has a container '{options['name']}' that Contractor did not make for this"
            )
        joined = container.attrs.get("NetworkSettings", {}).get("Networks") or {}
        for network in extra:
            if network not in joined:
                client.networks.get(network).connect(container)
        if container.status != "running":
            container.start()
        return {**_describe(container), "created": created}


def describe(parameters: dict) -> dict:
    """The container's id, state (Contractor's power word), the engine's state, image, published ports, and
    its address and MAC on each network. An unknown container is an error."""
    name = require(parameters, "name", str)
    with _engine(parameters) as client:
        container = _existing(client, name)
        return _describe(container)


def start(parameters: dict) -> dict:
    """Start the container (nothing to do when it runs). Result: ``describe``'s."""
    name = require(parameters, "name", str)
    with _engine(parameters) as client:
        container = _existing(client, name)
        if container.status != "running":
            container.start()
        return _describe(container)


def stop(parameters: dict) -> dict:
    """Stop the container: SIGTERM, then SIGKILL after ``timeout`` seconds (default 10). Result: ``describe``'s."""
    name = require(parameters, "name", str)
    timeout = require(parameters, "timeout", int, 10)
    with _engine(parameters) as client:
        container = _existing(client, name)
        if container.status in ("running", "restarting", "paused"):
            container.stop(timeout=timeout)
        return _describe(container)


def power_state(parameters: dict) -> dict:
    """Result: ``{"state": "on" | "off" | "paused" | ..., "engine_state": <Docker's>}``; a container that is
    gone is ``{"state": "absent", "engine_state": null}``."""
    name = require(parameters, "name", str)
    with _engine(parameters) as client:
        container = _container(client, name)
        if container is None:
            return {"state": "absent", "engine_state": None}
        return {"state": POWER_STATES.get(container.status, "unknown"), "engine_state": container.status}


def destroy(parameters: dict) -> dict:
    """Stop (``timeout`` as for stop) and remove the container with its anonymous volumes.
    Result: ``{"destroyed": true}``, or ``{"destroyed": false}`` when there was none."""
    name = require(parameters, "name", str)
    timeout = require(parameters, "timeout", int, 10)
    with _engine(parameters) as client:
        container = _container(client, name)
        if container is None:
            return {"destroyed": False}
        if container.status in ("running", "restarting", "paused"):
            container.stop(timeout=timeout)
        container.remove(v=True, force=True)
        return {"destroyed": True}


def link_test(parameters: dict) -> dict:
    """Check that the engine answers. Result: ``{"ok": true, "version": ..., "api_version": ...}``."""
    with _engine(parameters) as client:
        version = client.version()
        return {"ok": True, "version": version.get("Version"), "api_version": version.get("ApiVersion")}


FUNCTIONS = {
    "create": create,
    "describe": describe,
    "start": start,
    "stop": stop,
    "power_state": power_state,
    "destroy": destroy,
    "link_test": link_test,
}
