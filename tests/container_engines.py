"""Container engines of a test's own, for the containers handler tests and the container end-to-end tests:
dockerd (vfs storage, no iptables, no default bridge, its own socket and roots, as REAL-PARTS.md says) and
Podman's Docker-compatible API service (lowered ulimits: root here lacks CAP_SYS_RESOURCE), each on a unix
socket in a short directory; and a busybox root filesystem to import as an image (there is no registry here).

    from container_engines import start_engine
    engine = start_engine("docker", root)   # skips the test when the engine's binary is missing
"""

import io
import ipaddress
import os
import random
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

try:  # the subcontractor tests have tests/subcontractor on sys.path; the end-to-end tests have the repository
    from subcontractor_support import ServerProcess
except ImportError:
    from tests.subcontractor.subcontractor_support import ServerProcess

BUSYBOX = Path("/bin/busybox")
IMAGE = "contractor-test/busybox:1"
APPLETS = ("sh", "httpd", "sleep", "echo", "cat", "mkdir")


class Engine:
    """A container engine of the test's own, on a unix socket in a short directory (socket paths are limited)."""

    kind = ""

    def __init__(self, root: Path):
        self.root = root
        self.socket = root / "engine.sock"
        self.server = ServerProcess(self.command(), root / f"{self.kind}.log", self._answers, env=self.env())

    def command(self) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict | None:
        return None

    @property
    def engine(self) -> str:
        return f"unix://{self.socket}"

    def _answers(self) -> bool:
        if not self.socket.exists():
            return False
        try:
            return self.client().ping()
        except Exception:  # noqa: BLE001 - not answering yet, whatever the reason
            return False

    def client(self):
        import docker

        return docker.DockerClient(base_url=self.engine, timeout=60)

    def stop(self) -> None:
        client = self.client()
        for container in client.containers.list(all=True):
            container.remove(force=True)
        client.close()
        self.server.stop()


class Dockerd(Engine):
    """dockerd as REAL-PARTS.md says: vfs storage, no iptables, no default bridge, its own roots."""

    kind = "docker"

    def command(self) -> list[str]:
        return [
            shutil.which("dockerd") or "/usr/sbin/dockerd",
            "--storage-driver=vfs",
            "--iptables=false",
            "--ip6tables=false",
            "--bridge=none",
            f"--data-root={self.root / 'data'}",
            f"--exec-root={self.root / 'exec'}",
            f"--pidfile={self.root / 'dockerd.pid'}",
            f"--host={self.engine}",
        ]


class Podman(Engine):
    """`podman system service` with its own storage, network config and lowered ulimits (root here lacks
    CAP_SYS_RESOURCE, so Podman's default limits cannot be set)."""

    kind = "podman"

    def command(self) -> list[str]:
        return [
            shutil.which("podman") or "/usr/bin/podman",
            f"--root={self.root / 'storage'}",
            f"--runroot={self.root / 'run'}",
            "--storage-driver=vfs",
            "system",
            "service",
            "--time=0",
            self.engine,
        ]

    def env(self) -> dict:
        conf = self.root / "containers.conf"
        conf.write_text(
            "[containers]\n"
            'default_ulimits = ["nofile=1024:1024", "nproc=1024:1024"]\n'
            "[network]\n"
            f'network_config_dir = "{self.root / "net"}"\n'
            "[engine]\n"
            f'tmp_dir = "{self.root / "tmp"}"\n'
            f'static_dir = "{self.root / "static"}"\n'
            f'volume_path = "{self.root / "volumes"}"\n'
        )
        return {**os.environ, "CONTAINERS_CONF": str(conf)}


ENGINES = {"docker": (Dockerd, "dockerd", "docker.io"), "podman": (Podman, "podman", "podman")}


def rootfs_tarball(path: Path) -> Path:
    """A root filesystem of busybox-static and a few of its applets, as `docker import` takes it."""
    with tarfile.open(path, "w") as tar:
        for directory in ("bin", "www", "tmp"):
            info = tarfile.TarInfo(directory)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tar.addfile(info)
        tar.add(BUSYBOX, arcname="bin/busybox")
        for applet in APPLETS:
            info = tarfile.TarInfo(f"bin/{applet}")
            info.type, info.linkname = tarfile.SYMTYPE, "busybox"
            tar.addfile(info)
        page = b"hello from a container\n"
        info = tarfile.TarInfo("www/index.html")
        info.size = len(page)
        tar.addfile(info, io.BytesIO(page))
    return path


def free_subnet() -> ipaddress.IPv4Network:
    """A 10.x.y.0/24 that no route of this machine's covers (other test runs make networks too)."""
    routes = subprocess.run(["ip", "-4", "route"], capture_output=True, text=True).stdout.split()
    taken = [ipaddress.ip_network(word, strict=False) for word in routes if "/" in word]
    for _ in range(200):
        candidate = ipaddress.ip_network(f"10.{random.randint(100, 250)}.{random.randint(0, 255)}.0/24")
        if not any(candidate.overlaps(network) for network in taken):
            return candidate
    raise AssertionError("no free 10.x.y.0/24 for a test network")


def start_engine(kind: str, root: Path) -> Engine:
    """The engine `kind` (docker or podman) of a test's own under `root`; the test is skipped, saying what to
    install, when its binary or busybox-static is missing."""
    engine_class, binary, package = ENGINES[kind]
    if not shutil.which(binary) and not Path(f"/usr/sbin/{binary}").exists():
        pytest.skip(f"needs {binary}: apt-get install {package}")
    if not BUSYBOX.exists():
        pytest.skip("needs /bin/busybox: apt-get install busybox-static")
    return engine_class(root)


def bridge_network(engine: Engine) -> str:
    """A bridge network of the test's own on the engine, on a free private /24 (without iptables the host
    reaches the containers on their addresses); its name."""
    import uuid

    import docker

    client = engine.client()
    name = f"ctr{uuid.uuid4().hex[:6]}"
    pool = docker.types.IPAMPool(subnet=str(free_subnet()))
    client.networks.create(name, driver="bridge", ipam=docker.types.IPAMConfig(pool_configs=[pool]))
    client.close()
    return name


class LabBridge:
    """A test network shaped like tests/vmlab.py's lab: a Linux bridge in the main namespace (holding .254 of a
    free /24) joined by a veth pair to a namespace of the test's own (holding .1). Containers join the bridge
    through an engine network: Docker's bridge driver onto the existing bridge (`com.docker.network.bridge.name`),
    Podman's macvlan with the bridge as parent (Podman refuses a bridge network on a subnet the host already has
    an address in). A port check from inside the namespace then reaches a container's service on its address."""

    def __init__(self):
        import uuid

        suffix = uuid.uuid4().hex[:6]
        self.namespace, self.bridge = f"ct{suffix}", f"ct{suffix}b"
        host_veth, lab_veth = f"ct{suffix}h", f"ct{suffix}n"
        self.subnet = free_subnet()
        self.gateway = str(self.subnet[254])
        try:
            for command in (
                ["ip", "netns", "add", self.namespace],
                ["ip", "link", "add", host_veth, "type", "veth", "peer", "name", lab_veth],
                ["ip", "link", "set", lab_veth, "netns", self.namespace],
                ["ip", "link", "add", self.bridge, "type", "bridge", "stp_state", "0", "forward_delay", "0"],
                ["ip", "link", "set", host_veth, "master", self.bridge],
                ["ip", "addr", "add", f"{self.gateway}/24", "dev", self.bridge],
                ["ip", "link", "set", host_veth, "up"],
                ["ip", "link", "set", self.bridge, "up"],
                *self.inside(["ip", "addr", "add", f"{self.subnet[1]}/24", "dev", lab_veth]),
                *self.inside(["ip", "link", "set", lab_veth, "up"]),
                *self.inside(["ip", "link", "set", "lo", "up"]),
            ):
                subprocess.run(command, check=True, capture_output=True, timeout=30)
        except (subprocess.CalledProcessError, OSError) as error:
            self.close()
            pytest.skip(f"no test bridge (needs root and iproute2): {error}")

    def inside(self, command: list[str]) -> list[list[str]]:
        return [["ip", "netns", "exec", self.namespace, *command]]

    def network(self, engine: Engine, part: int) -> str:
        """An engine network on the bridge, handing out addresses from quarter `part` (1-2) of the /24."""
        import docker

        name = f"{self.namespace}{engine.kind[0]}"
        ip_range = str(list(self.subnet.subnets(new_prefix=26))[part])
        pool = docker.types.IPAMPool(subnet=str(self.subnet), gateway=self.gateway, iprange=ip_range)
        driver, options = ("bridge", {"com.docker.network.bridge.name": self.bridge})
        if engine.kind == "podman":
            driver, options = "macvlan", {"parent": self.bridge}
        client = engine.client()
        try:
            client.networks.create(
                name, driver=driver, options=options, ipam=docker.types.IPAMConfig(pool_configs=[pool])
            )
        finally:
            client.close()
        return name

    def fetch(self, url: str) -> str | None:
        """GET `url` from inside the namespace; the body, or None when nothing answers within 2 s."""
        fetch = (
            f"import urllib.request,sys; sys.stdout.write(urllib.request.urlopen({url!r}, timeout=2).read().decode())"
        )
        done = subprocess.run(*self.inside([sys.executable, "-c", fetch]), capture_output=True, text=True, timeout=30)
        return done.stdout if done.returncode == 0 else None

    def close(self) -> None:
        subprocess.run(["ip", "netns", "del", self.namespace], capture_output=True, timeout=30)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True, timeout=30)
