"""AckRequest keeps only the sha256 of its token; events made before keep no token in their payload either."""

import hashlib

from django.db import migrations, models

HIDDEN = "********"


def hash_tokens(apps, schema_editor):
    """Each request's token becomes its hash (a receiver that has it can still acknowledge); the token in its
    event's stored payload is masked (a delivery still pending is sent without it: reset the job to ask again)."""
    AckRequest = apps.get_model("webhooks", "AckRequest")
    for ack in AckRequest.objects.select_related("event").iterator():
        ack.token_hash = hashlib.sha256(ack.token.encode()).hexdigest()
        ack.save(update_fields=["token_hash"])
        payload = ack.event.payload
        data = payload.get("data") if isinstance(payload, dict) else None
        stored = data.get("ack") if isinstance(data, dict) else None
        if isinstance(stored, dict) and stored.get("token"):
            url = str(stored.get("url", "")).replace(str(stored["token"]), HIDDEN)
            data["ack"] = {**stored, "token": HIDDEN, "url": url}
            ack.event.save(update_fields=["payload"])


class Migration(migrations.Migration):
    dependencies = [("webhooks", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="ackrequest", name="token_hash", field=models.CharField(max_length=64, null=True)
        ),
        migrations.RunPython(hash_tokens, migrations.RunPython.noop),
        migrations.RemoveField(model_name="ackrequest", name="token"),
        migrations.AlterField(
            model_name="ackrequest",
            name="token_hash",
            field=models.CharField(help_text="The sha256 of its token (ack_token_hash).", max_length=64, unique=True),
        ),
    ]
