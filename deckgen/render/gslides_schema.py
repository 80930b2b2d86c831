"""Check API calls against the Slides and Drive discovery documents shipped with googleapiclient.

Why: a wrong field name or enum in a batchUpdate is only reported by Google at run time, for the
whole batch, after the quota is spent. The discovery documents (`discovery_cache/documents/
slides.v1.json`, `drive.v3.json`) are the APIs' own machine-readable contract and ship with
google-api-python-client, so every plan can be checked offline, in tests and before a run.

What is checked, per call:

* the method exists (`drive.files.copy` -> resources.files.methods.copy) and every parameter is
  one it or the API declares, with the right scalar type; required path parameters are present;
* the body matches the method's request schema, recursively through `$ref`, arrays and
  `additionalProperties`: no unknown keys, enums respected, scalar types right, read-only
  fields not set, fields the method marks as required (`annotations.required`) present;
* every Slides `Request` sets exactly one kind of request (the API's oneof);
* `fields` masks of update requests name fields that exist on the object they update;
* object ids deckgen creates follow the Slides rules and are created once, and every id with
  deckgen's prefix is created before it is used.

No network: the documents are read from the installed package.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from deckgen.errors import PublishError
from deckgen.render.gslides_requests import OBJECT_ID_RE, Plan, fake_results, resolve

__all__ = ["assert_valid", "discovery_document", "validate_call", "validate_plan"]

_APIS = {"slides": "v1", "drive": "v3"}
_INT32 = (-(2**31), 2**31 - 1)
# Request kinds whose `objectId` names a new object (the others refer to existing ones).
_CREATES = {
    "createSlide",
    "createShape",
    "createTable",
    "createImage",
    "createLine",
    "createVideo",
    "createSheetsChart",
    "duplicateObject",
    "groupObjects",
}
# Update requests and the property holding the object their `fields` mask refers to.
_MASKED = {
    "updateTextStyle": ("style", "TextStyle"),
    "updateParagraphStyle": ("style", "ParagraphStyle"),
    "updateShapeProperties": ("shapeProperties", "ShapeProperties"),
    "updateTableCellProperties": ("tableCellProperties", "TableCellProperties"),
    "updateTableColumnProperties": ("tableColumnProperties", "TableColumnProperties"),
    "updateTableRowProperties": ("tableRowProperties", "TableRowProperties"),
    "updateTableBorderProperties": ("tableBorderProperties", "TableBorderProperties"),
    "updateImageProperties": ("imageProperties", "ImageProperties"),
    "updateLineProperties": ("lineProperties", "LineProperties"),
    "updatePageProperties": ("pageProperties", "PageProperties"),
    "updateSlideProperties": ("slideProperties", "SlideProperties"),
    "updateVideoProperties": ("videoProperties", "VideoProperties"),
}


@lru_cache(maxsize=4)
def discovery_document(api: str) -> dict[str, Any]:
    """The packaged discovery document of `slides` or `drive` (no network)."""
    from googleapiclient.discovery_cache import get_static_doc

    version = _APIS.get(api)
    text = get_static_doc(api, version) if version else None
    if not text:
        raise PublishError(
            f"no packaged discovery document for {api!r}; is google-api-python-client installed?"
        )
    doc: dict[str, Any] = json.loads(text)
    return doc


def _method(method: str) -> tuple[dict[str, Any], dict[str, Any]] | None:
    api, *resources, name = method.split(".")
    if api not in _APIS or not resources:
        return None
    doc = discovery_document(api)
    node: Mapping[str, Any] = doc
    for r in resources:
        node = (node.get("resources") or {}).get(r) or {}
    found = (node.get("methods") or {}).get(name)
    return (doc, found) if found else None


def validate_call(call: Mapping[str, Any]) -> list[str]:
    """Problems with one resolved call (no `$ref` left), as sentences naming the call."""
    where = f"{call.get('id', '?')} ({call.get('method', '?')})"
    problems: list[str] = []
    method = str(call.get("method", ""))
    found = _method(method)
    if found is None:
        return [f"{where}: no method {method!r} in the discovery documents"]
    doc, spec = found
    declared = {**doc.get("parameters", {}), **spec.get("parameters", {})}
    params = call.get("params") or {}
    for name, value in params.items():
        pspec = declared.get(name)
        if pspec is None:
            problems.append(f"{where}: unknown parameter {name!r}")
            continue
        problems += _check_scalar(value, pspec, f"{where} param {name}")
    for name, pspec in spec.get("parameters", {}).items():
        if pspec.get("required") and name not in params:
            problems.append(f"{where}: required parameter {name!r} missing")
    body = call.get("body")
    request = spec.get("request")
    if body is not None and request is None:
        problems.append(f"{where}: this method takes no request body")
    if request is not None and body is not None:
        problems += _check(body, request, doc["schemas"], f"{where} body", spec.get("id", ""))
        if spec.get("id") == "slides.presentations.batchUpdate":
            problems += _check_batch(body, where)
    if call.get("media") is not None and not spec.get("supportsMediaUpload"):
        problems.append(f"{where}: this method does not accept an upload")
    return problems


def _check_scalar(value: Any, spec: Mapping[str, Any], where: str) -> list[str]:
    kind = spec.get("type")
    if kind == "string":
        fmt = spec.get("format")
        if fmt in ("int64", "uint64") and isinstance(value, int) and not isinstance(value, bool):
            return []
        if not isinstance(value, str):
            return [f"{where}: expected a string, got {value!r}"]
        enum = spec.get("enum")
        if enum and value not in enum:
            shown = ", ".join(enum[:8]) + (", ..." if len(enum) > 8 else "")
            return [f"{where}: {value!r} is not one of {shown}"]
        return []
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{where}: expected an integer, got {value!r}"]
        if spec.get("format") == "int32" and not _INT32[0] <= value <= _INT32[1]:
            return [f"{where}: {value} is out of int32 range"]
        return []
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return [f"{where}: expected a number, got {value!r}"]
        return []
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{where}: expected true/false, got {value!r}"]
    if kind == "any":
        return []
    return [f"{where}: unexpected schema type {kind!r}"]


def _check(
    value: Any, spec: Mapping[str, Any], schemas: Mapping[str, Any], where: str, method_id: str
) -> list[str]:
    if "$ref" in spec:
        target = schemas.get(spec["$ref"])
        if target is None:
            return [f"{where}: schema {spec['$ref']} not in the discovery document"]
        problems = _check(value, target, schemas, where, method_id)
        if spec["$ref"] == "Request" and isinstance(value, Mapping) and len(value) != 1:
            problems.append(
                f"{where}: a Request must set exactly one kind of request, "
                f"got {sorted(value) or 'none'}"
            )
        return problems
    if isinstance(value, Mapping) and ("$ref" in value or "$each" in value or "$item" in value):
        return [f"{where}: unresolved plan reference {json.dumps(value)[:120]}"]
    kind = spec.get("type")
    if kind == "object":
        if not isinstance(value, Mapping):
            return [f"{where}: expected an object, got {value!r}"[:200]]
        props = spec.get("properties")
        extra = spec.get("additionalProperties")
        problems = []
        for key, item in value.items():
            if props and key in props:
                prop = props[key]
                if prop.get("readOnly"):
                    problems.append(f"{where}.{key}: read-only field")
                problems += _check(item, prop, schemas, f"{where}.{key}", method_id)
            elif extra is not None:
                problems += _check(item, extra, schemas, f"{where}.{key}", method_id)
            else:
                schema_id = spec.get("id", "object")
                problems.append(f"{where}: unknown field {key!r} for {schema_id}")
        for key, prop in (props or {}).items():
            required = (prop.get("annotations") or {}).get("required") or []
            if method_id in required and key not in value:
                problems.append(f"{where}: {method_id} requires field {key!r}")
        return problems
    if kind == "array":
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {value!r}"[:200]]
        out: list[str] = []
        for i, item in enumerate(value):
            out += _check(item, spec.get("items", {}), schemas, f"{where}[{i}]", method_id)
        return out
    return _check_scalar(value, spec, where)


def _mask_paths_ok(mask: str, schema_name: str, schemas: Mapping[str, Any]) -> list[str]:
    bad = []
    for path in mask.split(","):
        path = path.strip()
        if path == "*":
            continue
        node: Mapping[str, Any] | None = schemas.get(schema_name)
        for part in path.split("."):
            props = (node or {}).get("properties") or {}
            prop = props.get(part)
            if prop is None:
                node = None
                break
            node = schemas.get(prop["$ref"]) if "$ref" in prop else prop
        if node is None:
            bad.append(path)
    return bad


def _check_batch(body: Mapping[str, Any], where: str) -> list[str]:
    """Slides-specific rules the schema cannot express."""
    schemas = discovery_document("slides")["schemas"]
    problems: list[str] = []
    created: set[str] = set()
    prefix = ""
    requests = body.get("requests") or []
    for req in requests:
        if isinstance(req, Mapping) and "createSlide" in req:
            prefix = str(req["createSlide"].get("objectId", ""))[:12]
            break
    for i, req in enumerate(requests):
        if not isinstance(req, Mapping) or len(req) != 1:
            continue
        ((kind, inner),) = req.items()
        at = f"{where} requests[{i}].{kind}"
        if not isinstance(inner, Mapping):
            continue
        new_ids: list[str] = []
        if kind in _CREATES and inner.get("objectId"):
            new_ids.append(str(inner["objectId"]))
        for mapping in inner.get("placeholderIdMappings") or []:
            if mapping.get("objectId"):
                new_ids.append(str(mapping["objectId"]))
        for oid in new_ids:
            if not OBJECT_ID_RE.match(oid):
                problems.append(
                    f"{at}: objectId {oid!r} breaks the Slides id rules "
                    f"(5-50 chars of [a-zA-Z0-9_-:], starting [a-zA-Z0-9_])"
                )
            if oid in created:
                problems.append(f"{at}: objectId {oid!r} created twice")
            created.add(oid)
        if kind not in _CREATES:
            for key in ("objectId", "pageObjectId"):
                ref = inner.get(key)
                if (
                    isinstance(ref, str)
                    and prefix
                    and ref.startswith(prefix)
                    and ref not in created
                ):
                    problems.append(f"{at}: uses {ref!r} before it is created")
        page = (inner.get("elementProperties") or {}).get("pageObjectId")
        if isinstance(page, str) and prefix and page.startswith(prefix) and page not in created:
            problems.append(f"{at}: page {page!r} is used before it is created")
        if kind in _MASKED and "fields" in inner:
            prop, schema_name = _MASKED[kind]
            bad = _mask_paths_ok(str(inner["fields"]), schema_name, schemas)
            if bad:
                problems.append(f"{at}: fields mask names unknown field(s) {', '.join(bad)}")
            if prop not in inner:
                problems.append(f"{at}: has a fields mask but no {prop}")
        rng = inner.get("textRange")
        if isinstance(rng, Mapping) and rng.get("type") == "FIXED_RANGE":
            start, end = rng.get("startIndex"), rng.get("endIndex")
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end):
                problems.append(f"{at}: FIXED_RANGE needs 0 <= startIndex < endIndex")
        if kind == "insertText" and not inner.get("text"):
            problems.append(f"{at}: empty insertText")
    return problems


def validate_plan(plan: Plan, results: Mapping[str, Any] | None = None) -> list[str]:
    """Resolve the plan against `results` (plausible fakes by default) and check every call."""
    res = dict(results) if results is not None else fake_results(plan)
    problems: list[str] = []
    for call in plan.calls:
        try:
            resolved = resolve(call, res, call["id"])
        except PublishError as exc:
            problems.append(str(exc))
            continue
        problems += validate_call(resolved)
    return problems


def assert_valid(plan_or_calls: Plan | Sequence[Mapping[str, Any]]) -> None:
    """Raise PublishError listing every problem (used before a run spends any quota)."""
    if isinstance(plan_or_calls, Plan):
        problems = validate_plan(plan_or_calls)
    else:
        problems = [p for c in plan_or_calls for p in validate_call(c)]
    if problems:
        shown = "\n  - ".join(problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise PublishError(f"{len(problems)} invalid API request(s):\n  - {shown}{more}")
