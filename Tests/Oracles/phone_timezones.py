"""Oracle: the time zones PyPI `phonenumbers` gives each E.164 number on stdin (JSON list);
prints a JSON list of zone lists."""
import json
import sys

import phonenumbers
from phonenumbers import timezone

print(json.dumps([list(timezone.time_zones_for_number(phonenumbers.parse(n))) for n in json.load(sys.stdin)]))
