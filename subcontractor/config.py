"""The daemon's TOML configuration: loading and validation with errors that name the key."""

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

__all__ = ["Config", "ConfigError", "PxeConfig", "config_load", "config_parse"]

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(Exception):
    """The configuration file is missing, unreadable or wrong; the message names the key."""


@dataclass(frozen=True)
class PxeConfig:
    """Where the PXE sync writes dnsmasq's configuration and how it tells dnsmasq."""

    enabled: bool = False
    hosts_dir: Path | None = None
    opts_dir: Path | None = None
    conf: Path | None = None
    pid_file: Path | None = None
    restart_command: list[str] = field(default_factory=list)
    interval: float = 30.0


@dataclass(frozen=True)
class Config:
    """Everything the daemon needs to run."""

    url: str
    token: str
    sites: tuple[str, ...]
    modules: dict[str, int]
    proxy: str | None = None
    poll_interval: float = 5.0
    timeout: float = 10.0
    log_level: str = "INFO"
    spool_dir: Path | None = None
    backoff_initial: float = 1.0
    backoff_max: float = 60.0
    drain_timeout: float = 30.0
    pxe: PxeConfig = field(default_factory=PxeConfig)

    @property
    def site(self) -> str:
        """The first (usually the only) site it serves."""
        return self.sites[0]


def config_load(path: str | Path, *, known_modules=None) -> Config:
    """Read and validate a TOML config file."""
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except OSError as error:
        raise ConfigError(f"cannot read config file {path}: {error.strerror}") from error
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"config file {path} is not valid TOML: {error}") from error
    return config_parse(data, known_modules=known_modules)


def config_parse(data: dict, *, known_modules=None) -> Config:
    """Validate a parsed TOML document; known_modules (names) limits the [modules] table."""
    _only(data, "", ("contractor", "modules", "pxe", "log", "daemon"))
    contractor = _table(data, "contractor", required=True)
    _only(contractor, "contractor.", ("url", "token", "proxy", "site", "sites", "poll_interval", "timeout"))
    daemon = _table(data, "daemon")
    _only(daemon, "daemon.", ("spool_dir", "backoff_initial", "backoff_max", "drain_timeout"))
    log = _table(data, "log")
    _only(log, "log.", ("level",))
    level = _str(log, "log.level", "INFO").upper()
    if level not in LOG_LEVELS:
        raise ConfigError(f"log.level must be one of {', '.join(LOG_LEVELS)}, got '{level}'")
    config = Config(
        url=_url(contractor, "contractor.url").rstrip("/"),
        token=_str(contractor, "contractor.token"),
        sites=_sites(contractor),
        proxy=_url(contractor, "contractor.proxy") if "proxy" in contractor else None,
        poll_interval=_number(contractor, "contractor.poll_interval", 5.0),
        timeout=_number(contractor, "contractor.timeout", 10.0),
        modules=_modules(_table(data, "modules"), known_modules),
        log_level=level,
        spool_dir=_path(daemon, "daemon.spool_dir"),
        backoff_initial=_number(daemon, "daemon.backoff_initial", 1.0),
        backoff_max=_number(daemon, "daemon.backoff_max", 60.0),
        drain_timeout=_number(daemon, "daemon.drain_timeout", 30.0),
        pxe=_pxe(_table(data, "pxe")),
    )
    if not config.modules and not config.pxe.enabled:
        raise ConfigError("modules: serve at least one task module, or set pxe.enabled = true")
    return config


def _only(table: dict, prefix: str, allowed: tuple[str, ...]) -> None:
    for key in table:
        if key not in allowed:
            raise ConfigError(f"{prefix}{key} is not a known setting (known: {', '.join(allowed)})")


def _table(data: dict, key: str, *, required: bool = False) -> dict:
    if key not in data:
        if required:
            raise ConfigError(f"[{key}] section is missing")
        return {}
    if not isinstance(data[key], dict):
        raise ConfigError(f"{key} must be a table ([{key}])")
    return data[key]


def _str(table: dict, name: str, default: str | None = None) -> str:
    key = name.rsplit(".", 1)[-1]
    value = table.get(key, default)
    if value is None:
        raise ConfigError(f"{name} is required")
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{name} must be a non-empty string")
    return value


def _sites(table: dict) -> tuple[str, ...]:
    """`site = "lab"` (one site) or `sites = ["rack1", "rack2"]` (several, one daemon for a data centre)."""
    if "site" in table and "sites" in table:
        raise ConfigError("contractor.site and contractor.sites: give one of them, not both")
    if "sites" not in table:
        if "site" not in table:
            raise ConfigError("contractor.site (or contractor.sites, a list) is required")
        return (_str(table, "contractor.site"),)
    sites = table["sites"]
    if not isinstance(sites, list) or not sites or not all(isinstance(s, str) and s.strip() for s in sites):
        raise ConfigError(f"contractor.sites must be a non-empty list of site names, got {sites!r}")
    if len(set(sites)) != len(sites):
        raise ConfigError("contractor.sites names a site more than once")
    return tuple(sites)


def _url(table: dict, name: str) -> str:
    value = _str(table, name)
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ConfigError(f"{name} must be an http:// or https:// URL, got '{value}'")
    return value


def _number(table: dict, name: str, default: float) -> float:
    value = table.get(name.rsplit(".", 1)[-1], default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def _path(table: dict, name: str) -> Path | None:
    if name.rsplit(".", 1)[-1] not in table:
        return None
    return Path(_str(table, name))


def _modules(table: dict, known_modules) -> dict[str, int]:
    modules = {}
    for name, limit in table.items():
        if known_modules is not None and name not in known_modules:
            raise ConfigError(f"modules.{name} is not a task module this daemon has (has: {', '.join(known_modules)})")
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ConfigError(f"modules.{name} must be a concurrency limit (an integer of at least 1), got {limit!r}")
        modules[name] = limit
    return modules


def _pxe(table: dict) -> PxeConfig:
    allowed = ("enabled", "dnsmasq_hosts_dir", "dnsmasq_opts_dir", "dnsmasq_conf", "dnsmasq_pid_file")
    _only(table, "pxe.", (*allowed, "restart_command", "interval"))
    enabled = table.get("enabled", False)
    if not isinstance(enabled, bool):
        raise ConfigError("pxe.enabled must be true or false")
    if not enabled:
        return PxeConfig()
    restart = table.get("restart_command", [])
    if not isinstance(restart, list) or not all(isinstance(part, str) for part in restart):
        raise ConfigError("pxe.restart_command must be a list of strings (a command and its arguments)")
    return PxeConfig(
        enabled=True,
        hosts_dir=Path(_str(table, "pxe.dnsmasq_hosts_dir")),
        opts_dir=Path(_str(table, "pxe.dnsmasq_opts_dir")),
        conf=Path(_str(table, "pxe.dnsmasq_conf")),
        pid_file=_path(table, "pxe.dnsmasq_pid_file"),
        restart_command=restart,
        interval=_number(table, "pxe.interval", 30.0),
    )
