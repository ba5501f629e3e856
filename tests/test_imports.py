"""flows/ has no import cycle, lazy imports included: a stage imports the stages before it and
the modules below them, never one that imports it back."""

from __future__ import annotations

import ast

from tests.conftest import REPO


def import_graph() -> dict[str, set[str]]:
    modules = {
        ".".join(path.relative_to(REPO).with_suffix("").parts).removesuffix(".__init__"): path
        for path in (REPO / "flows").rglob("*.py")
    }
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                targets = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            else:
                continue
            graph[name] |= {t for t in targets if t in modules and t != name}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (cycle := visit(target)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_flows_has_no_import_cycle():
    assert find_cycle(import_graph()) is None


def test_the_stages_import_no_later_stage():
    order = ["read", "shape", "check", "load", "run"]
    for module, targets in import_graph().items():
        parts = module.split(".")
        if len(parts) < 3 or parts[1] not in order:
            continue
        stage = order.index(parts[1])
        later = [t for t in targets if t.split(".")[1:2] and t.split(".")[1] in order[stage + 1 :]]
        assert later == [], f"{module} imports a later stage: {later}"
