"""Oracle: PyPI `smsutil` splits the bodies given on stdin (a JSON list of strings) and prints
[{"encoding": "gsm7"|"ucs2", "parts": [length, ...]}] (smsutil counts code points per part)."""
import json
import sys

import smsutil

result = []
for body in json.load(sys.stdin):
    split = smsutil.split(body)
    result.append({
        "encoding": "gsm7" if split.encoding == "gsm0338" else "ucs2",
        "parts": [part.length for part in split.parts],
    })
print(json.dumps(result))
