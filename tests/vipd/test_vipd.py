#!/usr/bin/env python3
"""vipd end to end: the seed's API examples verbatim, every error status,
limits, slow clients, concurrent clients while vipctl writes, TLS, and a
graceful SIGTERM, against a real vipd on a free 127.0.0.1 port.

Usage: test_vipd.py VIPD VIPCTL
Everything it starts (vipd processes) is stopped when it ends, also when a
check fails; its files live in a temporary directory.
"""
import http.client
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import unittest

VIPD, VIPCTL = sys.argv[1], sys.argv[2]
del sys.argv[1:3]

# The seed's examples use placeholder numbers such as +1234567890; the test
# tenant validates numbers by their E.164 shape only, so that they are taken.
TENANT = "acme"
OTHER_TENANT = "globex"
# What no log line, error or response other than the caller's own may hold.
SECRETS = ["1234567890", "1234567891", "John Doe", "Jane Smith", "john.doe@acme.com", "ACC123456"]


class Vipd:
    """A vipd process on a free port of 127.0.0.1."""

    def __init__(self, workdir, *extra):
        self.log_path = os.path.join(workdir, "vipd-%d.log" % time.monotonic_ns())
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(  # its stdout is only its start-up line
            [VIPD, "--db", os.path.join(workdir, "vip.db"), "--key-file", os.path.join(workdir, "vip.key"),
             "--listen", "127.0.0.1:0", "--log-requests", *extra],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        m = re.search(r"(https?)://127\.0\.0\.1:(\d+)", line)
        if not m:
            self.stop()
            raise RuntimeError("vipd did not start: %r; log: %s" % (line, self.read_log()))
        self.scheme, self.port = m.group(1), int(m.group(2))

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.log.closed:
            self.log.close()
        self.proc.stdout.close()
        return self.proc.returncode

    def read_log(self):
        if not self.log.closed:
            self.log.flush()
        with open(self.log_path) as f:
            return f.read()


def vipctl(workdir, *args, tenant=TENANT, check=True):
    r = subprocess.run([VIPCTL, "--db", os.path.join(workdir, "vip.db"), "--key-file", os.path.join(workdir, "vip.key"),
                        "--tenant", tenant, "--actor", "test-admin", *args], capture_output=True, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("vipctl %s failed (%d): %s" % (" ".join(args), r.returncode, r.stderr))
    return r


class VipdTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="vipd-test-")
        subprocess.run([VIPCTL, "--db", os.path.join(cls.dir, "vip.db"), "--key-file",
                        os.path.join(cls.dir, "vip.key"), "init"], check=True, capture_output=True)
        for tenant in (TENANT, OTHER_TENANT):
            vipctl(cls.dir, "settings", "--number-validation", "e164", tenant=tenant)
        cls.token = vipctl(cls.dir, "token", "add", "--actor", "alice", "--role", "MANAGER").stdout.strip()
        cls.agent_token = vipctl(cls.dir, "token", "add", "--actor", "bob", "--role", "AGENT").stdout.strip()
        cls.other_token = vipctl(cls.dir, "token", "add", "--actor", "gary", "--role", "ADMIN",
                                 tenant=OTHER_TENANT).stdout.strip()
        cls.vipd = Vipd(cls.dir, "--max-body", "65536", "--timeout", "2", "--threads", "4")

    @classmethod
    def tearDownClass(cls):
        code = cls.vipd.stop()
        log = cls.vipd.read_log()
        shutil.rmtree(cls.dir, ignore_errors=True)
        # Nothing secret was ever logged: no number, name, e-mail or token.
        for secret in SECRETS + [cls.token, cls.agent_token, cls.other_token]:
            assert secret not in log, "vipd's log holds a secret"
        assert code == 0, "vipd did not stop cleanly on SIGTERM (exit %s); its log ends:\n%s" % (code, log[-6000:])

    # ---- helpers -------------------------------------------------------------

    def request(self, method, path, body=None, token=None, raw=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.vipd.port, timeout=20)
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        if data is not None:
            h.setdefault("Content-Type", "application/json")
        conn.request(method, path, body=data, headers=h)
        resp = conn.getresponse()
        text = resp.read().decode()
        conn.close()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return resp.status, parsed

    def curl(self, command):
        """Runs one of the seed's curl examples as written, on this vipd."""
        command = command.replace("http://localhost:8000", "http://127.0.0.1:%d" % self.vipd.port)
        command = command.replace("<token>", self.token)
        r = subprocess.run(["bash", "-c", command + " -s -w '\\n%{http_code}'"], capture_output=True, text=True,
                           timeout=30)
        body, _, status = r.stdout.rpartition("\n")
        return int(status), json.loads(body)

    def create(self, fields, token=None):
        status, body = self.request("POST", "/api/v1/vip/", fields, token or self.token)
        self.assertEqual(status, 201, body)
        return body

    # ---- the seed's examples ---------------------------------------------------

    def test_seed_examples_verbatim(self):
        # Create VIP Caller (the seed's body, whole).
        john = self.create({
            "phone_number": "+1234567890",
            "caller_name": "John Doe",
            "company_name": "Acme Corp",
            "vip_level": "GOLD",
            "status": "ACTIVE",
            "handling_rules": ["PRIORITY_QUEUE", "CUSTOM_GREETING"],
            "custom_greeting": "Hello Mr. Doe, thank you for calling.",
            "max_wait_time": 30,
            "callback_priority": 1,
            "email": "john.doe@acme.com",
            "account_number": "ACC123456",
            "account_value": 50000.0,
            "notes": "High-value customer",
            "tags": ["premium", "enterprise"]
        })
        self.assertEqual(john["caller_name"], "John Doe")
        self.assertNotIn("phone_number", john)  # only hashes are stored
        vip_id = john["id"]
        try:
            # Identify VIP Caller: the troubleshooting section's curl, verbatim.
            status, who = self.curl('curl -X POST "http://localhost:8000/api/v1/vip/identify?phone_number=+1234567890" \\\n'
                                    '  -H "Authorization: Bearer <token>"')
            self.assertEqual(status, 200)
            self.assertTrue(who["is_vip"])
            self.assertEqual(who["vip_caller"]["id"], vip_id)
            self.assertEqual(who["vip_caller"]["caller_name"], "John Doe")
            self.assertEqual(who["vip_caller"]["vip_level"], "GOLD")
            self.assertIn("PRIORITY_QUEUE", who["vip_caller"]["handling_rules"])
            self.assertEqual(who["routing_priority"], 85)  # the seed's response: GOLD + PRIORITY_QUEUE

            # List VIP Callers with every parameter of the seed.
            status, listed = self.request("GET", "/api/v1/vip/?skip=0&limit=100&vip_level=GOLD&status=ACTIVE&search=John",
                                          token=self.token)
            self.assertEqual(status, 200)
            self.assertEqual([c["id"] for c in listed], [vip_id])
            status, listed = self.request("GET", "/api/v1/vip/?vip_level=PLATINUM", token=self.token)
            self.assertEqual(listed, [])

            # Get VIP Caller.
            status, got = self.request("GET", "/api/v1/vip/" + vip_id, token=self.token)
            self.assertEqual((status, got["email"]), (200, "john.doe@acme.com"))

            # Check Escalation Rules (a rule like the seed's response names).
            status, rule = self.request("POST", "/api/v1/vip/escalation-rules", {
                "name": "VIP Wait Time Rule", "vip_levels": ["GOLD", "PLATINUM"], "max_wait_time": 60,
                "escalation_type": "manager", "notification_emails": ["manager@company.com"]}, self.token)
            self.assertEqual(status, 201, rule)
            status, esc = self.request("POST", "/api/v1/vip/%s/escalation-check?wait_time=120&queue_position=3" % vip_id,
                                       token=self.token)
            self.assertEqual(status, 200, esc)
            self.assertTrue(esc["should_escalate"])
            self.assertEqual(esc["triggered_rules"][0]["rule_id"], rule["id"])
            self.assertEqual(esc["triggered_rules"][0]["rule_name"], "VIP Wait Time Rule")
            self.assertEqual(esc["triggered_rules"][0]["escalation_type"], "manager")
            self.assertEqual(esc["triggered_rules"][0]["notification_emails"], ["manager@company.com"])
            status, esc = self.request("POST", "/api/v1/vip/%s/escalation-check?wait_time=10&queue_position=1" % vip_id,
                                       token=self.token)
            self.assertEqual((status, esc["should_escalate"]), (200, False))

            # A call in the history, then both analytics of the seed.
            status, call = self.request("POST", "/api/v1/vip/%s/calls" % vip_id, {
                "call_id": "c-1", "wait_time_seconds": 20, "satisfaction_rating": 5,
                "created_at": "2024-01-15T10:00:00Z"}, self.token)
            self.assertEqual(status, 201, call)
            status, stats = self.request("GET", "/api/v1/vip/%s/analytics?start_date=2024-01-01&end_date=2024-01-31" % vip_id,
                                         token=self.token)
            self.assertEqual(status, 200, stats)
            self.assertEqual((stats["calls"], stats["average_satisfaction"]), (1, 5.0))
            status, overview = self.request("GET", "/api/v1/vip/analytics/overview?start_date=2024-01-01&end_date=2024-01-31",
                                            token=self.token)
            self.assertEqual(status, 200)
            self.assertEqual(overview["by_level"]["GOLD"]["calls"], 1)
            self.assertEqual(overview["by_level"]["GOLD"]["wait"]["p50"], 20)
            # The troubleshooting section's Analytics Review curl, verbatim (the last 30 days).
            status, recent = self.curl('curl -X GET "http://localhost:8000/api/v1/vip/analytics/overview" \\\n'
                                       '  -H "Authorization: Bearer <token>"')
            self.assertEqual(status, 200)
            self.assertEqual(recent["all"]["calls"], 0)  # the call above was in 2024
            self.assertGreaterEqual(recent["total_callers"], 1)

            # Update VIP Caller (the seed's body).
            status, updated = self.request("PUT", "/api/v1/vip/" + vip_id, {
                "vip_level": "PLATINUM",
                "notes": "Upgraded to Platinum level",
                "handling_rules": ["IMMEDIATE_TRANSFER", "DEDICATED_AGENT"]
            }, self.token)
            self.assertEqual(status, 200, updated)
            self.assertEqual((updated["vip_level"], updated["notes"]), ("PLATINUM", "Upgraded to Platinum level"))
            status, who = self.request("POST", "/api/v1/vip/identify?phone_number=%2B1234567890", token=self.token)
            self.assertEqual(who["vip_caller"]["vip_level"], "PLATINUM")

            # Bulk Import (the seed's body): John's number is taken, so all or nothing refuses it whole...
            seed_import = {"vip_callers": [
                {"phone_number": "+1234567890", "caller_name": "John Doe", "vip_level": "GOLD"},
                {"phone_number": "+1234567891", "caller_name": "Jane Smith", "vip_level": "PLATINUM"}]}
            status, report = self.request("POST", "/api/v1/vip/bulk-import", seed_import, self.token)
            self.assertEqual(status, 422, report)
            self.assertEqual((report["committed"], report["failed"], report["errors"][0]["index"]), (False, 1, 0))
            status, who = self.request("POST", "/api/v1/vip/identify?phone_number=%2B1234567891", token=self.token)
            self.assertFalse(who["is_vip"])
            # ...and with on_duplicate=update it updates John and creates Jane.
            status, report = self.request("POST", "/api/v1/vip/bulk-import?on_duplicate=update", seed_import, self.token)
            self.assertEqual(status, 200, report)
            self.assertEqual((report["created"], report["updated"], report["committed"]), (1, 1, True))
            status, who = self.request("POST", "/api/v1/vip/identify?phone_number=%2B1234567891", token=self.token)
            self.assertEqual((who["is_vip"], who["vip_caller"]["caller_name"]), (True, "Jane Smith"))
            jane_id = who["vip_caller"]["id"]

            # Delete VIP Caller.
            status, _ = self.request("DELETE", "/api/v1/vip/" + jane_id, token=self.token)
            self.assertEqual(status, 200)
            status, _ = self.request("GET", "/api/v1/vip/" + jane_id, token=self.token)
            self.assertEqual(status, 404)
            status, _ = self.request("DELETE", "/api/v1/vip/escalation-rules/" + rule["id"], token=self.token)
            self.assertEqual(status, 200)
        finally:
            self.request("DELETE", "/api/v1/vip/" + vip_id, token=self.token)

    def test_audit_names_the_token_holder(self):
        c = self.create({"phone_number": "+15550001001", "caller_name": "Audit Probe", "vip_level": "SILVER"})
        admin = vipctl(self.dir, "audit", "--json").stdout
        entries = [e for e in json.loads(admin) if e["entity_id"] == c["id"]]
        self.assertEqual([(e["action"], e["actor_id"], e["role"]) for e in entries if e["action"] == "create"],
                         [("create", "alice", "MANAGER")])
        self.request("DELETE", "/api/v1/vip/" + c["id"], token=self.token)

    # ---- statuses ------------------------------------------------------------------

    def test_every_error_status(self):
        c = self.create({"phone_number": "+15550002001", "caller_name": "Status Probe", "vip_level": "GOLD"})
        try:
            # 401: no token, a malformed one, an unknown one, another scheme.
            for token_header in [None, "Bearer", "Bearer nonsense", "Basic YWxpY2U6c2VjcmV0",
                                 "Bearer " + self.token[:-1] + ("A" if self.token[-1] != "A" else "B")]:
                headers = {"Authorization": token_header} if token_header else {}
                status, body = self.request("GET", "/api/v1/vip/", headers=headers)
                self.assertEqual(status, 401, token_header)
                self.assertIn("detail", body)
            # 403: an AGENT may look callers up but not create them.
            status, body = self.request("POST", "/api/v1/vip/", {"phone_number": "+15550002002", "caller_name": "X"},
                                        self.agent_token)
            self.assertEqual(status, 403, body)
            self.assertEqual(self.request("GET", "/api/v1/vip/" + c["id"], token=self.agent_token)[0], 200)
            # 404: another tenant's caller is not found, never shown; nor an unknown path.
            status, body = self.request("GET", "/api/v1/vip/" + c["id"], token=self.other_token)
            self.assertEqual(status, 404)
            self.assertNotIn("Status Probe", json.dumps(body))
            self.assertEqual(self.request("PUT", "/api/v1/vip/" + c["id"], {"notes": "x"}, self.other_token)[0], 404)
            self.assertEqual(self.request("DELETE", "/api/v1/vip/" + c["id"], token=self.other_token)[0], 404)
            self.assertEqual(self.request("GET", "/api/v1/vip/no/such/thing", token=self.token)[0], 404)
            self.assertEqual(self.request("GET", "/nowhere")[0], 404)
            # 409: a number that belongs to a VIP already.
            status, body = self.request("POST", "/api/v1/vip/", {"phone_number": "+15550002001", "caller_name": "Dup"},
                                        self.token)
            self.assertEqual(status, 409, body)
            # 400: a body that is not JSON, or not an object.
            for raw in ["{bad", "[1, 2]", ""]:
                status, body = self.request("POST", "/api/v1/vip/", raw=raw, token=self.token)
                self.assertEqual(status, 400, raw)
                self.assertIn("detail", body)
            # 422: a body that parses with a bad value names the field.
            status, body = self.request("POST", "/api/v1/vip/", {"phone_number": "+15550002003", "caller_name": "Y",
                                                                 "vip_level": "BRONZE"}, self.token)
            self.assertEqual(status, 422)
            self.assertIn("vip_level", body["detail"])
            status, body = self.request("POST", "/api/v1/vip/", {"phone_number": "+15550002003", "caller_name": "Y",
                                                                 "shoe_size": 44}, self.token)
            self.assertEqual(status, 422)
            self.assertIn("shoe_size", body["detail"])
            status, body = self.request("GET", "/api/v1/vip/?limit=0", token=self.token)
            self.assertEqual(status, 422)
            status, body = self.request("POST", "/api/v1/vip/%s/escalation-check?wait_time=soon" % c["id"],
                                        token=self.token)
            self.assertEqual(status, 422)
            # 413: a body over --max-body (64 KiB here), also without a Content-Length.
            status, body = self.request("POST", "/api/v1/vip/bulk-import", raw="x" * 70000, token=self.token)
            self.assertEqual(status, 413)
            self.assertIn("detail", body)
            # 405 with Allow.
            status, _ = self.request("PATCH", "/api/v1/vip/identify", token=self.token)
            self.assertEqual(status, 405)
            # 500: stored data that fails authentication (a sealed field changed by hand) is
            # refused, not served, and the message names no field value.
            db = sqlite3.connect(os.path.join(self.dir, "vip.db"))
            db.execute("UPDATE vip_caller SET caller_name = X'00112233445566778899' WHERE id = ?", (c["id"],))
            db.commit()
            db.close()
            status, body = self.request("GET", "/api/v1/vip/" + c["id"], token=self.token)
            self.assertEqual(status, 500, body)
            self.assertNotIn("Status Probe", json.dumps(body))
        finally:
            self.request("DELETE", "/api/v1/vip/" + c["id"], token=self.token)

    def test_a_revoked_token_is_refused_at_once(self):
        r = vipctl(self.dir, "token", "add", "--actor", "temp", "--role", "AUDITOR", "--json")
        issued = json.loads(r.stdout)
        self.assertEqual(self.request("GET", "/api/v1/vip/analytics/overview", token=issued["token"])[0], 200)
        listed = json.loads(vipctl(self.dir, "token", "list", "--json").stdout)
        self.assertIn(issued["id"], [t["id"] for t in listed])
        self.assertNotIn(issued["token"], json.dumps(listed))
        vipctl(self.dir, "token", "revoke", issued["id"])
        self.assertEqual(self.request("GET", "/api/v1/vip/analytics/overview", token=issued["token"])[0], 401)

    def test_beyond_the_seed(self):
        status, settings = self.request("GET", "/api/v1/vip/settings", token=self.token)
        self.assertEqual(status, 200)
        self.assertEqual(settings["number_validation"], "e164")
        # A MANAGER may not change settings; the tenant's ADMIN may (globex here).
        self.assertEqual(self.request("PUT", "/api/v1/vip/settings", {"time_zone": "Europe/Paris"}, self.token)[0], 403)
        status, changed = self.request("PUT", "/api/v1/vip/settings",
                                       {"time_zone": "Europe/Paris", "levels": {"GOLD": {"target_wait": 45}}},
                                       self.other_token)
        self.assertEqual(status, 200, changed)
        self.assertEqual((changed["time_zone"], changed["levels"]["GOLD"]["target_wait"]), ("Europe/Paris", 45))
        self.assertEqual(self.request("PUT", "/api/v1/vip/settings", {"levels": {"GOLD": {"target_wait": -1}}},
                                      self.other_token)[0], 422)
        c = self.create({"phone_number": "+15550003001", "caller_name": "Plan Probe", "vip_level": "DIAMOND",
                         "handling_rules": ["IMMEDIATE_TRANSFER"], "preferred_agent_id": "agent-7"})
        status, plan = self.request("POST", "/api/v1/vip/routing-plan?phone_number=%2B15550003001&free_agents=agent-7&inside_business_hours=true",
                                    token=self.token)
        self.assertEqual(status, 200, plan)
        self.assertEqual((plan["action"], plan["target_agent_id"]), ("TRANSFER", "agent-7"))
        status, alerts = self.request("GET", "/api/v1/vip/alerts", token=self.token)
        self.assertEqual((status, type(alerts)), (200, list))
        status, rules = self.request("GET", "/api/v1/vip/escalation-rules", token=self.token)
        self.assertEqual((status, type(rules)), (200, list))
        self.assertEqual(self.request("GET", "/api/v1/vip/audit", token=self.token)[0], 403)  # MANAGER
        status, trail = self.request("GET", "/api/v1/vip/audit?limit=5", token=self.other_token)
        self.assertEqual(status, 200)
        self.assertLessEqual(len(trail), 5)
        self.request("DELETE", "/api/v1/vip/" + c["id"], token=self.token)

    def test_metrics_and_health(self):
        self.request("POST", "/api/v1/vip/identify?phone_number=%2B15550009999", token=self.token)
        conn = http.client.HTTPConnection("127.0.0.1", self.vipd.port, timeout=10)
        conn.request("GET", "/metrics")
        r = conn.getresponse()
        text = r.read().decode()
        conn.close()
        self.assertEqual(r.status, 200)
        self.assertIn('vipd_requests_total{route="/api/v1/vip/identify",status="200"}', text)
        self.assertIn('vipd_request_duration_seconds_bucket{route="/api/v1/vip/identify",le="+Inf"}', text)
        self.assertIsNotNone(re.search(r'vipcore_identify_total\{tenant="acme",result="not_vip"\} [1-9]', text),
                             "vipcore's counters are served")
        self.assertEqual(self.request("GET", "/healthz"), (200, {"status": "ok"}))

    # ---- a server's manners ------------------------------------------------------------

    def test_a_slow_client_is_disconnected(self):
        s = socket.create_connection(("127.0.0.1", self.vipd.port))
        s.sendall(b"GET /api/v1/vip/ HTTP/1.1\r\nHost: x\r\n")  # and then nothing
        s.settimeout(10)
        start = time.monotonic()
        data = s.recv(4096)
        waited = time.monotonic() - start
        s.close()
        self.assertEqual(data, b"")  # closed, unanswered
        self.assertLess(waited, 9)  # --timeout 2: closed well before our own 10 s
        self.assertEqual(self.request("GET", "/healthz")[0], 200)  # and everyone else is served

    def test_concurrent_clients_while_vipctl_writes(self):
        c = self.create({"phone_number": "+15550004001", "caller_name": "Busy Probe", "vip_level": "SILVER"})
        stop = threading.Event()
        errors, answers = [], []

        def client():
            conn = http.client.HTTPConnection("127.0.0.1", self.vipd.port, timeout=20)  # keep-alive
            while not stop.is_set():
                conn.request("POST", "/api/v1/vip/identify?phone_number=%2B15550004001",
                             headers={"Authorization": "Bearer " + self.token})
                r = conn.getresponse()
                body = json.loads(r.read())
                if r.status != 200 or not body["is_vip"]:
                    errors.append((r.status, body))
                else:
                    answers.append(body["vip_caller"]["vip_level"])
            conn.close()

        threads = [threading.Thread(target=client) for _ in range(8)]
        for t in threads:
            t.start()
        try:
            for level in ["GOLD", "PLATINUM", "DIAMOND", "GOLD", "PLATINUM"]:
                vipctl(self.dir, "update", c["id"], "--level", level)
            # The last change is answered by the very next request.
            status, who = self.request("POST", "/api/v1/vip/identify?phone_number=%2B15550004001", token=self.token)
            self.assertEqual(who["vip_caller"]["vip_level"], "PLATINUM")
        finally:
            stop.set()
            for t in threads:
                t.join()
            self.request("DELETE", "/api/v1/vip/" + c["id"], token=self.token)
        self.assertEqual(errors, [])
        self.assertGreater(len(answers), 50)
        self.assertTrue(set(answers) <= {"SILVER", "GOLD", "PLATINUM", "DIAMOND"})

    def test_sigterm_lets_a_request_in_flight_finish(self):
        # A second vipd on the same database. A request is in flight (its body half sent) when
        # SIGTERM comes: vipd stops accepting connections, waits for it, answers it, and exits 0.
        other = Vipd(self.dir, "--grace", "300")
        try:
            rows = [{"phone_number": "+1555%07d" % (1000000 + i), "caller_name": "Bulk %d" % i, "vip_level": "SILVER"}
                    for i in range(3)]
            body = json.dumps({"vip_callers": rows}).encode()
            s = socket.create_connection(("127.0.0.1", other.port), timeout=60)
            # Expect: 100-continue: vipd answers "100 Continue" once it has taken the request in,
            # so that SIGTERM surely comes with the request in flight, however slow the machine.
            s.sendall(("POST /api/v1/vip/bulk-import HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                       "Content-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n"
                       "Expect: 100-continue\r\n\r\n" % (self.token, len(body))).encode())
            interim = b""
            while not interim.endswith(b"\r\n\r\n"):
                chunk = s.recv(1)
                self.assertTrue(chunk, "vipd closed the connection before 100 Continue")
                interim += chunk
            self.assertTrue(interim.startswith(b"HTTP/1.1 100"), interim)
            s.sendall(body[:len(body) // 2])
            other.proc.send_signal(signal.SIGTERM)
            refused, deadline = False, time.monotonic() + 20
            while not refused and time.monotonic() < deadline:  # soon no new connection is accepted
                try:
                    socket.create_connection(("127.0.0.1", other.port), timeout=5).close()
                    time.sleep(0.05)
                except OSError:
                    refused = True
            self.assertTrue(refused, "vipd still accepts connections after SIGTERM")
            time.sleep(0.3)
            self.assertIsNone(other.proc.poll(), "vipd exited with a request in flight")
            s.sendall(body[len(body) // 2:])
            answer = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                answer += chunk
            s.close()
            head, _, payload = answer.partition(b"\r\n\r\n")
            self.assertTrue(head.startswith(b"HTTP/1.1 200"), head[:40])
            self.assertEqual(json.loads(payload)["created"], 3)
            self.assertEqual(other.proc.wait(60), 0)
        finally:
            other.stop()
        # The import is whole: every row is there.
        status, listed = self.request("GET", "/api/v1/vip/?search=Bulk", token=self.token)
        self.assertEqual(sorted(c["caller_name"] for c in listed), ["Bulk 0", "Bulk 1", "Bulk 2"])

    def test_tls(self):
        key, cert = os.path.join(self.dir, "tls.key"), os.path.join(self.dir, "tls.crt")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                        "-days", "1", "-subj", "/CN=127.0.0.1"], check=True, capture_output=True)
        tls = Vipd(self.dir, "--tls-cert", cert, "--tls-key", key)
        try:
            self.assertEqual(tls.scheme, "https")
            ctx = ssl.create_default_context(cafile=cert)
            ctx.check_hostname = False
            conn = http.client.HTTPSConnection("127.0.0.1", tls.port, context=ctx, timeout=10)
            conn.request("GET", "/api/v1/vip/analytics/overview", headers={"Authorization": "Bearer " + self.token})
            r = conn.getresponse()
            self.assertEqual(r.status, 200)
            self.assertIn("by_level", json.loads(r.read()))
            conn.close()
            # Plain HTTP on the TLS port gets no API answer.
            s = socket.create_connection(("127.0.0.1", tls.port), timeout=10)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            self.assertNotIn(b'"ok"', s.recv(4096))
            s.close()
        finally:
            self.assertEqual(tls.stop(), 0)

    def test_bad_start_up_options_are_named(self):
        r = subprocess.run([VIPD, "--db", os.path.join(self.dir, "vip.db"), "--key-file",
                            os.path.join(self.dir, "vip.key"), "--listen", "localhost"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 2)
        self.assertIn("--listen", r.stderr)
        r = subprocess.run([VIPD, "--db", os.path.join(self.dir, "missing.db"), "--key-file",
                            os.path.join(self.dir, "vip.key"), "--listen", "127.0.0.1:0"], capture_output=True, text=True)
        self.assertEqual(r.returncode, 3)
        self.assertIn("database", r.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir, "missing.db")))


if __name__ == "__main__":
    unittest.main(verbosity=2)
