"""Which config keys are secret beyond the built-in words: the `secret_keys` every site and blueprint declares.

`secret_keys` is a list of key names or fnmatch patterns (`bmc_*`). It merges like any list, but only grows:
a layer adds to it (`secret_keys` or `>secret_keys`), never takes from it, and what any site or blueprint names is
secret wherever its value shows (a parent site's raw values are read by everyone who reads that site).
"""

from django.core.exceptions import ValidationError

from contractor.blueprint.models import BluePrint
from contractor.redaction import SECRET_KEYS, raw_key_name
from contractor.site.models import Site

ADDING_FORMS = (SECRET_KEYS, ">" + SECRET_KEYS, "<" + SECRET_KEYS)


def declared_secret_keys_query() -> set[str]:
    """Every pattern in a `secret_keys` of any site or blueprint, in one query."""
    # No ORDER BY in either half (the models order by name): SQLite refuses one inside a compound statement.
    sites = (
        Site.objects.filter(config_values__has_any_keys=ADDING_FORMS).order_by().values_list("config_values", flat=True)
    )
    blueprints = (
        BluePrint.objects.filter(config_values__has_any_keys=ADDING_FORMS)
        .order_by()
        .values_list("config_values", flat=True)
    )
    found: set[str] = set()
    for values in sites.union(blueprints, all=True):
        for form in ADDING_FORMS:
            found.update(str(name) for name in values.get(form) or ())
    return found


def secret_keys_problems(target, values: dict) -> list[str]:
    """Why `values` (a config about to be saved on `target`) holds a `secret_keys` it may not."""
    problems = []
    for key, value in values.items():
        if raw_key_name(key) != SECRET_KEYS:
            continue
        if not isinstance(target, Site | BluePrint):
            problems.append(f"{SECRET_KEYS} is declared in a site's or a blueprint's config, not here.")
        elif key not in ADDING_FORMS:
            problems.append(
                f"{key!r}: {SECRET_KEYS} only grows: a layer adds to it ({SECRET_KEYS} or >{SECRET_KEYS}, "
                "with no :Class), and never removes or masks what another layer named secret."
            )
        elif not isinstance(value, list) or not all(isinstance(name, str) and name for name in value):
            problems.append(f"{key!r} must be a list of key names or patterns (such as bmc_*).")
    return problems


def secret_keys_check(target) -> None:
    """Refuse a `secret_keys` out of place or malformed, on `config_values`."""
    values = getattr(target, "config_values", None)
    problems = secret_keys_problems(target, values) if isinstance(values, dict) else []
    if problems:
        raise ValidationError({"config_values": problems})
