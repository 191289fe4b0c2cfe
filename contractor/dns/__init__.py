"""DNS: zones and the BIND zone files that follow every change."""
