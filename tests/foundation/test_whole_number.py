"""Numbers from a query string or a webhook: digits that are not ASCII, or an integer the
database cannot hold, are no number (they used to reach int() or PostgreSQL and fail)."""

import pytest

from foundation.http import whole_number


@pytest.mark.parametrize("value, expected", [
    ("1", 1), ("0042", 42), (7, 7), ("2147483647", 2147483647),
    ("2147483648", None), ("9" * 40, None), ("¹", None), ("٣", None), ("-1", None),
    ("1.5", None), ("", None), (None, None), ("1\x00", None),
])
def test_only_ascii_digits_within_a_database_integer(value, expected):
    assert whole_number(value) == expected


def test_a_maximum_of_its_own():
    assert whole_number("100000", maximum=99_999) is None
    assert whole_number("99999", maximum=99_999) == 99_999


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["¹", "٣", "9" * 30])
def test_the_directory_reads_an_odd_page_as_the_first(client, page):
    assert client.get("/members/", {"page": page}).status_code == 200
