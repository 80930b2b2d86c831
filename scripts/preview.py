#!/usr/bin/env python3
"""Render .pptx decks to PDF and PNG pages for a quick visual review.

    python scripts/preview.py deck.pptx [more.pptx ...] [--out build/previews] [--dpi 60]

Each deck becomes `<out>/<deck stem>/<deck stem>.pdf` and `page-01.png`, `page-02.png`, ...
Uses LibreOffice (`soffice --headless`) with a throwaway profile, so it never touches or waits
on a user's LibreOffice, and poppler's `pdftoppm`. LibreOffice converts even broken decks: this
is for looking at slides, not validating them (tests/pptx_lint.py does that).
Exit status: 0 when every deck converted, 1 otherwise, 2 when the tools are missing.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def convert(deck: Path, out_dir: Path, dpi: int, profile: Path) -> list[Path]:
    """PDF + PNG pages of one deck; returns the PNG paths."""
    target = out_dir / deck.stem
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    subprocess.run(
        [
            "soffice",
            "--headless",
            "--norestore",
            f"-env:UserInstallation={profile.as_uri()}",
            "--convert-to",
            "pdf",
            "--outdir",
            str(target),
            str(deck),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    pdf = target / f"{deck.stem}.pdf"
    if not pdf.is_file():
        raise RuntimeError(f"LibreOffice produced no PDF for {deck}")
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(dpi), str(pdf), str(target / "page")],
        check=True,
        capture_output=True,
        timeout=180,
    )
    return sorted(target.glob("page-*.png"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("decks", nargs="+", type=Path)
    ap.add_argument("--out", type=Path, default=REPO / "build" / "previews")
    ap.add_argument("--dpi", type=int, default=60)
    args = ap.parse_args(argv)
    missing = [t for t in ("soffice", "pdftoppm") if shutil.which(t) is None]
    if missing:
        print(
            f"missing tools: {', '.join(missing)} (apt-get install libreoffice-impress-nogui "
            "poppler-utils)",
            file=sys.stderr,
        )
        return 2
    failed = 0
    with tempfile.TemporaryDirectory(prefix="deckgen-lo-") as tmp:
        for deck in args.decks:
            try:
                pages = convert(deck.resolve(), args.out, args.dpi, Path(tmp) / "lo")
            except (subprocess.SubprocessError, RuntimeError, OSError) as exc:
                print(f"{deck}: FAILED {exc}", file=sys.stderr)
                failed += 1
                continue
            print(f"{deck}: {len(pages)} page(s) -> {pages[0].parent if pages else args.out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
