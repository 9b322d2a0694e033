#!/usr/bin/env python3
"""validate-records.py SCHEMA FILE... - every line of every FILE against
the JSON Schema; prints one line a failure and exits 1 if any; counts the
record types validated."""
import collections
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
jsonschema.Draft7Validator.check_schema(schema)
validator = jsonschema.Draft7Validator(schema)
seen = collections.Counter()
bad = 0
for path in sys.argv[2:]:
    for n, line in enumerate(open(path), 1):
        rec = json.loads(line)
        errors = sorted(validator.iter_errors(rec), key=lambda e: e.path)
        for e in errors[:3] if bad < 20 else []:
            print("%s:%d: %s: %s at %s" % (path, n, rec.get("type"), e.message[:200],
                                         "/".join(str(p) for p in e.path)))
        bad += bool(errors)
        seen[rec.get("type")] += 1
print(" ".join("%s %d" % kv for kv in sorted(seen.items())))
sys.exit(1 if bad else 0)
