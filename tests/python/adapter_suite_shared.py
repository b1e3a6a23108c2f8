"""One dbt project for the suite's classes that only build models and compare their rows (the
cross-database macros and data types): a test helper.

In dbt's own design each of these classes starts a project of its own and runs `dbt build`
in it, about a second and a half each on the embedded engine, most of it dbt's start, parse
and seed load. Here every such class of a test module puts its seeds, models and tests in
one project, in a folder of its own with its node names prefixed (prefix__name), built by
one `dbt build` for the module. Each test then asserts on its own class's nodes: every one
of them built or passed, and what the class checks beyond that (same rows, same column
types, counts), on its tables in the shared schema. A node that fails names the class.
"""

from __future__ import annotations

import inspect
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from dbt.cli.main import dbtRunner
from dbt.tests.util import check_relations_equal, get_relation_columns

NODE_KINDS = ("models", "seeds")


class SharedBuild:
    """A class whose seeds, models and macros are built in the module's shared project
    (`shared_build`) instead of a project of its own."""

    def assert_built(self, shared_build: SharedProject) -> None:
        shared_build.assert_built(type(self))


class SharedUtils(SharedBuild):
    """dbt's BaseUtils: `dbt build` passes (every model's assert_equal test)."""

    def test_build_assert_equal(self, shared_build: SharedProject) -> None:
        self.assert_built(shared_build)


class SharedExpectedActual(SharedBuild):
    """dbt's BaseArrayUtils and BaseDataTypeMacro: the build passes, and the `actual` model
    has the rows and the column types of `expected`."""

    def check_expected_actual(self, project, shared_build: SharedProject) -> None:
        self.assert_built(shared_build)
        expected = shared_build.relation(type(self), "expected")
        actual = shared_build.relation(type(self), "actual")
        check_relations_equal(project.adapter, [expected, actual])
        expected_columns = get_relation_columns(project.adapter, expected)
        actual_columns = get_relation_columns(project.adapter, actual)
        assert expected_columns == actual_columns, "Type difference detected"


def snake(name: str) -> str:
    """TestArrayAppend -> array_append."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name.removeprefix("Test")).lower()


def class_files(cls: type, kind: str) -> dict[str, str]:
    """What a class's fixture `kind` (models, seeds, macros) returns: the function under
    pytest's fixture, called on an instance (these fixtures take no other fixture)."""
    for klass in cls.__mro__:
        if kind in vars(klass):
            function = inspect.unwrap(vars(klass)[kind])
            assert len(inspect.signature(function).parameters) == 1, (cls, kind)
            return function(cls())
    return {}


def project_config(cls: type) -> dict:
    for klass in cls.__mro__:
        if "project_config_update" in vars(klass):
            return inspect.unwrap(vars(klass)["project_config_update"])(cls())
    return {}


@dataclass
class SharedProject:
    root: Path
    schema: str
    prefixes: dict[type, str]
    nodes: dict[type, set[str]]
    # prefix: {node: (status, message)}
    results: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)

    def relation(self, cls: type, name: str) -> str:
        return f"{self.schema}.{self.prefixes[cls]}__{name}"

    def assert_built(self, cls: type) -> None:
        results = self.results.get(self.prefixes[cls], {})
        assert results, f"{cls.__name__}: no node of the class in the shared build"
        # Every seed and model of the class ran, not only those that did.
        missing = self.nodes[cls] - set(results)
        assert not missing, f"{cls.__name__}: not built: {sorted(missing)}"
        failed = {
            node: f"{status}: {message}"
            for node, (status, message) in results.items()
            if status not in ("success", "pass")
        }
        assert not failed, f"{cls.__name__}: {failed}"


def rename(text: str, names: set[str], prefix: str) -> str:
    """A model's or a test's text with its refs to the class's nodes prefixed."""
    for name in names:
        text = re.sub(
            rf"""ref\(\s*(['"]){re.escape(name)}\1\s*\)""", f"ref('{prefix}__{name}')", text
        )
    return text


def rename_properties(text: str, names: set[str], prefix: str) -> str:
    """A properties file with its models and seeds named as in the shared project."""
    properties = yaml.safe_load(rename(text, names, prefix)) or {}
    for kind in NODE_KINDS:
        for entry in properties.get(kind) or []:
            if entry.get("name") in names:
                entry["name"] = f"{prefix}__{entry['name']}"
    return yaml.safe_dump(properties, sort_keys=False)


def write_class(root: Path, cls: type, prefix: str, macros: dict[str, str]) -> set[str]:
    """Write a class's models and seeds into its folders; return its node names (unprefixed).
    Its macros go to the project's macros, once (the same file from every class)."""
    files = {kind: class_files(cls, kind) for kind in NODE_KINDS}
    names = {
        Path(file).stem
        for kind in NODE_KINDS
        for file in files[kind]
        if file.endswith((".sql", ".csv"))
    }
    for kind in NODE_KINDS:
        folder = root / kind / prefix
        folder.mkdir(parents=True)
        for file, text in files[kind].items():
            if file.endswith((".yml", ".yaml")):
                (folder / f"{prefix}__{file}").write_text(rename_properties(text, names, prefix))
            elif file.endswith(".csv"):
                (folder / f"{prefix}__{file}").write_text(text)
            else:
                (folder / f"{prefix}__{file}").write_text(rename(text, names, prefix))
    for file, text in class_files(cls, "macros").items():
        assert macros.setdefault(file, text) == text, f"{cls.__name__}: macro {file} differs"
    return names


def seed_configs(cls: type, prefix: str) -> dict:
    """A class's seed settings (dbt_project.yml: seeds: test: name: ...) for its folder."""
    config = project_config(cls)
    unknown = set(config) - {"name", "seeds"}
    assert not unknown, f"{cls.__name__}: project settings the shared build cannot take: {unknown}"
    seeds = config.get("seeds", {}).get("test", {})
    return {prefix: {f"{prefix}__{name}": settings for name, settings in seeds.items()}}


def build_shared_project(root: Path, target: dict, classes: set[type]) -> SharedProject:
    schema = f"suite_shared_{uuid.uuid4().hex[:8]}"
    classes = sorted(classes, key=lambda cls: cls.__name__)
    prefixes = {cls: snake(cls.__name__) for cls in classes}
    macros: dict[str, str] = {}
    nodes = {cls: write_class(root, cls, prefixes[cls], macros) for cls in classes}
    (root / "macros").mkdir()
    for file, text in macros.items():
        (root / "macros" / file).write_text(text)
    seeds: dict = {}
    for cls in classes:
        seeds.update(seed_configs(cls, prefixes[cls]))
    project = {
        "name": "test",
        "profile": "test",
        "flags": {"send_anonymous_usage_stats": False},
        "seeds": {"test": seeds},
    }
    (root / "dbt_project.yml").write_text(yaml.safe_dump(project))
    profile = {"test": {"target": "default", "outputs": {"default": {**target, "schema": schema}}}}
    (root / "profiles.yml").write_text(yaml.safe_dump(profile))

    shared = SharedProject(root, schema, prefixes, nodes)
    args = ["build", "--project-dir", str(root), "--profiles-dir", str(root)]
    # Four threads, as on Spark's profile: the classes' nodes do not depend on one another.
    args += ["--log-path", str(root / "logs"), "--threads", "4", "--no-write-json"]
    outcome = dbtRunner().invoke(args)
    if outcome.exception is not None:
        raise outcome.exception
    for result in outcome.result.results:
        # The class is the folder the node's file is in: models/<prefix>/...
        prefix = Path(result.node.original_file_path).parts[1]
        node = result.node.name
        if result.node.resource_type in ("model", "seed"):
            node = node.removeprefix(f"{prefix}__")
        shared.results.setdefault(prefix, {})[node] = (str(result.status), result.message or "")
    return shared


@pytest.fixture(scope="module")
def shared_build(
    request: pytest.FixtureRequest, suite_target: dict, tmp_path_factory: pytest.TempPathFactory
) -> SharedProject:
    """The module's SharedBuild classes that this run selected, built in one project by one
    `dbt build`."""
    classes = {
        item.cls
        for item in request.session.items
        if item.module is request.module and item.cls and issubclass(item.cls, SharedBuild)
    }
    return build_shared_project(tmp_path_factory.mktemp("suite-shared"), suite_target, classes)
