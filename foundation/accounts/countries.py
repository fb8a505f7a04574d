"""Countries are ISO 3166 codes (django-countries). Free text from elsewhere (the landscape,
old records, a spreadsheet) maps to a code, or to blank when it names no country."""

from django_countries import countries

# Names people write that are not the standard's own short names.
ALIASES = {"united states": "US", "usa": "US", "us": "US", "uk": "GB", "england": "GB",
           "south korea": "KR", "korea": "KR", "russia": "RU", "taiwan": "TW"}


def country_code(text: str) -> str:
    """The ISO code for a country's name or code, or "" when the text names none."""
    text = (text or "").strip()
    if not text:
        return ""
    if text.upper() in countries:
        return text.upper()
    return ALIASES.get(text.lower()) or countries.by_name(text, insensitive=True) or ""
