"""The README stays a newcomer's page: short, its two commands real, its links alive."""

from __future__ import annotations

import re

from conftest import PROJECT_DIR

README = PROJECT_DIR / "README.md"


def test_readme_fits_one_page_and_its_links_and_commands_exist() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    links = re.findall(r"\]\(([^)#]+)\)", text)
    local = [link for link in links if not link.startswith("http")]
    assert {"docs/streaming.md", "docs/targets.md", "docs/reliability.md"} <= set(local)
    assert {"docs/benchmark.md", "docs/development.md"} <= set(local)
    missing = [link for link in local if not (PROJECT_DIR / link).exists()]
    assert missing == [], missing
    makefile = (PROJECT_DIR / "Makefile").read_text(encoding="utf-8")
    for command in re.findall(r"^make (\w+)", text, flags=re.MULTILINE):
        assert re.search(rf"^{command}:", makefile, flags=re.MULTILINE), command
    assert re.search(r"^make demo ", text, flags=re.MULTILINE)
    assert re.search(r"^make test ", text, flags=re.MULTILINE)
