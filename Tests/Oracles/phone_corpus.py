"""Oracle corpus for phone numbers: generates inputs shaped like what people type (from
libphonenumber's example numbers for many regions, in every format, with separators, and broken
on purpose), and prints what the PyPI `phonenumbers` package says of each:
[{"input", "region", "valid", "possible", "e164"}]. Usage: phone_corpus.py SEED"""
import json
import random
import sys

import phonenumbers
from phonenumbers import PhoneNumberFormat, PhoneNumberType

REGIONS = ["US", "CA", "GB", "DE", "FR", "IT", "ES", "NL", "BE", "CH", "AT", "SE", "NO", "DK", "FI", "IE", "PT",
           "PL", "BR", "MX", "AR", "CO", "IN", "ID", "PH", "JP", "KR", "CN", "AU", "NZ", "ZA", "NG", "KE", "EG", "TR",
           "SA", "AE", "IL", "RU", "UA", "PK", "BD", "VN", "TH", "MY", "SG", "CL", "PE", "GR", "CZ", "RO", "HU"]
# Regions whose international dialling prefix is 00 (so "00 44 ..." means what it says).
IDD_00 = {r for r in REGIONS if phonenumbers.PhoneMetadata.metadata_for_region(r).international_prefix == "00"}
random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 1)


def variants(number, region):
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    intl = phonenumbers.format_number(number, PhoneNumberFormat.INTERNATIONAL)
    national = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
    out = [(e164, "US"), (intl, "US"), (intl.replace(" ", "-"), region), (intl.replace(" ", "."), "FR"),
           (national, region), (national.replace(" ", ""), region)]
    home = random.choice(sorted(IDD_00))
    out.append(("00 " + intl[1:], home))
    out.append(("011 " + intl[1:], "US"))
    if region in ("US", "CA"):
        digits = e164[2:]
        out += [("(%s) %s-%s" % (digits[:3], digits[3:6], digits[6:]), "US"),
                ("1-%s-%s-%s" % (digits[:3], digits[3:6], digits[6:]), "US"), (digits, "CA")]
    return out


def broken(text, region):
    digits = [i for i, c in enumerate(text) if c.isdigit()]
    out = []
    if len(digits) > 4:
        cut = random.sample(digits[2:], k=min(len(digits) - 3, random.randint(1, 3)))
        out.append(("".join(c for i, c in enumerate(text) if i not in cut), region))
    out.append((text + "".join(random.choice("0123456789") for _ in range(random.randint(1, 4))), region))
    out.append((text[:3] + random.choice("abcxyz") + text[3:], region))
    out.append(("+" + random.choice(["999", "888", "0", "2"]) + text.lstrip("+"), region))
    return out


def bases():
    for region in REGIONS:
        for kind in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE):
            example = phonenumbers.example_number_for_type(region, kind)
            if example is None:
                continue
            yield example, region
            national = str(example.national_number)
            for _ in range(3):
                # Vary the last digits: usually still valid, sometimes not (both are useful).
                tail = "".join(random.choice("0123456789") for _ in range(min(3, len(national) - 2)))
                varied = national[:len(national) - len(tail)] + tail
                yield phonenumbers.parse("+%d%s" % (example.country_code, varied)), region


corpus = []
for number, region in bases():
    shaped = variants(number, region)
    corpus += shaped
    corpus += broken(shaped[0][0], shaped[0][1])
    corpus += broken(shaped[4][0], region)

result = []
for text, region in corpus:
    try:
        parsed = phonenumbers.parse(text, region)
        valid = phonenumbers.is_valid_number(parsed)
        possible = phonenumbers.is_possible_number(parsed)
        e164 = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
    except phonenumbers.NumberParseException:
        valid, possible, e164 = False, False, None
    result.append({"input": text, "region": region, "valid": valid, "possible": possible, "e164": e164})
print(json.dumps(result))
