"""Contractor, foreman workers and a subcontractor around a VM lab (tests/vmlab.py), for the VM e2e tests and
benchmarks/vm_bench.py: plans a VM host, its libvirt complex and VMs with the shipped blueprints over the API.

Contractor's gunicorn listens on 127.0.0.1 (the test's API calls) and on the lab's host address (the VMs' boot
requests and the subcontractor, which runs inside the lab's namespace); `CONTRACTOR_HOST` is the latter.
"""

import json
import shutil
import socket
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BLUEPRINTS = ROOT / "plugins" / "libvirt" / "blueprints.toml"
#: Software emulation on two shared cores: a boot took 35-45 s under load; these limits only catch a hang.
BUILD_SECONDS = 600


def boot_files_with(image: Path, root: Path) -> Path:
    """A boot-files folder holding the installer image as contractor-installer/ (copied: Contractor serves no
    symbolic link leading out of the folder)."""
    target = root / "contractor-installer"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("vmlinuz", "initrd.img"):
        shutil.copyfile(image / name, target / name)
    return root


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, seconds: float, interval: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)  # strings, numbers and lists of strings are written alike in TOML and JSON


class ResultGate:
    """An HTTP relay in front of Contractor that can hold back the results subcontractors post (a fault to
    inject: the subcontractor did the work, Contractor never heard). Everything else passes through."""

    def __init__(self, address: str, target: str):
        self.target, self.holding, self.held = target, threading.Event(), 0
        self.server = ThreadingHTTPServer((address, 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://{address}:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self):
        gate = self

        class Relay(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _relay(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if gate.holding.is_set() and "/result" in self.path:
                    gate.held += 1
                    while gate.holding.is_set():
                        time.sleep(0.05)
                    self.close_connection = True
                    return  # dropped: the sender sees the connection close without an answer
                session = requests.Session()
                session.trust_env = False
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")}
                answer = session.request(self.command, gate.target + self.path, data=body, headers=headers, timeout=30)
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(answer.content)

            do_GET = do_POST = _relay

        return Relay

    def stop(self):
        self.holding.clear()
        self.server.shutdown()
        self.server.server_close()


class VmRig:
    """Real processes around a lab; `processes` starts named subprocesses with the test database in their env."""

    def __init__(self, lab, processes, tmp: Path, boot_files: Path, accelerator: str = "tcg"):
        self.lab, self.processes, self.tmp, self.boot_files = lab, processes, tmp, boot_files
        self.accelerator = accelerator
        self.suffix = lab.suffix  # names made here start with vq + the lab's random suffix
        self.prefix = f"vq{self.suffix}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.lab_url = f"http://{lab.host_address}:{self.port}"
        self.api = requests.Session()
        self.api.trust_env = False
        self.vms: dict[str, dict] = {}
        self.subcontractor_token = ""

    # --- processes ---------------------------------------------------------------------------------------------

    def start_contractor(self, web_workers: int = 2) -> None:
        env = self.processes.env
        env["CONTRACTOR_HOST"] = self.lab_url
        env["CONTRACTOR_ALLOWED_HOSTS"] = f"127.0.0.1,localhost,{self.lab.host_address}"
        env["CONTRACTOR_BOOT_FILES"] = str(self.boot_files)
        env["CONTRACTOR_PXE_TFTP_SERVER"] = self.lab.server_address  # the lab's dnsmasq serves TFTP there
        gunicorn = str(Path(sys.executable).parent / "gunicorn")
        self.processes.start(
            "contractor",
            [gunicorn, "contractor.wsgi:application", "--bind", f"127.0.0.1:{self.port}", "--bind",
             f"{self.lab.host_address}:{self.port}", "--workers", str(web_workers), "--no-control-socket",
             "--access-logfile", "-", "--capture-output"],
        )  # fmt: skip

        def up():
            with socket.socket() as sock:
                return sock.connect_ex(("127.0.0.1", self.port)) == 0

        if not wait_for(up, 60, 0.1):
            raise AssertionError(f"Contractor did not listen\n{self.logs()}")

    def start_foreman(self, name: str = "foreman"):
        return self.processes.start(name, [sys.executable, "manage.py", "foreman", "--interval", "0.2"])

    def start_subcontractor(
        self, name: str = "daemon", url: str | None = None, modules: str = "libvirt = 4\niputils = 4"
    ):
        """A stock subcontractor daemon inside the lab's namespace: libvirt and iputils tasks (or the `[modules]`
        lines given), and the PXE sync that keeps the lab's dnsmasq serving the site's plan."""
        pxe = "\n".join(f"{key} = {_toml(value)}" for key, value in self.lab.pxe_section(interval=0.5).items())
        config = self.tmp / f"{name}.toml"
        config.write_text(
            f'[contractor]\nurl = "{url or self.lab_url}"\ntoken = "{self.subcontractor_token}"\nsite = "lab"\n'
            f"poll_interval = 0.3\ntimeout = 5\n[modules]\n{modules}\n[pxe]\n{pxe}\n"
            f'[log]\nlevel = "INFO"\n[daemon]\nspool_dir = "{self.tmp / name}-spool"\n'
        )
        env = {**self.processes.env, "PYTHONPATH": str(ROOT)}
        return self.lab.popen([sys.executable, "-m", "subcontractor", "--config", str(config)],
                              log=self.tmp / f"{name}.log", env=env)  # fmt: skip

    def logs(self) -> str:
        return "\n".join(
            f"--- {p.name}\n{p.read_text(errors='replace')[-4000:]}" for p in sorted(self.tmp.glob("*.log"))
        )

    # --- planning ----------------------------------------------------------------------------------------------

    def plan_lab(self) -> None:
        """The site `lab` (its VMs join the lab's bridge, serial consoles in the lab's folder), the shipped
        blueprints, an address block on the lab's network, an API user and the subcontractor's registration."""
        from django.core.management import call_command
        from rest_framework.authtoken.models import Token

        from contractor.site.services import site_create
        from contractor.subcontracting.services import subcontractor_register
        from contractor.user.models import User
        from contractor.utilities.services import address_block_create

        call_command("load_blueprints", str(BLUEPRINTS), verbosity=0)
        config = {"libvirt_bridge": self.lab.bridge, "libvirt_serial_dir": str(self.lab.root),
                  "libvirt_accelerator": self.accelerator}  # fmt: skip
        site = site_create(name="lab", description="The VM lab", config_values=config)
        network = self.lab.network
        address_block_create(site=site, name="lab-vms", subnet=str(network.network_address),
                             prefix=network.prefixlen, gateway=None)  # fmt: skip
        admin = User.objects.create_superuser(f"{self.prefix}-admin", "vm@example.com")
        self.api.headers["Authorization"] = f"Token {Token.objects.create(user=admin).key}"
        _, self.subcontractor_token = subcontractor_register(name=f"{self.prefix}-sc", sites=["lab"],
                                                             modules=["libvirt", "iputils"])  # fmt: skip

    def post(self, path: str, body: dict) -> dict:
        response = self.api.post(f"{self.url}/api/v1/{path}", json=body, timeout=30)
        if response.status_code >= 300:
            raise AssertionError(f"POST {path} {body}: {response.status_code} {response.text}")
        return response.json()

    def get(self, path: str) -> dict:
        return self.api.get(f"{self.url}/api/v1/{path}", timeout=30).json()

    def plan_host(self) -> dict:
        """This machine's libvirtd as the VM host `<prefix>-kvm` (on a manual foundation) of complex `<prefix>`."""
        name = f"{self.prefix}-kvm"
        self.post("foundations/", {"type": "manual", "locator": f"{name}-hw", "site": "lab",
                                   "blueprint": "libvirt-host-machine"})  # fmt: skip
        host = self.post("structures/", {"hostname": name, "site": "lab", "blueprint": "libvirt-host",
                                         "foundation": f"{name}-hw"})  # fmt: skip
        self.complex = self.post("libvirt-complexes/", {"name": self.prefix, "site": "lab", "members": [host["id"]]})
        self.host = host
        return host

    def plan_vm(self, index: int, blueprint: str = "libvirt-vm", finish: str = "poweroff") -> dict:
        """VM `<prefix>-vm<index>` (libvirt-vm) and its linux-vm structure with a static address .(20 + index);
        `finish` is its installer_finish (the installer powers off after its signal, or stays up listening)."""
        locator = f"{self.prefix}-vm{index}"
        self.post("foundations/", {"type": "libvirt", "locator": locator, "site": "lab", "blueprint": blueprint,
                                   "complex": self.prefix})  # fmt: skip
        structure = self.post("structures/", {"hostname": f"vm{index}", "site": "lab", "blueprint": "linux-vm",
                                              "foundation": locator,
                                              "config_values": {"installer_finish": finish}})  # fmt: skip
        block = self.get("address-blocks/?name=lab-vms")["results"][0]
        address = self.post(f"address-blocks/{block['id']}/allocate/", {
            "kind": "static", "structure": structure["id"], "interface_name": "eth0", "is_primary": True,
            "address": self.lab.address(20 + index)})  # fmt: skip
        self.vms[locator] = {"structure": structure["id"], "address": address["address"], "locator": locator,
                             "finish": finish}  # fmt: skip
        from vmlab import SerialLog

        # follow its console from now on: libvirt_serial_dir is the lab's folder, the handler writes <locator>.log
        self.lab.serials[locator] = SerialLog(self.lab.root / f"{locator}.log")
        return self.vms[locator]

    # --- jobs --------------------------------------------------------------------------------------------------

    def job(self, path: str, script: str) -> int:
        return self.post(f"{path}/jobs/", {"script": script})["id"]

    def wait_jobs(self, job_ids: list[int], seconds: float = BUILD_SECONDS) -> dict[int, dict]:
        """Poll the job API until every job has ended, or one has failed (a structure's job would wait for its
        failed foundation's until the time ran out: 600 s for nothing); the last state of each."""
        states: dict[int, dict] = {}

        def ended():
            states.update({pk: self.get(f"jobs/{pk}/") for pk in job_ids})
            found = [body.get("state") for body in states.values()]
            return {"error", "aborted"} & set(found) or all(state == "done" for state in found)

        if not wait_for(ended, seconds, 0.5):
            raise AssertionError(f"jobs did not end within {seconds} s: {states}\n{self.logs()}\n{self.lab.report()}")
        return states

    def build_host(self) -> None:
        jobs = [
            self.job(f"foundations/{self.prefix}-kvm-hw", "create"),
            self.job(f"structures/{self.host['id']}", "create"),
        ]
        states = self.wait_jobs(jobs, 120)
        assert [s["state"] for s in states.values()] == ["done", "done"], states

    def create_jobs(self, locator: str) -> list[int]:
        """The VM's create job and its structure's, posted together (the structure's waits for the VM)."""
        return [
            self.job(f"foundations/{locator}", "create"),
            self.job(f"structures/{self.vms[locator]['structure']}", "create"),
        ]

    def destroy(self, locator: str) -> None:
        for path in (f"structures/{self.vms[locator]['structure']}", f"foundations/{locator}"):
            states = self.wait_jobs([self.job(path, "destroy")], 180)
            assert [s["state"] for s in states.values()] == ["done"], f"{states}\n{self.logs()}"

    # --- measuring ---------------------------------------------------------------------------------------------

    def timeline(self, locator: str) -> dict:
        """When things happened for one VM (epoch seconds), from the database and its serial console."""
        from contractor.building.models import Structure
        from contractor.foreman.models import JobLog
        from contractor.subcontracting.models import Task

        structure = Structure.objects.get(pk=self.vms[locator]["structure"])
        log = JobLog.objects.filter(target=locator, target_kind="foundation", script_name="create").latest("pk")
        structure_log = JobLog.objects.filter(target=structure.hostname, target_kind="structure", script_name="create")
        job_ids = [log.job_id_ref, structure_log.latest("pk").job_id_ref]
        tasks = {t.function: t for t in Task.objects.filter(job_id__in=job_ids).order_by("pk")}
        serial = self.lab.serial(locator)
        signal = serial.find(r"installer: signal ok")
        off = serial.find(r"reboot: Power down")  # the kernel's last line as the installer powers the VM off
        offset = time.time() - time.monotonic()
        return {
            "job_created": log.created.timestamp(),
            "job_started": log.started_at.timestamp(),
            "create_done": tasks["create"].finished_at.timestamp(),
            "start_done": tasks["start"].finished_at.timestamp(),
            "signal": signal[0] + offset if signal else None,
            "off": off[0] + offset if off else None,
            "built": structure.built_at.timestamp(),
            "tasks": {name: (t.finished_at - t.created).total_seconds() for name, t in tasks.items() if t.finished_at},
        }


def libvirt_running(name: str, uri: str = "qemu:///system") -> bool:
    """Whether the libvirt domain of that name is running."""
    import libvirt

    connection = libvirt.open(uri)
    try:
        return bool(connection.lookupByName(name).isActive())
    finally:
        connection.close()


def libvirt_domains(uri: str = "qemu:///system") -> dict[str, str]:
    """name -> UUID of every libvirt domain on the host."""
    import libvirt

    connection = libvirt.open(uri)
    try:
        return {domain.name(): domain.UUIDString() for domain in connection.listAllDomains()}
    finally:
        connection.close()
