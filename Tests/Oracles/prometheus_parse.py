"""Oracle: parses Prometheus text on stdin with the PyPI `prometheus-client` parser (which
raises on malformed exposition) and prints {"name{labels}": value} as JSON."""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families

samples = {}
for family in text_string_to_metric_families(sys.stdin.read()):
    for sample in family.samples:
        labels = ",".join('%s="%s"' % item for item in sorted(sample.labels.items()))
        samples[sample.name + ("{%s}" % labels if labels else "")] = sample.value
print(json.dumps(samples))
