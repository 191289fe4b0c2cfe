"""Fixtures for the libvirt plugin tests: a complex of VM hosts."""

import pytest

from tests.plugins.libvirt.factories import LibvirtComplexFactory, add_host


@pytest.fixture
def vm_complex(db):
    """A libvirt complex `vmc` with two built hosts, kvm1 (qemu+tcp://kvm1/system) and kvm2 (the default URI)."""
    complex_ = LibvirtComplexFactory(name="vmc")
    add_host(complex_, "kvm1", uri="qemu+tcp://kvm1/system")
    add_host(complex_, "kvm2")
    return complex_
