"""List pages: a few statements whatever the page, keyset links, bounded counts and filters."""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, insert, select, text

from webapp.admin import counting, records, site
from webapp.admin import statements as prepared
from webapp.extensions import db
from webapp.models import Category, Expense, Hero, User

EXPENSES = 130  # with the seeded one: 131 rows, three pages of 50, or fourteen of 10
CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|PRAGMA|SET)\b", re.IGNORECASE)


@pytest.fixture
def expenses(app: Flask) -> int:
    """Add 3 users, 4 categories and 130 expenses (descriptions 'item 000' …); return the total."""
    with app.app_context():
        db.session.execute(insert(User), [{"id": 100 + i, "email": f"u{i}@example.com", "name": f"U{i}"} for i in range(3)])
        db.session.execute(insert(Category), [{"id": 100 + i, "name": f"Cat {i}"} for i in range(4)])
        db.session.execute(
            insert(Expense),
            [
                {
                    "user_id": 100 + i % 3,
                    "category_id": 100 + i % 4,
                    "description": f"item {i:03d}" + (" rare" if i == 77 else ""),
                    "amount": Decimal(i % 10) + Decimal("0.25"),
                    "date": dt.date(2020, 1, 1) + dt.timedelta(days=i // 2),
                }
                for i in range(EXPENSES)
            ],
        )
        db.session.commit()
        db.session.remove()
    return EXPENSES + 1


@pytest.fixture
def statements(app: Flask) -> Iterator[list[str]]:
    """Every SQL statement the app runs, the sign-in check included; transaction control left out."""
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not CONTROL.match(statement):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def get(client: FlaskClient, url: str, seen: list[str] | None = None) -> str:
    """GET ``url``, expect a 200, and return the body (counting only this request's statements)."""
    if seen is not None:
        seen.clear()
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:500])
    return response.get_data(as_text=True)


def text_of(body: str, name: str) -> str:
    """The text of the first element with ``data-testid=name`` as a browser shows it: tags removed,
    character references read."""
    match = re.search(rf'<(\w+)[^>]*data-testid="{re.escape(name)}"[^>]*>(.*?)</\1>', body, re.S)
    assert match, f"no {name} on the page"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", match.group(2))).split())


def href(body: str, name: str) -> str | None:
    """The link of the element with ``data-testid=name``, unescaped, or None."""
    match = re.search(rf'<a href="([^"]*)"[^>]*data-testid="{re.escape(name)}"', body)
    return None if match is None else match.group(1).replace("&amp;", "&")


def keys_of(body: str) -> list[str]:
    """The data-key of every row, top to bottom."""
    return re.findall(r'data-testid="row" data-key="([^"]*)"', body)


def every_page(client: FlaskClient, url: str) -> list[str]:
    """Follow page-next from ``url`` to the end and return every page's body."""
    bodies: list[str] = []
    for _ in range(100):
        bodies.append(get(client, url))
        following = href(bodies[-1], "page-next")
        if following is None:
            return bodies
        url = following
    raise AssertionError("the pager never ended")


def every_key(client: FlaskClient, url: str) -> list[str]:
    """Follow page-next from ``url`` to the end and collect every row's key."""
    return [key for body in every_page(client, url) for key in keys_of(body)]


@pytest.fixture
def small_windows(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """Search windows of 30 rows and pages of 10: a search of the 131 rows reads five windows."""
    from webapp.admin import paging

    monkeypatch.setattr(paging, "SEARCH_WINDOW", 30)
    app.config["PER_PAGE"] = 10


# --- statements per page -----------------------------------------------------------


QUERIES = (
    "", "?sort=-amount", "?sort=user_id,-date", "?q=item", "?q=rare", "?category_id=101",
    "?amount__gte=3&amount__lte=5&date__gte=2020-01-10", "?page=3", "?page=9999", "?count=all", "?last=2",
    "?q=item&page=2", "?q=item&last=1", "?q=item&page=9999", "?category_id=101&page=2&sort=-amount",
)


def test_a_list_page_runs_at_most_three_statements_sign_in_included(
    app: Flask, client: FlaskClient, expenses: int, statements: list[str]
) -> None:
    for per_page in (1, 10, 50, 500):
        app.config["PER_PAGE"] = per_page
        for query in QUERIES:
            body = get(client, f"/admin/expenses/{query}", statements)
            assert len(statements) <= 3, (per_page, query, statements)
            assert 'data-testid="list-count"' in body
            following = href(body, "page-next")
            if following:  # a keyset page deeper in the list costs the same
                get(client, following, statements)
                assert len(statements) <= 3, (per_page, following, statements)


def test_statements_do_not_grow_with_foreign_key_columns(client: FlaskClient, expenses: int, statements: list[str]) -> None:
    body = get(client, "/admin/expenses/", statements)
    # The sign-in check, then the rows with their count: the count rides along as a subquery.
    assert len(statements) == 2 and "account_sessions" in statements[0], statements
    assert 'data-testid="cell-user_id"' in body and 'data-testid="cell-category_id"' in body
    assert "Cat 1" in body and "U2 &lt;u2@example.com&gt;" in body  # labels, joined in one statement


def newest(app: Flask, *conditions: Any, limit: int) -> list[str]:
    """Keys of the expenses that pass ``conditions``, in the list's order, read in a fresh session."""
    with app.app_context():
        query = select(Expense.id).where(*conditions).order_by(Expense.date.desc(), Expense.id.desc()).limit(limit)
        keys = [str(key) for key in db.session.scalars(query)]
        db.session.remove()
    return keys


def row_statements_built() -> tuple[int, int]:
    """How often a page found its rows statement already built (hits), and built it (misses):
    an ordered query (statements.rows), or a search read within its window (statements.scoped)."""
    caches = [prepared.rows.cache_info(), prepared.scoped.cache_info()]
    return sum(cache.hits for cache in caches), sum(cache.misses for cache in caches)


def test_pages_of_one_form_reuse_its_statement_each_with_its_own_values(
    app: Flask, client: FlaskClient, expenses: int
) -> None:
    """A filter's, a search's, a cursor's and a page number's values are bound when the page runs:
    the second page of each pair builds no statement, and shows its own rows, not the first's."""
    app.config["PER_PAGE"] = 10
    one, two = Expense.category_id == 101, Expense.category_id == 102
    pairs = [
        (("?category_id=101", [one], 0), ("?category_id=102", [two], 0)),
        (("?amount__gte=3&amount__lte=4.25", [Expense.amount >= 3, Expense.amount <= Decimal("4.25")], 0),
         ("?amount__gte=7&amount__lte=9.25", [Expense.amount >= 7, Expense.amount <= Decimal("9.25")], 0)),
        (("?q=item 01", [Expense.description.ilike("%item 01%")], 0),
         ("?q=item 10", [Expense.description.ilike("%item 10%")], 0)),
        (("?page=2", [], 10), ("?page=3", [], 20)),
    ]
    for pair in pairs:
        for second, (query, conditions, skip) in enumerate(pair):
            before = row_statements_built()
            body = get(client, f"/admin/expenses/{query}")
            assert keys_of(body) == newest(app, *conditions, limit=skip + 10)[skip:], query
            after = row_statements_built()
            if second:
                assert after == (before[0] + 1, before[1]), f"{query} built a statement"
    # Next links: the same form (a filter and a cursor), each with its own cursor's values.
    for category, condition in ((101, one), (102, two)):
        following = href(get(client, f"/admin/expenses/?category_id={category}"), "page-next")
        assert following is not None
        assert keys_of(get(client, following)) == newest(app, condition, limit=20)[10:], following


# --- keyset pagination ---------------------------------------------------------------


def test_next_and_previous_links_seek_by_key(app: Flask, client: FlaskClient, expenses: int) -> None:
    app.config["PER_PAGE"] = 10
    first = get(client, "/admin/expenses/?sort=-amount")
    following = href(first, "page-next")
    assert following is not None
    query = parse_qs(urlsplit(following).query)
    assert query["page"] == ["2"] and "after" in query and query["sort"] == ["-amount"]
    second = get(client, following)
    assert text_of(second, "page-info") == "Page 2 of 14"
    assert href(second, "page-prev") == "/admin/expenses/?sort=-amount"  # page 1 needs no cursor
    third = get(client, href(second, "page-next") or "")
    back = href(third, "page-prev") or ""
    assert "before=" in back and "page=2" in back
    assert keys_of(get(client, back)) == keys_of(second)


@pytest.mark.parametrize("sort", ["", "-amount", "amount", "user_id,-date", "description", "-date"])
def test_following_next_visits_every_row_once_in_order(app: Flask, client: FlaskClient, expenses: int, sort: str) -> None:
    app.config["PER_PAGE"] = 7
    url = f"/admin/expenses/?sort={sort}" if sort else "/admin/expenses/"
    found = every_key(client, url)
    assert len(found) == expenses and len(set(found)) == expenses
    app.config["PER_PAGE"] = 1000
    assert keys_of(get(client, url)) == found  # the same order as one big page


@pytest.mark.parametrize(("sort", "order"), [
    ("-amount", "-amount,-id"), ("amount", "amount,id"), ("user_id,-date", "user_id,-date,-id"),
    ("-user_id,date", "-user_id,date,id"), ("user_id", "user_id,date,id"), ("-category_id", "-category_id,-date,-id"),
])
def test_ties_follow_the_index_in_the_direction_of_the_last_sort_term(
    app: Flask, client: FlaskClient, expenses: int, sort: str, order: str
) -> None:
    # Read backwards, an index on a column gives its ties by key descending too (SQLite and
    # InnoDB keep the key in every index entry); MariaDB sorted the table for "-amount, id".
    # A foreign key's index is on (column, date): its date orders the ties before the key.
    with app.app_context():
        late = [{"user_id": 100 + i % 3, "category_id": 100 + i % 4, "description": f"late {i}",
                 "amount": Decimal("1.25"), "date": dt.date(2019, 12, 31) - dt.timedelta(days=i)} for i in range(6)]
        db.session.execute(insert(Expense), late)  # added last, dated first: id and date disagree
        db.session.commit()
        stored = [(row.id, row.amount, row.user_id, row.date, row.category_id) for row in db.session.scalars(select(Expense))]
    columns = {"id": 0, "amount": 1, "user_id": 2, "date": 3, "category_id": 4}
    expected = list(stored)
    for part in reversed(order.split(",")):  # a stable sort per term, the last term first
        expected.sort(key=lambda row: row[columns[part.lstrip("-")]], reverse=part.startswith("-"))
    app.config["PER_PAGE"] = 1000
    assert keys_of(get(client, f"/admin/expenses/?sort={sort}")) == [str(row[0]) for row in expected]
    app.config["PER_PAGE"] = 7
    assert every_key(client, f"/admin/expenses/?sort={sort}") == [str(row[0]) for row in expected]


@pytest.mark.parametrize(("sort", "keys_alone"), [
    ("description", True), ("-description", True), ("user_id,-date", True), ("-date", False), ("amount", False),
])
def test_where_no_index_gives_the_order_only_the_keys_are_sorted(
    app: Flask, client: FlaskClient, expenses: int, statements: list[str], sort: str, keys_alone: bool
) -> None:
    # Sorting every row with its related rows joined in took SQLite 1.9 s for the first page
    # of a million expenses by description; their keys alone sort in a twentieth of that.
    app.config["PER_PAGE"] = 10
    everything = every_key(client, f"/admin/expenses/?sort={sort}")
    url = f"/admin/expenses/?sort={sort}"
    for shown in (everything[:10], everything[10:20]):  # the first page, then the next by cursor
        body = get(client, url, statements)
        assert keys_of(body) == shown and len(statements) <= 3, statements
        url = href(body, "page-next") or ""
        sorted_keys = re.search(r"\(SELECT expenses\.id(?: AS id)?\s+FROM expenses\b", statements[-1])
        assert (sorted_keys is not None) == keys_alone, statements[-1]


def test_keyset_handles_null_sort_values(app: Flask, client: FlaskClient) -> None:
    with app.app_context():
        db.session.execute(insert(Hero), [{"name": f"H{i:02d}", "secret_name": f"S{i}", "age": None if i % 3 else i} for i in range(20)])
        db.session.commit()
        db.session.remove()
    app.config["PER_PAGE"] = 4
    for sort in ("age", "-age", "team_id,-age"):
        found = every_key(client, f"/admin/hero/?sort={sort}")
        assert len(found) == 23 and len(set(found)) == 23, sort
        app.config["PER_PAGE"] = 100
        assert keys_of(get(client, f"/admin/hero/?sort={sort}")) == found, sort
        app.config["PER_PAGE"] = 4


def test_page_numbers_and_the_last_page_are_reached_without_walking(app: Flask, client: FlaskClient, expenses: int) -> None:
    app.config["PER_PAGE"] = 10
    everything = every_key(client, "/admin/expenses/")
    for number in (1, 2, 7, 8, 13, 14):
        body = get(client, f"/admin/expenses/?page={number}")
        assert keys_of(body) == everything[(number - 1) * 10 : number * 10], number
        assert text_of(body, "page-info") == f"Page {number} of 14"
    assert keys_of(get(client, "/admin/expenses/?last=1")) == everything[130:]
    body = get(client, "/admin/expenses/?page=15")
    assert text_of(body, "list-empty") == "This page is past the last one."
    assert href(body, "page-prev") == "/admin/expenses/?page=14"


def test_bad_cursors_and_page_parameters_are_400(client: FlaskClient, expenses: int) -> None:
    for query in ("after=nonsense", "after=1,2,3", "before=x~ZZ,1", "after=1&before=2", "page=2&last=1",
                  "last=0", "last=x", "count=maybe", "page=-1", "sort=-amount&after=2020-01-01,5"):
        assert client.get(f"/admin/expenses/?{query}").status_code == 400, query


# --- bounded counts -------------------------------------------------------------------


def test_small_lists_are_counted_exactly(client: FlaskClient, expenses: int) -> None:
    body = get(client, "/admin/expenses/")
    assert text_of(body, "list-count") == "131 expenses"
    assert 'data-count-kind="exact"' in body and 'data-testid="count-exact"' not in body


def test_a_count_past_its_budget_says_more_than(client: FlaskClient, expenses: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counting, "COUNT_LIMIT", 20)
    body = get(client, "/admin/expenses/?amount__gte=0")  # filtered: no estimate
    assert text_of(body, "list-count").startswith("More than 50 expenses")  # past the budget, by the page shown
    body = get(client, "/admin/expenses/?category_id=101")  # past the budget, but on one page: all shown
    assert text_of(body, "list-count") == "33 expenses" and 'data-testid="page-next"' not in body
    body = get(client, "/admin/expenses/")
    kind = re.search(r'data-count-kind="(\w+)"', body).group(1)  # type: ignore[union-attr]
    # PostgreSQL and MariaDB may estimate from their statistics instead.
    assert kind in ("more", "estimate")
    assert text_of(body, "page-info").startswith("Page 1 of")
    exact = href(body, "count-exact")
    assert exact is not None and "count=all" in exact
    body = get(client, exact)
    assert text_of(body, "list-count").startswith("131 expenses")
    assert text_of(body, "page-info") == "Page 1 of 3"


def test_a_bounded_count_grows_with_the_pages_passed(client: FlaskClient, expenses: int, monkeypatch: pytest.MonkeyPatch) -> None:
    # Past the rows a count reads, the pages themselves prove more: page 3 said "of more than 1".
    monkeypatch.setattr(counting, "COUNT_LIMIT", 20)
    client.application.config["PER_PAGE"] = 50
    body = get(client, "/admin/expenses/?amount__gte=0")  # filtered: no estimate
    assert text_of(body, "list-count").startswith("More than 50 expenses")
    body = get(client, href(body, "page-next") or "")
    assert text_of(body, "list-count").startswith("More than 100 expenses")
    assert text_of(body, "page-info") == "Page 2 of more than 2"
    last = get(client, href(body, "page-next") or "")
    # Reached by a link, whose page number rows deleted meanwhile could have made stale.
    assert len(keys_of(last)) == expenses - 100
    assert text_of(last, "list-count") == f"At least {expenses} expenses · Count all"
    assert text_of(last, "page-info") == "Page 3"
    by_number = get(client, "/admin/expenses/?amount__gte=0&page=3")  # read from the start: exact
    assert text_of(by_number, "list-count") == f"{expenses} expenses" and text_of(by_number, "page-info") == "Page 3 of 3"
    back = get(client, href(last, "page-prev") or "")
    assert text_of(back, "list-count").startswith("More than 100 expenses")
    assert text_of(back, "page-info") == "Page 2 of more than 2"


def test_a_search_counts_in_a_bounded_sample(client: FlaskClient, expenses: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counting, "COUNT_LIMIT", 40)
    body = get(client, "/admin/expenses/?q=item")
    # 40 of the 40 rows sampled match, but the page itself found 50 and one more: at least 51.
    assert text_of(body, "list-count").startswith("At least 51 expenses matching “item” · Count all")
    body = get(client, "/admin/expenses/?q=item&count=all")
    assert text_of(body, "list-count").startswith("130 expenses matching “item”")


def test_a_rare_search_stops_at_its_window_and_offers_to_go_on(
    client: FlaskClient, expenses: int, monkeypatch: pytest.MonkeyPatch, small_windows: None
) -> None:
    from webapp.admin import paging

    body = get(client, "/admin/expenses/?q=rare")
    assert 'data-testid="search-window"' in body and keys_of(body) == []
    monkeypatch.setattr(counting, "COUNT_LIMIT", 5)  # a sample that misses the match the page finds
    monkeypatch.setattr(paging, "SEARCH_WINDOW", 1000)
    body = get(client, "/admin/expenses/?q=rare")
    # One window held every row, so the page has seen every match: the count is exact.
    assert len(keys_of(body)) == 1 and text_of(body, "list-count") == "1 expense matching “rare”"
    monkeypatch.setattr(paging, "SEARCH_WINDOW", 30)
    monkeypatch.setattr(counting, "COUNT_LIMIT", 10_000)
    assert len(every_key(client, "/admin/expenses/?q=rare")) == 1  # the match turns up in one of five windows


def test_pages_after_a_window_stopped_short_claim_only_the_matches_they_found(
    client: FlaskClient, expenses: int, monkeypatch: pytest.MonkeyPatch, small_windows: None
) -> None:
    # A page its window cut short holds less than a page of matches, so the pages after it
    # have no number, and no count of matches worked out from one: searching a million
    # expenses for a word in ten of them said "At least 51" on the second page.
    monkeypatch.setattr(counting, "COUNT_LIMIT", 5)
    pages = every_page(client, "/admin/expenses/?q=rare")
    seen = [(keys_of(body), text_of(body, "list-count"), text_of(body, "page-info")) for body in pages]
    assert sum(len(keys) for keys, _, _ in seen) == 1
    assert [info for _, _, info in seen] == ["Page 1"] + ["Page"] * (len(seen) - 1)
    assert {count for _, count, _ in seen} == {
        "No expenses matching “rare” found so far · Count all", "At least 1 expense matching “rare” · Count all"
    }


def test_search_pages_its_windows_left_empty_claim_no_matches_and_search_on(
    client: FlaskClient, expenses: int, monkeypatch: pytest.MonkeyPatch, small_windows: None
) -> None:
    monkeypatch.setattr(counting, "COUNT_LIMIT", 5)
    # The first window holds no match, so page 3 of it is empty and proves no pages before it:
    # it said "At least 20" (two pages of ten) of a word in one row.
    body = get(client, "/admin/expenses/?q=rare&page=3")
    assert keys_of(body) == [] and text_of(body, "list-count") == "No expenses matching “rare” found so far · Count all"
    assert text_of(body, "page-info") == "Page" and 'data-testid="search-window"' in body
    # Read from the end, a page its window cut short says so too (it said "past the last
    # one"), and its "search further" link reads on backwards.
    body = get(client, "/admin/expenses/?q=rare&last=1")
    assert text_of(body, "list-empty") == "No expenses on this page match your search."
    further = href(body, "search-further")
    assert further is not None and "before=" in further and further == href(body, "page-prev")
    assert "last=" not in further  # how many pages lie after the next one is unknown
    assert text_of(get(client, further), "page-info") == "Page"


def every_key_backwards(client: FlaskClient, url: str) -> list[str]:
    """Follow page-prev from ``url`` to the start and collect every row's key, in list order."""
    keys: list[str] = []
    for _ in range(100):
        body = get(client, url)
        keys[:0] = keys_of(body)
        following = href(body, "page-prev")
        if following is None:
            return keys
        url = following
    raise AssertionError("no first page within 100 pages")


@pytest.mark.parametrize("sort", ["", "-amount", "amount"])
@pytest.mark.parametrize("reversed_scans", [False, True], ids=["scans", "reversed-scans"])
def test_search_pages_hold_the_next_matches_in_list_order_window_by_window(
    app: Flask, client: FlaskClient, expenses: int, backend: str, monkeypatch: pytest.MonkeyPatch,
    sort: str, reversed_scans: bool,
) -> None:
    """Walked forwards by its Next links and back by its Previous links, a search shows every
    match once, in the list's order, through windows that hold no match, some, or a page's
    worth. SQLite reads each page's window and rows in one statement with no ORDER BY
    (statements.scoped): the order must come from the window, so the same pages must come
    back when SQLite reverses the scans whose order no query asked for."""
    from webapp.admin import paging

    if reversed_scans and backend != "sqlite":
        pytest.skip("PRAGMA reverse_unordered_selects is SQLite's")
    monkeypatch.setattr(paging, "SEARCH_WINDOW", 25)
    app.config["PER_PAGE"] = 7
    columns = {"": [Expense.date.desc(), Expense.id.desc()], "-amount": [Expense.amount.desc(), Expense.id.desc()],
               "amount": [Expense.amount.asc(), Expense.id.asc()]}[sort]
    with app.app_context():
        query = select(Expense.id).where(Expense.description.like("%item 0%")).order_by(*columns)
        expected = [str(key) for key in db.session.scalars(query)]
        db.session.remove()
        engine = db.engine
    assert len(expected) == 100

    def reverse_scans(connection: Any, _record: Any) -> None:
        connection.execute("PRAGMA reverse_unordered_selects = ON")

    if reversed_scans:
        event.listen(engine, "connect", reverse_scans)
        engine.dispose()  # the connections from here on reverse their unordered scans
    try:
        url = f"/admin/expenses/?q=item 0&sort={sort}"
        assert every_key(client, url) == expected
        assert every_key_backwards(client, f"{url}&last=1") == expected
    finally:
        if reversed_scans:
            event.remove(engine, "connect", reverse_scans)
            engine.dispose()


def test_a_search_in_an_order_no_index_gives_reads_the_table_at_once(
    client: FlaskClient, expenses: int, small_windows: None
) -> None:
    # Finding where a window ends would sort the whole table on every page (0.7 s a page for
    # a million expenses by description), so such a search has no window.
    body = get(client, "/admin/expenses/?q=rare&sort=description")
    assert 'data-testid="search-window"' not in body
    assert [text_of(row, "cell-description") for row in re.findall(r'<tr data-testid="row".*?</tr>', body, re.S)] == ["item 077 rare"]
    assert href(body, "page-next") is None
    walked = every_key(client, "/admin/expenses/?q=item&sort=-description")
    assert walked == [str(key) for key in sorted(range(2, EXPENSES + 2), reverse=True)]  # every match, once, in order


# --- filters ------------------------------------------------------------------------


def test_filters_narrow_the_list_and_are_described(client: FlaskClient, expenses: int) -> None:
    body = get(client, "/admin/expenses/?category_id=101&amount__gte=3&amount__lte=5.25")
    rows = keys_of(body)
    assert rows and len(rows) == len([i for i in range(EXPENSES) if i % 4 == 1 and 3 <= i % 10 <= 5])
    labels = re.findall(r'data-testid="active-filter" data-filter="([^"]+)">([^<]*)', body)
    assert [(name, " ".join(text.split())) for name, text in labels] == [
        ("category_id", "Category is Cat 1"), ("amount__gte", "Amount ≥ 3"), ("amount__lte", "Amount ≤ 5.25")
    ]
    removed = href(body, "remove-filter-category_id") or ""
    assert "category_id" not in removed and "amount__gte=3" in removed


def test_date_and_null_filters(client: FlaskClient, expenses: int) -> None:
    body = get(client, "/admin/expenses/?date__gte=2020-01-05&date__lte=2020-01-05")
    assert len(keys_of(body)) == 2
    assert len(keys_of(get(client, "/admin/hero/?team_id__isnull=true"))) == 1
    assert len(keys_of(get(client, "/admin/hero/?team_id__isnull=false"))) == 2


@pytest.mark.parametrize(
    "query",
    ["category_id=abc", "amount__gte=lots", "date__lte=2020-13-01", "description__gte=a", "nope__gte=1",
     "amount__like=1", "user_id__isnull=perhaps", "amount__gte=NaN"],
)
def test_malformed_filters_are_400_with_a_sentence(client: FlaskClient, expenses: int, query: str) -> None:
    response = client.get(f"/admin/expenses/?{query}")
    assert response.status_code == 400, query


def test_the_filter_form_keeps_search_and_sort(client: FlaskClient, expenses: int) -> None:
    body = get(client, "/admin/expenses/?q=item&sort=-amount&category_id=102")
    form = body[body.index('data-testid="filter-form"') :]
    form = form[: form.index("</form>")]
    assert 'name="q" value="item"' in form and 'name="sort" value="-amount"' in form
    assert 'name="category_id" value="102"' in form
    assert 'data-lookup="/admin/categories/lookup.json?field=id"' in form


def test_sort_links_say_which_columns_have_no_index(client: FlaskClient, expenses: int) -> None:
    body = get(client, "/admin/expenses/")
    indexed = dict(re.findall(r'data-testid="sort-(\w+)" data-indexed="(\w+)"', body))
    assert indexed == {"id": "true", "user_id": "true", "category_id": "true", "description": "false",
                       "amount": "true", "date": "true"}


def test_the_dashboard_counts_are_bounded_too(client: FlaskClient, expenses: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(counting, "COUNT_LIMIT", 20)
    body = get(client, "/admin/")
    shown = re.search(r'data-testid="count-expenses">([^<]*)<', body)
    assert shown is not None and shown.group(1).startswith(("more than 20", "about "))  # about: an estimate
    assert re.search(r'data-testid="count-hero">3<', body)


def test_a_deep_page_number_past_the_bounded_count(
    app: Flask, client: FlaskClient, expenses: int, statements: list[str], backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["PER_PAGE"] = 10
    everything = every_key(client, "/admin/expenses/")
    monkeypatch.setattr(counting, "COUNT_LIMIT", 20)
    body = get(client, "/admin/expenses/?page=13", statements)
    # Counted exactly, so read from the nearer end: SQLite always counts such a table, the
    # servers when their estimate puts the page in its second half (or they have none yet).
    assert keys_of(body) == everything[120:130] and len(statements) <= 3, statements
    assert text_of(body, "page-info") == "Page 13 of 14"
    with app.app_context():  # give the servers an estimate of the table's size
        if backend != "sqlite":
            db.session.execute(text("ANALYZE TABLE expenses" if backend == "mariadb" else "ANALYZE expenses"))
        db.session.commit()
        db.session.remove()
    body = get(client, "/admin/expenses/?page=4", statements)  # in the first half
    assert keys_of(body) == everything[30:40] and len(statements) <= 3, statements
    if backend == "sqlite":
        assert text_of(body, "page-info") == "Page 4 of 14"
    else:  # read forwards, from the estimate, without counting the table
        assert text_of(body, "page-info") == "Page 4 of about 14"
    body = get(client, "/admin/expenses/?page=13&category_id=101")  # filtered: bounded count, forward probe
    assert text_of(body, "list-empty") == "This page is past the last one."  # 33 rows match: 4 pages
    assert "category_id=101" in (href(body, "page-prev") or "")


def test_a_foreign_key_cell_shows_its_row_or_nothing_when_null(client: FlaskClient) -> None:
    """Each hero's team comes with the page (an outer join): its label, linked; nothing for a hero without one."""
    body = client.get("/admin/hero/").get_data(as_text=True)
    rows = re.findall(r'<tr data-testid="row".*?</tr>', body, re.S)
    teams = {
        re.search(r'data-testid="cell-name">([^<]*)<', row).group(1): re.search(r'data-testid="cell-team_id">(.*?)</td>', row).group(1)
        for row in rows
    }
    assert re.fullmatch(r'<a href="/admin/team/\d+/">Z-Force</a>', teams["Deadpond"]), teams
    assert re.fullmatch(r'<a href="/admin/team/\d+/">Preventers</a>', teams["Rusty-Man"]), teams
    assert teams["Spider-Boy"] == "", teams
    assert Hero not in records.NEEDS_ORM  # read as plain records, not through the ORM fallback


# --- mount points --------------------------------------------------------------------


def test_each_mount_point_prints_its_own_links(app: Flask, client: FlaskClient, expenses: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """The menu, row and lookup URLs are built once per mount point (SCRIPT_NAME), and only so many are kept."""
    monkeypatch.setattr(site, "PER_MOUNT_SLOTS", 4)
    for root in ("", "/tools", "/other", "/tools", ""):
        body = client.get("/admin/expenses/", base_url=f"http://localhost{root}/").get_data(as_text=True)
        hrefs = re.findall(r'(?:href|data-lookup)="(/[^"]*)"', body)
        assert any(f"{root}/admin/expenses/1/" == href for href in hrefs), hrefs  # a row
        assert f'href="{root}/admin/hero/"' in body and f'data-lookup="{root}/admin/users/lookup.json' in body
        assert all(href.startswith(f"{root}/") for href in hrefs if "/admin/" in href), (root, hrefs)
        if root:
            assert not [href for href in hrefs if href.startswith("/admin/")], hrefs
    assert len(app.extensions[f"{site.EXTENSION}.per_mount"]) <= 4
