import csv

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone

from foundation import audit
from foundation.admin_audit import AuditedModelAdmin
from foundation.transitions import DomainError

from . import events, services
from .models import Invoice, InvoiceLine, Payment, StripeEvent


def csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    readonly_fields = ["description", "quantity", "unit_amount"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class WirePaymentForm(forms.Form):
    reference = forms.CharField(max_length=200, help_text="The bank's transfer reference.")
    received_on = forms.DateField(initial=timezone.localdate, widget=forms.DateInput(
        attrs={"type": "date"}))
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=0)


@admin.register(Invoice)
class InvoiceAdmin(AuditedModelAdmin):
    list_display = ["__str__", "organization", "status", "total", "currency", "issue_date",
                    "due_date", "paid_at"]
    list_filter = ["status", "issue_date", "due_date"]
    search_fields = ["number", "organization__display_name", "organization__legal_name",
                     "po_number", "stripe_invoice_id"]
    readonly_fields = ["organization", "number", "status", "currency", "total", "issue_date",
                       "due_date", "subject_type", "subject_id", "stripe_invoice_id",
                       "hosted_invoice_url", "sync_error", "created_at", "paid_at",
                       "billing_emails"]
    fields = readonly_fields[:9] + ["po_number", "tax_id", "billing_name", "billing_address",
                                    "billing_emails", "stripe_invoice_id", "hosted_invoice_url",
                                    "sync_error", "created_at", "paid_at"]
    inlines = [InvoiceLineInline]
    actions = ["issue", "void", "resend", "push_again", "export_csv"]
    change_form_template = "admin/billing/invoice/change_form.html"

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        """An issued invoice is a document: its billing details no longer change."""
        if obj is not None and obj.number:
            return [*self.readonly_fields, "po_number", "tax_id", "billing_name",
                    "billing_address"]
        return self.readonly_fields

    def get_urls(self):
        return [
            path("<int:invoice_id>/mark-paid/", self.admin_site.admin_view(self.mark_paid_view),
                 name="billing_invoice_mark_paid"),
            *super().get_urls(),
        ]

    def mark_paid_view(self, request, invoice_id):
        invoice = get_object_or_404(Invoice, pk=invoice_id)
        if not self.has_change_permission(request, invoice):
            raise PermissionDenied
        form = WirePaymentForm(request.POST or None, initial={"amount": invoice.total})
        if request.method == "POST" and form.is_valid():
            received = form.cleaned_data["received_on"]
            try:
                services.invoice_mark_paid(
                    invoice_id=invoice.pk, method=Payment.Method.WIRE,
                    amount=form.cleaned_data["amount"], reference=form.cleaned_data["reference"],
                    received_at=timezone.make_aware(
                        timezone.datetime.combine(received, timezone.datetime.min.time())),
                    actor=request.user,
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, f"{invoice} is marked paid.", messages.SUCCESS)
                return redirect(reverse("admin:billing_invoice_change", args=[invoice.pk]))
        return render(request, "admin/billing/invoice/mark_paid.html", {
            **self.admin_site.each_context(request), "invoice": invoice, "form": form,
            "opts": self.model._meta, "title": f"Record a wire payment for {invoice}",
        })

    @admin.action(description="Issue the selected draft invoices", permissions=["change"])
    def issue(self, request, queryset):
        self.each(request, queryset.filter(status=Invoice.Status.DRAFT), services.invoice_issue,
                  "invoice(s) issued", id_arg="invoice_id")

    @admin.action(description="Void the selected invoices", permissions=["change"])
    def void(self, request, queryset):
        self.each(request, queryset, services.invoice_void, "invoice(s) voided",
                  id_arg="invoice_id", note="Voided by staff")

    @admin.action(description="E-mail the selected invoices again", permissions=["change"])
    def resend(self, request, queryset):
        self.each(request, queryset, services.invoice_resend, "invoice(s) sent again",
                  id_arg="invoice_id")

    @admin.action(description="Push the selected invoices to Stripe again (after a failed sync)",
                  permissions=["change"])
    def push_again(self, request, queryset):
        self.each(request, queryset, services.invoice_push_again,
                  "invoice(s) queued for Stripe", id_arg="invoice_id")

    @admin.action(description="Export the selected invoices as CSV")
    def export_csv(self, request, queryset):
        rows = (
            [i.number or "", i.organization.legal_name, i.status, i.total, i.currency,
             i.issue_date or "", i.due_date or "", i.paid_at or "", i.po_number, i.tax_id,
             i.stripe_invoice_id or ""]
            for i in queryset.select_related("organization")
        )
        return csv_response("invoices.csv", ["number", "organization", "status", "total",
                                             "currency", "issued", "due", "paid at", "PO number",
                                             "tax ID", "Stripe invoice"], rows)


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["invoice", "amount", "currency", "method", "received_at", "reference"]
    list_filter = ["method", "received_at"]
    search_fields = ["invoice__number", "reference", "stripe_id",
                     "invoice__organization__legal_name"]
    readonly_fields = [f.name for f in Payment._meta.fields]
    actions = ["export_csv"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Export the selected payments as CSV")
    def export_csv(self, request, queryset):
        rows = (
            [p.invoice.number, p.invoice.organization.legal_name, p.amount, p.currency,
             p.method, p.received_at.isoformat(), p.reference, p.stripe_id or ""]
            for p in queryset.select_related("invoice__organization")
        )
        return csv_response("payments.csv", ["invoice", "organization", "amount", "currency",
                                             "method", "received at", "reference",
                                             "Stripe id"], rows)


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["stripe_id", "type", "status", "attempts", "received_at", "last_error"]
    list_filter = ["status", "type"]
    search_fields = ["stripe_id"]
    readonly_fields = [f.name for f in StripeEvent._meta.fields]
    actions = ["process_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Process the selected events again", permissions=["change"])
    def process_again(self, request, queryset):
        for event in queryset:
            try:
                status = events.process_again(event_id=event.pk)
            except Exception as exc:  # shown to staff; the event keeps its error
                self.message_user(request, f"{event}: {exc}", messages.ERROR)
                continue
            audit.record(event, actor=request.user, action="stripe_event.process_again",
                         old={"status": event.status}, new={"status": status})
            level = messages.SUCCESS if status != StripeEvent.Status.FAILED else messages.ERROR
            self.message_user(request, f"{event}: {status}.", level)
