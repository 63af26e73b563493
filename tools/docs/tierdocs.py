"""The tier roles' contracts, read from their own files: the inputs of ``meta/argument_specs.yml``
(entry point ``main``) and the outputs declared in ``meta/outputs.yml`` (the keys of the
``aws_<tier>_outputs`` fact), rendered as Markdown tables into each role's README.md between
markers, and published outputs held to their declaration key by key.

Used by ``tools/docs/render-tiers`` (rewrites or checks the READMEs), tests/unit/test_tier_docs.py
and tests/provision/checks_outputs.py. The format of ``meta/outputs.yml`` is in README.md here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
TIER_PREFIX = "aws_"

# -- meta/outputs.yml ------------------------------------------------------------------------
TYPES = ("str", "int", "float", "bool", "list", "dict", "raw")
ENTRY_KEYS = ("type", "elements", "options", "description", "optional", "when", "nullable")
ENTRY_KEYS += ("choices",)
PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "list": (list, tuple),
    "dict": (Mapping,),
}


def tier_roles(repo: Path = REPO) -> list[Path]:
    """The tier roles (roles/aws_*), by name."""
    return sorted(p for p in (repo / "roles").glob(f"{TIER_PREFIX}*") if p.is_dir())


def tier_of(role: Path) -> str:
    """The tier of a role: its name without aws_ (the key of its outputs in outputs.json)."""
    return role.name.removeprefix(TIER_PREFIX)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text()) if path.is_file() else None


def declaration(role: Path) -> dict[str, Any]:
    """The role's meta/outputs.yml ({} when it has none)."""
    data = load_yaml(role / "meta" / "outputs.yml")
    return dict(data) if isinstance(data, Mapping) else {}


def declared_outputs(role: Path) -> dict[str, Any]:
    """The declared keys of the role's outputs fact ({} when it declares none)."""
    outputs = declaration(role).get("outputs")
    return dict(outputs) if isinstance(outputs, Mapping) else {}


def declaration_errors(data: Any, where: str = "outputs.yml") -> list[str]:
    """Every error in a loaded meta/outputs.yml (empty: well-formed)."""
    if not isinstance(data, Mapping) or "outputs" not in data:
        return [f"{where} must be a mapping with the key outputs"]
    errors = []
    if set(data) - {"outputs", "absent_when"}:
        errors.append(f"{where}: only outputs and absent_when are known")
    absent = data.get("absent_when", "-")
    if not isinstance(absent, str) or not absent.strip():
        errors.append(f"{where}.absent_when must be a condition, in words")
    return errors + _entries_errors(data["outputs"], "outputs", where)


def _entries_errors(entries: Any, path: str, where: str) -> list[str]:
    if not isinstance(entries, Mapping) or not entries:
        return [f"{where}: {path} must be a non-empty mapping of key: declaration"]
    errors: list[str] = []
    for key, entry in entries.items():
        errors += _entry_errors(entry, f"{path}.{key}", where)
    return errors


def _entry_errors(entry: Any, path: str, where: str) -> list[str]:
    here = f"{where}: {path}"
    if not isinstance(entry, Mapping):
        return [f"{here} must be a mapping (type, description, ...)"]
    errors = []
    unknown = sorted(set(entry) - set(ENTRY_KEYS))
    if unknown:
        errors.append(f"{here}: unknown field(s) {', '.join(unknown)} ({', '.join(ENTRY_KEYS)})")
    kind, elements = entry.get("type"), entry.get("elements")
    if kind not in TYPES:
        errors.append(f"{here}.type {kind!r} must be one of {', '.join(TYPES)}")
    description = entry.get("description")
    if not isinstance(description, str) or not description.strip() or "\n" in description:
        errors.append(f"{here}.description must be one line of text")
    elif not description.endswith("."):
        errors.append(f"{here}.description must end with a full stop")
    if elements is not None and (kind not in ("list", "dict") or elements not in TYPES):
        errors.append(f"{here}.elements must be a type, and only of a list or a dict")
    if "options" in entry:
        if not (kind == "dict" and elements in (None, "dict")) and not (
            kind == "list" and elements == "dict"
        ):
            errors.append(
                f"{here}.options belong to a dict, or to a list or dict whose elements are dicts"
            )
        errors += _entries_errors(entry["options"], f"{path}.options", where)
    optional, when = entry.get("optional", False), entry.get("when")
    if not isinstance(optional, bool) or not isinstance(entry.get("nullable", False), bool):
        errors.append(f"{here}: optional and nullable are true or false")
    elif optional != (isinstance(when, str) and bool(when.strip())):
        errors.append(f"{here}: an optional key says when it is published (when), and only it")
    if "choices" in entry and not isinstance(entry["choices"], list):
        errors.append(f"{here}.choices must be a list")
    return errors


def outputs_errors(data: Mapping[str, Any], published: Any, where: str) -> list[str]:
    """Every difference between published outputs and their declaration DATA (a loaded
    meta/outputs.yml): a key published but not declared, a declared key not published (unless
    optional), a value of another type. Nothing published ({}) is right when the declaration
    says when the fact is not set (absent_when)."""
    if published == {} and data.get("absent_when"):
        return []
    return _keys_errors(data.get("outputs") or {}, published, where)


def _keys_errors(declared: Mapping[str, Any], value: Any, where: str) -> list[str]:
    if not isinstance(value, Mapping):
        return [f"{where} must be a mapping, not {value!r}"]
    extra = sorted(set(value) - set(declared))
    errors = [f"{where}.{k} is published but not declared" for k in extra]
    errors += [
        f"{where}.{k} is declared but not published"
        for k, entry in declared.items()
        if k not in value and not entry.get("optional", False)
    ]
    for key in sorted(set(value) & set(declared)):
        errors += _value_errors(declared[key], value[key], f"{where}.{key}")
    return errors


def _value_errors(entry: Mapping[str, Any], value: Any, where: str) -> list[str]:
    if value is None:
        return [] if entry.get("nullable", False) else [f"{where} is null"]
    kind = entry["type"]
    if not _is(kind, value):
        return [f"{where} must be a {kind}, not {value!r}"]
    if kind == "dict" and entry.get("elements") is None:
        return _keys_errors(entry["options"], value, where) if "options" in entry else []
    if kind in ("list", "dict") and entry.get("elements"):
        items = value.items() if kind == "dict" else enumerate(value)
        item_entry = {
            "type": entry["elements"],
            **({"options": entry["options"]} if "options" in entry else {}),
        }
        errors: list[str] = []
        for key, item in items:
            errors += _value_errors(item_entry, item, f"{where}[{key!r}]")
        return errors
    return []


def _is(kind: str, value: Any) -> bool:
    if kind == "raw":
        return True
    if isinstance(value, bool) and kind in ("int", "float"):
        return False
    return isinstance(value, PYTHON_TYPES[kind])


# -- tables ----------------------------------------------------------------------------------
BEGIN, END = "<!-- BEGIN GENERATED {} (tools/docs/render-tiers) -->", "<!-- END GENERATED {} -->"
SECTIONS = (("INPUTS", "Inputs"), ("OUTPUTS", "Outputs"))
MAX_DEFAULT = 80


def _cell(text: Any) -> str:
    """One table cell: one line, pipes escaped, and <placeholders> outside code spans kept from
    being read as HTML tags."""
    parts = " ".join(str(text).split()).replace("|", "\\|").split("`")
    for index in range(0, len(parts), 2):
        parts[index] = parts[index].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts)


def _code(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return f"`{text}`" if text else '`""`'


def _type(entry: Mapping[str, Any]) -> str:
    kind = str(entry.get("type", "str"))
    return f"{kind} of {entry['elements']}" if entry.get("elements") else kind


def _children(name: str, entry: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The name prefix and the options of the fields below an option or an output."""
    options = entry.get("options") or {}
    if entry.get("type") == "list":
        return f"{name}[].", options
    if entry.get("elements") == "dict":
        return f"{name}.<key>.", options
    return f"{name}.", options


def walk(entries: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(dotted name, entry) of every entry and of its options at any depth, in file order."""
    for key, entry in entries.items():
        name = f"{prefix}{key}"
        yield name, entry
        below, options = _children(name, entry)
        yield from walk(options, below)


def inputs_table(specs: Mapping[str, Any], defaults: Mapping[str, Any]) -> str:
    """The options of the main entry point; a top-level default is the role's defaults/main.yml
    value when it sets one (what applies), else the spec's."""
    options = (specs.get("argument_specs") or {}).get("main", {}).get("options") or {}
    lines = [
        "| name | type | default | required | choices | description |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, entry in walk(options):
        default = defaults[name] if name in defaults else entry.get("default")
        shown = "" if default is None else _code(default)
        if len(shown) > MAX_DEFAULT:
            shown = "see defaults/main.yml" if name in defaults else "(long)"
        choices = ", ".join(f"`{c}`" for c in entry.get("choices") or [])
        required = "yes" if entry.get("required") else "no"
        cells = [f"`{name}`", _type(entry), shown, required, choices, entry.get("description", "")]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def outputs_table(fact: str, data: Mapping[str, Any]) -> str:
    absent = f" Not set when {data['absent_when']}." if data.get("absent_when") else ""
    lines = [
        f"`{fact}`, also under its tier's key in `.local/<stack>/outputs.json`.{absent}",
        "",
        "| name | type | description |",
        "| --- | --- | --- |",
    ]
    for name, entry in walk(data.get("outputs") or {}):
        text = str(entry.get("description", ""))
        if entry.get("optional"):
            text += f" Only when {entry['when']}."
        if entry.get("nullable"):
            text += " May be null."
        lines.append(f"| {_cell(f'`{name}`')} | {_cell(_type(entry))} | {_cell(text)} |")
    return "\n".join(lines)


def sections(role: Path) -> dict[str, str]:
    """The generated sections of a tier role's README, by marker name."""
    specs = load_yaml(role / "meta" / "argument_specs.yml") or {}
    defaults = load_yaml(role / "defaults" / "main.yml") or {}
    out = {"INPUTS": inputs_table(specs, defaults)}
    data = declaration(role)
    if data:
        out["OUTPUTS"] = outputs_table(f"{role.name}_outputs", data)
    return out


def render_readme(text: str, generated: Mapping[str, str]) -> str:
    """TEXT with each generated section between its markers: replaced where the markers are,
    appended under a heading of its own where they are not yet."""
    for marker, heading in SECTIONS:
        if marker not in generated:
            continue
        begin, end = BEGIN.format(marker), END.format(marker)
        block = f"{begin}\n{generated[marker]}\n{end}"
        found = re.search(re.escape(begin) + r".*?" + re.escape(end), text, re.DOTALL)
        if found:
            text = text[: found.start()] + block + text[found.end() :]
        else:
            text = text.rstrip("\n") + f"\n\n## {heading}\n\n{block}\n"
    return text


def stale_readmes(repo: Path = REPO, write: bool = False) -> list[Path]:
    """The tier READMEs whose generated sections are not what the specs give (rewritten when
    WRITE)."""
    stale = []
    for role in tier_roles(repo):
        readme = role / "README.md"
        current = readme.read_text() if readme.is_file() else f"# {role.name}\n"
        wanted = render_readme(current, sections(role))
        if wanted != current:
            stale.append(readme)
            if write:
                readme.write_text(wanted)
    return stale
