"""MIME plumbing of the QBR email: addresses, headers, ids and the multipart structure.

Why it is separate from the content: every value that reaches a header comes from a customer
export (names, addresses, ids) and must be made harmless here, in one place. A CR or LF in a
name would otherwise start a new header (`Bcc: ...`); quotes and angle brackets would change
which address a client shows. Names are reduced to one line of text and handed to
`email.headerregistry.Address`, which quotes them; addresses are checked against a strict
pattern and refused rather than repaired.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime, timezone
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import NamedTuple
from urllib.parse import quote

from deckgen.errors import ConfigError

# Internal headers: they carry the account and quarter from `deckgen email` to `deckgen send`
# (the ledger key) and are removed by `send` before a message leaves.
H_ACCOUNT = "X-Deckgen-Account"
H_QUARTER = "X-Deckgen-Quarter"
H_HOLD = "X-Deckgen-Hold"
INTERNAL_HEADERS = (H_ACCOUNT, H_QUARTER, H_HOLD)

# A plain ASCII addr-spec: dot-atom local part and a dotted domain. Quoted local parts,
# comments and IP literals are legal but never seen in CRM exports; refusing them keeps
# every address unambiguous for us, the SMTP server and the reader.
_ADDR = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)


class EmailImage(NamedTuple):
    """A chart attached as a related part: `<img src="cid:{cid}">` in the HTML."""

    cid: str
    png: bytes
    alt: str


def one_line(text: str | None, max_len: int = 200) -> str:
    """`text` as one line of printable text: CR, LF, tabs and other controls become spaces.

    Used for every header value that comes from data (names, subject, ids).
    """
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Zl", "Zp") else ch for ch in (text or "")
    )
    return " ".join(cleaned.split())[:max_len]


def valid_address(addr: str | None) -> str | None:
    """The address stripped, if it is one plain addr-spec; None otherwise (never repaired)."""
    addr = (addr or "").strip()
    if len(addr) > 254 or not _ADDR.fullmatch(addr):
        return None
    return addr


def address(name: str | None, addr: str) -> Address:
    """A header-safe mailbox: the display name is one line; Address quotes it as needed."""
    local, _, domain = addr.rpartition("@")
    return Address(display_name=one_line(name, 120), username=local, domain=domain)


def domain_of(addr: str) -> str:
    return addr.rpartition("@")[2].lower()


def _digest(account_id: str, quarter: str) -> str:
    return hashlib.sha256(f"{account_id}|{quarter}".encode()).hexdigest()


def message_id(account_id: str, quarter: str, domain: str) -> str:
    """Deterministic per account and quarter, so a re-render names the same message and the
    send ledger and the recipient's client both see one email, not two."""
    return f"<qbr-{_digest(account_id, quarter)[:24]}@{domain}>"


def image_cid(account_id: str, quarter: str, chart_id: str, domain: str) -> str:
    """Content-ID (without angle brackets) of one chart: unique per account, quarter and chart."""
    safe = re.sub(r"[^A-Za-z0-9-]", "-", chart_id)[:40] or "chart"
    return f"{safe}.{_digest(account_id, quarter)[:12]}@{domain}"


def list_unsubscribe(mailto: str, url: str | None, account_id: str) -> tuple[str | None, bool]:
    """The List-Unsubscribe value and whether one-click (RFC 8058) applies (an https URL)."""
    parts = []
    mail = valid_address(mailto)
    if (mailto or "").strip() and mail is None:
        raise ConfigError(f"email.list_unsubscribe.mailto: {mailto!r} is not an email address")
    if mail:
        parts.append(f"<mailto:{mail}?subject={quote('unsubscribe ' + account_id, safe='')}>")
    one_click = False
    if url:
        if any(ch in url for ch in "<>, \r\n"):
            raise ConfigError("email.list_unsubscribe.url: a URL cannot hold spaces, commas or <>")
        parts.append(f"<{url}>")
        one_click = url.lower().startswith("https://")
    return (", ".join(parts) or None), one_click


def build_message(
    *,
    subject: str,
    text: str,
    html: str,
    images: Sequence[EmailImage],
    sender: Address,
    to: Address | None,
    reply_to: Address | None,
    msg_id: str,
    unsubscribe: str | None,
    one_click: bool,
    account_id: str,
    quarter: str,
    hold: str | None,
    now: datetime | None = None,
) -> EmailMessage:
    """multipart/alternative: text/plain, then multipart/related (text/html + PNG parts).

    The plain part comes first because clients show the last alternative they understand;
    images are related parts referenced by Content-ID (Gmail and Outlook drop data: URIs).
    """
    msg = EmailMessage()
    msg["Subject"] = one_line(subject, 250)
    msg["From"] = sender
    if to is not None:
        msg["To"] = to
    if reply_to is not None:
        msg["Reply-To"] = reply_to
    msg["Date"] = format_datetime(now or datetime.now(timezone.utc))
    msg["Message-ID"] = msg_id
    if unsubscribe:
        msg["List-Unsubscribe"] = unsubscribe
        if one_click:
            msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    msg[H_ACCOUNT] = one_line(account_id, 120)
    msg[H_QUARTER] = one_line(quarter, 20)
    if hold:
        msg[H_HOLD] = one_line(hold, 300)
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    html_part = msg.get_payload()[1]  # type: ignore[index]
    assert isinstance(html_part, EmailMessage)
    for i, img in enumerate(images, start=1):
        html_part.add_related(
            img.png,
            maintype="image",
            subtype="png",
            cid=f"<{img.cid}>",
            disposition="inline",
            filename=f"chart-{i}.png",
        )
    return msg
