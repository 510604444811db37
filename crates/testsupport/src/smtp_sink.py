"""A real SMTP server for tests (Debian's python3-aiosmtpd): every message received is written
as one JSON file (envelope, headers, decoded text body, whether TLS and AUTH were used) into
OUT_DIR, atomically. Modes: plain, starttls (STARTTLS required) or tls (implicit TLS). With
--user/--password, AUTH is required. --fail-first N answers 451 to the first N messages (to
test retries); --reject-rcpt TEXT answers 550 to every recipient address containing TEXT (a
mailbox that does not exist: a bounce). Prints "ready" once listening."""
import argparse
import asyncio
import email
import email.policy
import json
import os
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

p = argparse.ArgumentParser()
p.add_argument("--port", type=int, required=True)
p.add_argument("--out", required=True)
p.add_argument("--mode", choices=["plain", "starttls", "tls"], default="plain")
p.add_argument("--cert")
p.add_argument("--key")
p.add_argument("--user")
p.add_argument("--password")
p.add_argument("--fail-first", type=int, default=0)
p.add_argument("--reject-rcpt")
a = p.parse_args()


class Handler:
    def __init__(self):
        self.n = 0
        self.failed = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if a.reject_rcpt and a.reject_rcpt in address:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.failed < a.fail_first:
            self.failed += 1
            return "451 4.3.0 Try again later"
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        part = msg.get_body(preferencelist=("plain",))
        body = part.get_content() if part is not None else ""
        html = msg.get_body(preferencelist=("html",))
        self.n += 1
        rec = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(msg["From"]),
            "to": str(msg["To"]),
            "subject": str(msg["Subject"]),
            "body": body,
            "html": html.get_content() if html is not None else "",
            "content_type": msg.get_content_type(),
            "message_id": str(msg["Message-ID"] or ""),
            "tls": session.ssl is not None
            or server.transport.get_extra_info("ssl_object") is not None,
            "authenticated": bool(session.authenticated),
        }
        tmp = os.path.join(a.out, ".%06d.tmp" % self.n)
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(rec, f, ensure_ascii=False)
        os.rename(tmp, os.path.join(a.out, "%06d.json" % self.n))
        # Announced once on disk, for SmtpSink::wait_for.
        print("mail %06d" % self.n, flush=True)
        return "250 2.0.0 OK"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == a.user
        and auth_data.password.decode() == a.password
    )
    return AuthResult(success=ok)


ctx = None
if a.cert:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(a.cert, a.key)

kwargs = dict(hostname="127.0.0.1", port=a.port)
if a.user:
    kwargs.update(authenticator=authenticator, auth_required=True,
                  auth_require_tls=(a.mode != "plain"))
if a.mode == "starttls":
    kwargs.update(tls_context=ctx, require_starttls=True)
elif a.mode == "tls":
    kwargs.update(ssl_context=ctx)

controller = Controller(Handler(), **kwargs)
controller.start()
print("ready", flush=True)
try:
    sys.stdin.read()
finally:
    controller.stop()
