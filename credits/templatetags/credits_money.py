"""`{{ amount|usd }}`: money as a person writes it, $250,000 or $249,999.99; and
`{{ level|a_or_an }}`: a Champion, an Advocate."""

from decimal import Decimal, InvalidOperation

from django import template

from credits import a_or_an as article
from credits import usd as usd_words

register = template.Library()


@register.filter
def usd(value) -> str:
    try:
        return usd_words(Decimal(str(value)))
    except (InvalidOperation, ValueError):
        return ""


@register.filter
def a_or_an(value) -> str:
    return article(value)
