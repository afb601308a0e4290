"""The identity hash a site's server computes for its visitor (API.md "Identity, attribution,
outcomes, reports"), by Python's own hmac module: an independent oracle for IdentityVerifier.
Usage: identity_hash.py; reads {"secret": S, "external_ids": [...]} on standard input and prints
{"hashes": [hex HMAC-SHA256(S, external_id), ...]}."""
import hashlib
import hmac
import json
import sys

request = json.load(sys.stdin)
key = request["secret"].encode("utf-8")
hashes = [hmac.new(key, external_id.encode("utf-8"), hashlib.sha256).hexdigest() for external_id in request["external_ids"]]
json.dump({"hashes": hashes}, sys.stdout)
