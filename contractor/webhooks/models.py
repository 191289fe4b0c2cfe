"""Subscription, Event, Delivery, DeliveryAttempt and AckRequest."""

import fnmatch
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.db import models

from contractor.db import Timestamped
from contractor.tokens import row_token
from contractor.webhooks.choices import AckState, DeliveryState


def validate_event_patterns(value):
    if not isinstance(value, list) or not value or not all(isinstance(item, str) and item for item in value):
        raise ValidationError("A non-empty list of event kinds; `*` is a wildcard (`job.*`).")


def new_secret() -> str:
    return secrets.token_hex(32)


def new_token() -> str:
    """A random token (the default of AckRequest.token before tokens were hashed: migration 0001 names it)."""
    return secrets.token_urlsafe(32)


ACK_TOKEN_SALT = "contractor.webhooks.ack"


def ack_token(event) -> str:
    """The ack token of an event that asks for an acknowledgement: a hash of the event's id and time keyed by
    SECRET_KEY. It is worked out when a delivery is sent, never stored; the AckRequest keeps only its sha256."""
    return row_token(ACK_TOKEN_SALT, event)


def ack_token_hash(token: str) -> str:
    """What an AckRequest stores of its token, and looks a presented one up by: the hex sha256."""
    return hashlib.sha256(str(token).encode("utf-8", "surrogatepass")).hexdigest()


ACK_PERMISSION = "webhooks.change_ackrequest"


def may_acknowledge(user) -> bool:
    """Whether `user` may see ack tokens (and so acknowledge for a receiver): `webhooks.change_ackrequest`."""
    return bool(user and user.is_authenticated and user.has_perm(ACK_PERMISSION))


def payload_without_ack_token(payload: dict, hidden: str) -> dict:
    """`payload` with its ack token (in `data.ack.token` and inside `data.ack.url`) replaced by `hidden`."""
    data = payload.get("data")
    ack = data.get("ack") if isinstance(data, dict) else None
    if not isinstance(ack, dict) or not ack.get("token"):
        return payload
    token = str(ack["token"])
    shown = {**ack, "token": hidden, "url": str(ack.get("url", "")).replace(token, hidden)}
    return {**payload, "data": {**data, "ack": shown}}


class Subscription(Timestamped):
    """A receiver URL and the events it wants, optionally only for one site, blueprint or target."""

    name = models.CharField(max_length=100, unique=True)
    url = models.URLField(max_length=500)
    events = models.JSONField(default=list, validators=[validate_event_patterns])
    site = models.ForeignKey("site.Site", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    blueprint = models.ForeignKey(
        "blueprint.BluePrint", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target_kind = models.CharField(max_length=20, blank=True, help_text="foundation, structure or job")
    target_id = models.CharField(max_length=100, blank=True)
    secret = models.CharField(max_length=200, default=new_secret)
    one_shot = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        if bool(self.target_kind) != bool(self.target_id):
            raise ValidationError({"target_id": "Give both target_kind and target_id, or neither."})

    def wants(self, kind: str) -> bool:
        """Whether an event of `kind` matches one of this subscription's patterns."""
        return any(fnmatch.fnmatchcase(kind, pattern) for pattern in self.events)


class Event(models.Model):
    """Something that happened, stored in the transaction that made it happen."""

    kind = models.CharField(max_length=50, db_index=True)
    payload = models.JSONField(default=dict)
    target_kind = models.CharField(max_length=20, blank=True)
    target_id = models.CharField(max_length=100, blank=True)
    site = models.ForeignKey("site.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    blueprint = models.ForeignKey(
        "blueprint.BluePrint", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.kind} #{self.pk}"

    @property
    def target_key(self) -> str:
        return f"{self.target_kind}:{self.target_id}"

    def body(self) -> dict:
        """What receivers get: the event's id, kind and time with its payload (target, site, data).

        An event asking for an acknowledgement stores only where its ack URL goes (`data.ack.base`); its body has
        the token (`data.ack.token`) and the URL made of both (`data.ack.url`), worked out here.
        """
        payload = self.payload
        data = payload.get("data")
        ack = data.get("ack") if isinstance(data, dict) else None
        if isinstance(ack, dict) and "base" in ack:
            token = ack_token(self)
            shown = {"token": token, "url": f"{str(ack['base']).rstrip('/')}/api/v1/webhook-acks/{token}/"}
            payload = {**payload, "data": {**data, "ack": shown}}
        return {"id": self.pk, "event": self.kind, "created": self.created.isoformat(), **payload}


class Delivery(models.Model):
    """One event on its way to one subscription."""

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="deliveries")
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    target_key = models.CharField(max_length=130, blank=True, help_text="Deliveries of one key go in order.")
    state = models.CharField(max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_time_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name_plural = "deliveries"
        constraints = [models.UniqueConstraint(fields=["subscription", "event"], name="delivery_unique")]

    def __str__(self):
        return f"{self.event} to {self.subscription}"


class DeliveryAttempt(models.Model):
    """The log of one try at a delivery."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_time_ms = models.PositiveIntegerField()
    error = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"{self.delivery}: {self.status_code or self.error}"


class AckRequest(models.Model):
    """A question to webhook receivers that a job waits on until one of them acknowledges it."""

    token_hash = models.CharField(max_length=64, unique=True, help_text="The sha256 of its token (ack_token_hash).")
    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="ack_request")
    state = models.CharField(max_length=10, choices=AckState.choices, default=AckState.WAITING)
    acked_at = models.DateTimeField(null=True, blank=True)
    ack_data = models.JSONField(default=dict, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self):
        return f"ack {self.event} ({self.state})"
