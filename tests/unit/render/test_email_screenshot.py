"""scripts/email_screenshot.py renders a sample email in headless Chromium, light and dark."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.tools
@pytest.mark.slow
def test_screenshots_light_and_dark_at_600_px(tmp_path: Path) -> None:
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        pytest.skip("chromium is not installed (scripts/setup-system.sh installs it)")
    from PIL import Image

    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "email_screenshot.py"),
            "--account",
            "A-0029",
            "--out",
            str(tmp_path),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    pngs = sorted(tmp_path.glob("*.png"))
    assert [p.name.rsplit("_", 1)[1] for p in pngs] == ["dark.png", "light.png"]
    backgrounds = []
    for png in pngs:
        assert png.stat().st_size > 10_000
        with Image.open(png) as im:
            assert im.width == 600
            assert 800 < im.height < 4000  # cropped to the email, not the 4000 px window
            backgrounds.append(im.convert("RGB").getpixel((590, 300)))  # the card's padding
    dark, light = (sum(rgb) for rgb in backgrounds)  # type: ignore[arg-type]
    assert dark < 200 < light  # the dark card really is dark, the light one light
