"""The project's fingerprint: everything besides the data that a build's tables depend on.

Two builds over the same data with the same fingerprint make the same tables and pass the
same tests. It covers the dbt project's files (models, macros, seeds, tests, Python UDFs,
dbt_project.yml), the target's section of the profile, the vars given on the command
line, our adapters' own macros, and the versions of weblogs, dbt and the engine. Any
change to one of them changes the fingerprint, and `weblogs build` builds again.

It is computed both by `weblogs build` (before deciding whether there is anything to do)
and by the sail_delta adapter (recording what a build was made from), so it reads files
only, without dbt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

# What a build reads from the project folder; analyses, docs and target/ are not built.
PROJECT_PATHS = ("dbt_project.yml", "models", "macros", "seeds", "tests", "python_udfs")
# Under tests/, the pytest suite and its fixtures are not dbt's: editing them changes no table.
NOT_BUILT = ("tests/python", "tests/fixtures")
VERSIONED = ("weblogs", "dbt-core", "dbt-spark", "dbt-sail", "pysail")


def _files(root: Path, relative: str) -> Iterator[Path]:
    path = root / relative
    if path.is_file():
        yield path
    elif path.is_dir():
        for found in sorted(path.rglob("*")):
            parts = found.relative_to(root).parts
            if any("/".join(parts).startswith(f"{skipped}/") for skipped in NOT_BUILT):
                continue
            if found.is_file() and not any(part.startswith((".", "__")) for part in parts):
                yield found


def _adapter_include(name: str) -> Path | None:
    from importlib.util import find_spec

    spec = find_spec(f"dbt.include.{name}")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"


def profile_output(profiles_file: Path, profile: str, target: str) -> Mapping[str, Any]:
    """The target's section of the profile, as written (unrendered); {} if unreadable."""
    import yaml

    try:
        profiles = yaml.safe_load(profiles_file.read_text(encoding="utf-8")) or {}
        return profiles[profile]["outputs"][target] or {}
    except (OSError, KeyError, TypeError, yaml.YAMLError):
        return {}


def project_fingerprint(
    project_dir: Path,
    target: str,
    profile: Mapping[str, Any],
    cli_vars: Mapping[str, Any],
    adapter_includes: Iterable[str],
) -> str:
    """A digest of everything listed above (see the module's documentation);
    `adapter_includes` names the dbt include packages of the target's adapters."""
    digest = hashlib.sha256()

    def add(label: str, content: bytes) -> None:
        digest.update(f"{label}\0{len(content)}\0".encode())
        digest.update(content)

    for relative in PROJECT_PATHS:
        for path in _files(project_dir, relative):
            add(str(path.relative_to(project_dir)), path.read_bytes())
    for name in adapter_includes:
        include = _adapter_include(name)
        for path in _files(include, "macros") if include else ():
            add(f"{name}/{path.relative_to(include)}", path.read_bytes())
    settings = {
        "target": target,
        "profile": profile,
        "vars": cli_vars,
        "versions": {name: _version(name) for name in VERSIONED},
    }
    add("settings", json.dumps(settings, sort_keys=True, default=str).encode())
    return digest.hexdigest()
