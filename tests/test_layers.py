"""The house's layers, read from every module's imports (AST): no arrow may run the wrong way.

    aufrufcli            the command line, demo, staff commands, installer (may use all below)
    desk kiosk display web ...   the devices: each uses only the core, never another device
    aufruf               the core: protocol, site config, MQTT link, errors (uses no package of ours)

A new role (a new top-level package) is a device unless it is named here. ``pytest -s`` prints
the package graph.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORE = "aufruf"
TOP = "aufrufcli"


def packages(root: Path = REPO) -> list[str]:
    return sorted(p.name for p in root.iterdir()
                  if (p / "__init__.py").is_file() and p.name not in ("tests", "benchmarks", "build"))


def module_name(path: Path, root: Path = REPO) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_only(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return True
    return False


def imports(path: Path, ours: set[str], root: Path = REPO) -> list[tuple[str, bool]]:
    """(imported module of ours, at module level and not only for type checking) for one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    me = module_name(path, root)
    pkg = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
                names = [mod] if node.module else [f"{mod}.{a.name}" for a in node.names]
            elif node.module:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        top_level = isinstance(parents.get(node), ast.Module) and not _type_checking_only(node, parents)
        out += [(n, top_level) for n in names if n.split(".")[0] in ours]
    return out


def graph(root: Path = REPO) -> tuple[dict[str, set[str]], dict[str, set[str]], list[tuple[str, str, str]]]:
    """Package arrows, module-level module arrows, and every (file, from package, to package)."""
    ours = set(packages(root))
    files = [f for p in ours for f in (root / p).rglob("*.py")]
    modules = {module_name(f, root) for f in files}
    pkg_edges: dict[str, set[str]] = defaultdict(set)
    mod_edges: dict[str, set[str]] = defaultdict(set)
    arrows = []
    for f in files:
        me = module_name(f, root)
        src = me.split(".")[0]
        for target, top_level in imports(f, ours, root):
            dst = target.split(".")[0]
            if dst != src:
                pkg_edges[src].add(dst)
                arrows.append((str(f.relative_to(root)), src, dst))
            while target not in modules and "." in target:
                target = target.rpartition(".")[0]
            if top_level and target in modules and target != me:
                mod_edges[me].add(target)
    return pkg_edges, mod_edges, arrows


def allowed(src: str, dst: str) -> bool:
    if src == TOP:
        return True
    return dst == CORE and src != CORE


def test_no_import_runs_the_wrong_way():
    pkg_edges, _, arrows = graph()
    print("\npackage imports:")
    for src in sorted(pkg_edges):
        print(f"  {src} -> {', '.join(sorted(pkg_edges[src]))}")
    wrong = sorted({(f, s, d) for f, s, d in arrows if not allowed(s, d)})
    assert not wrong, "imports against the layers:\n" + "\n".join(f"  {f}: {s} -> {d}" for f, s, d in wrong)


def test_no_module_level_import_cycle():
    _, mod_edges, _ = graph()
    cycles = []

    def visit(node: str, path: list[str], on_path: set[str], done: set[str]) -> None:
        on_path.add(node)
        path.append(node)
        for nxt in sorted(mod_edges.get(node, ())):
            if nxt in on_path:
                cycles.append(path[path.index(nxt):] + [nxt])
            elif nxt not in done:
                visit(nxt, path, on_path, done)
        path.pop()
        on_path.discard(node)
        done.add(node)

    done: set[str] = set()
    for m in sorted(mod_edges):
        if m not in done:
            visit(m, [], set(), done)
    real = [c for c in cycles if not all(x == c[0] or x.startswith(c[0] + ".") or c[0].startswith(x + ".")
                                         for x in c)]
    assert not real, "import cycles:\n" + "\n".join("  " + " -> ".join(c) for c in real)


def test_the_layer_check_sees_wrong_arrows_and_cycles(tmp_path):
    """The check itself, on a small tree: a core module importing a device, two modules importing each other."""
    assert not allowed("aufruf", "desk") and not allowed("kiosk", "display") and not allowed("desk", TOP)
    assert allowed("desk", "aufruf") and allowed(TOP, "kiosk")
    for pkg, files in {"aufruf": {"__init__": "", "demo": "from desk import app\n"},
                       "desk": {"__init__": "", "app": "from . import today\n",
                                "today": "from .app import X\nfrom typing import TYPE_CHECKING\n"}}.items():
        (tmp_path / pkg).mkdir()
        for name, text in files.items():
            (tmp_path / pkg / f"{name}.py").write_text(text, encoding="utf-8")
    pkg_edges, mod_edges, arrows = graph(tmp_path)
    assert ("aufruf/demo.py", "aufruf", "desk") in arrows and pkg_edges["aufruf"] == {"desk"}
    assert mod_edges["desk.app"] == {"desk.today"} and mod_edges["desk.today"] == {"desk.app"}
