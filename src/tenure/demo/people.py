"""Who is in the demo business: the team, the accounts and their contacts, the customers."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from tenure.demo import vocabulary as words
from tenure.demo.records import AccountRecord, ContactRecord, CustomerRecord, TeamMemberRecord

SUCCESS_MANAGERS = tuple(username for username, *_, role in words.TEAM if role == "success_manager")
MANAGER = next(username for username, *_, role in words.TEAM if role == "manager")
BUSINESS_SHARE = 0.22  # of customers who buy for an account rather than for themselves
OWNED_SHARE = 0.75  # of consumers who have an owning success manager


def team_records() -> tuple[TeamMemberRecord, ...]:
    return tuple(
        TeamMemberRecord(
            username=username,
            first_name=first,
            last_name=last,
            email=f"{username}@{words.BUSINESS_DOMAIN}",
            role=role,
        )
        for username, first, last, role in words.TEAM
    )


def _pick(rng: np.random.Generator, options: tuple[Any, ...] | list[Any]) -> Any:
    return options[int(rng.integers(len(options)))]


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def account_drafts(rng: np.random.Generator, count: int) -> list[dict[str, Any]]:
    """Accounts without their creation time (that follows from their first customer)."""
    pairs = [
        (w, k) for w in range(len(words.COMPANY_WORDS)) for k in range(len(words.COMPANY_KINDS))
    ]
    if count > len(pairs):
        raise ValueError(f"the demo vocabulary names at most {len(pairs)} accounts")
    chosen = rng.choice(len(pairs), size=count, replace=False)
    sizes = np.array([share for _, share, _ in words.SIZE_BANDS])
    drafts = []
    for i, pair in enumerate(chosen):
        word_index, kind_index = pairs[int(pair)]
        industry, suffixes = words.COMPANY_KINDS[kind_index]
        name = f"{words.COMPANY_WORDS[word_index]} {_pick(rng, suffixes)}"
        size_band, _, budget_weights = words.SIZE_BANDS[int(rng.choice(len(sizes), p=sizes))]
        budget = words.BUDGET_BANDS[int(rng.choice(4, p=np.array(budget_weights)))]
        owner = SUCCESS_MANAGERS[i % len(SUCCESS_MANAGERS)]
        others = [m for m in SUCCESS_MANAGERS if m != owner]
        team = [_pick(rng, others)] if rng.random() < 0.5 else []
        if rng.random() < 0.3 or budget == "strategic":
            team.append(MANAGER)
        drafts.append(
            {
                "name": name,
                "industry": industry,
                "size_band": size_band,
                "budget_band": budget,
                "slug": _slug(name),
                "owner": owner,
                "team": tuple(team),
                "custom_attributes": {
                    "payment_terms": _pick(rng, ("Net 14", "Net 30", "Net 30", "Card")),
                    "machines_on_site": int(rng.integers(1, 12)),
                    "delivery_day": _pick(rng, words.WEEKDAYS),
                },
            }
        )
    return drafts


def account_membership(
    rng: np.random.Generator, customers: int, drafts: list[dict[str, Any]]
) -> npt.NDArray[np.int64]:
    """The account of each customer (-1 for consumers); every account gets at least one."""
    if customers < len(drafts) / BUSINESS_SHARE:
        raise ValueError("too few customers for that many accounts")
    membership = np.full(customers, -1, dtype=np.int64)
    if not drafts:
        return membership
    business = np.sort(rng.choice(customers, size=round(customers * BUSINESS_SHARE), replace=False))
    bands = [band for band, *_ in words.SIZE_BANDS]
    weight = np.array([1.0 + bands.index(d["size_band"]) for d in drafts])
    accounts = np.concatenate(
        [
            rng.permutation(len(drafts)),
            rng.choice(len(drafts), size=business.size - len(drafts), p=weight / weight.sum()),
        ]
    )
    membership[business] = rng.permutation(accounts)
    return membership


def account_records(
    rng: np.random.Generator,
    drafts: list[dict[str, Any]],
    customers: tuple[CustomerRecord, ...],
) -> tuple[AccountRecord, ...]:
    """Accounts, each opened a few days before its first customer's first order."""
    first_seen: dict[int, datetime] = {}
    for customer in customers:
        if customer.account is not None and customer.account not in first_seen:
            first_seen[customer.account] = customer.created_at
    return tuple(
        AccountRecord(
            name=d["name"],
            industry=d["industry"],
            size_band=d["size_band"],
            budget_band=d["budget_band"],
            website=f"https://www.{d['slug']}.example/",
            custom_attributes=d["custom_attributes"],
            owner=d["owner"],
            team=d["team"],
            created_at=first_seen[i] - timedelta(seconds=int(rng.integers(86400, 20 * 86400))),
        )
        for i, d in enumerate(drafts)
    )


def contact_records(
    rng: np.random.Generator, drafts: list[dict[str, Any]], account_countries: list[int]
) -> tuple[ContactRecord, ...]:
    """Two to five contacts per account, each in a different role; the decision maker is primary."""
    contacts = []
    for account, draft in enumerate(drafts):
        others = rng.permutation(np.arange(1, len(words.CONTACT_ROLES)))
        roles = [0, *others[: int(rng.integers(1, 5))]]
        phone_format = words.COUNTRIES[account_countries[account]][3]
        for role_index in roles:
            role, titles = words.CONTACT_ROLES[int(role_index)]
            first, last = _pick(rng, words.FIRST_NAMES), _pick(rng, words.LAST_NAMES)
            contacts.append(
                ContactRecord(
                    account=account,
                    first_name=first,
                    last_name=last,
                    email=f"{_slug(first)}.{_slug(last)}@{draft['slug']}.example",
                    phone=phone_format.format(n=int(rng.integers(100))),
                    title=_pick(rng, titles),
                    role=role,
                    is_primary=bool(role_index == 0),
                )
            )
    return tuple(contacts)


def _birthday(rng: np.random.Generator, today: date) -> date | None:
    if rng.random() > 0.75:
        return None
    year = today.year - int(rng.integers(21, 73))
    return date(year, 1, 1) + timedelta(days=int(rng.integers(365)))


def _channel(rng: np.random.Generator, business: bool) -> str:
    shares = np.array([row[2] if business else row[1] for row in words.CHANNELS])
    return str(words.CHANNELS[int(rng.choice(len(shares), p=shares / shares.sum()))][0])


def _category(account: dict[str, Any] | None) -> str:
    if account is None:
        return words.CATEGORY_HOME
    large = account["size_band"] in ("201-1000", "1000+")
    return words.CATEGORY_ENTERPRISE if large else words.CATEGORY_OFFICE


class _Emails:
    """Unique, lower-case ASCII addresses: a second Ada Lee becomes ada.lee2."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def make(self, first: str, last: str, domain: str) -> str:
        local = f"{_slug(first)}.{_slug(last)}"
        self.seen[local + domain] = self.seen.get(local + domain, 0) + 1
        suffix = self.seen[local + domain]
        return f"{local}{suffix if suffix > 1 else ''}@{domain}"


def countries(rng: np.random.Generator, size: int) -> list[int]:
    """Index into ``COUNTRIES`` for each of ``size`` customers or accounts."""
    shares = np.array([row[1] for row in words.COUNTRIES])
    return [int(i) for i in rng.choice(len(shares), size=size, p=shares / shares.sum())]


def _attributes(rng: np.random.Generator, country: int, business: bool) -> dict[str, Any]:
    attributes: dict[str, Any] = {"country": words.COUNTRIES[country][0]}
    if business:
        attributes["po_required"] = bool(rng.random() < 0.4)
    elif rng.random() < 0.85:
        attributes["favourite_roast"] = _pick(rng, words.ROASTS)
        attributes["brew_method"] = _pick(rng, words.BREW_METHODS)
    return attributes


def customer_records(
    rng: np.random.Generator,
    *,
    today: date,
    created_at: list[datetime],
    membership: npt.NDArray[np.int64],
    drafts: list[dict[str, Any]],
    account_countries: list[int],
) -> tuple[CustomerRecord, ...]:
    """Customers in order of acquisition; business customers take their account's country."""
    emails = _Emails()
    own_countries = countries(rng, len(created_at))
    customers = []
    for i, since in enumerate(created_at):
        account = int(membership[i]) if membership[i] >= 0 else None
        draft = drafts[account] if account is not None else None
        country = own_countries[i] if account is None else account_countries[account]
        _, _, zones, phone_format = words.COUNTRIES[country]
        first, last = _pick(rng, words.FIRST_NAMES), _pick(rng, words.LAST_NAMES)
        domain = f"{draft['slug']}.example" if draft else _pick(rng, words.PERSONAL_EMAIL_DOMAINS)
        if draft is not None:
            owner: str | None = draft["owner"]
        else:
            owner = _pick(rng, SUCCESS_MANAGERS) if rng.random() < OWNED_SHARE else None
        helpers = [m for m in (*SUCCESS_MANAGERS, MANAGER) if m != owner]
        team = (_pick(rng, helpers),) if owner and rng.random() < 0.1 else ()
        customers.append(
            CustomerRecord(
                external_id=f"DEMO-C{i + 1:05d}",
                first_name=first,
                last_name=last,
                email=emails.make(first, last, domain),
                phone=phone_format.format(n=int(rng.integers(100))) if rng.random() < 0.8 else "",
                birthday=_birthday(rng, today),
                time_zone=_pick(rng, zones),
                channel=_channel(rng, business=draft is not None),
                category=_category(draft),
                account=account,
                custom_attributes=_attributes(rng, country, business=draft is not None),
                owner=owner,
                team=team,
                created_at=since,
            )
        )
    return tuple(customers)
