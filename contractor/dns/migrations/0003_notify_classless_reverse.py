"""The address block trigger also fires when a block's RFC 2317 option (classless_reverse) changes."""

import importlib

from django.db import migrations

notify = importlib.import_module("contractor.dns.migrations.0002_change_notify")

BLOCK = "utilities.AddressBlock", "block", "id", ["subnet", "prefix", "vlan", "site_id"]
BLOCK_CLASSLESS = (*BLOCK[:3], [*BLOCK[3], "classless_reverse"])


def forward(apps, schema_editor):
    notify.install(apps, schema_editor, watched=[BLOCK_CLASSLESS])


def backward(apps, schema_editor):
    notify.install(apps, schema_editor, watched=[BLOCK])


class Migration(migrations.Migration):
    dependencies = [("dns", "0002_change_notify"), ("utilities", "0002_addressblock_classless_reverse")]

    operations = [migrations.RunPython(forward, backward)]
