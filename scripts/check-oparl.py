#!/usr/bin/env python3
"""Every demo meeting's `budgetwatch meeting export-oparl` against OParl 1.0's published JSON
Schemas (tests/oparl/schema: Meeting.json, which embeds the AgendaItem schema, with the
Location and File schemas it refers to), validated with `jsonschema` (PyPI). Each agenda item
is also validated on its own against the AgendaItem schema. The validator is first shown to
refuse a broken export, so a pass means something. Usage: check-oparl.py BINARY"""

import json
import os
import pathlib
import subprocess
import sys
import tempfile

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

binary = sys.argv[1]
here = pathlib.Path(__file__).resolve().parent.parent / "tests" / "oparl" / "schema"
schemas = {name: json.loads((here / name).read_text(encoding="utf-8")) for name in ["Meeting.json", "Location.json", "File.json"]}
registry = Registry().with_resources(
    [(name, Resource.from_contents(s, default_specification=DRAFT4)) for name, s in schemas.items()]
)
meeting = jsonschema.Draft4Validator(schemas["Meeting.json"], registry=registry)
agenda_item = jsonschema.Draft4Validator(schemas["Meeting.json"]["properties"]["agendaItem"]["items"], registry=registry)
failures = []


def errors(validator, doc):
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in validator.iter_errors(doc)]


with tempfile.TemporaryDirectory() as tmp:
    env = dict(os.environ, BUDGETWATCH_KEY=f"{tmp}/demo.key")
    db, data = f"{tmp}/demo.db", f"{tmp}/data"
    subprocess.run([binary, "--db", db, "demo", "--data", data, "--payments", "3000", "--no-serve"],
                   check=True, capture_output=True, env=env)
    out = subprocess.run([binary, "--db", db, "meeting", "list", "--format", "json"],
                         check=True, capture_output=True, text=True, env=env)
    ids = [m["id"] for m in json.loads(out.stdout)]
    if not ids:
        failures.append("the demo has no meetings")
    states = set()
    for mid in ids:
        out = subprocess.run([binary, "--db", db, "meeting", "export-oparl", str(mid)],
                             check=True, capture_output=True, text=True, env=env)
        doc = json.loads(out.stdout)
        states.add(doc.get("meetingState"))
        failures += [f"meeting {mid}: {e}" for e in errors(meeting, doc)]
        for item in doc.get("agendaItem", []):
            failures += [f"meeting {mid} item {item.get('number')}: {e}" for e in errors(agenda_item, item)]
        if not doc.get("agendaItem"):
            failures.append(f"meeting {mid}: no agenda items")
    # The validator does refuse: a wrong type, an agenda item without its id.
    broken = dict(doc, type="https://schema.oparl.org/1.0/Paper")
    if not errors(meeting, broken):
        failures.append("the schema accepted a Meeting typed as a Paper")
    if doc.get("agendaItem") and not errors(agenda_item, {k: v for k, v in doc["agendaItem"][0].items() if k != "id"}):
        failures.append("the schema accepted an AgendaItem without its id")

if failures:
    print("\n".join(failures[:50]))
    sys.exit(1)
print(f"OParl: {len(ids)} demo meetings ({', '.join(sorted(s for s in states if s))}) valid against Meeting and AgendaItem")
