"""A real SMTP server for the end-to-end tests: listens on 127.0.0.1 on a port of the system's
choosing (printed as `port <n>` once listening) and appends each message it accepts to a file,
one JSON object per line: envelope sender and recipients, subject, To header, and every leaf part
decoded (content type, file name, text).

    python3 smtp_sink.py MESSAGES.jsonl [--refuse-first N] [--refuse-code CODE]
                         [--refuse-domain DOMAIN]

--refuse-first N answers the first N messages with CODE (451, a temporary failure, by default;
550 for a permanent one) instead of accepting them, to test retries. --refuse-domain DOMAIN
refuses every recipient address at DOMAIN with 550 (no such user), accepting the others.
"""

import argparse
import asyncio
import base64
import email
import email.policy
import json
import sys

from aiosmtpd.smtp import SMTP


class Sink:
    def __init__(self, path, refuse_first, refuse_code, refuse_domain):
        self.path = path
        self.refuse_left = refuse_first
        self.refuse_code = refuse_code
        self.refuse_domain = refuse_domain

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_domain and address.lower().endswith("@" + self.refuse_domain):
            return "550 5.1.1 no such user (test sink)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_left > 0:
            self.refuse_left -= 1
            if self.refuse_code >= 500:
                return f"{self.refuse_code} 5.7.1 refused by the test sink"
            return f"{self.refuse_code} 4.3.0 try again later (test sink)"
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        parts = []
        for part in message.walk():
            if part.is_multipart():
                continue
            content = part.get_content()
            if isinstance(content, bytes):
                content = base64.b64encode(content).decode("ascii")
            parts.append({
                "content_type": part.get_content_type(),
                "filename": part.get_filename(),
                "content": content,
                "content_id": part["Content-ID"],
                "disposition": part.get_content_disposition(),
            })
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "to": str(message["to"]),
            "from": str(message["from"]),
            "parts": parts,
            # Every part's type in walking order, multiparts included: how the message nests.
            "structure": [part.get_content_type() for part in message.walk()],
        }
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        return "250 OK"


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("messages")
    parser.add_argument("--refuse-first", type=int, default=0)
    parser.add_argument("--refuse-code", type=int, default=451)
    parser.add_argument("--refuse-domain", default="")
    args = parser.parse_args()
    handler = Sink(args.messages, args.refuse_first, args.refuse_code, args.refuse_domain)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.test"), host="127.0.0.1", port=0
    )
    port = server.sockets[0].getsockname()[1]
    print(f"port {port}", flush=True)
    # Until the test kills it, or its stdin closes (the test process is gone).
    await loop.run_in_executor(None, sys.stdin.read)


asyncio.run(main())
