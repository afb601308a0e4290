"""Oracle: Twilio's own RequestValidator (PyPI `twilio`) signs the requests given on stdin as
JSON [{"url", "params": [[name, value], ...], "token"}] and prints the signatures as a JSON list."""
import json
import sys

from twilio.request_validator import RequestValidator


class Params:
    """A multi-valued form, as the validator reads it (`getall`)."""

    def __init__(self, pairs):
        self.pairs = pairs

    def __iter__(self):
        return iter([name for name, _ in self.pairs])

    def getall(self, name):
        return [value for key, value in self.pairs if key == name]


cases = json.load(sys.stdin)
print(json.dumps([RequestValidator(c["token"]).compute_signature(c["url"], Params(c["params"])) for c in cases]))
