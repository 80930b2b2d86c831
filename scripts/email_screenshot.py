"""Screenshot one account's QBR email in headless Chromium, 600 px wide, light and dark.

    python scripts/email_screenshot.py                       # A-0029 of the sample book
    python scripts/email_screenshot.py --account A-0008 --out build/previews
    python scripts/email_screenshot.py --html out/a-0008_cafe-muller-gmbh_email_2026Q3.html

Why a browser: the email is judged by how it looks, not by its markup, and Chromium renders
the same HTML a webmail client gets (images inlined as data: URIs for the preview). Dark mode
sets the preferred colour scheme, which is what the `prefers-color-scheme` media queries (Apple
Mail, iOS Mail, Outlook for Mac) react to. The picture is taken tall and cropped to
the email, so its height is the email's own.

Chromium comes from the Debian packages that scripts/setup-system.sh installs. No network is
used: every network feature Chromium has is switched off and the page is a local file.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
WIDTH = 600
TALL = 4000  # the window height before cropping; longer emails are cut (and reported)


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("chromium not found: run scripts/setup-system.sh (installs it)")


def screenshot(html_file: Path, png: Path, *, dark: bool, height: int = TALL) -> Path:
    """Render `html_file` at 600 px wide into `png`, then crop the empty page below the email."""
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="deckgen-chromium-") as profile:
        cmd = [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--mute-audio",
            f"--user-data-dir={profile}",
            "--hide-scrollbars",
            f"--window-size={WIDTH},{height}",
            f"--screenshot={png}",
        ]
        if dark:
            # Either flag alone switches `prefers-color-scheme` to dark in Chromium 120+ headless;
            # both are passed so older and newer builds agree (Blink's enum: 0 dark, 1 light).
            cmd += ["--force-dark-mode", "--blink-settings=preferredColorScheme=0"]
        else:
            cmd += ["--blink-settings=preferredColorScheme=1"]
        cmd.append(html_file.resolve().as_uri())
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
        if proc.returncode != 0 or not png.is_file():
            raise SystemExit(f"chromium failed ({proc.returncode}): {proc.stderr[-800:]}")
    crop_to_content(png)
    return png


def crop_to_content(png: Path, margin: int = 24) -> None:
    """Cut the rows below the email that only show the page background."""
    from PIL import Image

    with Image.open(png) as im:
        rgb = im.convert("RGB")
    w, h = rgb.size
    bg = rgb.getpixel((w - 1, h - 1))
    assert isinstance(bg, tuple)

    def blank(y: int) -> bool:
        for x in range(0, w, 3):
            px = rgb.getpixel((x, y))
            assert isinstance(px, tuple)
            if sum(abs(a - b) for a, b in zip(px, bg, strict=True)) > 12:
                return False
        return True

    last = h - 1
    while last > 0 and blank(last):
        last -= 1
    bottom = min(h, last + 1 + margin)
    if bottom == h and last >= h - 1:
        print(f"warning: the email is taller than {h} px; the screenshot is cut", file=sys.stderr)
    rgb.crop((0, 0, w, bottom)).save(png, optimize=True)


def render_preview(book: Path, account: str, as_of: date, folder: Path) -> Path:
    """Render the account's email files into `folder` and return the .html preview."""
    sys.path.insert(0, str(REPO))
    from deckgen.pipeline import prepare
    from deckgen.render.email import render_email_files

    prepared = prepare(book, as_of=as_of, account_ids=[account])
    m = prepared.account(account)
    files = render_email_files(prepared, m, folder)
    return next(f.path for f in files if f.path.suffix == ".html")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--book", type=Path, default=REPO / "samples" / "book")
    ap.add_argument("--account", default="A-0029")
    ap.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 28))
    ap.add_argument("--html", type=Path, help="screenshot this preview .html instead of rendering")
    ap.add_argument("--out", type=Path, default=REPO / "build" / "previews")
    args = ap.parse_args(argv)

    if args.html is not None:
        html = args.html
    else:
        html = render_preview(args.book, args.account, args.as_of, args.out)
    stem = html.stem
    for mode in ("light", "dark"):
        png = screenshot(html, args.out / f"{stem}_{mode}.png", dark=mode == "dark")
        print(png)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
