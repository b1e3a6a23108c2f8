"""When a resident dbt child of `weblogs run` leaves, and when the next one is started: its
verdict after each build, and the run starting the next child beside the last build of the
one before (weblogs.cli.dbt_child). The children here are stand-ins that report what they
are told to; test_run.py runs real ones."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest

from weblogs.cli import dbt_child
from weblogs.cli.dbt_child import LAST, LEAVE, STAY, ResidentBuilds, verdict
from weblogs.targets import Target


@pytest.mark.parametrize(
    ("status", "builds", "mib", "growth", "said_last", "expected"),
    [
        (0, 1, 500.0, 0.0, False, STAY),
        # One more build like the biggest so far would pass the limit.
        (0, 3, 950.0, 80.0, False, LAST),
        (0, 3, 900.0, 80.0, False, STAY),
        # Past the limit: it leaves now, whatever it said before.
        (0, 4, 1030.0, 80.0, False, LEAVE),
        # The build it said was its last.
        (0, 4, 600.0, 80.0, True, LEAVE),
        (1, 2, 500.0, 0.0, False, LEAVE),
        # Its last build by count.
        (0, 199, 500.0, 0.0, False, LAST),
        (0, 200, 500.0, 0.0, False, LEAVE),
    ],
)
def test_a_child_says_after_each_build_whether_it_stays(
    status: int, builds: int, mib: float, growth: float, said_last: bool, expected: str
) -> None:
    assert verdict(status, builds, mib, growth, (1024, 200), said_last) == expected


class StandIn:
    """A resident child that reports the verdicts it is given, one per build, and notes
    every event in a shared list."""

    verdicts: ClassVar[list[list[str]]] = []
    events: ClassVar[list[str]] = []

    def __init__(
        self,
        target: Target,
        warehouse: Path,
        build_args: list[str] | None,
        open_session: bool = False,
    ) -> None:
        self.name = "ABCDEFG"[len([e for e in self.events if e.startswith("start")])]
        self.said = list(self.verdicts.pop(0))
        self.events.append(
            f"start {self.name}" + (" with its session open" if open_session else "")
        )

    def alive(self) -> bool:
        return True

    def build(self, args: list[str]) -> tuple[int, str]:
        self.events.append(f"build {self.name}")
        return 0, self.said.pop(0)

    def end(self) -> None:
        self.events.append(f"end {self.name}")


class ReadyTarget(Target):
    def check_ready(self, warehouse: Path) -> None:
        pass


def test_the_next_child_starts_beside_the_last_build_of_the_one_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A child that says LAST builds once more while the next one starts (it imports dbt,
    starts the engine and parses meanwhile), and the build after is the next one's; a child
    that leaves unannounced is replaced once it has gone, as before, its session opened by
    its build (it may wait long for it)."""
    monkeypatch.setattr(dbt_child, "ResidentChild", StandIn)
    StandIn.verdicts = [[STAY, LAST, LEAVE], [LEAVE], [STAY]]
    StandIn.events = []
    target = ReadyTarget(name="local", type="sail_delta", is_default=True)
    builds = ResidentBuilds(tmp_path, target, wanted=lambda: True)
    builds.start()
    for _ in range(5):
        assert builds("build", [], tmp_path, target) == 0
    builds.close()
    assert StandIn.events == [
        "start A",
        "build A",
        "build A",
        # A said LAST: B starts before A's last build, and opens its engine's session.
        "start B with its session open",
        "build A",
        "end A",
        "build B",  # B left without saying so: C starts once it has gone
        "end B",
        "start C",
        "build C",
        "end C",
    ]
