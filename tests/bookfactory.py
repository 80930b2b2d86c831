"""Tiny books written to disk, for tests that go through the real loader."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

ACCOUNTS_HEADER = [
    "account_id",
    "name",
    "arr",
    "currency",
    "licensed_seats",
    "customer_since",
    "renewal_date",
    "next_qbr_date",
    "qbr_hold",
    "industry",
    "product_type",
]


def account(account_id: str, name: str, arr: Any = 120000, **kw: Any) -> dict[str, Any]:
    row = {
        "account_id": account_id,
        "name": name,
        "arr": arr,
        "currency": "USD",
        "licensed_seats": 100,
        "customer_since": "2023-01-15",
        "renewal_date": "2027-03-01",
        "next_qbr_date": "2026-12-09",
        "qbr_hold": "",
        "industry": "software",
        "product_type": "collaboration",
    }
    row.update(kw)
    return row


def write_table(
    folder: Path, name: str, rows: list[dict[str, Any]], header: list[str] | None = None
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    header = header or (list(rows[0].keys()) if rows else ["account_id"])
    path = folder / f"{name}.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=header, lineterminator="\n")
        w.writeheader()
        for r in rows:
            w.writerow({k: r.get(k, "") for k in header})
    return path


def usage_rows(account_id: str, months: list[str], users: list[int]) -> list[dict[str, Any]]:
    return [
        {
            "account_id": account_id,
            "month": m,
            "active_users": u,
            "dau": u * 0.4,
            "mau": u,
            "api_calls": "",
            "core_actions": u * 10,
        }
        for m, u in zip(months, users, strict=True)
    ]


def simple_book(folder: Path, accounts: list[dict[str, Any]] | None = None) -> Path:
    accounts = accounts or [account("A-001", "Northwind"), account("A-002", "Globex")]
    write_table(
        folder,
        "accounts",
        accounts,
        ACCOUNTS_HEADER + [k for k in accounts[0] if k not in ACCOUNTS_HEADER],
    )
    return folder
