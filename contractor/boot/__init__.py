"""The boot endpoints: what a machine being built fetches (iPXE script, installer template, config, boot files),
its signal when it has booted, and the PXE plan the subcontractor serves it from."""
