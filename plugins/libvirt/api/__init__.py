"""The libvirt plugin's API: libvirt complexes at /api/v1/libvirt-complexes/."""
