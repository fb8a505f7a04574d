"""A stand-in for Stripe's HTTP API, built from Stripe's official example objects
(data/stripe/fixtures3.json). It keeps the objects it creates and honours idempotency keys
as Stripe does: the same key returns the first response."""

import copy
import itertools
import json
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import stripe

FIXTURES = json.loads(
    (Path(__file__).resolve().parents[2] / "data" / "stripe" / "fixtures3.json").read_text()
)["resources"]


def example(resource: str, **overrides) -> dict:
    """Stripe's example object for `resource`, with `overrides` applied."""
    obj = copy.deepcopy(FIXTURES[resource])
    obj.update(overrides)
    return obj


def _nested(pairs) -> dict:
    """Decode Stripe's form encoding (a[b][0][c]=v) into dicts and lists."""
    root: dict = {}
    for key, value in pairs:
        parts = key.replace("]", "").split("[")
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def listify(node):
        if isinstance(node, dict):
            if node and all(k.isdigit() for k in node):
                return [listify(node[k]) for k in sorted(node, key=int)]
            return {k: listify(v) for k, v in node.items()}
        return node

    return listify(root)


class FakeStripe(stripe.HTTPClient):
    name = "fake"

    def __init__(self):
        super().__init__()
        self.objects: dict[str, dict] = {}
        self.responses: dict[str, tuple[str, int, dict]] = {}
        self.calls: list[tuple[str, str]] = []
        self.fail_times = 0
        self._ids = itertools.count(1)

    def close(self):
        pass

    def created(self, prefix: str) -> list[dict]:
        return [o for k, o in self.objects.items() if k.startswith(prefix)]

    def request(self, method, url, headers, post_data=None, *, _usage=None):
        parts = urlsplit(url)
        params = _nested(parse_qsl(post_data.decode() if isinstance(post_data, bytes)
                                   else (post_data or parts.query)))
        key = (headers or {}).get("Idempotency-Key")
        if key and key in self.responses:
            return self.responses[key]
        self.calls.append((method.upper(), parts.path))
        if self.fail_times:
            self.fail_times -= 1
            return json.dumps({"error": {"type": "api_error", "message": "try later"}}), 500, {}
        body, status = self._route(method.upper(), parts.path, params)
        response = (json.dumps(body), status, {"Request-Id": f"req_{next(self._ids)}"})
        if key and method.upper() == "POST":
            self.responses[key] = response
        return response

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_test{next(self._ids):05d}"

    def _route(self, method: str, path: str, params: dict):
        segments = path.strip("/").split("/")[1:]  # drop "v1"
        if segments == ["customers"] and method == "POST":
            obj = example("customer", id=self._new_id("cus"), name=params.get("name"),
                          email=params.get("email"), metadata=params.get("metadata", {}))
            self.objects[obj["id"]] = obj
            return obj, 200
        if segments == ["invoices"] and method == "POST":
            obj = example(
                "invoice", id=self._new_id("in"), customer=params["customer"], status="draft",
                collection_method=params.get("collection_method"),
                metadata=params.get("metadata", {}), total=0, amount_due=0, amount_paid=0,
                hosted_invoice_url=None, created=int(time.time()),
                lines={"object": "list", "data": [], "has_more": False, "url": "/v1/x"},
            )
            self.objects[obj["id"]] = obj
            return obj, 200
        if segments == ["invoices"] and method == "GET":
            data = list(self.created("in_"))
            return {"object": "list", "data": data, "has_more": False, "url": "/v1/invoices"}, 200
        if segments == ["invoiceitems"] and method == "POST":
            invoice = self.objects[params["invoice"]]
            amount = int(params["amount"])
            obj = example("invoiceitem", id=self._new_id("ii"), amount=amount,
                          invoice=invoice["id"], description=params.get("description"))
            self.objects[obj["id"]] = obj
            invoice["total"] += amount
            invoice["amount_due"] += amount
            return obj, 200
        if len(segments) >= 2 and segments[0] == "invoices":
            invoice = self.objects.get(segments[1])
            if invoice is None:
                return {"error": {"type": "invalid_request_error",
                                  "message": "No such invoice"}}, 404
            action = segments[2] if len(segments) > 2 else ""
            if action == "finalize":
                invoice.update(status="open",
                               hosted_invoice_url=f"https://invoice.stripe.com/i/{invoice['id']}")
            elif action == "void":
                invoice["status"] = "void"
            elif action == "mark_uncollectible":
                invoice["status"] = "uncollectible"
            elif action == "pay":
                invoice.update(status="paid", amount_paid=0 if params.get("paid_out_of_band")
                               else invoice["amount_due"])
            return invoice, 200
        return {"error": {"type": "invalid_request_error", "message": f"{method} {path}"}}, 404
