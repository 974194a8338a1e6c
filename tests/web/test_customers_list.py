"""The customers list: search, filters, sorting, pagination and the htmx fragment."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import make_customer, make_user
from tests.web.conftest import htmx

URL = reverse("web:customers")
DASH = "\u2013"  # between the first and last row shown: "1-25 of 60" with an en dash


def external_ids(response) -> list[str]:
    """The customer ids of the rows, in the order shown."""
    return re.findall(r"· (C-\d+)</div>", response.content.decode())


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("hopper", ["C-100"]),  # last name, any case
        ("Grace Hopper", ["C-100"]),  # every word must match
        ("bletchley", ["C-200"]),  # email
        ("c-300", ["C-300"]),  # external id
        ("engines ada", ["C-300"]),
        ("nobody-like-this", []),
    ],
)
def test_search_matches_name_email_and_external_id(signed_in, book, query, expected):
    response = signed_in.get(URL, {"q": query})
    assert response.status_code == 200
    assert external_ids(response) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"category": "vip"}, ["C-100", "C-300"]),
        ({"channel": "ads"}, ["C-300", "C-200"]),
        ({"category": "vip", "channel": "ads"}, ["C-300"]),
    ],
)
def test_filters(signed_in, book, params, expected):
    assert external_ids(signed_in.get(URL, params)) == expected


def test_filter_by_owner_and_account(signed_in, book, manager):
    assert external_ids(signed_in.get(URL, {"owner_id": manager.pk})) == ["C-100"]
    acme = book["grace"].account
    assert external_ids(signed_in.get(URL, {"account_id": acme.pk})) == ["C-100", "C-300"]


def test_the_filter_choices_are_offered(signed_in, book):
    page = signed_in.get(URL).content.decode()
    for option in ('value="vip"', 'value="referral"', ">Acme Corp<", ">Otto Owner<"):
        assert option in page


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["C-400", "C-100", "C-300", "C-200"]),  # Dijkstra, Hopper, Lovelace, Turing
        ("-name", ["C-200", "C-300", "C-100", "C-400"]),
        ("-last_order", ["C-200", "C-100", "C-300", "C-400"]),  # never ordered: last
        ("last_order", ["C-300", "C-100", "C-200", "C-400"]),  # never ordered: last too
        ("-revenue", ["C-200", "C-100", "C-300", "C-400"]),
        ("revenue", ["C-400", "C-300", "C-100", "C-200"]),
        ("-orders", ["C-300", "C-100", "C-200", "C-400"]),
        ("since", ["C-100", "C-200", "C-300", "C-400"]),
        ("-since", ["C-400", "C-300", "C-200", "C-100"]),
    ],
)
def test_sorting(signed_in, book, sort, expected):
    assert external_ids(signed_in.get(URL, {"sort": sort})) == expected


def test_a_column_header_links_to_its_sort_and_keeps_the_filters(signed_in, book):
    query = {"category": "vip", "sort": "-revenue", "cols": "name,orders,revenue"}
    page = signed_in.get(URL, query).content.decode()
    # Sorted by revenue, biggest first: its header now offers the reverse (columns kept).
    assert 'href="?category=vip&amp;sort=revenue&amp;cols=name%2Corders%2Crevenue"' in page
    assert 'aria-sort="descending"' in page
    assert 'href="?category=vip&amp;sort=-orders&amp;cols=name%2Corders%2Crevenue"' in page


@pytest.mark.django_db
def test_pagination_counts_only_up_to_a_limit(signed_in, monkeypatch):
    from tenure.web.views import pagination

    for n in range(60):
        make_customer(external_id=f"C-{n:03d}", last_name=f"Person{n:03d}")
    first = signed_in.get(URL)
    assert len(external_ids(first)) == 25
    assert f"1{DASH}25 of 60" in first.content.decode()
    assert "Page 1 of 3" in first.content.decode()
    third = signed_in.get(URL, {"page": 3})
    assert external_ids(third) == [f"C-{n:03d}" for n in range(50, 60)]
    assert f"51{DASH}60 of 60" in third.content.decode()
    assert 'rel="next"' not in third.content.decode()

    monkeypatch.setattr(pagination, "COUNT_LIMIT", 30)
    capped = signed_in.get(URL).content.decode()
    assert f"1{DASH}25 of 30+" in capped
    assert "Page 1<" in capped  # no "of N": the total is not known


def test_a_page_beyond_the_end_is_empty_not_an_error(signed_in, book):
    response = signed_in.get(URL, {"page": 99})
    assert response.status_code == 200
    assert external_ids(response) == []
    assert "Nothing found" in response.content.decode()
    assert signed_in.get(URL, {"page": "x"}).status_code == 200


def test_htmx_gets_the_results_fragment_with_the_sort_out_of_band(signed_in, book):
    response = signed_in.get(URL, {"q": "hopper", "sort": "-revenue"}, **htmx("results"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body and "customer-filters" not in body
    assert external_ids(response) == ["C-100"]
    assert 'id="sort-input" value="-revenue" hx-swap-oob="true"' in body
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(signed_in, book):
    headers = {**htmx("results"), "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}
    assert "<html" in signed_in.get(URL, **headers).content.decode()


def test_the_list_runs_a_fixed_number_of_queries(signed_in, book, django_assert_max_num_queries):
    for n in range(30):
        make_customer(account=book["grace"].account, owner=book["grace"].owner)
    # session + user, the rows (account and owner joined), their stages, health and
    # predictions (one query each), the capped count, the choices (the segments' among them),
    # the active lifecycle definition (stage names), the role's default view, the views menu
    # the bulk bar's static segments and the bell's unread count.
    with django_assert_max_num_queries(17):
        signed_in.get(URL)
    with django_assert_max_num_queries(10):
        signed_in.get(URL, **htmx("results"))


@pytest.mark.parametrize("sort", ["name", "-revenue", "-last_order", "since"])
def test_a_common_word_is_searched_the_ordinary_way_with_the_same_result(
    signed_in, book, monkeypatch, sort
):
    from tenure.customers import filters

    few = external_ids(signed_in.get(URL, {"q": "example", "sort": sort}))
    monkeypatch.setattr(filters, "SEARCH_IDS_MAX", 1)  # 4 matches are "many" now
    many = external_ids(signed_in.get(URL, {"q": "example", "sort": sort}))
    assert few == many and len(few) == 4


def test_a_success_manager_lists_searches_and_filters_among_their_own_only(client, book, manager):
    own = make_user(role="success_manager", username="sam")
    grace = book["grace"]
    grace.owner = own
    grace.save()
    client.force_login(own)
    assert external_ids(client.get(URL)) == ["C-100"]
    assert external_ids(client.get(URL, {"q": "example"})) == ["C-100"]
    assert external_ids(client.get(URL, {"q": "lovelace"})) == []
    page = client.get(URL).content.decode()
    assert 'value="referral"' in page  # Grace's channel
    assert 'value="ads"' not in page  # only other people's customers came by ads
    assert "1\u20131 of 1" in page
    assert client.get(reverse("web:customer", args=[book["ada"].pk])).status_code == 404
