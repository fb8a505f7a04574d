import csv
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone

from foundation.admin_audit import AuditedModelAdmin
from foundation.admin_lists import QuickCheckboxes
from foundation.transitions import DomainError

from . import events, services
from .models import CURRENCY, Invoice, InvoiceLine, Payment, StripeEvent

EXPORT_CHUNK = 2000  # rows fetched from the database at a time while a CSV export streams


class _Echo:
    """A file-like object whose write hands the line back, so csv.writer yields lines."""

    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, header: list[str], rows) -> StreamingHttpResponse:
    """Stream the CSV line by line: memory does not grow with the rows when `rows` is lazy
    (a generator over `queryset.iterator(chunk_size=EXPORT_CHUNK)`)."""
    writer = csv.writer(_Echo())
    lines = (writer.writerow(row) for row in _with_header(header, rows))
    response = StreamingHttpResponse(lines, content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _with_header(header, rows):
    yield header
    yield from rows


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    readonly_fields = ["description", "quantity", "unit_amount"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = ["kind", "amount", "currency", "method", "received_at", "reference", "counted",
              "needs_review", "review_note"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


def _on_day(day) -> timezone.datetime:
    return timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time()))


class WirePaymentForm(forms.Form):
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"),
                                help_text="What the bank credited; a short payment leaves the "
                                          "rest due.")
    currency = forms.CharField(max_length=3, min_length=3, required=False,
                               help_text=f"Leave blank for the invoice's ({CURRENCY}).")
    reference = forms.CharField(max_length=200, help_text="The bank's transfer reference.")
    received_on = forms.DateField(initial=timezone.localdate, widget=forms.DateInput(
        attrs={"type": "date"}))


class RefundForm(forms.Form):
    amount = forms.DecimalField(max_digits=12, decimal_places=2, min_value=Decimal("0.01"))
    method = forms.ChoiceField(choices=Payment.Method.choices,
                               help_text="Where the money went back: Stripe or the bank.")
    reference = forms.CharField(max_length=200, help_text="The refund's reference.")
    refunded_on = forms.DateField(initial=timezone.localdate, widget=forms.DateInput(
        attrs={"type": "date"}))


def _payment_recorded(invoice: Invoice) -> str:
    if invoice.status == Invoice.Status.PAID:
        return f"The payment is recorded: {invoice} is marked paid."
    return (f"The payment is recorded: {invoice.balance_due:,} {invoice.currency} is still "
            f"due on {invoice}.")


class SyncFailedFilter(admin.SimpleListFilter):
    title = "Stripe sync"
    parameter_name = "sync"

    def lookups(self, request, model_admin):
        return [("failed", "Failed")]

    def queryset(self, request, queryset):
        return queryset.exclude(sync_error="") if self.value() == "failed" else queryset


class OverdueFilter(admin.SimpleListFilter):
    """The admin index's "Overdue invoices" links here (foundation/admin_queues.py)."""

    title = "payment"
    parameter_name = "payment"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue")]

    def queryset(self, request, queryset):
        return queryset.overdue(timezone.localdate()) if self.value() == "overdue" else queryset


@admin.register(Invoice)
class InvoiceAdmin(QuickCheckboxes, AuditedModelAdmin):
    list_display = ["__str__", "organization", "status", "total", "currency", "issue_date",
                    "due_date", "paid_at"]
    list_select_related = ["organization"]
    show_full_result_count = False  # a table that grows: no second count of every row
    # Newest first by the primary key's index: the model's order (created_at) sorts
    # every row, joined to its organization, before the first page shows.
    ordering = ["-pk"]
    list_per_page = 50  # rendering the rows is most of the page's time: half Django's 100
    list_filter = ["status", OverdueFilter, SyncFailedFilter, "issue_date", "due_date"]
    search_fields = ["number", "organization__display_name", "organization__legal_name",
                     "po_number", "stripe_invoice_id"]
    readonly_fields = ["organization", "number", "status", "currency", "total", "issue_date",
                       "due_date", "subject_type", "subject_id", "stripe_invoice_id",
                       "hosted_invoice_url", "sync_error", "created_at", "paid_at",
                       "billing_emails", "balance_due"]
    fields = readonly_fields[:9] + ["balance_due", "po_number", "tax_id", "billing_name",
                                    "billing_address", "billing_emails", "stripe_invoice_id",
                                    "hosted_invoice_url", "sync_error", "created_at", "paid_at"]
    inlines = [InvoiceLineInline, PaymentInline]
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

    @admin.display(description="balance due")
    def balance_due(self, obj):
        due = f"{obj.balance_due:,} {obj.currency}"
        return f"{due} (overpaid by {obj.overpaid:,}: refund due)" if obj.overpaid else due

    def get_urls(self):
        return [
            path("<int:invoice_id>/mark-paid/", self.admin_site.admin_view(self.mark_paid_view),
                 name="billing_invoice_mark_paid"),
            path("<int:invoice_id>/refund/", self.admin_site.admin_view(self.refund_view),
                 name="billing_invoice_refund"),
            *super().get_urls(),
        ]

    def _money_form(self, request, invoice_id, form_class, record, title, done, initial):
        """A staff form that records money through a service; a refusal is a form error."""
        invoice = get_object_or_404(Invoice, pk=invoice_id)
        if not self.has_change_permission(request, invoice):
            raise PermissionDenied
        form = form_class(request.POST or None, initial=initial(invoice))
        if request.method == "POST" and form.is_valid():
            try:
                record(invoice, form.cleaned_data)
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                invoice.refresh_from_db()
                self.message_user(request, done(invoice), messages.SUCCESS)
                return redirect(reverse("admin:billing_invoice_change", args=[invoice.pk]))
        return render(request, "admin/billing/invoice/mark_paid.html", {
            **self.admin_site.each_context(request), "invoice": invoice, "form": form,
            "opts": self.model._meta, "title": title.format(invoice=invoice),
        })

    def mark_paid_view(self, request, invoice_id):
        def record(invoice, data):
            services.payment_record(
                invoice_id=invoice.pk, method=Payment.Method.WIRE, amount=data["amount"],
                currency=data["currency"] or invoice.currency, reference=data["reference"],
                received_at=_on_day(data["received_on"]), actor=request.user)

        return self._money_form(request, invoice_id, WirePaymentForm, record,
                                "Record a wire payment for {invoice}", _payment_recorded,
                                lambda i: {"amount": i.balance_due, "currency": i.currency})

    def refund_view(self, request, invoice_id):
        def record(invoice, data):
            services.refund_record(
                invoice_id=invoice.pk, amount=data["amount"], method=data["method"],
                reference=data["reference"], refunded_at=_on_day(data["refunded_on"]),
                actor=request.user)

        return self._money_form(request, invoice_id, RefundForm, record,
                                "Record a refund for {invoice}",
                                lambda i: f"The refund for {i} is recorded.",
                                lambda i: {"amount": i.overpaid})

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
            for i in queryset.select_related("organization").iterator(chunk_size=EXPORT_CHUNK)
        )
        return csv_response("invoices.csv", ["number", "organization", "status", "total",
                                             "currency", "issued", "due", "paid at", "PO number",
                                             "tax ID", "Stripe invoice"], rows)


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["invoice", "kind", "amount", "currency", "method", "received_at",
                    "reference", "needs_review"]
    list_select_related = ["invoice"]
    show_full_result_count = False  # a table that grows: no second count of every row
    list_filter = ["needs_review", "kind", "method", "received_at"]
    search_fields = ["invoice__number", "reference", "stripe_id",
                     "invoice__organization__legal_name"]
    readonly_fields = [f.name for f in Payment._meta.fields]
    actions = ["reviewed", "export_csv"]

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("billing.change_payment") and obj is None

    @admin.action(description="Mark reviewed (refunded, converted or decided)",
                  permissions=["change"])
    def reviewed(self, request, queryset):
        for pk in queryset.filter(needs_review=True).values_list("pk", flat=True):
            services.payment_reviewed(payment_id=pk, actor=request.user)
        self.message_user(request, "Marked reviewed.", messages.SUCCESS)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Export the selected payments as CSV")
    def export_csv(self, request, queryset):
        rows = (
            [p.invoice.number, p.invoice.organization.legal_name, p.kind, p.signed_amount,
             p.currency, p.method, p.received_at.isoformat(), p.reference, p.stripe_id or ""]
            for p in queryset.select_related("invoice__organization").iterator(
                chunk_size=EXPORT_CHUNK)
        )
        return csv_response("payments.csv", ["invoice", "organization", "kind", "amount",
                                             "currency",
                                             "method", "received at", "reference",
                                             "Stripe id"], rows)


@admin.register(StripeEvent)
class StripeEventAdmin(admin.ModelAdmin):
    list_display = ["stripe_id", "type", "status", "attempts", "received_at", "last_error"]
    show_full_result_count = False  # a table that grows: no second count of every row
    list_filter = ["status", "type"]
    search_fields = ["stripe_id"]
    readonly_fields = [f.name for f in StripeEvent._meta.fields]
    actions = ["process_again"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Process the selected events again", permissions=["change"])
    def process_again(self, request, queryset):
        for event in queryset:
            status = events.process_again(event_id=event.pk, actor=request.user)
            level = messages.SUCCESS if status != StripeEvent.Status.FAILED else messages.ERROR
            self.message_user(request, f"{event}: {status}.", level)
