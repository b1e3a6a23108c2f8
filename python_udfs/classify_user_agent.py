from collections.abc import Iterator

import pandas as pd

# The classes of a request that sent no User-Agent (Common Log Format, or "-"): nothing
# says what it is, so it is not counted as a crawler.
NO_AGENT = ("(none)", "(none)", "unknown", False)
COLUMNS = ["browser_family", "os_family", "device_class", "is_bot"]

# Operating systems of phones, and of desktop and laptop computers, as ua-parser names them.
_MOBILE_SYSTEMS = {
    "iOS", "Android", "Windows Phone", "Windows Mobile", "BlackBerry OS", "BlackBerry Tablet OS",
    "Symbian OS", "Symbian^3", "KaiOS", "Firefox OS", "Tizen", "webOS", "Sailfish", "Bada",
    "HarmonyOS",
}  # fmt: skip
_DESKTOP_SYSTEMS = {
    "Windows", "Mac OS X", "Mac OS", "Linux", "Ubuntu", "Debian", "Fedora", "Red Hat",
    "SUSE", "openSUSE", "Mint", "Gentoo", "Arch Linux", "Mandriva", "Slackware", "CentOS",
    "Chrome OS", "ChromeOS", "FreeBSD", "OpenBSD", "NetBSD", "Solaris", "SunOS",
}  # fmt: skip
_TABLET_DEVICES = ("iPad", "Kindle", "Nexus 7", "Nexus 9", "Nexus 10", "Tablet", "Galaxy Tab")


def _device_class(agent: str, os_family: str, device_family: str, is_bot: bool) -> str:
    """bot, tablet, mobile, desktop or other. ua-parser names the device, not its class:
    a tablet is named as one, or is an Android device without the `Mobile` token that
    Android phones' browsers send."""
    if is_bot:
        return "bot"
    if any(name in device_family for name in _TABLET_DEVICES) or (
        os_family == "Android" and "Mobile" not in agent
    ):
        return "tablet"
    if os_family in _MOBILE_SYSTEMS or device_family in ("iPhone", "iPod") or "Mobi" in agent:
        return "mobile"
    if os_family in _DESKTOP_SYSTEMS or os_family.startswith("Windows"):
        return "desktop"
    return "other"


def classify_one(agent: str | None) -> tuple[str, str, str, bool]:
    """(browser family, operating system family, device class, is bot) of one User-Agent.

    Browser, OS and device come from the ua-parser rules (uap-core); a client is a bot when
    the crawler-user-agents list matches it or ua-parser names its device `Spider`.
    """
    if agent is None or agent == "" or agent == "-":
        return NO_AGENT
    import crawleruseragents
    import ua_parser

    parsed = ua_parser.parse(agent)
    browser = parsed.user_agent.family if parsed.user_agent else "Other"
    os_family = parsed.os.family if parsed.os else "Other"
    device = parsed.device.family if parsed.device else "Other"
    is_bot = device == "Spider" or crawleruseragents.is_crawler(agent)
    return browser, os_family, _device_class(agent, os_family, device, is_bot), is_bot


def classify_user_agent(agents: pd.Series, known: dict | None = None) -> pd.DataFrame:
    """The classes of each User-Agent, parsed once per distinct agent of the batch (and
    remembered in `known` for the batches after it): the cost follows distinct agents,
    not lines."""
    known = {} if known is None else known
    codes, distinct = pd.factorize(agents, use_na_sentinel=True)
    classes = []
    for agent in distinct:
        if agent not in known:
            known[agent] = classify_one(agent)
        classes.append(known[agent])
    # Row -1 of the taken table is the class of a null agent (factorize's sentinel).
    table = pd.DataFrame([*classes, NO_AGENT], columns=COLUMNS)
    positions = codes.copy()
    positions[positions < 0] = len(classes)
    result = table.take(positions).reset_index(drop=True)
    result["is_bot"] = result["is_bot"].astype(bool)
    return result


def classify_user_agent_batches(batches: Iterator[pd.Series]) -> Iterator[pd.DataFrame]:
    """Vectorized entry point: one pandas Series per Arrow batch in, one DataFrame (the
    struct's fields) out; agents seen in an earlier batch of the task are not parsed again."""
    known: dict[str, tuple[str, str, str, bool]] = {}
    for agents in batches:
        yield classify_user_agent(agents, known)
