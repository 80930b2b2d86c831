"""The book contract (docs/book-format.md): table and column names, types, which are required.

This module is data only. The loader uses it to coerce types and the validator to report what is
missing, so the contract is written down exactly once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ColumnType = Literal["string", "number", "int", "date", "month", "quarter", "bool", "datetime"]


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool = False
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    required: bool = False
    per_account: bool = True
    key: tuple[str, ...] = ()
    """Columns that identify a row; two rows with the same key are reported as duplicates."""

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column | None:
        for c in self.columns:
            if c.name == name:
                return c
        return None


def _c(name: str, type_: ColumnType = "string", req: bool = False, **kw: object) -> Column:
    return Column(name, type_, req, **kw)  # type: ignore[arg-type]


TIERS = ("strategic", "enterprise", "mid_market", "smb", "tech_touch")
PRODUCT_TYPES = (
    "project_management",
    "analytics",
    "api_platform",
    "sales_enablement",
    "customer_support",
    "collaboration",
)
VALUE_CATEGORIES = ("time_savings", "cost_reduction", "revenue_impact", "risk_avoidance", "quality")

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "accounts",
            (
                _c("account_id", req=True),
                _c("name", req=True),
                _c("arr", "number", True, min=0),
                _c("currency"),
                _c("tier", choices=TIERS),
                _c("industry"),
                _c("product_type", choices=PRODUCT_TYPES),
                _c("licensed_seats", "int", min=0),
                _c("customer_since", "date"),
                _c("renewal_date", "date"),
                _c("last_qbr_date", "date"),
                _c("next_qbr_date", "date"),
                _c("csm_name"),
                _c("csm_email"),
                _c("champion_name"),
                _c("champion_title"),
                _c("champion_email"),
                _c("sponsor_name"),
                _c("sponsor_title"),
                _c("champion_changed", "bool"),
                _c("sponsor_engaged", "bool"),
                _c("nps", "number", min=0, max=10),
                _c("csat", "number", min=1, max=5),
                _c("cancellation_intent", "bool"),
                _c("qbr_hold", "bool"),
                _c("hourly_rate", "number", min=0),
            ),
            required=True,
            key=("account_id",),
        ),
        Table(
            "usage",
            (
                _c("account_id", req=True),
                _c("month", "month", True),
                _c("active_users", "int", True, min=0),
                _c("dau", "number", min=0),
                _c("mau", "number", min=0),
                _c("api_calls", "int", min=0),
                _c("core_actions", "int", min=0),
            ),
            key=("account_id", "month"),
        ),
        Table(
            "features",
            (
                _c("account_id", req=True),
                _c("month", "month", True),
                _c("feature", req=True),
                _c("events", "int", True, min=0),
                _c("users", "int", min=0),
            ),
            key=("account_id", "month", "feature"),
        ),
        Table(
            "feature_catalog",
            (
                _c("feature", req=True),
                _c("module"),
                _c("description"),
                _c("product_type", choices=PRODUCT_TYPES),
                _c("label"),
            ),
            per_account=False,
            key=("feature",),
        ),
        Table(
            "events",
            (
                _c("account_id", req=True),
                _c("user_id", req=True),
                _c("event", req=True),
                _c("timestamp", "datetime", True),
            ),
        ),
        Table(
            "tickets",
            (
                _c("account_id", req=True),
                _c("ticket_id", req=True),
                _c("opened_at", "datetime", True),
                _c("resolved_at", "datetime"),
                _c("priority"),
                _c("csat", "number", min=1, max=5),
                _c("first_response_hours", "number", min=0),
            ),
            key=("ticket_id",),
        ),
        Table(
            "invoices",
            (
                _c("account_id", req=True),
                _c("invoice_date", "date", True),
                _c("amount", "number", True),
                _c("status", choices=("paid", "open", "failed", "void")),
                _c("due_date", "date"),
                _c("paid_at", "date"),
            ),
            key=("account_id", "invoice_date"),
        ),
        Table(
            "value",
            (
                _c("account_id", req=True),
                _c("quarter", "quarter", True),
                _c("category", req=True, choices=VALUE_CATEGORIES),
                _c("label", req=True),
                _c("baseline", "number"),
                _c("current", "number"),
                _c("unit"),
                _c("quantity", "number"),
                _c("value", "number"),
            ),
            key=("account_id", "quarter", "category", "label"),
        ),
        Table(
            "goals",
            (
                _c("account_id", req=True),
                _c("goal", req=True),
                _c("metric"),
                _c("target", "number"),
                _c("actual", "number"),
                _c("unit"),
                _c("status"),
                _c("owner"),
                _c("due_date", "date"),
                _c("quarter", "quarter"),
            ),
        ),
        Table(
            "actions",
            (
                _c("account_id", req=True),
                _c("action", req=True),
                _c("owner"),
                _c("side", choices=("customer", "vendor")),
                _c("due_date", "date"),
                _c("status"),
                _c("completed_at", "date"),
            ),
        ),
        Table(
            "roadmap",
            (
                _c("item", req=True),
                _c("description"),
                _c("status", choices=("shipped", "next", "horizon")),
                _c("timing"),
                _c("module"),
                _c("requested_by"),
            ),
            per_account=False,
        ),
        Table(
            "touchpoints",
            (
                _c("account_id", req=True),
                _c("date", "date", True),
                _c("type"),
                _c("completed", "bool"),
                _c("exec_present", "bool"),
            ),
        ),
        Table(
            "account_ids",
            (
                _c("account_id", req=True),
                _c("system", req=True),
                _c("external_id", req=True),
            ),
            per_account=False,
            key=("system", "external_id"),
        ),
    )
}

FILE_EXTENSIONS = (".csv", ".parquet", ".jsonl", ".json", ".xlsx")
