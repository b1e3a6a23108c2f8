"""The Makefile's set-up targets install what they name and no more."""

from __future__ import annotations

import subprocess

from conftest import PROJECT_DIR


def test_make_browser_leaves_out_recommended_packages() -> None:
    """`make browser` installed 130 packages (Chromium's recommends); `ci-deps` does not."""
    for target in ("browser", "ci-deps"):
        recipe = subprocess.run(
            ["make", "-n", "-C", str(PROJECT_DIR), target], capture_output=True, text=True,
            check=True,
        ).stdout  # fmt: skip
        installs = [line for line in recipe.splitlines() if "apt-get install" in line]
        assert installs, target
        assert all("--no-install-recommends" in line for line in installs), (target, installs)
