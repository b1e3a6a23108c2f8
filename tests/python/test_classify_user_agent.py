"""classify_user_agent: browser, operating system, device class and bots, from the ua-parser
rules and the crawler-user-agents list; parsed once per distinct agent."""

from __future__ import annotations

import importlib.util
import re

import pandas as pd
import pytest
import yaml

from conftest import PROJECT_DIR

CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/122.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def load_udf_module():
    path = PROJECT_DIR / "python_udfs" / "classify_user_agent.py"
    spec = importlib.util.spec_from_file_location("classify_user_agent_udf", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


udf = load_udf_module()


@pytest.mark.parametrize(
    ("agent", "expected"),
    [
        (CHROME_ON_WINDOWS, ("Chrome", "Windows", "desktop", False)),
        (GOOGLEBOT, ("Googlebot", "Other", "bot", True)),
        ("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
         ("bingbot", "Other", "bot", True)),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
         ("Firefox", "Linux", "desktop", False)),
        ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 "
         "(KHTML, like Gecko) Version/17.3 Mobile/15E148 Safari/604.1",
         ("Mobile Safari", "iOS", "mobile", False)),
        ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
         "Chrome/122.0.0.0 Mobile Safari/537.36", ("Chrome Mobile", "Android", "mobile", False)),
        ("Mozilla/5.0 (iPad; CPU OS 7_0 like Mac OS X) AppleWebKit/537.51.1 (KHTML, like Gecko) "
         "Version/7.0 Mobile/11A465 Safari/9537.53", ("Mobile Safari", "iOS", "tablet", False)),
        ("Mozilla/5.0 (Linux; Android 4.4.2; Nexus 7 Build/KOT49H) AppleWebKit/537.36 "
         "(KHTML, like Gecko) Chrome/32.0.1700.99 Safari/537.36",
         ("Chrome", "Android", "tablet", False)),
        # Scripted clients: the crawler list names them, ua-parser does not.
        ("curl/8.5.0", ("curl", "Other", "bot", True)),
        ("python-requests/2.31.0", ("Python Requests", "Other", "bot", True)),
        ("Wget/1.14 (linux-gnu)", ("Wget", "Linux", "bot", True)),
        # Unknown to both: not a bot, and no family.
        ("Maui Browser", ("Other", "Other", "other", False)),
    ],
)  # fmt: skip
def test_agents_get_their_browser_system_device_and_bot(agent: str, expected: tuple) -> None:
    assert udf.classify_one(agent) == expected
    assert udf.classify_user_agent(pd.Series([agent])).iloc[0].tolist() == list(expected)


def test_a_missing_agent_is_its_own_class_and_not_a_bot() -> None:
    classes = udf.classify_user_agent(pd.Series([None, GOOGLEBOT, None], dtype=object))
    assert classes.to_dict("records") == [
        {"browser_family": "(none)", "os_family": "(none)", "device_class": "unknown",
         "is_bot": False},
        {"browser_family": "Googlebot", "os_family": "Other", "device_class": "bot",
         "is_bot": True},
        {"browser_family": "(none)", "os_family": "(none)", "device_class": "unknown",
         "is_bot": False},
    ]  # fmt: skip
    assert classes["is_bot"].dtype == bool
    assert udf.classify_one("-") == udf.classify_one("") == udf.NO_AGENT


def test_each_distinct_agent_is_parsed_once_across_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[str] = []
    real = udf.classify_one

    def counting(agent: str | None) -> tuple:
        parsed.append(agent)
        return real(agent)

    monkeypatch.setattr(udf, "classify_one", counting)
    batches = [
        pd.Series([CHROME_ON_WINDOWS, GOOGLEBOT] * 500 + [None] * 10, dtype=object),
        pd.Series([GOOGLEBOT, CHROME_ON_WINDOWS, "curl/8.5.0"] * 300, dtype=object),
    ]
    out = list(udf.classify_user_agent_batches(iter(batches)))
    assert sorted(parsed) == sorted([CHROME_ON_WINDOWS, GOOGLEBOT, "curl/8.5.0"])
    assert [len(frame) for frame in out] == [1010, 900]
    assert out[0]["is_bot"].tolist() == [False, True] * 500 + [False] * 10
    assert out[1]["browser_family"].tolist()[:3] == ["Googlebot", "Chrome", "curl"]


def test_the_functions_packages_are_the_locked_versions() -> None:
    """What the function declares (Databricks installs it) is what requirements.lock
    installs here."""
    functions = yaml.safe_load((PROJECT_DIR / "python_udfs" / "_python_udfs.yml").read_text())
    (node,) = [f for f in functions["functions"] if f["name"] == "classify_user_agent"]
    declared = node["config"]["packages"]
    locked = dict(
        re.findall(r"^([a-z0-9-]+)==(\S+) \\$", (PROJECT_DIR / "requirements.lock").read_text(),
                   flags=re.MULTILINE)
    )  # fmt: skip
    assert declared, "the function declares what it imports"
    for requirement in declared:
        name, version = requirement.split("==")
        assert locked.get(name) == version, requirement
    source = (PROJECT_DIR / "python_udfs" / "classify_user_agent.py").read_text()
    assert {"ua_parser", "crawleruseragents"} <= set(
        re.findall(r"^\s*import (\w+)", source, flags=re.MULTILINE)
    )
