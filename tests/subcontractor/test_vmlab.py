"""The VM lab itself: what it sets up, and that closing it removes everything, including what others left on it."""

import json
import subprocess
import sys
import uuid as uuid_module

import pytest
from vmlab import LIBVIRT_URI, REGISTRY, Lab, sweep_stale_labs

from subcontractor.handlers import HandlerError
from subcontractor.handlers import libvirt as handler

pytestmark = pytest.mark.slow


def links() -> str:
    return subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True).stdout


def namespaces() -> str:
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout


def test_closing_the_lab_removes_vms_processes_dnsmasq_namespace_and_bridge(libvirt_daemon, tmp_path):
    """A VM nobody tracked (as a subcontractor makes), a process in the namespace and dnsmasq are all gone
    after close(), and so are the namespace, veth pair and bridge."""
    lab = Lab(tmp_path / "lab").start()
    try:
        assert lab.namespace in namespaces() and lab.bridge in links() and lab.host_veth in links()
        lab.pxe_sync({"static": [], "dynamic": [], "boot_file": "undionly.kpxe"})
        assert lab.dnsmasq_running()
        sleeper = lab.popen(["sleep", "600"])
        stray = subprocess.Popen(["ip", "netns", "exec", lab.namespace, "sleep", "600"])  # started by someone else
        uuid = str(uuid_module.uuid4())
        handler.create(
            {
                "uri": LIBVIRT_URI,
                "uuid": uuid,
                "name": f"{lab.namespace}-stray",
                "interfaces": [{"name": "eth0", "bridge": lab.bridge}],
            }
        )
        handler.start({"uri": LIBVIRT_URI, "uuid": uuid})
        assert lab.vm_uuids() == [uuid]
    finally:
        problems = lab.close()
    assert problems == []
    assert sleeper.poll() is not None and stray.wait(timeout=10) is not None
    assert not lab.dnsmasq_running()
    assert lab.namespace not in namespaces()
    assert lab.bridge not in links() and lab.host_veth not in links()
    with pytest.raises(HandlerError, match="no VM with uuid"):
        handler.power_state({"uri": LIBVIRT_URI, "uuid": uuid})


def test_the_namespace_reaches_the_host_address_and_the_main_namespace_does_not_see_the_lab_ports(vm_lab):
    """A server on the lab's host address (where Contractor binds) answers from inside the namespace; the
    namespace's own loopback is its own."""
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "0", "--bind", vm_lab.host_address],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = server.stdout.readline()  # "Serving HTTP on ADDRESS port PORT ..."
        port = int(line.split(" port ")[1].split()[0])
        assert vm_lab.port_open(vm_lab.host_address, port) == "open"
        assert vm_lab.port_open("127.0.0.1", port) == "closed"  # the namespace's loopback is not the host's
        assert vm_lab.port_open(vm_lab.address(99), 22, timeout=1) == "timeout"  # nobody at that address
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_a_lab_whose_test_process_died_is_swept_up_by_the_next(libvirt_daemon, tmp_path):
    """A killed test run leaves its lab behind: the next lab started removes its VM, namespace and bridge."""
    dead = subprocess.Popen(["true"])
    dead.wait()
    orphan = Lab(tmp_path / "orphan").start()
    marker = REGISTRY / orphan.namespace
    marker.write_text(json.dumps({"pid": dead.pid, "root": str(orphan.root)}))  # as if its owner was killed
    uuid = str(uuid_module.uuid4())
    parameters = {"uri": LIBVIRT_URI, "uuid": uuid}
    handler.create(
        {**parameters, "name": f"{orphan.namespace}-left", "interfaces": [{"name": "eth0", "bridge": orphan.bridge}]}
    )
    lab = Lab(tmp_path / "next")
    try:
        lab.start()
        assert orphan.namespace not in namespaces() and orphan.bridge not in links()
        assert not marker.exists() and (REGISTRY / lab.namespace).exists()
        with pytest.raises(HandlerError, match="no VM with uuid"):
            handler.power_state(parameters)
        assert orphan.namespace not in sweep_stale_labs()  # nothing left to sweep; the live lab is kept
        assert lab.namespace in namespaces()
    finally:
        assert lab.close() == []
    assert not (REGISTRY / lab.namespace).exists()
