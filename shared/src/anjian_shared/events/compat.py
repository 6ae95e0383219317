"""Backward compatibility of an event version's payload schema (PLAT-03).

An event type ``…vN`` is a promise to every consumer and partner: once published,
its payload may only grow. ``breaking_changes(old, new)`` compares two JSON schemas
of the same payload (pydantic ``model_json_schema``, each with its own ``$defs``) and
lists what would break a consumer that was written against ``old``:

- a property that disappeared (also in nested objects, array items, alternatives);
- a property whose type changed (``string`` → ``integer``, a new ``null`` alternative,
  another ``format``, an array becoming an object, …);
- an enumeration or constant that lost a value;
- a property that became required although it was optional or new
  (events already in the log or in flight don't carry it).

Adding optional properties, enumeration values and descriptions is compatible. A
breaking change is a new event version (``…v(N+1)``) with a model of its own.
"""

from __future__ import annotations

from typing import Any

_IGNORED = {"title", "description", "default", "examples"}


def _resolve(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    seen = 0
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        schema = {**defs[name], **{k: v for k, v in schema.items() if k != "$ref"}}
        seen += 1
        if seen > 50:  # a self-referencing schema; stop resolving
            break
    return schema


def _kind(schema: dict[str, Any]) -> str:
    """A short name of what a schema accepts, used to pair alternatives."""
    if "const" in schema or "enum" in schema:
        return f"enum:{schema.get('type', 'any')}"
    if "properties" in schema:
        return "object"
    t = schema.get("type")
    if isinstance(t, list):
        return "|".join(sorted(t))
    return str(t or "any")


def _values(schema: dict[str, Any]) -> list[Any]:
    return [schema["const"]] if "const" in schema else list(schema.get("enum", []))


def _alternatives(schema: dict[str, Any]) -> list[dict[str, Any]] | None:
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return list(schema[key])
    return None


def _compare(old: dict[str, Any], new: dict[str, Any], path: str, old_defs: dict[str, Any],
             new_defs: dict[str, Any], problems: list[str]) -> None:
    old = _resolve(old, old_defs)
    new = _resolve(new, new_defs)
    old_alts, new_alts = _alternatives(old), _alternatives(new)
    if old_alts is not None or new_alts is not None:
        old_alts = old_alts if old_alts is not None else [old]
        new_alts = new_alts if new_alts is not None else [new]
        old_resolved = [_resolve(a, old_defs) for a in old_alts]
        new_resolved = [_resolve(a, new_defs) for a in new_alts]
        old_kinds = [_kind(a) for a in old_resolved]
        new_kinds = [_kind(a) for a in new_resolved]
        for kind in new_kinds:
            if kind not in old_kinds:
                problems.append(f"{path}: retyped (now also accepts {kind})")
        for alt, kind in zip(old_resolved, old_kinds, strict=True):
            if kind not in new_kinds:
                problems.append(f"{path}: retyped (no longer {kind})")
                continue
            _compare(alt, new_resolved[new_kinds.index(kind)], path, old_defs, new_defs, problems)
        return
    if _kind(old) != _kind(new):
        problems.append(f"{path}: retyped from {_kind(old)} to {_kind(new)}")
        return
    if old.get("format") != new.get("format"):
        problems.append(f"{path}: format changed from {old.get('format')} to {new.get('format')}")
    if "const" in old or "enum" in old:
        lost = [v for v in _values(old) if v not in _values(new)]
        if lost:
            problems.append(f"{path}: enumeration lost {lost}")
    if "properties" in old:
        old_props, new_props = old["properties"], new.get("properties", {})
        old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
        for name, prop in old_props.items():
            if name not in new_props:
                problems.append(f"{path}.{name}: removed")
                continue
            _compare(prop, new_props[name], f"{path}.{name}", old_defs, new_defs, problems)
        for name in sorted(new_required - old_required):
            problems.append(f"{path}.{name}: new required field (add it optional, with a default)")
    if "items" in old:
        if "items" not in new:
            problems.append(f"{path}[]: item type removed")
        else:
            _compare(old["items"], new["items"], f"{path}[]", old_defs, new_defs, problems)


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What in ``new`` breaks consumers of ``old`` (empty list: compatible). Paths start at
    ``data`` (the CloudEvent's payload), e.g. ``data.projects[].name: removed``."""
    problems: list[str] = []
    _compare(old, new, "data", old.get("$defs", {}), new.get("$defs", {}), problems)
    return problems
