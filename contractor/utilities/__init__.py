"""Networks, address blocks, addresses and network interfaces."""
