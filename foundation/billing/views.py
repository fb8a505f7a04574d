import json

import stripe
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from foundation.accounts.models import OrganizationRole, Role

from . import events, pdf
from .models import Invoice

INVOICE_VIEWERS = {Role.ADMIN, Role.BILLING}


@csrf_exempt
@require_POST
def stripe_webhook(request):
    """Verify, store once, answer at once; a task processes the event after commit."""
    secret = settings.STRIPE_WEBHOOK_SECRET
    if not secret:
        return HttpResponseBadRequest("Webhooks are not configured.")
    signature = request.headers.get("Stripe-Signature", "")
    try:
        stripe.WebhookSignature.verify_header(
            request.body.decode("utf-8", "replace"), signature, secret,
            stripe.Webhook.DEFAULT_TOLERANCE,
        )
    except stripe.SignatureVerificationError:
        return HttpResponseBadRequest("Bad or stale signature.")
    try:
        payload = json.loads(request.body)
    except ValueError:
        payload = None
    if not (isinstance(payload, dict) and isinstance(payload.get("id"), str)
            and isinstance(payload.get("type"), str) and isinstance(payload.get("data"), dict)):
        return HttpResponseBadRequest("The body is not a Stripe event.")
    _, created = events.record(payload)
    return JsonResponse({"received": True, "duplicate": not created})


def _visible_invoice(request, slug: str, invoice_id: int) -> Invoice:
    """An issued invoice of the organization at `slug`, if the person asking is one of its
    admins or billing contacts; anyone else gets a 404, as if it did not exist."""
    allowed = OrganizationRole.objects.filter(
        user=request.user, organization__slug=slug, role__in=INVOICE_VIEWERS
    ).exists()
    if not allowed:
        raise Http404("No such invoice.")
    return get_object_or_404(
        Invoice.objects.select_related("organization").prefetch_related("lines", "payments"),
        pk=invoice_id, organization__slug=slug, number__isnull=False,
    )


@login_required
def invoice_detail(request, slug, invoice_id):
    """The printable invoice, for the organization's admins and billing contacts only."""
    invoice = _visible_invoice(request, slug, invoice_id)
    return render(request, "billing/invoice.html", pdf.document_context(invoice))


@login_required
def invoice_pdf(request, slug, invoice_id):
    """The same invoice as a PDF file, for the same people."""
    invoice = _visible_invoice(request, slug, invoice_id)
    filename = pdf.invoice_filename(invoice)
    return HttpResponse(pdf.invoice_pdf(invoice), content_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
    })
