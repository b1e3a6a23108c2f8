"""The Vega, Vega-Lite and Vega-Embed JavaScript, inlined into the report so it opens
offline. vl-convert (a PyPI package) ships the libraries and bundles them into one script;
bundling takes seconds, so the result is kept in the user's cache, one file per version."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

CACHE_ENV = "XDG_CACHE_HOME"


def vega_lite_version() -> str:
    """The Vega-Lite version Altair writes its specifications for, as vl-convert names it
    (e.g. 6.4), or '' for vl-convert's default when it does not carry that one."""
    import altair
    import vl_convert

    major_minor = ".".join(altair.SCHEMA_VERSION.lstrip("v").split(".")[:2])
    known = {version.lstrip("v") for version in vl_convert.get_vegalite_versions()}
    return major_minor if major_minor in known else ""


def cache_path(vl_version: str) -> Path:
    import vl_convert

    root = Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache")
    return root / "weblogs" / f"vega-embed-{vl_convert.__version__}-vl{vl_version or 'default'}.js"


def vega_bundle() -> str:
    """One script defining `vegaEmbed` (with Vega and Vega-Lite), from the cache or made now."""
    import vl_convert

    from weblogs.files import write_atomically

    vl_version = vega_lite_version()
    cached = cache_path(vl_version)
    if cached.is_file():
        return cached.read_text(encoding="utf-8")
    script = vl_convert.javascript_bundle(vl_version=vl_version or None)
    with contextlib.suppress(OSError):  # a read-only home: the report is made all the same
        write_atomically(cached, script)
    return script
