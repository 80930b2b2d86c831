"""Packaging hook: ship layouts/, charts/ and content/ inside the wheel as deckgen/_data/.

They live at the top of the repo because CS Ops edits them there; an installed deckgen finds
them through `deckgen.resources.data_path`, which prefers the repo copy and falls back to this.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        root = Path(__file__).parent
        for folder in ("layouts", "charts", "content"):
            src = root / folder
            dst = Path(self.build_lib) / "deckgen" / "_data" / folder
            if src.is_dir():
                shutil.copytree(src, dst, dirs_exist_ok=True)


setup(cmdclass={"build_py": BuildWithData})
