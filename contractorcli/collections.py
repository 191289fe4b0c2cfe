"""The one table of API collections the CLI knows: each becomes a command group with list/show/create/update/delete."""

from dataclasses import dataclass

READ = ("list", "show")
ALL = ("list", "show", "create", "update", "delete")


@dataclass(frozen=True)
class Collection:
    """A collection: its command name, its path under /api/v1/, what addresses one object, and its list columns."""

    command: str
    path: str
    key: str
    columns: tuple[str, ...]
    verbs: tuple[str, ...] = ALL
    help: str = ""
    filters: tuple[str, ...] = ()  # the FilterSet's fields offered as `list --<name>` (any is also `--filter k=v`)


COLLECTIONS = (
    Collection(
        "site", "sites", "name", ("name", "parent", "zone", "description"),
        filters=("parent", "root"),
        help="Sites, nested by parent.",
    ),
    Collection(
        "foundation-blueprint", "foundation-blueprints", "name", ("name", "parents", "foundation_types", "description"),
        filters=("name", "parent", "foundation_type"),
        help="Blueprints of foundations.",
    ),
    Collection(
        "structure-blueprint", "structure-blueprints", "name",
        ("name", "parents", "foundation_blueprints", "description"),
        filters=("name", "parent", "foundation_blueprint"),
        help="Blueprints of structures.",
    ),
    Collection(
        "pxe", "pxes", "name", ("name", "description"),
        help="PXE boot scripts.",
    ),
    Collection(
        "foundation", "foundations", "locator", ("locator", "type", "site", "blueprint", "state", "structure"),
        filters=("site", "blueprint", "type", "state"),
        help="Foundations of every type (what a structure runs on); `build` starts their create job.",
    ),
    Collection(
        "structure", "structures", "id", ("id", "hostname", "site", "blueprint", "foundation", "state"),
        filters=("hostname", "site", "blueprint", "foundation", "state"),
        help="Structures (the installed OS and what runs on it); `build` and `destroy` start jobs.",
    ),
    Collection(
        "complex", "complexes", "name", ("name", "site", "state", "built_percentage", "members"),
        filters=("site",),
        help="Complexes: groups of structures that host foundations.",
    ),
    Collection(
        "libvirt-complex", "libvirt-complexes", "name",
        ("name", "site", "state", "max_vms_per_host", "vm_count", "members"),
        help="Complexes of libvirt hosts.",
    ),
    Collection(
        "dependency", "dependencies", "id", ("id", "structure", "foundation", "dependency", "link", "state"),
        filters=("structure", "foundation", "link", "state"),
        help="Dependencies between structures and foundations.",
    ),
    Collection(
        "network", "networks", "id", ("id", "name", "site", "mtu", "address_blocks"),
        filters=("site", "name"),
        help="Networks.",
    ),
    Collection(
        "address-block", "address-blocks", "id", ("id", "name", "site", "subnet", "gateway", "vlan"),
        filters=("site", "network", "name", "vlan"),
        help="Address blocks (subnets); `allocate` takes an address from one.",
    ),
    Collection(
        "address", "addresses", "id",
        ("id", "address_block", "address", "kind", "structure", "interface_name", "is_primary"),
        filters=("address_block", "structure", "kind", "address"),
        help="Addresses in blocks.",
    ),
    Collection(
        "interface", "interfaces", "id", ("id", "foundation", "name", "mac", "is_provisioning", "network"),
        filters=("foundation", "mac", "network"),
        help="Foundations' network interfaces.",
    ),
    Collection(
        "aggregated-interface", "aggregated-interfaces", "id", ("id", "structure", "name", "mode", "members"),
        help="Bonds of a structure's interfaces.",
    ),
    Collection(
        "job", "jobs", "id", ("id", "target_kind", "target", "script_name", "state", "message"),
        verbs=READ, filters=("state", "foundation", "structure", "script_name"),
        help="Jobs (read-only; start them with `foundation build`, `structure build|destroy`).",
    ),
    Collection(
        "job-log", "job-logs", "id", ("id", "job", "target_kind", "target", "script_name", "outcome", "finished_at"),
        verbs=READ, filters=("job", "outcome", "target_kind", "target"),
        help="The permanent record of every job run.",
    ),
    Collection(
        "subcontractor", "subcontractors", "id", ("id", "name", "sites", "modules", "alive", "last_poll_at"),
        verbs=READ, filters=("site", "name"),
        help="Registered subcontractor daemons.",
    ),
    Collection(
        "task", "tasks", "id", ("id", "job", "module", "function", "state", "attempts"),
        verbs=READ, filters=("site", "state", "leased_by"),
        help="Remote calls that jobs made.",
    ),
    Collection(
        "zone", "zones", "name", ("name", "ttl", "contact", "name_servers", "sites"),
        filters=("site", "name"),
        help="DNS zones.",
    ),
    Collection(
        "webhook", "webhook-subscriptions", "name", ("name", "url", "events", "site", "active"),
        filters=("site", "active"),
        help="Webhook subscriptions.",
    ),
    Collection(
        "webhook-event", "webhook-events", "id", ("id", "kind", "target_kind", "target_id", "site", "created"),
        verbs=READ, filters=("kind", "site", "target_kind"),
        help="Events webhooks are sent for.",
    ),
    Collection(
        "webhook-delivery", "webhook-deliveries", "id",
        ("id", "subscription", "kind", "state", "attempts", "last_status_code"),
        verbs=READ, filters=("subscription", "state"),
        help="Webhook deliveries with their attempts.",
    ),
    Collection(
        "hardware-event", "hardware-events", "id", ("id", "kind", "target_kind", "target_id", "created"),
        verbs=("list", "create"),
        help="Hardware events posted for foundations.",
    ),
    Collection(
        "webhook-ack", "webhook-acks", "token", ("state", "acked_at", "event"),
        verbs=READ,
        help="Acknowledgements a job can wait on.",
    ),
    Collection(
        "user", "users", "username", ("username", "email", "roles", "is_active", "last_login"),
        filters=("role", "is_active"),
        help="Users and their roles.",
    ),
    Collection(
        "object-change", "object-changes", "id",
        ("id", "time", "user", "source", "action", "operator_action", "object_type", "object"),
        verbs=READ, filters=("object_type", "object_id", "user", "action"),
        help="The audit log: every create, update and delete, with who, when and what changed.",
    ),
)  # fmt: skip


def collection(command: str) -> Collection:
    return next(item for item in COLLECTIONS if item.command == command)
