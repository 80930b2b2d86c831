#!/usr/bin/env python3
"""Generate deckgen's sample book: a seeded, deterministic, invented customer-success book.

    python samples/generate.py                       # the committed sample book -> samples/book/
    python samples/generate.py --out /tmp/big --accounts 5000 --events 1000000   # benchmark book

The same arguments always give byte-identical CSV files (seeded `random.Random` and
`numpy.random.default_rng`, fixed column order, fixed row order, "\\n" line endings).
The input contract is docs/book-format.md; every table is written as `<table>.csv`.

Accounts 1-31 and 37 are hand-placed edge cases (see EDGE_CASES and samples/README.md); their ids,
names, tiers and roles do not depend on --seed or --accounts (as long as --accounts reaches them).
Everything else is random within realistic ranges. Only the standard library, numpy and pandas are
used (pyarrow too, for the optional --events parquet export).
"""

from __future__ import annotations

import argparse
import calendar
import math
import random
import sys
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

TODAY = date(2026, 11, 28)
"""The book's "as of" date: the history ends with this month, next QBRs are after it."""

TIERS = ("strategic", "enterprise", "mid_market", "smb", "tech_touch")
# tier mix per 72 accounts
TIER_MIX = {"strategic": 8, "enterprise": 16, "mid_market": 18, "smb": 15, "tech_touch": 15}
ARR_RANGE = {  # ARR band per tier (lower inclusive), sampled log-uniformly
    "strategic": (520_000, 2_400_000),
    "enterprise": (105_000, 480_000),
    "mid_market": (26_000, 98_000),
    "smb": (5_200, 24_500),
    "tech_touch": (600, 4_900),
}
CADENCE_MONTHS = {"strategic": 3, "enterprise": 3, "mid_market": 6, "smb": 12, "tech_touch": 12}
INDUSTRIES = ("software", "healthcare", "financial_services", "retail", "manufacturing")
PRODUCT_TYPES = (
    "project_management",
    "analytics",
    "api_platform",
    "sales_enablement",
    "customer_support",
    "collaboration",
)

COLUMNS: dict[str, list[str]] = {
    "accounts": [
        "account_id",
        "name",
        "arr",
        "currency",
        "tier",
        "industry",
        "product_type",
        "licensed_seats",
        "customer_since",
        "renewal_date",
        "last_qbr_date",
        "next_qbr_date",
        "csm_name",
        "csm_email",
        "champion_name",
        "champion_title",
        "champion_email",
        "sponsor_name",
        "sponsor_title",
        "champion_changed",
        "sponsor_engaged",
        "nps",
        "csat",
        "cancellation_intent",
        "qbr_hold",
        "hourly_rate",
    ],
    "usage": ["account_id", "month", "active_users", "dau", "mau", "api_calls", "core_actions"],
    "features": ["account_id", "month", "feature", "events", "users"],
    # product_type is an extra column (kept and ignored by the contract): which product offers it.
    "feature_catalog": ["feature", "module", "description", "product_type", "label"],
    "tickets": [
        "account_id",
        "ticket_id",
        "opened_at",
        "resolved_at",
        "priority",
        "csat",
        "first_response_hours",
    ],
    "invoices": ["account_id", "invoice_date", "amount", "status", "due_date", "paid_at"],
    "value": [
        "account_id",
        "quarter",
        "category",
        "label",
        "baseline",
        "current",
        "unit",
        "quantity",
        "value",
    ],
    "goals": [
        "account_id",
        "goal",
        "metric",
        "target",
        "actual",
        "unit",
        "status",
        "owner",
        "due_date",
        "quarter",
    ],
    "actions": ["account_id", "action", "owner", "side", "due_date", "status", "completed_at"],
    "roadmap": ["item", "description", "status", "timing", "module", "requested_by"],
    "touchpoints": ["account_id", "date", "type", "completed", "exec_present"],
}
INT_COLUMNS = {
    "accounts": ["arr", "licensed_seats", "nps", "hourly_rate"],
    "usage": ["active_users", "mau", "api_calls", "core_actions"],
    "features": ["events", "users"],
    "tickets": ["csat"],
    "value": [],
    "goals": [],
}

# --------------------------------------------------------------------------------------------
# Reference data
# --------------------------------------------------------------------------------------------

CURATED: list[tuple[str, str, str]] = [  # (name, industry, currency), account #1..#72
    ("Northwind Logistics", "manufacturing", "USD"),
    ("Globex Health", "healthcare", "USD"),
    ("Initech Software", "software", "USD"),
    ("Umbrella Pharma Labs", "healthcare", "USD"),
    ("Contoso Financial", "financial_services", "USD"),
    ("Fabrikam Retail Group", "retail", "USD"),
    ("Bond Street Analytics", "financial_services", "USD"),
    ("Café Müller GmbH", "retail", "EUR"),
    ("O'Brien & Sons", "manufacturing", "GBP"),
    ("株式会社サンプル", "manufacturing", "USD"),
    ("Tailspin Toys", "retail", "USD"),
    ("Wide World Importers", "retail", "USD"),
    ("Adventure Works Cycles", "manufacturing", "USD"),
    ("Litware Labs", "software", "USD"),
    ("Proseware Inc.", "software", "USD"),
    ("Lakeshore Credit Union", "financial_services", "USD"),
    ("Woodgrove Bank", "financial_services", "USD"),
    ("Alpine Ski House", "retail", "USD"),
    ("Coho Vineyard & Winery", "retail", "USD"),
    ("Fourth Coffee Roasters", "retail", "USD"),
    ("Trey Research", "healthcare", "USD"),
    ("Margie's Travel", "retail", "USD"),
    ("Humongous Insurance", "financial_services", "USD"),
    ("Lucerne Publishing", "software", "USD"),
    ("Graphic Design Institute", "software", "USD"),
    ("Stellar Orthopedics", "healthcare", "USD"),
    ("Meridian Health Partners", "healthcare", "USD"),
    ("Brightline Payments", "financial_services", "USD"),
    ("Ironclad Fabrication", "manufacturing", "USD"),
    ("Redwood Precision Parts", "manufacturing", "USD"),
    ("Summit Ridge Outfitters", "retail", "USD"),
    ("Harbor & Finch Advisory", "financial_services", "USD"),
    ("Quantum Ledger Systems", "software", "USD"),
    ("Cedar Valley Clinics", "healthcare", "USD"),
    ("Polar Peak Analytics", "software", "USD"),
    ("Smith, Jones & Partners, LLC", "financial_services", "USD"),
    ('The "Blue Door" Bakery, Inc.', "retail", "USD"),
    ("Nordlicht Maschinenbau AG", "manufacturing", "EUR"),
    ("Ñandú Logística S.A.", "manufacturing", "EUR"),
    ("Thames Valley Dental Group", "healthcare", "GBP"),
    ("Aperture Biotech", "healthcare", "USD"),
    ("Kestrel Robotics", "manufacturing", "USD"),
    ("Silverline Cloud", "software", "USD"),
    ("Oakmont Mutual", "financial_services", "USD"),
    ("Evergreen Grocers", "retail", "USD"),
    ("Vertex Cloudworks", "software", "USD"),
    ("Helios Solar Manufacturing", "manufacturing", "USD"),
    ("Bluebird Pediatrics", "healthcare", "USD"),
    ("Granite State Lending", "financial_services", "USD"),
    ("Copperleaf Home Goods", "retail", "USD"),
    ("Nimbus DevTools", "software", "USD"),
    ("Atlas Freight Systems", "manufacturing", "USD"),
    ("Sunrise Senior Care", "healthcare", "USD"),
    ("Pinecrest Capital", "financial_services", "USD"),
    ("Mosaic Marketplace", "retail", "USD"),
    ("Orbit Data Labs", "software", "USD"),
    ("Ridgeline Components", "manufacturing", "USD"),
    ("Clearwater Diagnostics", "healthcare", "USD"),
    ("Fjordline Fintech", "financial_services", "USD"),
    ("Lantern Books & Gifts", "retail", "USD"),
    ("Beacon Security Software", "software", "USD"),
    ("Maple & Main Hardware", "retail", "USD"),
    ("Tidewater Medical Supply", "healthcare", "USD"),
    ("Keystone Insurance Brokers", "financial_services", "USD"),
    ("Forge Industrial Tools", "manufacturing", "USD"),
    ("Skyward Learning", "software", "USD"),
    ("Zenith Wellness Studios", "healthcare", "USD"),
    ("Cobalt Payments", "financial_services", "USD"),
    ("Prairie Farm Supply", "retail", "USD"),
    ("Lumen Apps", "software", "USD"),
    ("Łódź Robotics sp. z o.o.", "manufacturing", "EUR"),
    ("Brixton Bikes Ltd", "retail", "GBP"),
]
NAME_PREFIX = (
    "Amber",
    "Apex",
    "Arbor",
    "Aurora",
    "Bayside",
    "Birch",
    "Bolt",
    "Canyon",
    "Cascade",
    "Citadel",
    "Clover",
    "Comet",
    "Crescent",
    "Delta",
    "Echo",
    "Ember",
    "Falcon",
    "Flint",
    "Frontier",
    "Galaxy",
    "Garnet",
    "Glacier",
    "Harvest",
    "Horizon",
    "Indigo",
    "Juniper",
    "Lakeside",
    "Linden",
    "Magnolia",
    "Mariner",
    "Meadow",
    "Monarch",
    "Nova",
    "Oasis",
    "Onyx",
    "Osprey",
    "Pacific",
    "Paragon",
    "Pioneer",
    "Quarry",
    "Raven",
    "Sable",
    "Sequoia",
    "Sierra",
    "Solstice",
    "Spruce",
    "Terra",
    "Trident",
    "Union",
    "Willow",
)
NAME_SUFFIX = {
    "software": ("Software", "Cloud", "Labs", "Systems", "Digital"),
    "healthcare": ("Health", "Medical Group", "Clinics", "Biotech", "Care Partners"),
    "financial_services": ("Capital", "Bank", "Insurance", "Credit Union", "Payments"),
    "retail": ("Outfitters", "Market", "Home Goods", "Apparel", "Grocers"),
    "manufacturing": ("Manufacturing", "Industries", "Components", "Fabrication", "Robotics"),
}
NAME_REGION = ("North America", "EMEA", "APAC", "Europe", "West", "East", "Holdings", "Group")

CSMS = (
    ("Priya Raman", "priya.raman@example.com"),
    ("Marcus Webb", "marcus.webb@example.com"),
    ("Sofia Lindqvist", "sofia.lindqvist@example.com"),
    ("Daniel Okafor", "daniel.okafor@example.com"),
    ("Hannah Kim", "hannah.kim@example.com"),
)
CSM_WEIGHTS = {  # which CSM pool covers which tier (Hannah runs the digital/scaled pool)
    "strategic": (4, 4, 2, 0, 0),
    "enterprise": (3, 3, 3, 1, 0),
    "mid_market": (0, 1, 3, 4, 1),
    "smb": (0, 0, 0, 2, 5),
    "tech_touch": (0, 0, 0, 0, 1),
}
FIRST_NAMES = (
    "Alex",
    "Amara",
    "Ben",
    "Carla",
    "Chen",
    "Dana",
    "Diego",
    "Elena",
    "Farah",
    "Grace",
    "Hiro",
    "Ines",
    "Jamal",
    "Jana",
    "José",
    "Kai",
    "Laura",
    "Leo",
    "Maya",
    "Mateo",
    "Nadia",
    "Noah",
    "Olga",
    "Omar",
    "Paul",
    "Rosa",
    "Sam",
    "Siobhán",
    "Tariq",
    "Uma",
    "Victor",
    "Wen",
    "Yuki",
    "Zoë",
    "Aisha",
    "Bruno",
    "Clara",
    "Erik",
    "Fatima",
    "Gustav",
)
LAST_NAMES = (
    "Adams",
    "Álvarez",
    "Bianchi",
    "Brooks",
    "Chen",
    "Dubois",
    "Evans",
    "Fischer",
    "García",
    "Gupta",
    "Hansen",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lee",
    "Martin",
    "Mensah",
    "Moreau",
    "Nakamura",
    "Novak",
    "O'Neill",
    "Patel",
    "Quinn",
    "Rossi",
    "Santos",
    "Schmidt",
    "Silva",
    "Tanaka",
    "Turner",
    "Usman",
    "Varga",
    "Weber",
    "Wong",
    "Young",
    "Zimmermann",
    "Haddad",
    "Kim",
    "Larsen",
    "Murphy",
    "Nguyen",
)
CHAMPION_TITLES = {
    "big": (
        "VP Operations",
        "Director of Customer Experience",
        "Head of Analytics",
        "Director, Revenue Operations",
        "Senior Manager, PMO",
        "VP Engineering",
        "Director of IT Applications",
        "Head of Digital Workplace",
    ),
    "mid": (
        "Operations Manager",
        "Head of Support",
        "Team Lead, Data",
        "Sales Operations Manager",
        "Project Office Lead",
        "IT Manager",
    ),
    "small": ("Owner", "Office Manager", "Founder", "Operations Lead", "General Manager"),
}
SPONSOR_TITLES = {
    "big": (
        "Chief Operating Officer",
        "Chief Financial Officer",
        "Chief Technology Officer",
        "Chief Revenue Officer",
        "SVP Operations",
        "Chief Information Officer",
    ),
    "mid": ("VP Operations", "Chief Operating Officer", "VP Sales", "Head of Engineering"),
    "small": ("CEO", "Managing Director", "Co-founder"),
}
HOURLY_RATES = (55, 60, 65, 70, 75, 80, 85, 90, 95, 110, 120, 135, 150)

# feature catalog: per product type, (feature, module, description); the first two are "core"
CATALOG: dict[str, list[tuple[str, str, str]]] = {
    "project_management": [
        ("pm_projects", "Planning", "Create projects with owners, milestones and budgets"),
        ("pm_tasks", "Planning", "Assign, track and complete tasks on boards and lists"),
        ("pm_gantt", "Planning", "Plan schedules and dependencies on a Gantt chart"),
        ("pm_time_tracking", "Time & Resources", "Log time against tasks and approve timesheets"),
        ("pm_resource_planning", "Time & Resources", "Balance workload and capacity across teams"),
        ("pm_portfolio_dashboard", "Portfolio", "Roll up status, budget and risk across projects"),
        ("pm_client_portal", "Portfolio", "Share progress with clients in a branded portal"),
        ("pm_automations", "Workflow Automation", "Rules that move work forward automatically"),
    ],
    "analytics": [
        ("an_dashboards", "Dashboards", "Build and view interactive dashboards"),
        ("an_reports", "Reports", "Ad-hoc and saved reports"),
        ("an_report_export", "Reports", "Export reports to PDF, CSV and Excel"),
        ("an_ai_insights", "Reports", "Automatic explanations of changes in a metric"),
        ("an_embedded", "Dashboards", "Embed dashboards in internal and customer-facing apps"),
        ("an_sql_editor", "Data", "Query connected sources with SQL"),
        ("an_data_connectors", "Data", "Managed connectors to warehouses and SaaS sources"),
        ("an_semantic_layer", "Data", "Shared metric definitions across teams"),
        ("an_alerts", "Alerts & Delivery", "Threshold and anomaly alerts on any metric"),
        ("an_scheduled_delivery", "Alerts & Delivery", "Email and Slack delivery of reports"),
    ],
    "api_platform": [
        ("api_endpoints", "Gateway", "Publish, version and route API endpoints"),
        ("api_keys", "Gateway", "Issue, scope and rotate API keys"),
        ("api_webhooks", "Gateway", "Deliver events to customer systems with retries"),
        ("api_sdk", "Developer Tools", "Generated client SDKs in six languages"),
        ("api_sandbox", "Developer Tools", "Isolated sandbox environments for testing"),
        ("api_logs", "Observability", "Searchable request and error logs"),
        ("api_usage_analytics", "Observability", "Traffic, latency and error analytics per key"),
    ],
    "sales_enablement": [
        ("se_sequences", "Sequences", "Multi-step outbound sequences for reps"),
        ("se_email_tracking", "Sequences", "Opens, clicks and replies on sales email"),
        ("se_templates", "Content", "Shared email and call templates"),
        ("se_content_library", "Content", "Approved decks, case studies and one-pagers"),
        ("se_playbooks", "Content", "Guided plays for each stage of the deal"),
        ("se_call_recording", "Conversation Intelligence", "Record and transcribe sales calls"),
        ("se_coaching", "Conversation Intelligence", "Scorecards and coaching on recorded calls"),
        ("se_crm_sync", "CRM Sync", "Two-way sync of activities with the CRM"),
        ("se_pipeline_analytics", "CRM Sync", "Pipeline coverage and conversion analytics"),
    ],
    "customer_support": [
        ("cs_ticketing", "Ticketing", "Shared inbox and ticket workflow"),
        ("cs_macros", "Ticketing", "Canned responses and bulk actions"),
        ("cs_sla_policies", "Ticketing", "SLA targets and breach alerts"),
        ("cs_knowledge_base", "Self-Service", "Internal and public knowledge base articles"),
        ("cs_help_center", "Self-Service", "Branded help center that deflects tickets"),
        ("cs_chatbot", "Self-Service", "AI chatbot answering from the knowledge base"),
        ("cs_csat_surveys", "Support Insights", "Post-resolution CSAT surveys"),
        ("cs_reporting", "Support Insights", "Volume, backlog and agent performance reports"),
    ],
    "collaboration": [
        ("co_chat", "Messaging", "Direct and group messaging"),
        ("co_channels", "Messaging", "Topic channels for teams and projects"),
        ("co_docs", "Documents", "Shared documents with comments and versions"),
        ("co_video", "Meetings", "Video meetings with recording"),
        ("co_whiteboard", "Meetings", "Collaborative whiteboards"),
        ("co_external_invites", "External Sharing", "Invite partners and clients as guests"),
    ],
}
FEATURE_NAMES = [f for pt in PRODUCT_TYPES for f, _, _ in CATALOG[pt]]
FEATURE_INDEX = {f: i for i, f in enumerate(FEATURE_NAMES)}

ROADMAP = [  # (item, description, status, timing, product_type, module)
    (
        "Portfolio timeline view",
        "See every project's milestones on one timeline",
        "shipped",
        "2026Q3",
        "project_management",
        "Portfolio",
    ),
    (
        "Capacity forecasting",
        "Forecast team capacity against planned work 12 weeks out",
        "next",
        "2027Q1",
        "project_management",
        "Time & Resources",
    ),
    (
        "Scheduled exports to S3 and GCS",
        "Deliver report extracts to your own storage",
        "shipped",
        "2026Q2",
        "analytics",
        "Data",
    ),
    (
        "Natural-language questions",
        "Ask a question in plain words, get a chart",
        "horizon",
        "2027H2",
        "analytics",
        "Reports",
    ),
    (
        "GraphQL gateway",
        "Expose existing endpoints through a managed GraphQL layer",
        "next",
        "2026Q4",
        "api_platform",
        "Gateway",
    ),
    (
        "Per-key latency alerts",
        "Alert when one consumer's latency or errors spike",
        "shipped",
        "2026Q3",
        "api_platform",
        "Observability",
    ),
    (
        "AI call summaries",
        "Automatic summaries and next steps after each recorded call",
        "shipped",
        "2026Q3",
        "sales_enablement",
        "Conversation Intelligence",
    ),
    (
        "Bi-directional CRM sync v2",
        "Field-level conflict handling and custom objects",
        "next",
        "2027Q1",
        "sales_enablement",
        "CRM Sync",
    ),
    (
        "Generative answers in the help center",
        "Answer questions directly from your articles",
        "next",
        "2026Q4",
        "customer_support",
        "Self-Service",
    ),
    (
        "SLA breach prediction",
        "Flag tickets likely to breach before they do",
        "horizon",
        "2027",
        "customer_support",
        "Ticketing",
    ),
    (
        "Guest access controls",
        "Expiry dates and approval for external guests",
        "shipped",
        "2026Q2",
        "collaboration",
        "External Sharing",
    ),
    (
        "Whiteboard templates gallery",
        "Retro, planning and journey-map templates",
        "horizon",
        "2027H1",
        "collaboration",
        "Meetings",
    ),
]

VALUE_LABELS = {
    "time_savings": (
        "Weekly status reporting",
        "Manual data pulls for finance",
        "Ticket triage effort",
        "New-hire onboarding time",
        "Meeting preparation",
        "Integration maintenance",
    ),
    "cost_reduction": (
        "Legacy tools retired",
        "Contractor spend on integrations",
        "Overtime in operations",
        "Point solutions consolidated",
        "Travel for project reviews",
    ),
    "revenue_impact": (
        "Pipeline influenced by the platform",
        "Upsell revenue from usage insights",
        "Faster quote turnaround",
        "Partner API revenue",
    ),
    "risk_avoidance": (
        "SLA breaches avoided",
        "Missed client deadlines",
        "Compliance findings",
        "Production incidents",
    ),
    "quality": (
        "Errors in monthly reporting",
        "Reopened tickets",
        "Rework on deliverables",
        "Failed API requests",
    ),
}

GOALS = {  # (goal, metric, unit, target range, higher_is_better)
    "generic": [
        ("Raise seat adoption across licensed teams", "seat utilisation", "%", (75, 90), True),
        ("Roll out to a second department", "departments live", "departments", (2, 4), True),
    ],
    "project_management": [
        (
            "Move all client projects onto the platform",
            "projects migrated",
            "projects",
            (40, 200),
            True,
        ),
        ("Cut weekly status reporting time", "reporting hours per week", "hours", (4, 12), False),
    ],
    "analytics": [
        ("Retire legacy BI dashboards", "dashboards migrated", "dashboards", (30, 120), True),
        ("Self-serve reporting for finance", "weekly report viewers", "users", (20, 80), True),
    ],
    "api_platform": [
        ("Migrate traffic to v2 endpoints", "traffic on v2", "%", (80, 100), True),
        ("Reduce failed API requests", "error rate", "%", (0.2, 1.0), False),
    ],
    "sales_enablement": [
        ("Every rep running sequences", "reps with active sequences", "%", (80, 95), True),
        (
            "More meetings booked from outbound",
            "meetings per rep per month",
            "meetings",
            (8, 16),
            True,
        ),
    ],
    "customer_support": [
        ("Raise ticket deflection", "deflection rate", "%", (40, 60), True),
        ("Reduce first response time", "first response time", "hours", (1, 4), False),
    ],
    "collaboration": [
        ("Replace email for internal updates", "DAU/MAU", "ratio", (0.35, 0.5), True),
        ("Bring partners into shared workspaces", "external guests", "users", (20, 120), True),
    ],
}
ACTIONS = {
    "vendor": (
        "Deliver admin training for new team leads",
        "Share benchmark report for the cohort",
        "Set up SSO and SCIM provisioning",
        "Run a health check of automations",
        "Send the renewal proposal",
        "Arrange a roadmap session with product management",
        "Fix the data connector sync errors",
        "Provide a usage dashboard for the sponsor",
    ),
    "customer": (
        "Nominate champions in each department",
        "Confirm success metrics with finance",
        "Clean up inactive seats",
        "Share the 2027 priorities with the account team",
        "Schedule the executive sponsor meeting",
        "Complete the workflow migration",
        "Approve the rollout plan for the EMEA team",
        "Collect baseline numbers for ROI",
    ),
}


# --------------------------------------------------------------------------------------------
# Edge cases: account number -> (role, forced band tier, product type or None, note)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Edge:
    tier: str
    roles: tuple[str, ...]
    product: str | None = None
    note: str = ""


EDGE_CASES: dict[int, Edge] = {
    1: Edge(
        "strategic",
        ("healthy", "full_breadth", "w50"),
        "project_management",
        "healthy strategic account: growth, >80% seats used, every feature, high ROI",
    ),
    2: Edge("strategic", ("qbr_hold", "w50"), "collaboration", "qbr_hold = true"),
    3: Edge(
        "enterprise",
        ("p1_open", "w50"),
        "api_platform",
        "open P1 ticket older than 5 business days (opened 2026-11-10)",
    ),
    4: Edge(
        "enterprise",
        ("zero_users", "w50"),
        "customer_support",
        "active_users = 0 in 2026-10 and 2026-11 but features and tickets continue",
    ),
    5: Edge(
        "enterprise",
        ("cancellation", "steep_decline"),
        "sales_enablement",
        "cancellation_intent = true; users down > 30%; low NPS",
    ),
    6: Edge(
        "mid_market",
        ("ticket_spike",),
        "customer_support",
        "ticket spike in 2026-11 (about 10 vs 1 a month) with CSAT < 3",
    ),
    7: Edge(
        "mid_market",
        ("digit_id", "w50"),
        "analytics",
        'all-digit id "007" with leading zeros (must stay a string)',
    ),
    8: Edge("smb", ("w50",), "collaboration", "Unicode name, EUR, digital email in W50"),
    9: Edge(
        "mid_market",
        ("payment_overdue",),
        "project_management",
        "GBP; invoice of 2026-09-01 failed, unpaid > 30 days past due",
    ),
    10: Edge(
        "enterprise",
        ("onboarding", "w50"),
        "analytics",
        "onboarding: customer since 2026-10-05 (54 days); Japanese name",
    ),
    11: Edge(
        "mid_market",
        ("onboarding",),
        "project_management",
        "onboarding: customer since 2026-10-20 (39 days)",
    ),
    12: Edge(
        "smb",
        ("onboarding",),
        "sales_enablement",
        "onboarding: customer since 2026-11-09 (19 days), one month of usage",
    ),
    13: Edge(
        "enterprise",
        ("mrr_drop",),
        "analytics",
        "quarterly billing; 2026-07-01 invoice 30% below 2026-04-01 "
        "(MRR drop > 20%, 2026Q2 -> 2026Q3)",
    ),
    14: Edge(
        "enterprise",
        ("override_up",),
        "api_platform",
        "ARR 380,000 (enterprise band) with tier override = strategic",
    ),
    15: Edge(
        "mid_market",
        ("override_down",),
        "collaboration",
        "ARR 30,000 (mid_market band) with tier override = smb",
    ),
    16: Edge(
        "enterprise",
        ("arr_boundary",),
        "customer_support",
        "ARR exactly 100,000: lower bound of enterprise",
    ),
    17: Edge("strategic", ("champion_changed",), "analytics", "champion_changed = true"),
    18: Edge("enterprise", ("champion_changed",), "sales_enablement", "champion_changed = true"),
    19: Edge("mid_market", ("champion_changed",), "project_management", "champion_changed = true"),
    20: Edge(
        "mid_market",
        ("steep_decline",),
        "collaboration",
        "active users down > 30% over the last 4 months",
    ),
    21: Edge(
        "enterprise",
        ("steep_decline",),
        "api_platform",
        "active users and API calls down > 30% (API QoQ decline > 20%)",
    ),
    22: Edge("mid_market", ("low_util",), "project_management", "seat utilisation < 20%"),
    23: Edge(
        "enterprise",
        ("overage",),
        "collaboration",
        "active users above licensed seats (expansion signal)",
    ),
    24: Edge("mid_market", ("narrow_breadth",), "sales_enablement", "uses 2 of 9 catalog features"),
    25: Edge("enterprise", ("no_value",), "analytics", "no value rows at all (ROI data missing)"),
    26: Edge(
        "enterprise",
        ("value_gap",),
        "customer_support",
        "value rows for 2026Q1 and 2026Q3 but none for 2026Q2 (never extrapolate)",
    ),
    27: Edge(
        "mid_market",
        ("young",),
        "analytics",
        "customer since 2026-03-16: 9 months of usage, not onboarding",
    ),
    28: Edge("smb", ("no_next_qbr",), "api_platform", "last_qbr_date only, next_qbr_date blank"),
    29: Edge(
        "tech_touch",
        ("w50", "tech_value"),
        "project_management",
        "tech-touch with value rows, digital email in W50",
    ),
    30: Edge(
        "enterprise",
        ("renewal_soon",),
        "project_management",
        "renewal 2026-12-18 (< 30 days), only emails since the last QBR",
    ),
    31: Edge(
        "mid_market",
        ("year_old",),
        "customer_support",
        "customer since 2025-11-03: 13 months of usage",
    ),
    37: Edge(
        "tech_touch",
        ("w50",),
        "collaboration",
        "name with double quotes and a comma, digital email in W50",
    ),
}
FIXED_SINCE = {
    10: date(2026, 10, 5),
    11: date(2026, 10, 20),
    12: date(2026, 11, 9),
    27: date(2026, 3, 16),
    30: date(2022, 12, 18),
    31: date(2025, 11, 3),
}


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def add_months(d: date, k: int) -> date:
    m = d.month - 1 + k
    y = d.year + m // 12
    m = m % 12 + 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def month_str(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def quarter_of(d: date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def quarter_end(q: str) -> date:
    y, n = int(q[:4]), int(q[5])
    return date(y, 3 * n, calendar.monthrange(y, 3 * n)[1])


def bdays(start: date, end: date) -> list[date]:
    """Weekdays in [start, end]."""
    out, d = [], start
    while d <= end:
        if d.weekday() < 5:
            out.append(d)
        d += timedelta(days=1)
    return out


def to_bday(d: date) -> date:
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


def ascii_slug(text: str) -> str:
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in s.lower() if ch.isalnum())


def b(v: bool | None, yes_no: bool = False) -> str:
    if v is None:
        return ""
    if yes_no:
        return "yes" if v else "no"
    return "true" if v else "false"


def loguniform(r: random.Random, lo: float, hi: float) -> float:
    return math.exp(r.uniform(math.log(lo), math.log(hi)))


def band_tier(arr: float) -> str:
    for t, lo in (
        ("strategic", 500_000),
        ("enterprise", 100_000),
        ("mid_market", 25_000),
        ("smb", 5_000),
    ):
        if arr >= lo:
            return t
    return "tech_touch"


# --------------------------------------------------------------------------------------------
# accounts
# --------------------------------------------------------------------------------------------


@dataclass
class Acct:
    n: int  # 1-based account number
    account_id: str
    name: str
    industry: str
    currency: str
    tier: str  # band tier (from ARR)
    roles: tuple[str, ...] = ()
    tier_override: str = ""
    arr: int = 0
    product: str = ""
    seats: int = 0
    since: date = TODAY
    first_m: int = 0  # index of the first usage month
    renewal: date = TODAY
    last_qbr: date | None = None
    next_qbr: date | None = None
    csm: int = 0
    champion: str = ""
    champion_title: str = ""
    champion_email: str = ""
    sponsor: str = ""
    sponsor_title: str = ""
    champion_changed: bool = False
    sponsor_engaged: bool | None = None
    nps: int | None = None
    csat: float | None = None
    hourly_rate: int | None = None
    trend: str = "flat"  # growing, flat, declining, steep, ramp
    growth: float = 0.0  # total change of active users over the history
    util: float = 0.6  # seat utilisation at the end of the history
    billing: str = "monthly"
    health: float = 0.5  # 0..1 latent health that couples the tables

    @property
    def eff_tier(self) -> str:
        return self.tier_override or self.tier

    def has(self, role: str) -> bool:
        return role in self.roles


def tier_counts(n: int) -> dict[str, int]:
    total = sum(TIER_MIX.values())
    raw = {t: TIER_MIX[t] * n / total for t in TIERS}
    counts = {t: math.floor(v) for t, v in raw.items()}
    rest = n - sum(counts.values())
    for t in sorted(TIERS, key=lambda t: (-(raw[t] - counts[t]), TIERS.index(t)))[:rest]:
        counts[t] += 1
    return counts


def make_names(n: int, r: random.Random) -> list[tuple[str, str, str]]:
    out = list(CURATED[:n])
    used = {x[0] for x in out}
    combos = [(p, ind, s) for ind in INDUSTRIES for p in NAME_PREFIX for s in NAME_SUFFIX[ind]]
    r.shuffle(combos)
    i = 0
    while len(out) < n:
        p, ind, s = combos[i % len(combos)]
        name = f"{p} {s}"
        k = i // len(combos)
        if k:
            name = f"{name} {NAME_REGION[(k - 1) % len(NAME_REGION)]}"
            if k > len(NAME_REGION):
                name = f"{name} {k}"
        i += 1
        if name in used:
            continue
        used.add(name)
        cur = r.choices(("USD", "EUR", "GBP"), (92, 5, 3))[0]
        out.append((name, ind, cur))
    return out


def build_accounts(n: int, months: list[date], r: random.Random) -> list[Acct]:
    width = max(4, len(str(n)))
    names = make_names(n, r)
    counts = tier_counts(n)
    forced = {k: e for k, e in EDGE_CASES.items() if k <= n}
    for e in forced.values():
        counts[e.tier] -= 1
    pool = [t for t in TIERS for _ in range(max(0, counts[t]))]
    free = [k for k in range(1, n + 1) if k not in forced]
    while len(pool) < len(free):
        pool.append("smb")
    r.shuffle(pool)
    tiers = dict(zip(free, pool, strict=False))
    tiers.update({k: e.tier for k, e in forced.items()})

    prod_pool = [PRODUCT_TYPES[i % 6] for i in range(len(free))]
    r.shuffle(prod_pool)
    prods = dict(zip(free, prod_pool, strict=True))
    prods.update({k: e.product for k, e in forced.items() if e.product})

    first_month = months[0]
    accts: list[Acct] = []
    for k in range(1, n + 1):
        name, industry, cur = names[k - 1]
        edge = forced.get(k)
        a = Acct(
            n=k,
            account_id="007" if k == 7 else f"A-{k:0{width}d}",
            name=name,
            industry=industry,
            currency=cur,
            tier=tiers[k],
            roles=edge.roles if edge else (),
            product=prods[k],
        )
        lo, hi = ARR_RANGE[a.tier]
        a.arr = int(round(loguniform(r, lo, hi), -2 if a.tier != "tech_touch" else -1))
        if a.has("override_up"):
            a.arr, a.tier_override = 380_000, "strategic"
        if a.has("override_down"):
            a.arr, a.tier_override = 30_000, "smb"
        if a.has("arr_boundary"):
            a.arr = 100_000
        a.tier = band_tier(a.arr)

        price = {"tech_touch": (60, 250), "smb": (250, 800)}.get(a.tier, (450, 1300))
        price = r.uniform(*price)
        a.seats = max(3, round(a.arr / price))

        # lifecycle
        if k in FIXED_SINCE:
            a.since = FIXED_SINCE[k]
        else:
            lo_d = add_months(TODAY, -72)
            hi_d = first_month - timedelta(days=1)
            a.since = lo_d + timedelta(days=r.randrange((hi_d - lo_d).days))
        a.first_m = 0
        for i, m in enumerate(months):
            if a.since >= m:
                a.first_m = i
        if a.since < months[0]:
            a.first_m = 0
        age_days = (TODAY - a.since).days
        if age_days < 60:
            a.roles = (*a.roles, "onboarding") if "onboarding" not in a.roles else a.roles
        years = 1
        while add_months(a.since, 12 * years) <= TODAY:
            years += 1
        a.renewal = add_months(a.since, 12 * years)

        # behaviour
        if a.has("onboarding") or a.has("young"):
            a.trend = "ramp"
        elif a.has("steep_decline"):
            a.trend = "steep"
        elif a.has("healthy") or a.has("overage"):
            a.trend = "growing"
        elif a.has("mrr_drop") or a.has("zero_users"):
            a.trend = "flat"
        else:
            a.trend = r.choices(("growing", "flat", "declining"), (60, 18, 22))[0]
        a.growth = {
            "growing": r.uniform(0.12, 0.7),
            "flat": r.uniform(-0.05, 0.05),
            "declining": r.uniform(-0.28, -0.1),
            "steep": r.uniform(-0.55, -0.38),
            "ramp": 1.5,
        }[a.trend]
        a.util = r.uniform(0.35, 0.95)
        if a.has("healthy"):
            a.util, a.growth = 0.91, 0.45
        if a.has("low_util"):
            a.util = 0.14
        if a.has("overage"):
            a.util = 1.08
        if a.trend == "ramp":
            a.util = r.uniform(0.35, 0.55)
        if a.growth < 0:  # decliners started from a level that fitted their seats
            a.util = min(a.util, 0.95 * (1 + a.growth))
        a.health = {"growing": 0.75, "flat": 0.55, "declining": 0.4, "steep": 0.2, "ramp": 0.6}[
            a.trend
        ] + r.uniform(-0.15, 0.15)
        if a.has("healthy"):
            a.health = 0.95

        # people
        w = CSM_WEIGHTS[a.eff_tier]
        a.csm = r.choices(range(len(CSMS)), w)[0]
        size = (
            "big"
            if a.eff_tier in ("strategic", "enterprise")
            else "mid"
            if a.eff_tier == "mid_market"
            else "small"
        )
        first, last = r.choice(FIRST_NAMES), r.choice(LAST_NAMES)
        a.champion = f"{first} {last}"
        a.champion_title = r.choice(CHAMPION_TITLES[size])
        a.champion_email = f"{ascii_slug(first)}.{ascii_slug(last)}@example.org"
        no_sponsor = size == "small" and r.random() < (0.6 if a.tier == "tech_touch" else 0.3)
        if not no_sponsor:
            sf, sl = r.choice(FIRST_NAMES), r.choice(LAST_NAMES)
            a.sponsor = f"{sf} {sl}"
            a.sponsor_title = r.choice(SPONSOR_TITLES[size])
            a.sponsor_engaged = r.random() < (0.85 if a.health > 0.4 else 0.5)
        a.champion_changed = a.has("champion_changed")
        if a.champion_changed:
            a.champion_title = "Interim " + a.champion_title
        if r.random() < 0.88 and not a.has("onboarding"):
            a.nps = max(0, min(10, round(r.gauss(4 + 6 * a.health, 1.2))))
        if r.random() < 0.85:
            a.csat = round(max(1.0, min(5.0, r.gauss(2.6 + 2.4 * a.health, 0.3))), 1)
        if a.has("healthy"):
            a.nps, a.csat = 10, 4.8
        if a.has("cancellation"):
            a.nps, a.csat = 2, 2.4
        if r.random() < 0.5:
            a.hourly_rate = r.choice(HOURLY_RATES)
        a.billing = (
            "quarterly"
            if a.tier in ("strategic", "enterprise") and r.random() < 0.7
            else "quarterly"
            if a.tier == "mid_market" and r.random() < 0.4
            else "monthly"
        )
        if a.has("mrr_drop"):
            a.billing = "quarterly"
        if a.has("payment_overdue"):
            a.billing = "monthly"
        accts.append(a)

    # champion emails are unique across the book
    seen: dict[str, int] = {}
    for a in accts:
        local, dom = a.champion_email.split("@")
        c = seen.get(local, 0)
        seen[local] = c + 1
        if c:
            a.champion_email = f"{local}{c + 1}@{dom}"
    schedule_qbrs(accts, r)
    return accts


def schedule_qbrs(accts: list[Acct], r: random.Random) -> None:
    w50 = bdays(date(2026, 12, 7), date(2026, 12, 11))
    dec = bdays(date(2026, 12, 1), date(2026, 12, 4)) + bdays(
        date(2026, 12, 14), date(2026, 12, 23)
    )
    jan = bdays(date(2027, 1, 5), date(2027, 1, 29))
    feb = bdays(date(2027, 2, 1), date(2027, 2, 26))
    mar = bdays(date(2027, 3, 1), date(2027, 3, 26))
    buckets = {
        "strategic": (65, 30, 5, 0),
        "enterprise": (60, 30, 10, 0),
        "mid_market": (40, 30, 20, 10),
        "smb": (25, 25, 25, 25),
        "tech_touch": (25, 25, 25, 25),
    }
    n = len(accts)
    target = max(8, round(n / 6))
    forced = [a for a in accts if a.has("w50")]
    last_only = bdays(add_months(TODAY, -12), add_months(TODAY, -5))
    for a in accts:
        if not a.roles and a.eff_tier in ("smb", "tech_touch") and r.random() < 0.3:
            a.roles = ("no_next_qbr",)
    eligible = [a for a in accts if not a.roles]
    extra = r.sample(eligible, min(len(eligible), max(0, target - len(forced))))
    in_w50 = {a.n for a in forced + extra}
    for a in accts:
        cad = CADENCE_MONTHS[a.eff_tier]
        if a.has("no_next_qbr"):
            a.next_qbr = None
            a.last_qbr = r.choice(last_only)
            if a.last_qbr < a.since:
                a.last_qbr = None
            continue
        if a.n in in_w50:
            a.next_qbr = r.choice(w50)
        else:
            month = r.choices((dec, jan, feb, mar), buckets[a.eff_tier])[0]
            a.next_qbr = r.choice(month)
        if a.has("onboarding"):
            a.last_qbr = None
            continue
        last = to_bday(add_months(a.next_qbr, -cad) - timedelta(days=r.randrange(0, 6)))
        while last >= TODAY:
            last = to_bday(add_months(last, -cad))
        a.last_qbr = last if last > a.since else None


def accounts_frame(accts: list[Acct]) -> pd.DataFrame:
    rows = []
    for a in accts:
        rows.append(
            {
                "account_id": a.account_id,
                "name": a.name,
                "arr": a.arr,
                "currency": a.currency,
                "tier": a.tier_override,
                "industry": a.industry,
                "product_type": a.product,
                "licensed_seats": a.seats,
                "customer_since": a.since.isoformat(),
                "renewal_date": a.renewal.isoformat(),
                "last_qbr_date": a.last_qbr.isoformat() if a.last_qbr else "",
                "next_qbr_date": a.next_qbr.isoformat() if a.next_qbr else "",
                "csm_name": CSMS[a.csm][0],
                "csm_email": CSMS[a.csm][1],
                "champion_name": a.champion,
                "champion_title": a.champion_title,
                "champion_email": a.champion_email,
                "sponsor_name": a.sponsor,
                "sponsor_title": a.sponsor_title,
                "champion_changed": b(a.champion_changed),
                "sponsor_engaged": b(a.sponsor_engaged),
                "nps": a.nps,
                "csat": a.csat,
                "cancellation_intent": b(a.has("cancellation")),
                "qbr_hold": b(a.has("qbr_hold")),
                "hourly_rate": a.hourly_rate,
            }
        )
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# usage and features (vectorised over accounts x months)
# --------------------------------------------------------------------------------------------


def gen_usage(accts: list[Acct], months: list[date], g: np.random.Generator):
    n, m = len(accts), len(months)
    mi = np.arange(m)[None, :].astype(float)
    first = np.array([a.first_m for a in accts], float)[:, None]
    span = np.maximum(1.0, (m - 1) - first)
    t = np.clip((mi - first) / span, 0, 1)
    seats = np.array([a.seats for a in accts], float)[:, None]
    util = np.array([a.util for a in accts], float)[:, None]
    growth = np.array([a.growth for a in accts], float)[:, None]
    trend = np.array([a.trend for a in accts])[:, None]
    end = seats * util
    start = end / (1 + growth)
    shape = g.uniform(0.7, 1.5, (n, 1))
    level = start + (end - start) * t**shape
    steep_t = np.clip((t - 0.72) / 0.28, 0, 1)
    level = np.where(trend == "steep", start + (end - start) * steep_t, level)
    ramp = end * (0.3 + 0.7 * t**0.6)
    level = np.where(trend == "ramp", ramp, level)
    level = level * (1 + g.normal(0, 0.03, (n, m)))
    cap = np.where(util > 1, seats * 1.12, seats)
    active = np.clip(np.rint(level), 1, cap)
    base = active.copy()  # users that features are driven by
    for i, a in enumerate(accts):
        if a.has("zero_users"):
            active[i, m - 2 :] = 0
    valid = mi >= first
    ratio = np.array(
        [
            g.uniform(0.18, 0.55) if a.product == "collaboration" else g.uniform(0.15, 0.65)
            for a in accts
        ]
    )[:, None]
    dau = np.round(active * ratio * (1 + g.normal(0, 0.04, (n, m))), 1)
    api_rate = np.array(
        [g.uniform(3000, 20000) if a.product == "api_platform" else g.uniform(5, 80) for a in accts]
    )[:, None]
    api = np.rint(base * api_rate * (1 + g.normal(0, 0.05, (n, m))))
    core = np.rint(base * g.uniform(15, 120, (n, 1)) * (1 + g.normal(0, 0.05, (n, m))))
    ai, mj = np.nonzero(valid)
    ids = np.array([a.account_id for a in accts], dtype=object)
    mstr = np.array([month_str(d) for d in months], dtype=object)
    df = pd.DataFrame(
        {
            "account_id": ids[ai],
            "month": mstr[mj],
            "active_users": active[ai, mj].astype(np.int64),
            "dau": np.maximum(dau[ai, mj], 0.0),
            "mau": active[ai, mj].astype(np.int64),
            "api_calls": np.maximum(api[ai, mj], 0).astype(np.int64),
            "core_actions": np.maximum(core[ai, mj], 0).astype(np.int64),
        }
    )
    return df, base


def gen_features(
    accts: list[Acct],
    months: list[date],
    base: np.ndarray,
    r: random.Random,
    g: np.random.Generator,
) -> pd.DataFrame:
    m = len(months)
    full_done: set[str] = {a.product for a in accts if a.has("full_breadth")}
    fa, ff, fs, fr, f0 = [], [], [], [], []
    for i, a in enumerate(accts):
        cat = CATALOG[a.product]
        nf = len(cat)
        if a.has("narrow_breadth"):
            k = 2
        elif a.has("full_breadth") or (
            a.product not in full_done and not a.roles and a.trend != "ramp"
        ):
            k = nf
            full_done.add(a.product)
        elif a.trend == "ramp":
            k = r.randint(2, max(2, nf // 2))
        else:
            k = r.randint(max(2, round(nf * 0.25)), nf)
        chosen = [0, 1, *sorted(r.sample(range(2, nf), k - 2))]
        for j in chosen:
            fa.append(i)
            ff.append(FEATURE_INDEX[cat[j][0]])
            fs.append(r.uniform(0.55, 0.95) if j < 2 else r.uniform(0.08, 0.6))
            fr.append(loguniform(r, 0.6, 40))
            late = j >= 2 and r.random() < 0.25 and a.trend != "ramp"
            f0.append(max(a.first_m, r.randint(a.first_m, m - 3) if late else a.first_m))
    fa_, ff_ = np.array(fa), np.array(ff)
    fs_, fr_, f0_ = np.array(fs), np.array(fr), np.array(f0)
    e = len(fa_)
    ai = np.repeat(fa_, m)
    mj = np.tile(np.arange(m), e)
    fi = np.repeat(ff_, m)
    share = np.repeat(fs_, m)
    rate = np.repeat(fr_, m)
    keep = mj >= np.repeat(f0_, m)
    users = np.rint(base[ai, mj] * share * (1 + g.normal(0, 0.08, e * m)))
    users = np.maximum(users, 1)
    events = np.rint(users * rate * 4.3 * (1 + g.normal(0, 0.1, e * m)))
    keep &= events > 0
    ids = np.array([a.account_id for a in accts], dtype=object)
    mstr = np.array([month_str(d) for d in months], dtype=object)
    fname = np.array(FEATURE_NAMES, dtype=object)
    df = pd.DataFrame(
        {
            "account_id": ids[ai[keep]],
            "month": mstr[mj[keep]],
            "feature": fname[fi[keep]],
            "events": events[keep].astype(np.int64),
            "users": users[keep].astype(np.int64),
            "_a": ai[keep],
            "_f": fi[keep],
        }
    )
    df = df.sort_values(["_a", "month", "_f"], kind="stable").drop(columns=["_a", "_f"])
    return df.reset_index(drop=True)


def _feature_label(code: str) -> str:
    """`pm_resource_planning` -> `Resource planning`: how a product team names its features."""
    words = code.split("_", 1)[-1].replace("_", " ")
    fixes = {"api": "API", "sso": "SSO", "ai": "AI", "crm": "CRM", "csat": "CSAT"}
    words = " ".join(fixes.get(w, w) for w in words.split())
    return words[:1].upper() + words[1:]


def gen_catalog() -> pd.DataFrame:
    rows = [
        {
            "feature": f,
            "module": mod,
            "description": desc,
            "product_type": pt,
            "label": _feature_label(f),
        }
        for pt in PRODUCT_TYPES
        for f, mod, desc in CATALOG[pt]
    ]
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# tickets (vectorised), invoices
# --------------------------------------------------------------------------------------------


def _fmt_dt(values: np.ndarray) -> np.ndarray:
    s = np.datetime_as_string(values.astype("datetime64[m]"), unit="s")
    return np.char.replace(s.astype(str), "T", " ").astype(object)


def gen_tickets(
    accts: list[Acct], months: list[date], r: random.Random, g: np.random.Generator
) -> pd.DataFrame:
    lam = {"strategic": 22, "enterprise": 14, "mid_market": 9, "smb": 5, "tech_touch": 1.5}
    t0 = np.datetime64(months[0].isoformat(), "m")
    now = np.datetime64(TODAY.isoformat(), "m")
    total_min = int((now - t0).astype(int))
    n = len(accts)
    counts = np.zeros(n, int)
    lo = np.zeros(n, float)
    csat_mean = np.zeros(n)
    for i, a in enumerate(accts):
        start = max(a.since, months[0])
        lo[i] = (np.datetime64(start.isoformat(), "m") - t0).astype(int) / total_min
        frac = 1 - lo[i]
        mult = 1.6 if a.trend in ("steep", "declining") else 1.0
        if a.has("ticket_spike"):
            mult = 0.8
        counts[i] = min(40, int(g.poisson(lam[a.tier] * mult * frac * r.uniform(0.5, 1.5))))
        csat_mean[i] = 2.8 + 1.8 * a.health
    ai = np.repeat(np.arange(n), counts)
    u = lo[ai] + (1 - lo[ai]) * g.random(len(ai))
    opened = t0 + (u * (total_min - 24 * 60)).astype(np.int64).astype("timedelta64[m]")
    opened = (
        opened.astype("datetime64[D]")
        + np.timedelta64(7, "h").astype("timedelta64[m]")
        + g.integers(0, 11 * 60, len(ai)).astype("timedelta64[m]")
    )
    prio = g.choice(
        np.array(["p1", "p2", "p3", "p4"], dtype=object), len(ai), p=[0.04, 0.18, 0.48, 0.30]
    )
    scale = {"p1": (6, 1.0), "p2": (24, 0.8), "p3": (60, 0.9), "p4": (120, 0.9)}
    res_h = np.empty(len(ai))
    fr_h = np.empty(len(ai))
    fr_scale = {"p1": 0.5, "p2": 3, "p3": 8, "p4": 16}
    for p, (med, sig) in scale.items():
        sel = prio == p
        res_h[sel] = med * np.exp(g.normal(0, sig, sel.sum()))
        fr_h[sel] = fr_scale[p] * np.exp(g.normal(0, 0.6, sel.sum()))
    resolved = opened + (res_h * 60).astype(np.int64).astype("timedelta64[m]")
    stale = (g.random(len(ai)) < 0.03) & np.isin(prio, ["p3", "p4"])
    is_open = (resolved > now) | stale
    csat = np.clip(np.rint(csat_mean[ai] + g.normal(0, 0.8, len(ai))), 1, 5)
    has_csat = (~is_open) & (g.random(len(ai)) < 0.6)

    df = pd.DataFrame(
        {
            "_a": ai,
            "_t": opened,
            "priority": prio,
            "opened_at": _fmt_dt(opened),
            "resolved_at": np.where(is_open, "", _fmt_dt(resolved)).astype(object),
            "csat": np.where(has_csat, csat, np.nan),
            "first_response_hours": np.round(np.maximum(fr_h, 0.1), 1),
        }
    )
    extra = []
    for i, a in enumerate(accts):
        if a.has("p1_open"):
            extra.append((i, datetime(2026, 11, 10, 9, 14), None, "p1", None, 0.4))
        if a.has("zero_users"):
            for d in (
                datetime(2026, 10, 14, 10, 2),
                datetime(2026, 11, 3, 15, 40),
                datetime(2026, 11, 19, 8, 55),
            ):
                extra.append(
                    (i, d, d + timedelta(hours=r.randint(5, 60)), "p3", r.choice((3, 4, None)), 2.5)
                )
        if a.has("ticket_spike"):
            for _ in range(10):
                d = datetime(2026, 11, r.randint(2, 25), r.randint(8, 17), r.randint(0, 59))
                open_ = r.random() < 0.3
                extra.append(
                    (
                        i,
                        d,
                        None if open_ else d + timedelta(hours=r.randint(20, 90)),
                        r.choice(("p2", "p3", "p3")),
                        None if open_ else r.choice((1, 2, 2, 3)),
                        round(r.uniform(4, 30), 1),
                    )
                )
    if extra:
        ex = pd.DataFrame(
            {
                "_a": [x[0] for x in extra],
                "_t": np.array([np.datetime64(x[1], "m") for x in extra]),
                "priority": [x[3] for x in extra],
                "opened_at": [x[1].strftime("%Y-%m-%d %H:%M:%S") for x in extra],
                "resolved_at": [x[2].strftime("%Y-%m-%d %H:%M:%S") if x[2] else "" for x in extra],
                "csat": [float(x[4]) if x[4] else np.nan for x in extra],
                "first_response_hours": [x[5] for x in extra],
            }
        )
        df = pd.concat([df, ex], ignore_index=True)
    # P1s stay open only where that is the edge case: others are resolved within hours
    df = df.sort_values(["_t", "_a"], kind="stable").reset_index(drop=True)
    ids = np.array([a.account_id for a in accts], dtype=object)
    df["account_id"] = ids[df["_a"].to_numpy()]
    df["ticket_id"] = [f"T-{100001 + i}" for i in range(len(df))]
    df["csat"] = df["csat"].astype("Int64")
    return df.drop(columns=["_a", "_t"])


def gen_invoices(
    accts: list[Acct], months: list[date], r: random.Random, g: np.random.Generator
) -> pd.DataFrame:
    acct_idx: list[int] = []
    days: list[int] = []
    amounts: list[float] = []
    epoch = date(1970, 1, 1)
    drop_from = date(2026, 7, 1)
    for i, a in enumerate(accts):
        if a.billing == "monthly":
            dates = [d for d in months if d > a.since]
            per = a.arr / 12
        else:
            dates = [d for d in months if d.month in (1, 4, 7, 10) and d > a.since]
            per = a.arr / 4
        if a.since >= months[0]:
            dates = [a.since, *dates]
        amt = [per] * len(dates)
        if a.trend == "growing" and len(dates) > 3 and r.random() < 0.25:
            k, uplift = r.randint(1, len(dates) - 2), r.uniform(0.1, 0.25)
            amt[:k] = [per / (1 + uplift)] * k
        if a.has("mrr_drop"):
            amt = [per / 0.7 if d < drop_from else per for d in dates]
        acct_idx += [i] * len(dates)
        days += [(d - epoch).days for d in dates]
        amounts += amt
    n = len(days)
    inv = np.array(days, dtype="datetime64[D]")
    due = inv + np.timedelta64(30, "D")
    paid = inv + g.integers(2, 35, n).astype("timedelta64[D]")
    is_open = paid > np.datetime64(TODAY.isoformat(), "D")
    status = np.where(is_open, "open", "paid").astype(object)
    ai = np.array(acct_idx, dtype=np.int64)
    for i, a in enumerate(accts):  # the overdue edge case: failed, then unpaid
        if a.has("payment_overdue"):
            sel = (ai == i) & (inv >= np.datetime64("2026-09-01"))
            status[sel] = "open"
            status[sel & (inv == np.datetime64("2026-09-01"))] = "failed"
            is_open = is_open | sel
    ids = np.array([a.account_id for a in accts], dtype=object)
    return pd.DataFrame(
        {
            "account_id": ids[ai],
            "invoice_date": np.datetime_as_string(inv).astype(object),
            "amount": np.round(np.array(amounts), 2),
            "status": status,
            "due_date": np.datetime_as_string(due).astype(object),
            "paid_at": np.where(is_open, "", np.datetime_as_string(paid)).astype(object),
        }
    )


# --------------------------------------------------------------------------------------------
# value, goals, actions, roadmap, touchpoints
# --------------------------------------------------------------------------------------------


def value_quarters() -> list[str]:
    cur = quarter_of(TODAY)
    y, n = int(cur[:4]), int(cur[5])
    out = []
    for k in range(3, -1, -1):
        q = n - k
        yy = y
        while q < 1:
            q += 4
            yy -= 1
        out.append(f"{yy}Q{q}")
    return out


def gen_value(accts: list[Acct], r: random.Random) -> pd.DataFrame:
    quarters = value_quarters()
    cur_q = quarters[-1]
    rows = []
    for a in accts:
        if a.has("onboarding") or a.has("no_value"):
            continue
        p = {"tech_touch": 0.3, "smb": 0.6}.get(a.tier, 0.88)
        if a.has("tech_value") or a.has("healthy") or a.has("value_gap"):
            p = 1.0
        if r.random() >= p:
            continue
        qs = [q for q in quarters if quarter_end(q) > a.since + timedelta(days=45)]
        if cur_q in qs and not a.has("healthy") and r.random() >= 0.35:
            qs.remove(cur_q)
        if a.has("value_gap"):
            qs = [q for q in qs if q != quarters[1]]
        if not qs:
            continue
        if a.tier in ("smb", "tech_touch"):
            cats = (
                ["time_savings"]
                if a.tier == "tech_touch"
                else r.sample(["time_savings", "time_savings", "cost_reduction"], r.randint(1, 2))
            )
            cats = list(dict.fromkeys(cats))
        else:
            k = {"strategic": (3, 4), "enterprise": (2, 4), "mid_market": (1, 3)}[a.tier]
            others = ["cost_reduction", "revenue_impact", "risk_avoidance", "quality"]
            cats = ["time_savings", *r.sample(others, r.randint(*k) - 1)]
        roi = loguniform(r, 0.6, 3.6)
        if a.has("healthy"):
            roi = 3.1
        if a.has("cancellation"):
            roi = 0.35
        weights = [r.uniform(0.5, 1.5) for _ in cats]
        wsum = sum(weights)
        rate = a.hourly_rate or 75
        metrics = []
        for c, w in zip(cats, weights, strict=True):
            metrics.append(
                {
                    "cat": c,
                    "label": r.choice(VALUE_LABELS[c]),
                    "w": w / wsum,
                    "red": r.uniform(0.3, 0.65),
                    "attr": r.uniform(0.15, 0.4),
                    "cpi": loguniform(r, 2_000, 60_000) * (a.arr / 400_000) ** 0.5,
                    "err": round(r.uniform(4, 12), 1),
                    "supply": r.random(),
                }
            )
        n_q = len(quarters)
        for q in qs:
            pos = quarters.index(q)
            q_roi = roi * (0.72 + 0.28 * pos / (n_q - 1)) * r.uniform(0.93, 1.07)
            total = q_roi * a.arr / 4
            for mt in metrics:
                v = total * mt["w"]
                row = {
                    "account_id": a.account_id,
                    "quarter": q,
                    "category": mt["cat"],
                    "label": mt["label"],
                    "baseline": None,
                    "current": None,
                    "unit": "",
                    "quantity": None,
                    "value": None,
                }
                c = mt["cat"]
                if c == "time_savings":
                    hours = max(1, round(v / rate))
                    base_h = round(roi * a.arr / 4 * mt["w"] / rate / mt["red"])
                    base_h = max(base_h, hours + 1)
                    row.update(
                        baseline=base_h, current=base_h - hours, unit="hours", quantity=hours
                    )
                    if mt["supply"] < 0.2:
                        row["value"] = round(hours * rate, 2)
                elif c == "cost_reduction":
                    base_c = round(roi * a.arr / 4 * mt["w"] / mt["red"], -2)
                    base_c = max(base_c, round(v, -2) + 100)
                    row.update(baseline=base_c, current=base_c - round(v, -2), unit=a.currency)
                    if mt["supply"] < 0.6:
                        row["value"] = round(v, -2)
                elif c == "revenue_impact":
                    row.update(
                        unit=a.currency, quantity=round(v / mt["attr"], -2), value=round(v, -2)
                    )
                elif c == "risk_avoidance":
                    cpi = max(500.0, round(mt["cpi"], -2))
                    k = max(1, round(v / cpi))
                    cur = r.randint(0, 3)
                    row.update(
                        baseline=k + cur,
                        current=cur,
                        unit="incidents",
                        quantity=k,
                        value=round(k * cpi, 2) if mt["supply"] < 0.85 else None,
                    )
                else:  # quality
                    cur = round(mt["err"] * (1 - mt["red"] * (0.7 + 0.3 * pos / (n_q - 1))), 1)
                    row.update(baseline=mt["err"], current=cur, unit="%", value=round(v, -2))
                rows.append(row)
    df = pd.DataFrame(rows, columns=COLUMNS["value"])
    df = df.drop_duplicates(subset=["account_id", "quarter", "category", "label"])
    return df


def _status_ratio(r: random.Random, status: str) -> float:
    return {
        "complete": r.uniform(1.0, 1.15),
        "on_track": r.uniform(0.82, 0.99),
        "at_risk": r.uniform(0.6, 0.8),
        "off_track": r.uniform(0.25, 0.58),
    }[status]


def gen_goals(accts: list[Acct], r: random.Random) -> pd.DataFrame:
    cur_q = quarter_of(TODAY)
    next_q = quarter_of(add_months(TODAY, 3))
    prev_q = quarter_of(add_months(TODAY, -3))
    rows = []
    for a in accts:
        p = 0.6 if a.tier == "tech_touch" else 0.9
        if a.has("healthy") or a.has("cancellation") or r.random() < p:
            pool = GOALS["generic"] + GOALS[a.product]
            k = 2 if a.tier == "tech_touch" else r.randint(2, 4)
            for goal, metric, unit, (lo, hi), higher in r.sample(pool, min(k, len(pool))):
                q = r.choices((prev_q, cur_q, next_q), (2, 5, 3))[0]
                h = a.health
                if q == prev_q:
                    status = r.choices(("complete", "off_track"), (h * 3, 1))[0]
                else:
                    status = r.choices(
                        ("on_track", "at_risk", "off_track", "complete"),
                        (h * 5, 2, (1 - h) * 2.5, h if q == cur_q else 0.01),
                    )[0]
                target = r.uniform(lo, hi)
                target = round(target, 2) if hi <= 1 else round(target)
                ratio = _status_ratio(r, status)
                actual = target * ratio if higher else target / ratio
                if unit == "%":
                    actual = min(actual, 100)
                actual = round(actual, 2) if hi <= 1 else round(actual, 1)
                owner = a.champion if r.random() < 0.6 else CSMS[a.csm][0]
                rows.append(
                    {
                        "account_id": a.account_id,
                        "goal": goal,
                        "metric": metric,
                        "target": target,
                        "actual": actual,
                        "unit": unit,
                        "status": status,
                        "owner": owner,
                        "due_date": quarter_end(q).isoformat(),
                        "quarter": q,
                    }
                )
    return pd.DataFrame(rows, columns=COLUMNS["goals"])


def gen_actions(accts: list[Acct], r: random.Random) -> pd.DataFrame:
    rows = []
    for a in accts:
        if a.tier == "tech_touch" and r.random() < 0.5:
            continue
        k = 2 if a.tier == "tech_touch" else r.randint(2, 5)
        anchor = a.last_qbr or a.since
        for _ in range(k):
            side = r.choice(("customer", "vendor"))
            action = r.choice(ACTIONS[side])
            if a.has("onboarding"):
                action = r.choice(
                    (
                        "Complete SSO setup",
                        "Import existing projects",
                        "Run admin onboarding session",
                        "Agree success plan",
                    )
                )
            due = to_bday(anchor + timedelta(days=r.randint(14, 100)))
            h = a.health
            if due < TODAY:
                status = r.choices(
                    ("complete", "overdue", "cancelled", "in progress", "blocked"),
                    (6 * h + 1, 3 * (1 - h) + 0.5, 0.5, 1, 0.5),
                )[0]
            else:
                status = r.choices(
                    ("not started", "in progress", "at risk", "blocked", "complete"),
                    (3, 4, 3 * (1 - h), 0.7, 1),
                )[0]
            done = None
            if status == "complete":
                done = min(
                    TODAY - timedelta(days=1),
                    max(anchor + timedelta(days=3), due + timedelta(days=r.randint(-12, 6))),
                )
            owner = (
                CSMS[a.csm][0]
                if side == "vendor" and r.random() < 0.7
                else "Solutions Engineering"
                if side == "vendor"
                else a.champion
                if r.random() < 0.75 or not a.sponsor
                else a.sponsor
            )
            rows.append(
                {
                    "account_id": a.account_id,
                    "action": action,
                    "owner": owner,
                    "side": side,
                    "due_date": due.isoformat(),
                    "status": status,
                    "completed_at": done.isoformat() if done else "",
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS["actions"])


def gen_roadmap(accts: list[Acct], r: random.Random) -> pd.DataFrame:
    rows = []
    for item, desc, status, timing, pt, module in ROADMAP:
        cands = [a.account_id for a in accts if a.product == pt and not a.has("onboarding")]
        k = r.choice((0, 1, 2, 2, 3, 4))
        req = r.sample(cands, min(k, len(cands)))
        if (
            pt == "analytics"
            and item.startswith("Natural")
            and any(a.account_id == "007" for a in accts)
        ):
            req = [*[x for x in req if x != "007"], "007"]
        rows.append(
            {
                "item": item,
                "description": desc,
                "status": status,
                "timing": timing,
                "module": module,
                "requested_by": ";".join(req),
            }
        )
    return pd.DataFrame(rows)


def gen_touchpoints(accts: list[Acct], r: random.Random) -> pd.DataFrame:
    lam = {"strategic": 16, "enterprise": 10, "mid_market": 6, "smb": 3, "tech_touch": 1}
    rows = []
    for a in accts:
        start = max(TODAY - timedelta(days=183), a.since)
        span = (TODAY - start).days
        if span <= 1:
            continue
        k = max(0, round(lam[a.eff_tier] * span / 183 * r.uniform(0.6, 1.4)))
        if a.has("onboarding"):
            k = max(k, 3)
        yes_no = a.csm == 3  # one CSM's tool exports yes/no
        events = []
        for _ in range(k):
            d = to_bday(start + timedelta(days=r.randrange(span)))
            if d >= TODAY:
                d = to_bday(TODAY - timedelta(days=1))
            if a.eff_tier in ("smb", "tech_touch"):
                typ = r.choices(("email", "call", "meeting"), (5, 2, 1))[0]
            else:
                typ = r.choices(("meeting", "email", "call"), (4, 3, 2.5))[0]
            if a.has("renewal_soon") and a.last_qbr and d > a.last_qbr:
                typ = "email"
            events.append((d, typ))
        if (
            a.last_qbr
            and a.last_qbr >= start
            and a.eff_tier in ("strategic", "enterprise", "mid_market")
        ):
            events.append(
                (a.last_qbr, "ebr" if a.arr > 250_000 or a.eff_tier == "strategic" else "meeting")
            )
        events.sort()
        for d, typ in events:
            completed = True if typ == "email" else r.random() < 0.55 + 0.4 * a.health
            exec_present: bool | None
            if typ == "ebr":
                exec_present = completed and bool(a.sponsor_engaged)
            elif typ == "meeting" and a.sponsor:
                exec_present = completed and r.random() < (0.35 if a.sponsor_engaged else 0.1)
            else:
                exec_present = False
            if r.random() < 0.03:
                exec_present = None
            rows.append(
                {
                    "account_id": a.account_id,
                    "date": d.isoformat(),
                    "type": typ,
                    "completed": b(completed, yes_no),
                    "exec_present": b(exec_present, yes_no),
                }
            )
    return pd.DataFrame(rows, columns=COLUMNS["touchpoints"])


def gen_events(
    features: pd.DataFrame, months: list[date], n: int, g: np.random.Generator
) -> pd.DataFrame:
    w = features["events"].to_numpy(float)
    idx = np.sort(g.choice(len(features), size=n, p=w / w.sum()))
    mstart = {month_str(d): np.datetime64(d.isoformat(), "s") for d in months}
    mdays = {
        month_str(d): (
            TODAY.day
            if month_str(d) == month_str(TODAY)
            else calendar.monthrange(d.year, d.month)[1]
        )
        for d in months
    }
    mon = features["month"].to_numpy()[idx]
    start = pd.Series(mon).map(mstart).to_numpy().astype("datetime64[s]")
    days = pd.Series(mon).map(mdays).to_numpy(float)
    secs = (g.random(n) * days * 86400).astype(np.int64).astype("timedelta64[s]")
    users = features["users"].to_numpy()[idx]
    uid = (g.random(n) * np.maximum(users, 1)).astype(np.int64)
    df = pd.DataFrame(
        {
            "account_id": features["account_id"].to_numpy()[idx],
            "user_id": pd.Series(features["account_id"].to_numpy()[idx]).astype(str)
            + "-u"
            + pd.Series(uid).astype(str).str.zfill(5),
            "event": features["feature"].to_numpy()[idx],
            "timestamp": pd.to_datetime(start.astype("datetime64[s]") + secs),
        }
    )
    return df.sort_values(["timestamp", "account_id"], kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------


def _tidy_numbers(s: pd.Series) -> pd.Series:
    """Floats as text: whole numbers without ".0", others as their shortest repr; NaN blank."""
    vals = s.to_numpy()
    out = ["" if v != v else (str(int(v)) if v.is_integer() else repr(float(v))) for v in vals]
    return pd.Series(out, index=s.index, dtype=object)


def generate(
    out: Path, accounts: int = 120, seed: int = 7, n_months: int = 15, events: int | None = None
) -> dict[str, pd.DataFrame]:
    r = random.Random(seed)
    g = np.random.default_rng(seed)
    last = date(TODAY.year, TODAY.month, 1)
    months = [add_months(last, -k) for k in range(n_months - 1, -1, -1)]
    accts = build_accounts(accounts, months, r)
    usage, base = gen_usage(accts, months, g)
    features = gen_features(accts, months, base, r, g)
    tables = {
        "accounts": accounts_frame(accts),
        "usage": usage,
        "features": features,
        "feature_catalog": gen_catalog(),
        "tickets": gen_tickets(accts, months, r, g),
        "invoices": gen_invoices(accts, months, r, g),
        "value": gen_value(accts, r),
        "goals": gen_goals(accts, r),
        "actions": gen_actions(accts, r),
        "roadmap": gen_roadmap(accts, r),
        "touchpoints": gen_touchpoints(accts, r),
    }
    out.mkdir(parents=True, exist_ok=True)
    for name, df in tables.items():
        df = df.reindex(columns=COLUMNS[name])
        for c in INT_COLUMNS.get(name, []):
            df[c] = pd.array(df[c], dtype="Int64")
        for c in df.columns:
            if df[c].dtype == "float64":
                df[c] = _tidy_numbers(df[c])
        tables[name] = df
        df.to_csv(out / f"{name}.csv", index=False, lineterminator="\n", encoding="utf-8")
    if events:
        ev = gen_events(features, months, int(events), g)
        ev.to_parquet(out / "events.parquet", index=False)
        tables["events"] = ev
    return tables


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent / "book",
        help="output folder (default: samples/book)",
    )
    ap.add_argument("--accounts", type=int, default=120, help="number of accounts (default 120)")
    ap.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    ap.add_argument(
        "--months",
        type=int,
        default=15,
        help="months of history ending with the as-of month (default 15)",
    )
    ap.add_argument(
        "--events",
        type=int,
        default=None,
        metavar="N",
        help="also write events.parquet with about N raw events",
    )
    args = ap.parse_args(argv)
    if args.accounts < 1 or args.months < 3:
        ap.error("--accounts must be >= 1 and --months >= 3")
    tables = generate(args.out, args.accounts, args.seed, args.months, args.events)
    sizes = ", ".join(f"{k} {len(v)}" for k, v in tables.items())
    print(f"wrote {args.out}: {sizes}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
