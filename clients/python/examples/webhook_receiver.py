"""A webhook receiver: verify each delivery's signature (Standard Webhooks) with the
endpoint's secret, drop repeated deliveries by `webhook-id`, acknowledge with 204, and read the
changed resource with the client's own token when it needs the data (events carry ids only).

    DMI_WEBHOOK_SECRET=whsec_... python webhook_receiver.py --port 8080
"""

from __future__ import annotations

import argparse
import os
from http.server import BaseHTTPRequestHandler, HTTPServer

from dmi_api_client import WebhookVerificationError, verify_webhook

SECRETS = os.environ["DMI_WEBHOOK_SECRET"].split()  # during a rotation: the new and the old
seen: set[str] = set()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            event = verify_webhook(SECRETS, dict(self.headers.items()), body)
        except WebhookVerificationError as exc:
            self.send_response(401)
            self.end_headers()
            print(f"refused: {exc}", flush=True)
            return
        self.send_response(204)  # acknowledge at once; do the work after
        self.end_headers()
        if self.headers["webhook-id"] in seen:
            return
        seen.add(self.headers["webhook-id"])
        resource = event.get("resource") or {}
        print(f"{event['type']} {resource.get('path', '')}", flush=True)

    def log_message(self, format: str, *args: object) -> None:
        """No access log."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args()
    print(f"listening on 127.0.0.1:{args.port}", flush=True)
    HTTPServer(("127.0.0.1", args.port), Receiver).serve_forever()


if __name__ == "__main__":
    main()
