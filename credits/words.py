"""Contributions and checklist items in the sponsor's words, for e-mails and pages."""

from credits import usd
from credits.models import Contribution
from foundation.audit import long_date
from foundation.checklists.models import ChecklistItem


def contribution_words(contribution: Contribution, *, detail: bool = True) -> str:
    """"$600,000 of AWS credit for EC2, valid 1 March 2027 to 28 February 2028 (account
    credit)", or "$100,000 in cash"."""
    if contribution.kind == Contribution.Kind.CASH:
        return f"{usd(contribution.value)} in cash"
    words = f"{usd(contribution.value)} of {contribution.provider} credit for " \
            f"{contribution.service}"
    if detail and contribution.valid_from and contribution.valid_to:
        words += (f", valid {long_date(contribution.valid_from)} to "
                  f"{long_date(contribution.valid_to)}")
    if detail and contribution.redemption_method:
        how = contribution.get_redemption_method_display().lower()
        if contribution.redemption_note:
            how = f"{how}: {contribution.redemption_note}"
        words += f" ({how})"
    return words


def item_words(item: ChecklistItem) -> str:
    """"Online programme slot: waiting on you, due 30 March 2027. We need from you: …"."""
    if item.status == ChecklistItem.Status.WAITING_ON_MEMBER:
        state = "waiting on you"
    else:
        state = item.get_status_display().lower()
    words = f"{item.title}: {state}"
    if item.due_date and item.status in {ChecklistItem.Status.TODO,
                                         ChecklistItem.Status.WAITING_ON_MEMBER}:
        words += f", due {long_date(item.due_date)}"
    if item.status == ChecklistItem.Status.WAITING_ON_MEMBER and item.member_must_provide:
        words += f". We need from you: {item.member_must_provide}"
    return words
