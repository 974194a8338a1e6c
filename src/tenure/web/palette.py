"""The command palette's catalogue: the pages and actions it offers, and the records it finds.

One list, read by the palette (⌘K), the search page that stands in for it without script, and
the keyboard map (``?``). An entry names the role action it needs (``Action.CHANGE`` for a form
that creates something), so an analyst is never offered "New customer"; records come through
each app's own reads over ``visible(user, ...)``, so the palette finds only what the user may
open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.urls import reverse

from tenure.access import may, sees_all
from tenure.access.filtering import InvalidFilters
from tenure.customers.filters import AccountFilterSet, CustomerFilterSet, search_terms
from tenure.customers.selectors import account_list, customer_list
from tenure.domain.access import Action
from tenure.mail.selectors import template_list
from tenure.orders.selectors import order_search
from tenure.playbooks.selectors import playbook_list
from tenure.segments.selectors import segment_list
from tenure.todos.selectors import task_search
from tenure.users.models import User

RECORDS_PER_KIND = 5
QUERY_MAX = 200


@dataclass(frozen=True)
class Entry:
    """A page or an action: its label, where it goes, the words it is also found by, and the
    role action it needs (None: every signed-in user), and whether over every record (a
    playbook reaches everyone: admins and managers). ``keys``: its keyboard shortcut."""

    label: str
    url_name: str
    words: str = ""
    needs: Action | None = None
    keys: str = ""
    over_all: bool = False


@dataclass(frozen=True)
class Hit:
    """One line of the palette: a record, a page or an action."""

    group: str
    label: str
    url: str
    detail: str = ""
    keys: str = ""


PAGES: tuple[Entry, ...] = (
    Entry("Home", "web:home", "dashboard start", keys="g h"),
    Entry("Customers", "web:customers", "people clients list", keys="g c"),
    Entry("Accounts", "web:accounts", "companies organisations", keys="g a"),
    Entry("Orders", "web:orders", "purchases sales", keys="g o"),
    Entry("Analytics", "web:analytics", "retention churn clv cohorts rfm", keys="g n"),
    Entry("Lifecycle", "web:lifecycle", "stages funnel", keys="g l"),
    Entry("At risk", "web:lifecycle-at-risk", "churn risk lapsing follow-up"),
    Entry("Churn audit", "web:lifecycle-churn-audit", "lost churned in common"),
    Entry("Lifecycle definition", "web:lifecycle-definition", "stages rules"),
    Entry("Segments", "web:segments", "audiences lists filters", keys="g s"),
    Entry("Tasks", "web:tasks", "to-do follow-ups", keys="g t"),
    Entry("Email outbox", "web:mail-outbox", "messages sent mail", keys="g e"),
    Entry("Email templates", "web:mail-templates", "mail"),
    Entry("Broadcasts", "web:mail-broadcasts", "newsletter mail"),
    Entry("Playbooks", "web:playbooks", "automation flows welcome win-back", keys="g p"),
    Entry("Imports", "web:imports", "csv upload", keys="g i"),
    Entry("Team", "web:team", "users roles members", needs=Action.ADMINISTER),
    Entry("API tokens", "web:api-tokens", "keys rest"),
    Entry("Surveys", "web:surveys", "nps csat ces feedback answers"),
    Entry("Trash", "web:trash", "deleted restore undo"),
    Entry("Your profile", "web:profile", "name email account me"),
    Entry("Change password", "web:password-change", "account security"),
)

ACTIONS: tuple[Entry, ...] = (
    Entry("New customer", "web:customer-new", "create add person", needs=Action.CHANGE),
    Entry("New account", "web:account-new", "create add company", needs=Action.CHANGE),
    Entry("New segment", "web:segment-new", "create audience", needs=Action.CHANGE),
    Entry("New playbook", "web:playbook-new", "create automation", Action.CHANGE, over_all=True),
    Entry("Import a file", "web:imports", "upload csv", needs=Action.CHANGE),
    Entry("Export customers (CSV)", "web:customers-csv", "download csv"),
)

SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("⌘ K / Ctrl K", "Open the command palette: records, pages and actions"),
    ("/", "Search this list (where a list has a search box)"),
    ("?", "Show this keyboard map"),
    ("↑ ↓, Enter", "Move through the palette's results and open one"),
    ("Esc", "Close the palette or this map"),
)


def _allowed(user: User, entry: Entry) -> bool:
    if entry.needs is None:
        return True
    return sees_all(user, entry.needs) if entry.over_all else may(user, entry.needs)


def entries_for(user: User, entries: Iterable[Entry]) -> list[Entry]:
    """The entries the user's role may use."""
    return [entry for entry in entries if _allowed(user, entry)]


def _matches(entry: Entry, terms: list[str]) -> bool:
    text = f"{entry.label} {entry.words}".casefold()
    return all(term.casefold() in text for term in terms)


def _entry_hits(user: User, group: str, entries: Iterable[Entry], terms: list[str]) -> list[Hit]:
    return [
        Hit(group, entry.label, reverse(entry.url_name), keys=entry.keys)
        for entry in entries_for(user, entries)
        if _matches(entry, terms)
    ]


def _named(queryset: QuerySet, terms: list[str], field: str = "name") -> QuerySet:
    condition = Q()
    for term in terms:
        condition &= Q(**{f"{field}__icontains": term})
    return queryset.filter(condition)


def _record_hits(user: User, q: str, terms: list[str]) -> list[Hit]:
    hits: list[Hit] = []
    try:
        customers = customer_list(filters=CustomerFilterSet.of(user, {"q": q}))
        accounts = account_list(filters=AccountFilterSet.of(user, {"q": q}))
    except InvalidFilters:  # a query the lists refuse finds no record; pages still match
        return hits
    for customer in customers[:RECORDS_PER_KIND]:
        url = reverse("web:customer", args=[customer.pk])
        hits.append(Hit("Customers", str(customer), url, customer.email))
    for account in accounts[:RECORDS_PER_KIND]:
        url = reverse("web:account", args=[account.pk])
        hits.append(Hit("Accounts", account.name, url, account.industry))
    for order in order_search(user=user, terms=terms)[:RECORDS_PER_KIND]:
        url = reverse("web:order", args=[order.pk])
        hits.append(Hit("Orders", f"Order {order.external_id}", url, str(order.customer)))
    for task in task_search(user=user, terms=terms)[:RECORDS_PER_KIND]:
        url = reverse("web:task", args=[task.pk])
        hits.append(Hit("Tasks", task.title, url, f"due {task.due:%d %b %Y}"))
    named: tuple[tuple[str, Callable[[], QuerySet], str], ...] = (
        ("Segments", lambda: segment_list(user=user), "web:segment"),
        ("Playbooks", lambda: playbook_list(by=user), "web:playbook"),
        ("Email templates", lambda: template_list(user=user), "web:mail-template"),
    )
    for group, read, url_name in named:
        for record in _named(read(), terms)[:RECORDS_PER_KIND]:
            hits.append(Hit(group, record.name, reverse(url_name, args=[record.pk])))
    return hits


def palette_find(*, user: User, q: str) -> list[Hit]:
    """What the palette shows for ``q``: actions and pages first when nothing is typed, else
    the records, actions and pages whose words hold every typed word."""
    q = q.strip()[:QUERY_MAX]
    terms = search_terms(q)
    if not terms:
        return _entry_hits(user, "Actions", ACTIONS, []) + _entry_hits(user, "Pages", PAGES, [])
    return (
        _record_hits(user, q, terms)
        + _entry_hits(user, "Actions", ACTIONS, terms)
        + _entry_hits(user, "Pages", PAGES, terms)
    )
