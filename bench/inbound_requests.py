"""Writes N signed Twilio inbound-SMS webhooks for wrk (bench/inbound-replay.lua): one per line,
"signature<TAB>form body", each ~400 bytes with its own MessageSid (random-looking, as Twilio's
are), from 1,000 senders, signed by Twilio's own RequestValidator for the given URL.
SENDER_FORMAT (default "+1415555%04d") numbers the senders.
Usage: inbound_requests.py URL AUTH_TOKEN N FILE [SENDER_FORMAT]"""
import hashlib
import sys
import urllib.parse

from twilio.request_validator import RequestValidator

URL, TOKEN, N, FILE = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
SENDER_FORMAT = sys.argv[5] if len(sys.argv) > 5 else "+1415555%04d"
validator = RequestValidator(TOKEN)
with open(FILE, "w") as out:
    for index in range(N):
        # Twilio's ids are random hex: so are these (deterministic, one per index).
        sid = "SM" + hashlib.md5(b"%d" % index).hexdigest()
        params = {"ToCountry": "US", "ToState": "CA", "SmsMessageSid": sid, "NumMedia": "0",
                  "ToCity": "SAN FRANCISCO", "FromZip": "94105", "SmsSid": sid, "FromState": "CA",
                  "SmsStatus": "received", "FromCity": "SAN FRANCISCO",
                  "Body": "Hi, is my order %d on its way? I need it before Friday." % index,
                  "FromCountry": "US", "To": "+15005550006", "ToZip": "94105", "NumSegments": "1",
                  "MessageSid": sid, "AccountSid": "AC" + "1" * 32, "From": SENDER_FORMAT % (index % 1000),
                  "ApiVersion": "2010-04-01"}
        body = urllib.parse.urlencode(params)
        out.write(validator.compute_signature(URL, params) + "\t" + body + "\n")
