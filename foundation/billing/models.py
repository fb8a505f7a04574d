from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField

from foundation.accounts.models import Organization
from foundation.models import AttemptedWork

CURRENCY = "USD"


class InvoiceQuerySet(models.QuerySet):
    def overdue(self, today):
        return self.filter(status=Invoice.Status.OPEN, due_date__lt=today)


class Invoice(models.Model):
    """Our own invoice. The number is given when it is issued: yearly, gap-free."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        OPEN = "open", "Open"
        PAID = "paid", "Paid"
        VOID = "void", "Void"
        UNCOLLECTIBLE = "uncollectible", "Uncollectible"

    ALLOWED_TRANSITIONS = {
        Status.DRAFT: {Status.OPEN, Status.VOID},
        Status.OPEN: {Status.PAID, Status.VOID, Status.UNCOLLECTIBLE},
        Status.UNCOLLECTIBLE: {Status.PAID, Status.VOID},
        Status.PAID: set(),
        Status.VOID: set(),
    }

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT,
                                     related_name="invoices")
    number = models.CharField(max_length=32, unique=True, null=True, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    currency = models.CharField(max_length=3, default=CURRENCY, editable=False)
    total = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0.00"))
    issue_date = models.DateField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    po_number = models.CharField("PO number", max_length=64, blank=True)
    tax_id = models.CharField("tax ID", max_length=64, blank=True)
    billing_name = models.CharField(max_length=200)
    billing_address = models.TextField(blank=True, max_length=2000)
    billing_country = CountryField(blank=True)
    billing_emails = models.JSONField(default=list, blank=True)

    # What the invoice pays for (a membership term, a pledge's cash contribution).
    subject_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT)
    subject_id = models.CharField(max_length=64, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")

    stripe_invoice_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    hosted_invoice_url = models.URLField(max_length=500, blank=True)
    sync_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    paid_at = models.DateTimeField(null=True, blank=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="invoice_total_not_negative"),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(number__isnull=False),
                name="issued_invoice_has_number",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"Draft invoice {self.pk}"

    @property
    def is_payable(self) -> bool:
        return self.status in {self.Status.OPEN, self.Status.UNCOLLECTIBLE}

    @property
    def amount_paid(self) -> Decimal:
        """What the counted payments less refunds add up to."""
        return sum((p.signed_amount for p in self.payments.counted()), Decimal("0.00"))

    @property
    def balance_due(self) -> Decimal:
        if self.status in {self.Status.VOID, self.Status.DRAFT}:
            return Decimal("0.00")
        return max(self.total - self.amount_paid, Decimal("0.00"))

    @property
    def overpaid(self) -> Decimal:
        """Money held beyond what the invoice asks for: due back to the payer."""
        owed = Decimal("0.00") if self.status == self.Status.VOID else self.total
        return max(self.amount_paid - owed, Decimal("0.00"))


class InvoiceLine(models.Model):
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    description = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField(default=1)
    unit_amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description

    @property
    def amount(self) -> Decimal:
        return self.unit_amount * self.quantity


class InvoiceSequence(models.Model):
    """The last number given in a year. Locked while a number is taken, so two invoices
    issued at once get consecutive numbers, and a rolled-back issue gives its number back."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class PaymentQuerySet(models.QuerySet):
    def counted(self) -> "PaymentQuerySet":
        return self.filter(counted=True)

    def needing_review(self) -> "PaymentQuerySet":
        return self.filter(needs_review=True)


class Payment(models.Model):
    """Money received for an invoice, or refunded. An invoice is paid once the payments that
    count (its currency), less refunds, reach its total. Money is never dropped: a payment
    that cannot count (another currency, a paid or void invoice, a short Stripe amount) is
    kept with `needs_review` for staff."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", "Payment"
        REFUND = "refund", "Refund"

    class Method(models.TextChoices):
        STRIPE = "stripe", "Stripe (card or bank transfer)"
        WIRE = "wire", "Wire transfer (recorded by staff)"

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="payments")
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.PAYMENT)
    method = models.CharField(max_length=16, choices=Method.choices)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    currency = models.CharField(max_length=3, default=CURRENCY)
    counted = models.BooleanField(default=True,
                                  help_text="Counts toward the invoice's balance.")
    needs_review = models.BooleanField(default=False, db_index=True)
    review_note = models.TextField(blank=True)
    stripe_id = models.CharField(max_length=64, unique=True, null=True, blank=True)
    reference = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
        ]

    def __str__(self) -> str:
        verb = "refunded" if self.kind == self.Kind.REFUND else "for"
        return f"{self.amount:,} {self.currency} {verb} {self.invoice}"

    @property
    def signed_amount(self) -> Decimal:
        return -self.amount if self.kind == self.Kind.REFUND else self.amount


class StripeCustomer(models.Model):
    organization = models.OneToOneField(Organization, on_delete=models.CASCADE,
                                        related_name="stripe_customer")
    stripe_id = models.CharField(max_length=64, unique=True)

    def __str__(self) -> str:
        return self.stripe_id


class StripeEvent(AttemptedWork):
    """Every verified webhook delivery, stored once under Stripe's event id."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PROCESSED = "processed", "Processed"
        IGNORED = "ignored", "Ignored"
        FAILED = "failed", "Failed"

    stripe_id = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id}"
