"""Config loading: the TOML reference in docs/subcontractor.md, with errors that name the key."""

import pytest

from subcontractor.config import ConfigError, config_load, config_parse

FULL = """
[contractor]
url = "http://127.0.0.1:8000/"
token = "abc"
proxy = "http://proxy:3128"
site = "lab"
poll_interval = 5
[modules]
ipmi = 4
iputils = 8
[pxe]
enabled = true
dnsmasq_hosts_dir = "/var/lib/subcontractor/hosts"
dnsmasq_opts_dir = "/var/lib/subcontractor/opts"
dnsmasq_conf = "/etc/dnsmasq.d/subcontractor.conf"
dnsmasq_pid_file = "/run/dnsmasq.pid"
interval = 30
[log]
level = "debug"
[daemon]
spool_dir = "/var/spool/subcontractor"
"""


def minimal(**changes):
    data = {"contractor": {"url": "http://c", "token": "t", "site": "lab"}, "modules": {"iputils": 1}}
    for section, values in changes.items():
        data[section] = values if values is None else {**data.get(section, {}), **values}
    return {key: value for key, value in data.items() if value is not None}


def test_full_example_loads(tmp_path):
    """The documented example loads with every value, the URL without its trailing slash and the level uppercased."""
    path = tmp_path / "sub.toml"
    path.write_text(FULL)
    config = config_load(path, known_modules=("ipmi", "iputils"))
    assert (config.url, config.token, config.proxy, config.site) == (
        "http://127.0.0.1:8000",
        "abc",
        "http://proxy:3128",
        "lab",
    )
    assert config.modules == {"ipmi": 4, "iputils": 8}
    assert config.poll_interval == 5.0 and config.log_level == "DEBUG"
    assert str(config.spool_dir) == "/var/spool/subcontractor"
    assert config.pxe.enabled and str(config.pxe.pid_file) == "/run/dnsmasq.pid" and config.pxe.interval == 30


def test_defaults():
    """Only url, token, site and one module are needed; the rest has defaults."""
    config = config_parse(minimal())
    assert config.proxy is None and config.spool_dir is None and config.poll_interval == 5.0
    assert config.log_level == "INFO" and config.pxe.enabled is False and config.backoff_max == 60.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (minimal(contractor=None), r"\[contractor\] section is missing"),
        (minimal(contractor={"token": None}), "contractor.token is required"),
        (minimal(contractor={"url": "ftp://c"}), "contractor.url must be an http"),
        (minimal(contractor={"proxy": "proxy:3128"}), "contractor.proxy must be an http"),
        (minimal(contractor={"poll_interval": 0}), "contractor.poll_interval must be a positive number"),
        (minimal(contractor={"colour": "red"}), "contractor.colour is not a known setting"),
        (minimal(modules={"iputils": 0}), "modules.iputils must be a concurrency limit"),
        (minimal(modules={"iputils": "4"}), "modules.iputils must be a concurrency limit"),
        (minimal(log={"level": "loud"}), "log.level must be one of"),
        (minimal(pxe={"enabled": True, "dnsmasq_hosts_dir": "/h", "dnsmasq_opts_dir": "/o"}), "pxe.dnsmasq_conf"),
        (minimal(pxe={"enabled": "yes"}), "pxe.enabled must be true or false"),
        (minimal(daemon={"backoff_max": -1}), "daemon.backoff_max must be a positive number"),
        ({**minimal(), "extra": {}}, "extra is not a known setting"),
    ],
)
def test_errors_name_the_key(data, message):
    """Each wrong or missing setting is reported with its dotted key."""
    data["contractor"] = {key: value for key, value in data.get("contractor", {}).items() if value is not None}
    if not data["contractor"]:
        del data["contractor"]
    with pytest.raises(ConfigError, match=message):
        config_parse(data)


def test_unknown_module_and_no_work():
    """A module this daemon has no handler for is named; a daemon with no modules and no PXE is refused."""
    with pytest.raises(ConfigError, match="modules.telnet is not a task module this daemon has"):
        config_parse(minimal(modules={"telnet": 1}), known_modules=("ipmi", "iputils"))
    data = minimal()
    data["modules"] = {}
    with pytest.raises(ConfigError, match="serve at least one task module"):
        config_parse(data)


def test_bad_toml_is_reported(tmp_path):
    """A file that is not TOML is reported as such, with the file name."""
    path = tmp_path / "broken.toml"
    path.write_text("[contractor\nurl=")
    with pytest.raises(ConfigError, match="broken.toml is not valid TOML"):
        config_load(path)


def test_several_sites():
    """`sites = [...]` names several sites (one daemon for many racks); `site` is the one-site form."""
    config = config_parse(minimal(contractor={"site": None}) | {"contractor": {"url": "http://c", "token": "t",
                                                                             "sites": ["rack1", "rack2"]}})  # fmt: skip
    assert config.sites == ("rack1", "rack2") and config.site == "rack1"
    assert config_parse(minimal()).sites == ("lab",)


@pytest.mark.parametrize(
    ("contractor", "message"),
    [
        ({"site": "lab", "sites": ["lab"]}, "give one of them, not both"),
        ({"sites": []}, "contractor.sites must be a non-empty list"),
        ({"sites": "rack1"}, "contractor.sites must be a non-empty list"),
        ({"sites": ["rack1", 2]}, "contractor.sites must be a non-empty list"),
        ({"sites": ["rack1", "rack1"]}, "names a site more than once"),
        ({}, r"contractor.site \(or contractor.sites, a list\) is required"),
    ],
)
def test_sites_errors_name_the_key(contractor, message):
    """A wrong `sites` (or both forms, or neither) is refused naming the key."""
    data = {"contractor": {"url": "http://c", "token": "t", **contractor}, "modules": {"iputils": 1}}
    with pytest.raises(ConfigError, match=message):
        config_parse(data)
