"""Where deckgen's editable data folders (layouts/, charts/, content/) live at run time.

CS Ops edit these folders in the repository, next to the package, and a source checkout must use
those edits immediately. An installed wheel has no repository, so the build copies the folders into
`deckgen/_data/` (listed as package data in pyproject.toml). `data_path` hides the difference.
"""

from __future__ import annotations

from pathlib import Path

import deckgen

# Module-level so tests can point them at a temporary tree to exercise both layouts.
PACKAGE_DIR = Path(deckgen.__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
PACKAGED_DATA_DIR = PACKAGE_DIR / "_data"


def data_path(*parts: str) -> Path:
    """Path of a data file or folder, e.g. `data_path("charts", "style.yaml")`.

    The repository copy (`<repo>/charts/style.yaml`) wins when it exists, so a checkout reflects
    edits without a rebuild; otherwise the packaged copy (`deckgen/_data/charts/style.yaml`) is
    returned. The whole path is checked, not just the folder, so an unrelated `charts/` folder that
    happens to sit next to an installed package (in site-packages) is not mistaken for ours.

    The returned path may not exist when neither copy does; callers report that with both places
    (see `data_candidates`).
    """
    candidates = data_candidates(*parts)
    for candidate in candidates:
        if candidate.exists():
            return candidate
    return candidates[-1]


def data_candidates(*parts: str) -> tuple[Path, Path]:
    """The repository path and the packaged path for `parts`, in lookup order (for messages)."""
    if not parts:
        raise ValueError("data_path() needs at least a folder name, e.g. 'charts'")
    for part in parts:
        if not part or Path(part).is_absolute() or ".." in Path(part).parts:
            raise ValueError(f"data_path() parts must be relative names, got {part!r}")
    return REPO_DIR.joinpath(*parts), PACKAGED_DATA_DIR.joinpath(*parts)
