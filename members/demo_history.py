"""The demo as a plausible snapshot of today: members since they joined (the founding members
since the foundation's launch in September 2022), a paid invoice for every year behind them,
benefits being delivered since the portal went live, renewals ahead and invoices in each state.

Past years are written as records, the way `membership_import` brings a member over from the
foundation's books: replaying them through the services would e-mail members about invoices
from 2023 and date everything today. What happens from today on (renewal invoices, payments,
deliveries) goes through the services, and only its dates are then moved to when it happened."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone

from foundation import audit
from foundation.billing import services as billing
from foundation.billing.models import Invoice, InvoiceLine, Payment
from foundation.checklists import services as checklists
from foundation.checklists.models import ChecklistItem
from foundation.models import AuditEntry

from .models import Application, Membership, MembershipTerm
from .models.memberships import add_year
from .services.memberships import LOGO_BENEFIT, issue_renewal_invoices, term_end

LAUNCH = date(2022, 9, 12)  # the PyTorch Foundation's launch, with its founding members
LIVE_DAYS_AGO = 21  # the portal went live three weeks before the snapshot
INVOICE_LEAD = timedelta(days=60)  # a renewal invoice goes out 60 days before the term
PAID_AFTER = timedelta(days=18)

# What a member sends for a benefit that needs its input, and the proof staff record.
MEMBER_INPUT = {
    "board-seat": "Our Governing Board representative is our head of AI software strategy; "
                  "our program office forwards the board's papers to them.",
    "tac-representative": "Our TAC representative is the lead maintainer of our PyTorch "
                          "backend team.",
    "ci-runners": "Eight GPU hosts in our Austin lab, registered to our infrastructure team's "
                  "on-call rota.",
    "amplification-plan": "Our developer marketing team; launches to amplify: the next "
                          "release of our PyTorch backend and our talk at PyTorch Conference.",
}
PROOF = {
    "board-seat": "Added to the Governing Board's roster and calendar",
    "tac-representative": "Added to the TAC's voting roster and mailing list",
    "prominent-placement": "Logo in the first row of the members page and the landscape",
    "ci-runners": "Runners registered with the project's CI",
    "leadership-engagement": "Quarterly briefing with the executive director held",
    "amplification-plan": "Plan agreed with the member's marketing contact",
    "event-discount": "Sponsorship and training discount sent to the billing contact",
}


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def joined_on(index: int, founding: bool, today: date) -> tuple[date, date]:
    """When the member joined and when its current term started. A founding member joined at
    the launch; the others' anniversaries fall all through the coming year, so renewals are
    always ahead, some within weeks."""
    if founding:
        start = LAUNCH
        while add_year(start) <= today:
            start = add_year(start)
        return LAUNCH, start
    renews_in = 6 + (index * 47) % 320  # days until the current term ends
    start = today + timedelta(days=renews_in) - timedelta(days=365)
    joined = start
    for _ in range(index % 4):  # up to three years before
        earlier = joined.replace(year=joined.year - 1) if not (
            joined.month == 2 and joined.day == 29) else date(joined.year - 1, 3, 1)
        if earlier < LAUNCH:
            break
        joined = earlier
    return joined, start


def settle(membership: Membership, *, index: int, founding: bool,
           staff) -> list[tuple[date, MembershipTerm, bool]]:
    """Give a just-imported membership its past, once; return its terms still to invoice
    (when, the term, whether it was a renewal), for `past_invoices`. A membership whose
    application was decided on the day it started is settled already (an earlier run)."""
    application = membership.application
    if application.decided_at and timezone.localtime(application.decided_at).date() == \
            membership.starts_on:
        return []
    today = timezone.localdate()
    live = today - timedelta(days=LIVE_DAYS_AGO)
    joined, current = joined_on(index, founding, today)
    fee = application.annual_fee
    unbilled: list[tuple[date, MembershipTerm, bool]] = []

    # Terms: the imported one becomes the current term; the years before it are paid.
    imported = membership.terms.filter(invoice=None).order_by("starts_on").first()
    if imported is not None:
        imported.starts_on, imported.ends_on = current, term_end(current)
        imported.save(update_fields=["starts_on", "ends_on"])
    start = joined
    while start <= current:
        term, _ = MembershipTerm.objects.get_or_create(
            membership=membership, starts_on=start,
            defaults={"ends_on": term_end(start), "fee": fee, "paid": True})
        if fee and term.invoice_id is None:
            issued = start - (timedelta(days=14) if start == joined else INVOICE_LEAD)
            unbilled.append((issued, term, start != joined))
        elif start != joined:
            _renewed(membership, term, at(start))
        start = add_year(start)
    Membership.objects.filter(pk=membership.pk).update(
        starts_on=joined, ends_on=term_end(current), created_at=at(joined))

    # The application was decided and signed when the member joined; it came onto the portal
    # when the portal went live.
    Application.objects.filter(pk=application.pk).update(
        submitted_at=at(joined - timedelta(days=21)), decided_at=at(joined),
        signed_at=at(joined))
    entries = AuditEntry.objects.filter(
        Q(content_type=ContentType.objects.get_for_model(Application),
          object_id=str(application.pk))
        | Q(content_type=ContentType.objects.get_for_model(Membership),
            object_id=str(membership.pk), action="membership.activate"))
    for entry in entries:
        if entry.action == "application.import":
            _backdate(entry, at(live, 9))
        else:
            if entry.action == "membership.activate":
                entry.new_value = {**(entry.new_value or {}), "starts_on": joined.isoformat(),
                                   "ends_on": term_end(joined).isoformat()}
                entry.save(update_fields=["new_value"])
            _backdate(entry, at(joined))
    _benefits(membership, index=index, live=live, today=today, staff=staff)
    return unbilled


def past_invoices(unbilled: list[tuple[date, MembershipTerm, bool]], staff) -> None:
    """Every member's past invoices, numbered in the order they went out."""
    for issued, term, renewal in sorted(unbilled, key=lambda u: (u[0], u[1].pk)):
        term.invoice = _paid_invoice(term.membership, term, issued, staff)
        term.save(update_fields=["invoice"])
        if renewal:
            _renewed(term.membership, term, term.invoice.paid_at)


def _renewed(membership: Membership, term: MembershipTerm, when: datetime) -> None:
    _backdate(audit.record(membership, action="membership.renewed",
                           new={"ends_on": term.ends_on.isoformat()},
                           note=str(term.invoice) if term.invoice else "No fee"), when)


def _paid_invoice(membership: Membership, term: MembershipTerm, issued: date, staff) -> Invoice:
    """A past year's invoice, paid by wire, numbered in the year it was issued."""
    application = membership.application
    invoice = Invoice.objects.create(
        organization=membership.organization, status=Invoice.Status.PAID, total=term.fee,
        number=billing._next_number(issued.year), issue_date=issued,
        due_date=issued + timedelta(days=30), po_number=application.po_number,
        billing_name=membership.organization.legal_name,
        billing_address=application.billing_address,
        billing_country=application.billing_country,
        billing_emails=[application.billing_email],
        subject_type=ContentType.objects.get_for_model(MembershipTerm),
        subject_id=str(term.pk), paid_at=at(issued + PAID_AFTER, 15),
    )
    InvoiceLine.objects.create(
        invoice=invoice, unit_amount=term.fee,
        description=f"{membership.tier} membership, {term.starts_on:%-d %b %Y} – "
                    f"{term.ends_on:%-d %b %Y}")
    Payment.objects.create(invoice=invoice, method=Payment.Method.WIRE, amount=term.fee,
                           reference=f"Wire for {invoice.number}", received_at=invoice.paid_at,
                           recorded_by=staff)
    Invoice.objects.filter(pk=invoice.pk).update(created_at=at(issued, 9))
    _backdate(audit.record(invoice, action="invoice.issue", new={"status": "open"}),
              at(issued, 9))
    _backdate(audit.record(invoice, actor=staff, action="invoice.paid",
                           old={"status": "open"}, new={"status": "paid"},
                           note="Wire transfer (recorded by staff)"), invoice.paid_at)
    return invoice


def _backdate(entry: AuditEntry, when: datetime) -> None:
    AuditEntry.objects.filter(pk=entry.pk).update(created_at=when)


def _benefits(membership: Membership, *, index: int, live: date, today: date, staff) -> None:
    """The checklist the portal opened when it went live: due over the coming weeks, some
    delivered with their proof, some with the member's input waiting for staff, some waiting
    on the member, and now and then one the member is late with."""
    admin = membership.organization.roles.filter(role="admin").select_related("user").first()
    items = ChecklistItem.objects.for_holder(membership).exclude(key=LOGO_BENEFIT).order_by("id")
    for n, item in enumerate(items):
        late = index % 7 == 3 and n == 0
        due = today - timedelta(days=5) if late else today + timedelta(days=4 + 9 * n)
        ChecklistItem.objects.filter(pk=item.pk).update(due_date=due, created_at=at(live, 9))
        if late:
            continue
        step = (index + n) % 4  # 0 and 2: delivered; 3: nothing from the member yet
        when = live + timedelta(days=2 + (index + 3 * n) % (LIVE_DAYS_AGO - 3))
        if item.status not in (ChecklistItem.Status.TODO, ChecklistItem.Status.WAITING_ON_MEMBER):
            continue  # someone trying the demo dealt with it already
        if item.member_must_provide and step != 3:
            checklists.item_provide(item_id=item.pk, actor=admin.user if admin else None,
                                    text=MEMBER_INPUT.get(item.key, "Sent by e-mail."))
            ChecklistItem.objects.filter(pk=item.pk).update(provided_at=at(when, 11))
            _backdate_latest(item, at(when, 11))
        if step in (0, 2):
            proof = f"{PROOF.get(item.key, 'Delivered')} on {audit.long_date(when)}."
            checklists.item_deliver(item_id=item.pk, actor=staff, proof=proof)
            ChecklistItem.objects.filter(pk=item.pk).update(delivered_at=at(when, 16))
            _backdate_latest(item, at(when, 16))
    for item in ChecklistItem.objects.for_holder(membership).filter(key=LOGO_BENEFIT):
        ChecklistItem.objects.filter(pk=item.pk).update(
            due_date=live + timedelta(days=30), created_at=at(live, 9),
            delivered_at=at(live, 9) if item.delivered_at else None)
        _backdate_latest(item, at(live, 9))


def _backdate_latest(item: ChecklistItem, when: datetime) -> None:
    latest = audit.history(item).order_by("-pk").first()
    if latest is not None:
        _backdate(latest, when)


def renewals_ahead(staff) -> None:
    """Renewal invoices for the terms ending within 60 days, dated when they went out (60 days
    before the term): a third paid already, the others open, those past 30 days overdue."""
    today = timezone.localdate()
    before = set(Invoice.objects.values_list("pk", flat=True))
    issue_renewal_invoices(today=today)
    terms = MembershipTerm.objects.filter(invoice__isnull=False).exclude(
        invoice__in=before).select_related("invoice")
    for n, term in enumerate(sorted(terms, key=lambda t: t.starts_on)):
        issued = min(term.starts_on - INVOICE_LEAD, today)
        Invoice.objects.filter(pk=term.invoice_id).update(
            issue_date=issued, due_date=issued + timedelta(days=30), created_at=at(issued, 9))
        for entry in audit.history(term.invoice).filter(action__in=["invoice.create",
                                                                    "invoice.issue"]):
            _backdate(entry, at(issued, 9))
        if n % 3 == 1:
            paid = min(issued + PAID_AFTER, today - timedelta(days=1))
            before = AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first()
            billing.payment_record(invoice_id=term.invoice_id, method=Payment.Method.WIRE,
                                   amount=term.invoice.total, received_at=at(paid, 15),
                                   reference=f"Wire for {term.invoice.number}", actor=staff)
            AuditEntry.objects.filter(pk__gt=before or 0).update(created_at=at(paid, 15))


# One-off invoices beside the membership fees: a draft staff are preparing, and one issued
# without the member's PO number, voided and sent again.
SPONSORSHIP = "PyTorch Conference sponsorship, Silver level, with the member's event discount"
TRAINING = "PyTorch certification training, 10 seats"


def one_off_invoices(organizations: dict[str, object], staff) -> None:
    sponsor = organizations.get("hugging-face-inc")
    if sponsor and not InvoiceLine.objects.filter(description=SPONSORSHIP).exists():
        billing.invoice_create(organization=sponsor, lines=[(SPONSORSHIP, Decimal("16000"))],
                               actor=staff)
    trainee = organizations.get("lightning-ai")
    if trainee and not InvoiceLine.objects.filter(description=TRAINING).exists():
        first = billing.invoice_create(organization=trainee, lines=[(TRAINING, Decimal("4500"))],
                                       actor=staff)
        billing.invoice_issue(invoice_id=first.pk, actor=staff)
        again = billing.invoice_create(organization=trainee, lines=[(TRAINING, Decimal("4500"))],
                                       po_number="PO-24-0871", actor=staff)
        billing.invoice_issue(invoice_id=again.pk, actor=staff)
        billing.invoice_void(invoice_id=first.pk, actor=staff,
                             note=f"Issued without the member's PO number; sent again as "
                                  f"{Invoice.objects.get(pk=again.pk).number}")
