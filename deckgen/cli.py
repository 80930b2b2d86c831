"""The `deckgen` command line. The only module that imports click.

Heavy libraries (pandas, python-pptx, matplotlib) are imported inside commands so that
`deckgen --help` stays instant. Core code raises `DeckgenError`s; `main` turns them into
`Error: ...` on stderr with the error's exit code (1 data, 2 usage/config), never a traceback.
"""

from __future__ import annotations

import gc
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from deckgen import __version__
from deckgen.errors import DataError, DeckgenError

_LEVEL_TITLES = {
    "fatal": "UNUSABLE",
    "block": "BLOCKED (these accounts are not rendered)",
    "warning": "WARNINGS",
    "info": "ROUTING",
}


class UsageDataError(DeckgenError):
    """An unusable book given to `batch`: exit 2, so schedulers tell it from a failed account."""

    exit_code = 2


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DeckgenError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted: no partial files were left; re-run to resume.", err=True)
            ctx.exit(130)


def _parse_date(_: click.Context, __: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"expected a date YYYY-MM-DD, got {value!r}") from None


def _parse_quarter(_: click.Context, __: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    import re

    m = re.fullmatch(r"(\d{4})-?Q([1-4])", value.strip(), flags=re.IGNORECASE)
    if not m:
        raise click.BadParameter(f"expected a quarter like 2026Q3, got {value!r}")
    return f"{m.group(1)}Q{m.group(2)}"


def book_options(f: Any) -> Any:
    """Options every command that reads a book shares."""
    f = click.option(
        "--encoding",
        default="utf-8-sig",
        show_default=True,
        help="Text encoding of CSV files (e.g. cp1252 for old Excel exports).",
    )(f)
    f = click.option(
        "--as-of",
        "as_of",
        callback=_parse_date,
        metavar="DATE",
        help="Reference date for trailing windows (default: today).",
    )(f)
    f = click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False),
        help="Config file (default: deckgen.yaml in the book folder, if any).",
    )(f)
    return f


BOOK = click.argument("book", type=click.Path(exists=True, path_type=Path))


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="deckgen")
def cli() -> None:
    """deckgen: QBR decks, emails and documents from a customer-success book of accounts."""


# ---------------------------------------------------------------- validate


@cli.command()
@BOOK
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@book_options
def validate(
    book: Path, as_json: bool, config_path: str | None, as_of: date | None, encoding: str
) -> None:
    """Check a book and report every problem at once (file, row, column, what was expected).

    Exit 0 when the book is usable (even with warnings and blocked accounts), 1 when it is not.
    """
    from deckgen.pipeline import load_and_validate

    _, _, report, _ = load_and_validate(
        book, config_path=config_path, as_of=as_of, encoding=encoding
    )
    if as_json:
        click.echo(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
    else:
        _print_report(book, report)
    sys.exit(0 if report.usable else 1)


def _print_report(book: Path, report: Any) -> None:
    gates: dict[str, int] = {}
    for g in report.gates.values():
        gates[g.status] = gates.get(g.status, 0) + 1
    tables = ", ".join(f"{k} {v}" for k, v in report.tables.items())
    click.echo(f"Book: {book} — {report.accounts} accounts ({tables})")
    status = ", ".join(f"{n} {s}" for s, n in sorted(gates.items()))
    click.echo(
        f"Usable: {'yes' if report.usable else 'NO'} — accounts: {status}; "
        f"{report.count('warning')} warning(s)"
    )
    for level in ("fatal", "block", "warning", "info"):
        items = [f for f in report.findings if f.level == level]
        if not items:
            continue
        click.echo(f"\n{_LEVEL_TITLES[level]} ({len(items)})")
        for f in items:
            click.echo(f"  {f}")


# ---------------------------------------------------------------- metrics


@cli.command()
@BOOK
@click.option("--account", "account_id", help="Only this account.")
@click.option("--quarter", callback=_parse_quarter, help="Review quarter, e.g. 2026Q3.")
@click.option(
    "--json", "as_json", is_flag=True, help="Print the JSON array (the renderer hand-off)."
)
@book_options
def metrics(
    book: Path,
    account_id: str | None,
    quarter: str | None,
    as_json: bool,
    config_path: str | None,
    as_of: date | None,
    encoding: str,
) -> None:
    """Compute health, value/ROI, benchmarks and signals per account."""
    from deckgen.pipeline import prepare

    prepared = prepare(
        book, config_path=config_path, as_of=as_of, quarter=quarter, encoding=encoding
    )
    rows = [prepared.account(account_id)] if account_id else prepared.metrics
    if as_json:
        click.echo(json.dumps([m.as_json() for m in rows], indent=2, ensure_ascii=False))
        return
    click.echo(
        f"{'account':<12} {'tier':<11} {'status':<10} {'health':>6} {'band':<7} {'ROI %':>7}  name"
    )
    for m in rows:
        score = "-" if m.health.score is None else str(m.health.score)
        roi = "-" if m.value.roi_pct is None else f"{m.value.roi_pct:.0f}"
        click.echo(
            f"{m.account_id[:12]:<12} {m.tier:<11} {m.status:<10} {score:>6} "
            f"{(m.health.band or '-'):<7} {roi:>7}  {m.name[:40]}"
        )


# ---------------------------------------------------------------- config


@cli.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("show")
@click.argument("book", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
def config_show(book: Path | None, config_path: str | None) -> None:
    """Print the effective config (defaults merged with your config file)."""
    from deckgen.config import load_config

    cfg = load_config(config_path, book_dir=book)
    click.echo(f"# source: {cfg.source or 'built-in defaults'}")
    click.echo(cfg.to_yaml(), nl=False)


# ---------------------------------------------------------------- render and check


RENDER_FORMATS = ("pptx", "gslides", "email", "briefing", "preread", "followup")


def _formats(value: str, allowed: tuple[str, ...]) -> tuple[str, ...]:
    from deckgen.errors import ConfigError

    fmt = tuple(dict.fromkeys(x.strip().lower() for x in value.split(",") if x.strip()))
    unknown = [x for x in fmt if x not in allowed]
    if unknown or not fmt:
        raise ConfigError(
            f"--format: unknown {', '.join(unknown) or '(empty)'}; choose from {', '.join(allowed)}"
        )
    return fmt


@cli.command()
@BOOK
@click.option("--account", "account_id", required=True, help="The account to render.")
@click.option(
    "--deck",
    "deck_kind",
    type=click.Choice(["executive", "enterprise"]),
    help="One deck kind (default: the account's tier decks).",
)
@click.option(
    "--format",
    "formats",
    default="pptx",
    show_default=True,
    help="Comma-separated: pptx, gslides, email, briefing, preread, followup.",
)
@click.option(
    "--template",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Your corporate .pptx template (default: the built-in one).",
)
@click.option(
    "--charts",
    type=click.Choice(["image", "native"]),
    default="image",
    show_default=True,
    help="Charts as pictures or as editable PowerPoint charts.",
)
@click.option("--quarter", callback=_parse_quarter, help="Review quarter, e.g. 2026Q3.")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
    help="Output folder.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="gslides: write the plan of API calls as JSON, make no network call.",
)
@book_options
def render(
    book: Path,
    account_id: str,
    deck_kind: str | None,
    formats: str,
    template: Path | None,
    charts: str,
    quarter: str | None,
    out_dir: Path,
    dry_run: bool,
    config_path: str | None,
    as_of: date | None,
    encoding: str,
) -> None:
    """Render one account's QBR material and print the paths written.

    By default its tier's deck(s): strategic accounts get the executive deck plus the
    enterprise deck as backup.
    """
    from deckgen.pipeline import prepare_account_in_background, ready_renderers, render_formats

    fmt = _formats(formats, RENDER_FORMATS)
    pending = prepare_account_in_background(
        book, account_id, config_path=config_path, as_of=as_of, quarter=quarter, encoding=encoding
    )
    ready_renderers(fmt, template=template)  # while the book is prepared in the background
    prepared = pending.result()
    m = prepared.metrics
    if m.status in ("blocked", "held"):
        reasons = "\n  - ".join(m.reasons) or m.status
        raise DataError(f"account {account_id!r} is {m.status}; nothing rendered:\n  - {reasons}")
    kinds = [deck_kind] if deck_kind else None
    files = render_formats(
        prepared,
        m,
        out_dir,
        fmt,
        deck_kinds=kinds,
        template=template,
        charts=charts,
        dry_run=dry_run,
    )
    if not files:
        raise DataError(
            f"account {account_id!r} ({m.tier}) gets no deck by default "
            "(its tier's output is an email); pass --deck or --format email"
        )
    if m.status == "review":
        click.echo(
            f"Note: {m.name} is Red ({'; '.join(m.reasons)}): route to manager review.", err=True
        )
    for f in files:
        extra = f"; adjusted: {'; '.join(f.adjustments)}" if f.adjustments else ""
        link = f"  {f.url}" if f.url else ""
        click.echo(f"{f.path}  ({f.kind}, {f.placeholders} placeholder(s) to fill{extra}){link}")


@cli.command()
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
def check(files: tuple[Path, ...]) -> None:
    """List every unfilled placeholder in .pptx/.docx files; exit 1 while any remains.

    The CSM's last check before sharing.
    """
    from deckgen.check import find_placeholders
    from deckgen.check_docx import find_docx_placeholders

    total = 0
    for path in files:
        suffix = path.suffix.lower()
        found: list[tuple[Any, str]]
        try:
            if suffix == ".pptx":
                found = list(find_placeholders(path))
            elif suffix == ".docx":
                found = list(find_docx_placeholders(path))
            else:
                raise DataError(f"{path}: deckgen check reads .pptx and .docx files")
        except DeckgenError:
            raise
        except Exception as exc:
            raise DataError(f"{path}: cannot be opened: {exc}") from None
        total += len(found)
        if not found:
            click.echo(f"{path}: no placeholders left")
            continue
        click.echo(f"{path}: {len(found)} placeholder(s) to fill")
        for where, marker in found:
            label = f"slide {where}" if isinstance(where, int) else str(where)
            click.echo(f"  {label}: {marker}")
    sys.exit(1 if total else 0)


# ---------------------------------------------------------------- batch


def selection_options(f: Any) -> Any:
    """The batch selection options, shared by `batch` and `email`."""
    f = click.option(
        "--shard",
        metavar="I/N",
        help="Only shard I of N (stable by account id), for runs split across machines.",
    )(f)
    f = click.option("--all", "all_accounts", is_flag=True, help="Every account in the book.")(f)
    f = click.option(
        "--due-within",
        metavar="DAYS",
        help="QBRs due within this horizon of --as-of, e.g. 14d or 2w.",
    )(f)
    f = click.option(
        "--to",
        "date_to",
        callback=_parse_date,
        metavar="DATE",
        help="Last QBR date of the range (with --from).",
    )(f)
    f = click.option(
        "--from",
        "date_from",
        callback=_parse_date,
        metavar="DATE",
        help="First QBR date of the range.",
    )(f)
    f = click.option("--week", metavar="YYYY-Www", help="QBR week, e.g. 2026-W50.")(f)
    return f


@cli.command()
@BOOK
@selection_options
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes (default: number of CPUs).",
)
@click.option(
    "--format",
    "formats",
    default="pptx,email",
    show_default=True,
    help="Comma-separated: pptx, email, gslides, briefing, preread, followup. "
    "Each account gets those of its tier's outputs that are listed.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
)
@click.option("--force", is_flag=True, help="Re-render everything, even up-to-date outputs.")
@click.option("--template", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--charts", type=click.Choice(["image", "native"]), default="image", show_default=True
)
@click.option("--quarter", callback=_parse_quarter, help="Review quarter, e.g. 2026Q3.")
@click.option("--quiet", "-q", is_flag=True, help="Only the final summary.")
@click.option(
    "--dry-run",
    is_flag=True,
    help="gslides: write each deck's plan of API calls as JSON; no network call.",
)
@book_options
def batch(
    book: Path,
    week: str | None,
    date_from: date | None,
    date_to: date | None,
    due_within: str | None,
    all_accounts: bool,
    shard: str | None,
    jobs: int | None,
    formats: str,
    out_dir: Path,
    force: bool,
    template: Path | None,
    charts: str,
    quarter: str | None,
    quiet: bool,
    dry_run: bool,
    config_path: str | None,
    as_of: date | None,
    encoding: str,
) -> None:
    """Render every account whose QBR falls in the selection, in parallel.

    Writes manifest.json, manifest.csv and index.html last. Exit 0 when every selected account
    was rendered or deliberately held/blocked, 1 when any failed, 2 for usage errors.
    """
    import os

    from deckgen.batch import FORMATS, BatchOptions, run_batch
    from deckgen.pipeline import prepare
    from deckgen.selection import build_selection

    fmt = _formats(formats, FORMATS)
    as_of_date = as_of or date.today()
    selection = build_selection(
        week=week,
        date_from=date_from,
        date_to=date_to,
        due_within=due_within,
        all_accounts=all_accounts,
        as_of=as_of_date,
        shard=shard,
    )
    jobs = jobs or os.cpu_count() or 1
    if jobs > 1:
        from deckgen.workers import start_server

        start_server()  # warms the workers' renderers on another core while the book loads
    try:
        prepared = prepare(
            book, config_path=config_path, as_of=as_of_date, quarter=quarter, encoding=encoding
        )
    except DataError as exc:
        # For a batch, an unusable book is a usage error: nothing was attempted (exit 2).
        raise UsageDataError(str(exc)) from None
    options = BatchOptions(out_dir, fmt, template, charts, force, jobs, dry_run)
    with _progress(quiet) as report:
        result = run_batch(prepared, selection, options, progress=report)
    c = result.counts
    summary = ", ".join(
        f"{c[k]} {k}" for k in ("rendered", "review", "held", "blocked", "error") if c.get(k)
    )
    click.echo(
        f"{selection.label}: {len(result.records)} account(s) — {summary or 'none selected'}"
        f" ({result.reused} up to date, {result.seconds:.1f} s)"
    )
    for r in result.records:
        if r["status"] == "error":
            click.echo(
                f"  error {r['account_id']} {r['name']}: {'; '.join(r['reasons'])}", err=True
            )
    click.echo(f"Summary: {result.index_path}")
    click.echo(f"Manifest: {result.manifest_path}")
    sys.exit(result.exit_code)


@cli.command()
@BOOK
@click.option("--account", "account_id", help="One account (otherwise use a selection option).")
@selection_options
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("out"),
    show_default=True,
)
@click.option(
    "--templates",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder overriding content/ templates (e.g. DIR/email/qbr.html.j2).",
)
@click.option("--quarter", callback=_parse_quarter, help="Review quarter, e.g. 2026Q3.")
@book_options
def email(
    book: Path,
    account_id: str | None,
    week: str | None,
    date_from: date | None,
    date_to: date | None,
    due_within: str | None,
    all_accounts: bool,
    shard: str | None,
    out_dir: Path,
    templates: Path | None,
    quarter: str | None,
    config_path: str | None,
    as_of: date | None,
    encoding: str,
) -> None:
    """Render digital QBR emails (.eml + .html/.txt previews) for tech-touch accounts.

    Send them afterwards with `deckgen send OUTDIR`. Red accounts go to OUT/review/.
    """
    from deckgen.errors import ConfigError
    from deckgen.model.build import gets_email
    from deckgen.pipeline import account_folder, prepare
    from deckgen.render.email import render_email_files
    from deckgen.selection import build_selection, select

    as_of_date = as_of or date.today()
    prepared = prepare(
        book, config_path=config_path, as_of=as_of_date, quarter=quarter, encoding=encoding
    )
    if account_id:
        if week or date_from or date_to or due_within or all_accounts:
            raise ConfigError("--account and the selection options are exclusive")
        m = prepared.account(account_id)
        if not gets_email(m, prepared.config):
            raise DataError(
                f"account {account_id!r} ({m.tier}, {m.status}) gets no QBR email: "
                "emails go to tiers whose outputs list email, and never to held, "
                "blocked or onboarding accounts"
            )
        chosen = [m]
    else:
        selection = build_selection(
            week=week,
            date_from=date_from,
            date_to=date_to,
            due_within=due_within,
            all_accounts=all_accounts,
            as_of=as_of_date,
            shard=shard,
        )
        chosen = [
            m
            for m, _ in select(prepared.metrics, selection, prepared.config)
            if gets_email(m, prepared.config)
        ]
    failed = 0
    for m in chosen:
        folder = account_folder(out_dir, m)
        try:
            files = render_email_files(prepared, m, folder, templates=templates)
        except DeckgenError as exc:
            failed += 1
            click.echo(f"error {m.account_id} {m.name}: {exc}", err=True)
            continue
        for f in files:
            note = f" ({'; '.join(f.adjustments)})" if f.adjustments else ""
            click.echo(f"{f.path}{note}")
    click.echo(f"{len(chosen) - failed} email(s) rendered, {failed} failed", err=True)
    sys.exit(1 if failed else 0)


@cli.command()
@click.argument("outdir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--smtp", "smtp", required=True, metavar="HOST:PORT", help="SMTP server.")
@click.option("--from", "sender", required=True, metavar="ADDRESS", help="Sender address.")
@click.option("--starttls", is_flag=True, help="Upgrade the connection with STARTTLS.")
@click.option("--user", help="SMTP user name (password from --password-env).")
@click.option(
    "--password-env",
    default="DECKGEN_SMTP_PASSWORD",
    show_default=True,
    help="Environment variable holding the SMTP password (never logged).",
)
@click.option("--rate", metavar="N/min", help="At most N messages a minute.")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
@click.option(
    "--retry-unknown",
    is_flag=True,
    help="Resend messages a crashed run left in 'sending' (may duplicate).",
)
@click.option("--include-review", is_flag=True, help="Also send the Red accounts in review/.")
def send(
    outdir: Path,
    smtp: str,
    sender: str,
    starttls: bool,
    user: str | None,
    password_env: str,
    rate: str | None,
    dry_run: bool,
    retry_unknown: bool,
    include_review: bool,
) -> None:
    """Send rendered QBR emails to each account's champion, at most once per quarter.

    A ledger in OUTDIR/.deckgen/ records each send; a second run sends nothing new.
    Exit 1 if any message failed or is in an unknown state.
    """
    from deckgen.send import parse_rate, parse_smtp, send_outbox

    host, port = parse_smtp(smtp)
    report = send_outbox(
        outdir,
        host,
        port,
        sender,
        starttls=starttls,
        user=user,
        password_env=password_env,
        rate_per_min=parse_rate(rate) if rate else None,
        dry_run=dry_run,
        retry_unknown=retry_unknown,
        include_review=include_review,
    )
    for line in report.lines():
        click.echo(line)
    sys.exit(report.exit_code)


@cli.group()
def auth() -> None:
    """Google sign-in for `--format gslides` (OAuth, service account or application default)."""


@auth.command("login")
@click.option(
    "--client-secrets",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="OAuth client JSON downloaded from the Google Cloud console.",
)
@click.option("--no-browser", is_flag=True, help="Print the sign-in URL instead of opening it.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
def auth_login(client_secrets: Path | None, no_browser: bool, config_path: str | None) -> None:
    """Sign in with your Google account; the token is stored with 0600 permissions."""
    from deckgen.pipeline import require_extra

    require_extra("google.auth", "Google sign-in", "gslides")
    from deckgen.config import load_config
    from deckgen.render import gslides_auth

    path = gslides_auth.login(
        load_config(config_path), client_secrets=client_secrets, open_browser=not no_browser
    )
    click.echo(f"Signed in; token stored in {path}")


@auth.command("status")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
def auth_status(config_path: str | None) -> None:
    """Which credentials deckgen would use, and whether they work (exit 1 if not)."""
    from deckgen.pipeline import require_extra

    require_extra("google.auth", "Google sign-in", "gslides")
    from deckgen.config import load_config
    from deckgen.render import gslides_auth

    st = gslides_auth.status(load_config(config_path))
    for line in st.lines():
        click.echo(line)
    sys.exit(0 if st.ok else 1)


@auth.command("logout")
@click.option("--no-revoke", is_flag=True, help="Delete the stored token without revoking it.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False))
def auth_logout(no_revoke: bool, config_path: str | None) -> None:
    """Forget (and revoke) the stored OAuth token."""
    from deckgen.pipeline import require_extra

    require_extra("google.auth", "Google sign-in", "gslides")
    from deckgen.config import load_config
    from deckgen.render import gslides_auth

    removed = gslides_auth.logout(load_config(config_path), revoke=not no_revoke)
    click.echo("Signed out." if removed else "No stored token.")


class _progress:
    """A rich progress bar on a terminal; one plain line per account otherwise; or nothing."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Any:
        if not self.quiet and sys.stderr.isatty():
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TimeRemainingColumn(),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task("Rendering", total=None, rate="")
        return self.report

    def report(self, record: dict[str, Any], done: int, total: int) -> None:
        if self.quiet:
            return
        if self.bar is not None:
            elapsed = self.bar.tasks[0].elapsed or 0.0
            rate = f"{done / elapsed:.1f}/s" if elapsed else ""
            self.bar.update(self.task, total=total, completed=done, rate=rate)
            return
        tag = "up to date" if record.get("reused") else record["status"]
        click.echo(f"[{done}/{total}] {record['account_id']} {tag}", err=True)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def main() -> None:
    try:
        cli(prog_name="deckgen")
    finally:
        # Python's shutdown ends with a full garbage collection over every object still alive;
        # with matplotlib and python-pptx loaded that walk alone is ~0.13 s of a `deckgen render`.
        # Frozen objects are skipped by it; memory goes back to the OS with the process anyway.
        # Files are closed (and outputs written atomically) before this point.
        gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    main()
