"""Runs the scim2-tester compliance suite against a running gorbit-scim.

Usage: python .ci/compliance.py BASE_URL TOKEN
Exits non-zero when any check ends in ERROR, CRITICAL or DEVIATION.
"""

import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

GOOD = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}


def main() -> int:
    base_url, token = sys.argv[1], sys.argv[2]
    http = Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"})
    scim = SyncSCIMClient(http)
    results = check_server(scim)
    bad = 0
    for r in results:
        mark = "ok " if r.status in GOOD else ("-- " if r.status == Status.SKIPPED else "FAIL")
        print(f"{mark} {r.status.name:<10} {r.resource_type or '':<6} {r.title}: {r.reason or ''}")
        if r.status not in GOOD and r.status != Status.SKIPPED:
            bad += 1
            if r.data is not None:
                print(f"       data: {r.data!r}"[:2000])
    counted = [r for r in results if r.status != Status.SKIPPED]
    print(f"compliance: {len(counted) - bad} passed, {bad} failed")
    return 1 if bad or not counted else 0


if __name__ == "__main__":
    sys.exit(main())
