"""Support within the sponsor's SLA: the maintainer's request page, from an allocation, and
the technical contact's page behind the e-mailed link (no account needed). Thin: the
services decide and write."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from foundation.transitions import DomainError

from .forms_support import ResponseForm, SupportRequestForm
from .services import support


@login_required
@require_http_methods(["GET", "POST"])
def support_request(request, allocation_id: int):
    """Ask the allocation's provider's technical contact for help; the allocation of a
    project the person does not maintain is a 404."""
    allocation = support.allocation_for_maintainer(request.user, allocation_id)
    if allocation is None:
        raise Http404("No such allocation.")
    pledge = support.contact_pledge(allocation)
    form = SupportRequestForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and pledge is not None and form.is_valid():
        try:
            sent = support.request_send(allocation=allocation, actor=request.user,
                                        subject=form.cleaned_data["subject"],
                                        message=form.cleaned_data["message"])
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, (
                f"Your request is sent to {sent.contact_name}, {allocation.provider}’s "
                f"technical contact, who answers within {sent.sla_hours} "
                f"hour{'s' if sent.sla_hours != 1 else ''}. Their answer comes to you by "
                "e-mail."))
            return redirect(request.path)
    return render(request, "credits/support/request.html", {
        "allocation": allocation, "pledge": pledge, "form": form,
        "no_contact": support.NO_CONTACT.format(provider=allocation.provider),
        "requests": support.requests_of_allocation(allocation)[:50],
    }, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def support_respond(request, token: str):
    """The technical contact acknowledges or answers. A forged, expired or garbled link gets
    a page that says so, and nothing is written."""
    try:
        found = support.request_from_token(token)
    except DomainError as exc:
        return render(request, "credits/support/respond.html", {"error": str(exc)},
                      status=400)
    form = ResponseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            support.respond(token=token, answer=form.answer_text())
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Thank you: your answer is sent to the project."
                             if form.answer_text() else
                             "Thank you: the project sees that you are on it.")
            return redirect(request.path)
    return render(request, "credits/support/respond.html", {
        "support": found, "form": form,
    }, status=400 if form.errors else 200)
