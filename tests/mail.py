import re
from urllib.parse import urlsplit


def link_in(message, pattern: str) -> str:
    """The path of the first link in an e-mail that contains `pattern`."""
    found = re.search(rf"https?://\S*{pattern}\S*", message.body)
    assert found, message.body
    return urlsplit(found.group(0)).path
