"""Validation in one pass: every problem with the book, located, before anything is rendered.

Three kinds of outcome (see docs/validation.md):
- the book is unusable -> `DataError` from the loader (never reaches here);
- an account is broken -> a `block` finding naming it; that account renders nothing;
- cross-table and distribution gates (docs/domain.md §6) -> findings, and per-account gates.
Red health (manager review) is decided later, once metrics exist.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from deckgen.book.findings import LEVEL_ORDER, Finding
from deckgen.book.gates import Gate
from deckgen.book.load import ROW, Book
from deckgen.book.schema import TABLES
from deckgen.config import Config


@dataclass
class ValidationReport:
    findings: list[Finding]
    gates: dict[str, Gate]
    accounts: int
    tables: dict[str, int] = field(default_factory=dict)

    @property
    def usable(self) -> bool:
        return not any(f.level == "fatal" for f in self.findings)

    def count(self, level: str) -> int:
        return sum(1 for f in self.findings if f.level == level)

    def for_account(self, account_id: str) -> list[Finding]:
        return [f for f in self.findings if f.account_id == account_id]

    def as_json(self) -> dict[str, object]:
        statuses: dict[str, int] = {}
        for gate in self.gates.values():
            statuses[gate.status] = statuses.get(gate.status, 0) + 1
        return {
            "usable": self.usable,
            "accounts": self.accounts,
            "tables": self.tables,
            "summary": {lvl: self.count(lvl) for lvl in LEVEL_ORDER},
            "gates": statuses,
            "findings": [f.as_dict() for f in self.findings],
            "accounts_gated": {
                acct: {"status": g.status, "reasons": list(g.reasons)}
                for acct, g in self.gates.items()
                if g.status != "ok"
            },
        }


def validate(book: Book, config: Config, as_of: date) -> ValidationReport:
    findings: list[Finding] = list(book.findings)
    accounts = book.tables["accounts"]
    file = book.source("accounts")
    findings += _check_accounts(accounts, file)
    known = set(accounts["account_id"].dropna().astype(str))
    known.discard("")
    for name, df in book.tables.items():
        if name == "accounts":
            continue
        schema = TABLES[name]
        if schema.per_account and "account_id" in df.columns:
            findings += _unknown_accounts(df, name, book.source(name), known)
        if schema.key and all(k in df.columns for k in schema.key):
            findings += _duplicate_rows(df, name, book.source(name), schema.key)
    findings += _zero_users_with_activity(book)
    findings += _mrr_drops(book, config, as_of)
    findings += _drift(book, config)
    findings += _holds_and_onboarding(accounts, file, config, as_of)
    findings.sort(key=lambda f: (LEVEL_ORDER[f.level], f.file or "", f.row or 0))
    gates = _gates(accounts, findings)
    return ValidationReport(
        findings=findings,
        gates=gates,
        accounts=len(gates),
        tables={name: len(df) for name, df in book.tables.items()},
    )


# ------------------------------------------------------------------ accounts


def _check_accounts(df: pd.DataFrame, file: str) -> list[Finding]:
    out: list[Finding] = []
    ids = df["account_id"].astype(str).str.strip()
    blank_id = ids.isin(["", "None", "nan"]) | df["account_id"].isna()
    for row in df.loc[blank_id, ROW]:
        out.append(
            Finding(
                "warning",
                "blank_account_id",
                "account_id is blank: this row cannot be joined and is skipped",
                "accounts",
                file,
                int(row),
                "account_id",
            )
        )
    dup = ids.duplicated(keep=False) & ~blank_id
    for acct, group in df[dup].groupby(ids[dup]):
        rows = ", ".join(str(r) for r in group[ROW].tolist())
        out.append(
            Finding(
                "block",
                "duplicate_account_id",
                f"account_id {acct!r} appears on rows {rows}; ids must be unique",
                "accounts",
                file,
                int(group[ROW].iloc[0]),
                "account_id",
                str(acct),
            )
        )
    name_blank = df["name"].isna() | (df["name"].astype(str).str.strip() == "")
    for idx in df.index[name_blank & ~blank_id]:
        out.append(
            Finding(
                "block",
                "blank_name",
                "name is blank (expected the customer's name)",
                "accounts",
                file,
                int(_at(df, idx, ROW)),
                "name",
                str(ids[idx]),
            )
        )
    arr_missing = df["arr"].isna()
    already = {(f.row, f.column) for f in out}
    for idx in df.index[arr_missing & ~blank_id]:
        if (int(_at(df, idx, ROW)), "arr") not in already:
            out.append(
                Finding(
                    "block",
                    "missing_arr",
                    "arr is missing (expected a number >= 0)",
                    "accounts",
                    file,
                    int(_at(df, idx, ROW)),
                    "arr",
                    str(ids[idx]),
                )
            )
    return out


def _unknown_accounts(df: pd.DataFrame, table: str, file: str, known: set[str]) -> list[Finding]:
    # Membership is decided once per distinct id (missing ids are unknown), not once per row.
    codes, uniques = pd.factorize(df["account_id"])
    is_known = np.zeros(len(uniques) + 1, dtype=bool)  # the last slot: code -1, missing
    is_known[:-1] = [str(u) in known for u in uniques]
    unknown = pd.Series(~is_known[codes], index=df.index)
    if not unknown.any():
        return []
    ids = df["account_id"][unknown].astype(str)
    folded = {_fold(k): k for k in known}
    out = []
    for acct, group in df[unknown].groupby(ids, sort=True):
        acct = str(acct)
        guess = folded.get(_fold(acct))
        if guess is None:
            close = difflib.get_close_matches(acct, list(known), n=1, cutoff=0.85)
            guess = close[0] if close else None
        hint = f"; did you mean {guess!r}?" if guess else ""
        n = len(group)
        out.append(
            Finding(
                "warning",
                "unknown_account",
                f"{n} row(s) for unknown account {acct!r}{hint} (rows ignored until fixed)",
                table,
                file,
                int(group[ROW].iloc[0]),
                "account_id",
                guess,
            )
        )
    return out


def _fold(value: str) -> str:
    return "".join(value.split()).casefold()


def _duplicate_rows(df: pd.DataFrame, table: str, file: str, key: Iterable[str]) -> list[Finding]:
    cols = list(key)
    dup = df.duplicated(subset=cols, keep="first") & df[cols].notna().all(axis=1)
    out = []
    for idx in df.index[dup][:50]:
        desc = ", ".join(f"{c}={_at(df, idx, c)}" for c in cols)
        acct = str(_at(df, idx, "account_id")) if "account_id" in df.columns else None
        out.append(
            Finding(
                "warning",
                "duplicate_row",
                f"duplicate row ({desc}): the first occurrence is used",
                table,
                file,
                int(_at(df, idx, ROW)),
                None,
                acct,
            )
        )
    return out


# ------------------------------------------------------------------ distribution gates


def _zero_users_with_activity(book: Book) -> list[Finding]:
    """Zero active users in the latest month while other tables show activity: probably an
    account-id mismatch between the analytics export and the CRM, not a dead account."""
    usage = book.tables.get("usage")
    if usage is None or usage.empty:
        return []
    valid = usage.dropna(subset=["month"])
    if valid.empty:
        return []
    latest = valid.sort_values("month").groupby("account_id").tail(1)
    zero = latest[latest["active_users"].fillna(-1) == 0]
    out = []
    features = book.tables.get("features")
    tickets = book.tables.get("tickets")
    for _, row in zero.iterrows():
        acct, month = str(row["account_id"]), str(row["month"])
        evidence = []
        for col in ("api_calls", "core_actions"):
            if col in usage.columns and pd.notna(row.get(col)) and row.get(col, 0) > 0:
                evidence.append(f"{int(row[col])} {col.replace('_', ' ')}")
        if features is not None:
            ev = features[(features["account_id"] == acct) & (features["month"] == month)][
                "events"
            ].sum()
            if ev > 0:
                evidence.append(f"{int(ev)} feature events")
        if tickets is not None:
            opened = tickets[
                (tickets["account_id"] == acct)
                & (tickets["opened_at"].dt.strftime("%Y-%m") == month)
            ]
            if len(opened):
                evidence.append(f"{len(opened)} tickets opened")
        if evidence:
            out.append(
                Finding(
                    "block",
                    "zero_users_with_activity",
                    f"0 active users in {month} but {', '.join(evidence)} that month: "
                    "probable account-ID mismatch between exports",
                    "usage",
                    book.source("usage"),
                    int(row[ROW]),
                    "active_users",
                    acct,
                )
            )
    return out


def _mrr_drops(book: Book, config: Config, as_of: date) -> list[Finding]:
    """Billed revenue down more than the threshold quarter over quarter.

    Asked about before it is called churn: billing exports glitch more often than customers leave.
    """
    inv = book.tables.get("invoices")
    if inv is None or inv.empty:
        return []
    threshold = float(config.get("validation.mrr_drop_pct", 20))
    df = inv.dropna(subset=["invoice_date", "amount"])
    if "status" in df.columns:
        df = df[df["status"].fillna("paid") != "void"]
    if df.empty:
        return []
    last_complete = pd.Timestamp(as_of).to_period("Q") - 1
    q = df["invoice_date"].dt.to_period("Q")
    df = df[(q == last_complete) | (q == last_complete - 1)]
    if df.empty:
        return []
    is_cur = df["invoice_date"].dt.to_period("Q") == last_complete
    sums = pd.DataFrame(
        {
            "cur": df["amount"].where(is_cur).groupby(df["account_id"]).sum(min_count=1),
            "prev": df["amount"].where(~is_cur).groupby(df["account_id"]).sum(min_count=1),
        }
    ).dropna()
    sums = sums[sums["prev"] > 0]
    sums["drop"] = (sums["prev"] - sums["cur"]) / sums["prev"] * 100
    out = []
    for acct, row in sums[sums["drop"] > threshold].iterrows():
        prev, cur, drop = float(row["prev"]), float(row["cur"]), float(row["drop"])
        out.append(
            Finding(
                "warning",
                "mrr_drop",
                f"billed revenue down {drop:.0f}% from {last_complete - 1} to {last_complete} "
                f"({prev:,.0f} -> {cur:,.0f}): check for a billing-data error "
                "before presenting it as risk",
                "invoices",
                book.source("invoices"),
                None,
                "amount",
                str(acct),
            )
        )
    return out


def _drift(book: Book, config: Config) -> list[Finding]:
    out = []
    expected_events = [str(e) for e in config.get("validation.expected_events", []) or []]
    if expected_events and book.events_source is not None:
        from deckgen.book.events import event_counts

        counts = event_counts(book)
        for ev in expected_events:
            if counts.get(ev, 0) == 0:
                out.append(
                    Finding(
                        "warning",
                        "event_drift",
                        f"expected event {ev!r} has no rows in the whole book: "
                        "probable event-name drift in the tracking plan",
                        "events",
                        book.source("events"),
                        None,
                        "event",
                    )
                )
    expected_features = [str(f) for f in config.get("validation.expected_features", []) or []]
    catalog = book.tables.get("feature_catalog")
    if not expected_features and catalog is not None:
        expected_features = [str(f) for f in catalog["feature"].dropna()]
    features = book.tables.get("features")
    if expected_features and features is not None:
        active = features.loc[features["events"].fillna(0) > 0, "feature"].dropna()
        seen = set(active.drop_duplicates().astype(str))
        for feat in expected_features:
            if feat not in seen:
                out.append(
                    Finding(
                        "warning",
                        "feature_drift",
                        f"expected feature {feat!r} has no events in the whole book: "
                        "probable event-name drift, or a feature nobody uses",
                        "features",
                        book.source("features"),
                        None,
                        "feature",
                    )
                )
    return out


def _holds_and_onboarding(
    df: pd.DataFrame, file: str, config: Config, as_of: date
) -> list[Finding]:
    out = []
    window = int(config.get("onboarding_days", 60))
    cutoff = pd.Timestamp(as_of - timedelta(days=window))
    if "qbr_hold" in df.columns:
        held = df[df["qbr_hold"].fillna(False).astype(bool)]
        for acct, row in zip(held["account_id"], held[ROW], strict=True):
            out.append(
                Finding(
                    "info",
                    "held",
                    "qbr_hold is set: nothing is generated for distribution",
                    "accounts",
                    file,
                    int(row),
                    "qbr_hold",
                    str(acct).strip(),
                )
            )
    if "customer_since" in df.columns:
        young = df[df["customer_since"] > cutoff]
        for acct, row, since in zip(
            young["account_id"], young[ROW], young["customer_since"], strict=True
        ):
            days = (pd.Timestamp(as_of) - pd.Timestamp(since)).days
            out.append(
                Finding(
                    "info",
                    "onboarding",
                    f"customer for {days} days (< {window}): onboarding-stage variant",
                    "accounts",
                    file,
                    int(row),
                    "customer_since",
                    str(acct).strip(),
                )
            )
    return out


def _gates(accounts: pd.DataFrame, findings: list[Finding]) -> dict[str, Gate]:
    by_acct: dict[str, list[Finding]] = {}
    for f in findings:
        if f.account_id:
            by_acct.setdefault(f.account_id, []).append(f)
    gates: dict[str, Gate] = {}
    for acct in accounts["account_id"].astype(str).str.strip():
        if acct in ("", "None", "nan") or acct in gates:
            continue
        own = by_acct.get(acct, [])
        blocks = tuple(f"{f.location}: {f.message}" for f in own if f.level == "block")
        if blocks:
            gates[acct] = Gate("blocked", blocks)
        elif any(f.code == "held" for f in own):
            gates[acct] = Gate("held", ("qbr_hold is set (escalation hold)",))
        elif any(f.code == "onboarding" for f in own):
            msg = next(f.message for f in own if f.code == "onboarding")
            gates[acct] = Gate("onboarding", (msg,))
        else:
            gates[acct] = Gate("ok", ())
    return gates


def _at(df: pd.DataFrame, idx: Any, col: str) -> Any:
    """One cell, typed loosely: pandas-stubs types `.at` too narrowly for mixed columns."""
    return df.at[idx, col]
