"""Build webhook deliveries the way Stripe signs them (HMAC-SHA256 of "t.payload")."""

import hashlib
import hmac
import json
import time

from tests.billing.stripe_fake import example

WEBHOOK_SECRET = "whsec_test_portal_secret"
URL = "/stripe/webhook/"


def signature(payload: bytes, secret: str = WEBHOOK_SECRET, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    signed = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
    return f"t={timestamp},v1={signed.hexdigest()}"


def invoice_event(event_type: str, invoice, event_id: str = "evt_test_1", **invoice_fields):
    """A Stripe event about our `invoice`, from Stripe's example event and invoice."""
    fields = {
        "id": invoice.stripe_invoice_id or "in_unknown",
        "metadata": {"portal_invoice_id": str(invoice.pk), "number": invoice.number or ""},
        "amount_paid": int(invoice.total * 100) if event_type == "invoice.paid" else 0,
        "status": {"invoice.paid": "paid", "invoice.voided": "void",
                   "invoice.marked_uncollectible": "uncollectible"}.get(event_type, "open"),
        **invoice_fields,
    }
    obj = example("invoice", **fields)
    return example("event", id=event_id, type=event_type, created=int(time.time()),
                   data={"object": obj})


def deliver(client, event: dict | bytes, *, secret: str = WEBHOOK_SECRET,
            timestamp: int | None = None, header: str | None = None):
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    sig = header if header is not None else signature(body, secret, timestamp)
    return client.post(URL, data=body, content_type="application/json",
                       HTTP_STRIPE_SIGNATURE=sig)
