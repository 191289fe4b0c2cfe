"""The libvirt foundation type: virtual machines on the VM hosts of a complex, driven by the subcontractor."""
