"""The smoke test of an installed Python package (scripts/dist-test.sh): one event,
tracked and flushed to the collector.

    python smoke.py COLLECTOR_URL SHARED_SECRET DATABASE_PATH
"""

import sys

import hamustro
from hamustro import _ffi

url, secret, database = sys.argv[1:]
with hamustro.Tracker(collector_url=url, shared_secret_key=secret,
                      device_id="dist-smoke-device", client_id="hamustro-dist-smoke",
                      product_version=hamustro.__version__, database_path=database) as tracker:
    tracker.track_event("Dist.Smoke", {"binding": "python"})
    tracker.flush(timeout=30.0)
    delivered = tracker.stats().delivered
assert delivered == 1, f"delivered {delivered}"
print(f"hamustro {hamustro.__version__} from {_ffi.library_path}: 1 event delivered")
