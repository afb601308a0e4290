"""Oracle corpus for line kinds: libphonenumber's example number of every kind in every region
(premium rate, toll free, shared cost, ... mobile), each also with its last digits varied (still
the same kind, sometimes another, sometimes none), and random NANP numbers; prints what PyPI
`phonenumbers.number_type` says of each as `PhoneNumber.Kind`'s raw values:
[{"e164", "kind"}]. Usage: phone_types.py SEED"""
import json
import random
import sys

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

NAMES = {getattr(PhoneNumberType, name): name.lower() for name in dir(PhoneNumberType) if name.isupper()}
random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)

numbers = []
for region in sorted(phonenumbers.SUPPORTED_REGIONS):
    for kind in NAMES:
        example = phonenumbers.example_number_for_type(region, kind)
        if example is None:
            continue
        numbers.append(example)
        national = str(example.national_number)
        for _ in range(2):
            tail = "".join(random.choice("0123456789") for _ in range(min(3, len(national) - 2)))
            numbers.append(phonenumbers.parse("+%d%s%s" % (example.country_code, national[:len(national) - len(tail)], tail)))
for _ in range(300):
    numbers.append(phonenumbers.parse("+1%d%07d" % (random.randint(200, 999), random.randint(2000000, 9999999))))

print(json.dumps([{"e164": phonenumbers.format_number(n, PhoneNumberFormat.E164), "kind": NAMES[phonenumbers.number_type(n)]}
                  for n in numbers]))
