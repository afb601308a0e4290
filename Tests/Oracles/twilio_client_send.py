"""Compatibility: Twilio's own Python client sends a message through the simulator.
Usage: twilio_client_send.py API_BASE ACCOUNT_SID AUTH_TOKEN TO FROM BODY; prints JSON."""
import json
import sys

from twilio.rest import Client

base, sid, token, to, sender, body = sys.argv[1:7]
client = Client(sid, token)
client.api.base_url = base
message = client.messages.create(to=to, from_=sender, body=body)
print(json.dumps({"sid": message.sid, "status": str(message.status), "num_segments": message.num_segments,
                  "to": message.to}))
