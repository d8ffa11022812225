#!/usr/bin/env python3
"""End to end: Kamailio routes real SIP calls by vipcore's answer.

Starts, on 127.0.0.1 only and on free UDP ports: three sipp user agents (the
agents' desk, the VIP priority queue, the default PBX; uas.xml) that log every
message they receive, and Kamailio with examples/kamailio/kamailio.cfg and vipcore.lua.
Seeds a database with vipctl, places one sipp call per kind of caller, and
checks which user agent each INVITE reached and with which headers; changes a
VIP with vipctl during the run and checks the next calls honour it. Everything
it started is stopped on exit, also when a check fails.

Usage: test_kamailio.py --vipctl PATH --lua-cpath 'DIR/?.so' [--kamailio PATH] [--sipp PATH] [--keep]
The numbers are invented (555-01xx); none is printed.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TENANT = "acme"
NUMBERS = {
    "transfer": "+12025550101",
    "dedicated": "+12025550102",
    "queue": "+12025550103",
    "silver": "+12025550104",
    "suspended": "+12025550105",
    "stranger": "+12025550199",
}


class Failure(Exception):
    pass


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Run:
    def __init__(self, args):
        self.args = args
        self.dir = tempfile.mkdtemp(prefix="vipcore-kamailio-")
        self.procs = []  # (name, Popen)
        self.env = dict(os.environ, VIPCTL_DB=os.path.join(self.dir, "vip.db"),
                        VIPCTL_KEY_FILE=os.path.join(self.dir, "vip.key"), VIPCTL_TENANT=TENANT,
                        VIPCTL_ACTOR="test")

    # ------------------------------------------------------------ processes
    def start(self, name, cmd, env=None):
        log = open(os.path.join(self.dir, name + ".out"), "wb")
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                             env=env or self.env, cwd=self.dir, start_new_session=True)
        self.procs.append((name, p))
        return p

    def stop_all(self):
        for name, p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.time() + 5
        for name, p in self.procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()

    def vipctl(self, *args):
        r = subprocess.run([self.args.vipctl, *args], env=self.env, cwd=self.dir,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            raise Failure("vipctl %s failed (exit %d): %s" % (args[0], r.returncode, r.stderr.strip()))
        return r.stdout

    # -------------------------------------------------------------- set-up
    def seed(self):
        self.vipctl("init")
        self.vipctl("add", "--phone", NUMBERS["transfer"], "--name", "Ida Transfer", "--level", "PLATINUM",
                    "--rules", "IMMEDIATE_TRANSFER")
        self.vipctl("add", "--phone", NUMBERS["dedicated"], "--name", "Dana Dedicated", "--level", "GOLD",
                    "--rules", "DEDICATED_AGENT,CUSTOM_GREETING", "--agent", "agent-007",
                    "--greeting", "Welcome back")
        self.vipctl("add", "--phone", NUMBERS["queue"], "--name", "Quinn Queue", "--level", "GOLD",
                    "--rules", "PRIORITY_QUEUE")
        self.vipctl("add", "--phone", NUMBERS["silver"], "--name", "Sid Silver", "--level", "SILVER")
        self.vipctl("add", "--phone", NUMBERS["suspended"], "--name", "Sue Suspended", "--level", "DIAMOND",
                    "--status", "SUSPENDED", "--rules", "IMMEDIATE_TRANSFER")

    def start_uas(self):
        self.uas = {}
        for name in ("agent", "queue", "default"):
            port = free_udp_port()
            log = os.path.join(self.dir, "uas-%s-messages.log" % name)
            self.start("uas-" + name, [self.args.sipp, "-sf", os.path.join(HERE, "uas.xml"), "-i", "127.0.0.1",
                                       "-p", str(port), "-nostdin", "-trace_msg", "-message_file", log])
            self.uas[name] = (port, log)

    def stop(self, proc):
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)

    def start_kamailio(self, extra_defines=(), key_file=None):
        self.kport = free_udp_port()
        agent_port = self.uas["agent"][0]
        defines = {
            "LISTEN": 'udp:127.0.0.1:%d' % self.kport,
            "VIPCORE_SCRIPT": '"%s"' % os.path.join(HERE, "vipcore.lua"),
            "VIPCORE_DB": '"%s"' % self.env["VIPCTL_DB"],
            "VIPCORE_KEY_FILE": '"%s"' % (key_file or self.env["VIPCTL_KEY_FILE"]),
            "VIPCORE_TENANT": '"%s"' % TENANT,
            "AGENT_TARGET": '"sip:agents@127.0.0.1:%d"' % agent_port,
            "AGENT_DOMAIN": '"127.0.0.1:%d"' % agent_port,
            "QUEUE_TARGET": '"sip:vip-queue@127.0.0.1:%d"' % self.uas["queue"][0],
            "DEFAULT_TARGET": '"sip:pbx@127.0.0.1:%d"' % self.uas["default"][0],
        }
        cmd = [self.args.kamailio, "-f", os.path.join(HERE, "kamailio.cfg"), "-DD", "-E", "-Y", self.dir,
               "-P", os.path.join(self.dir, "kamailio.pid"), "-m", "64", "-M", "8"]
        for k, v in defines.items():
            cmd += ["-A", "%s=%s" % (k, v)]
        for d in extra_defines:
            cmd += ["-A", d]
        env = dict(self.env, LUA_CPATH=self.args.lua_cpath + ";;")
        self.kamailio = self.start("kamailio" if key_file is None else "kamailio-wrong-key", cmd, env=env)
        self.wait_ready()

    def wait_ready(self):
        """Kamailio answers an OPTIONS to itself once its workers listen."""
        deadline = time.time() + 15
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.bind(("127.0.0.1", 0))
            s.settimeout(0.3)
            lport = s.getsockname()[1]
            n = 0
            while time.time() < deadline:
                if self.kamailio.poll() is not None:
                    raise Failure("kamailio exited with %d at start-up" % self.kamailio.returncode)
                n += 1
                msg = ("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-ready%d\r\n"
                       "From: <sip:probe@127.0.0.1>;tag=%d\r\nTo: <sip:127.0.0.1:%d>\r\nCall-ID: ready-%d\r\n"
                       "CSeq: 1 OPTIONS\r\nMax-Forwards: 5\r\nContent-Length: 0\r\n\r\n"
                       % (self.kport, lport, n, n, self.kport, n))
                s.sendto(msg.encode(), ("127.0.0.1", self.kport))
                try:
                    data = s.recv(4096)
                    if data.startswith(b"SIP/2.0 200"):
                        return
                except socket.timeout:
                    pass
        raise Failure("kamailio did not answer within 15 s")

    # --------------------------------------------------------------- calls
    def call(self, name, from_user, extra_header="X-No-PAI: 1"):
        csv = os.path.join(self.dir, "call-%s.csv" % name)
        with open(csv, "w") as f:
            f.write("SEQUENTIAL\n%s;%s;%s\n" % (from_user, extra_header, name))
        p = self.start("uac-" + name, [self.args.sipp, "127.0.0.1:%d" % self.kport, "-sf", os.path.join(HERE, "uac.xml"),
                                       "-inf", csv, "-m", "1", "-i", "127.0.0.1", "-p", str(free_udp_port()),
                                       "-nostdin", "-timeout", "15s", "-timeout_error"])
        rc = p.wait(timeout=30)
        if rc != 0:
            raise Failure("call %s: sipp exited with %d (the call did not complete)" % (name, rc))

    def received(self, name):
        """(user agent, INVITE text) of the INVITE of call `name`, which must reach exactly one."""
        hits = []
        for uas, (_, log) in self.uas.items():
            if not os.path.exists(log):
                continue
            with open(log, errors="replace") as f:
                text = f.read()
            for chunk in re.split(r"message received \[\d+\] bytes :", text)[1:]:
                chunk = chunk.lstrip("\r\n")
                if chunk.startswith("INVITE ") and re.search(r"^X-Test-Call: %s\r?$" % re.escape(name), chunk, re.M):
                    hits.append((uas, chunk))
        if len(hits) != 1:
            raise Failure("call %s: its INVITE reached %s, expected exactly one user agent"
                          % (name, [h[0] for h in hits] or "none"))
        return hits[0]

    def expect(self, name, uas, ruri_user=None, headers=None, absent=()):
        got, invite = self.received(name)
        if got != uas:
            raise Failure("call %s reached the %s user agent, expected the %s one" % (name, got, uas))
        request_line = invite.splitlines()[0]
        if ruri_user is not None and not request_line.startswith("INVITE sip:%s@" % ruri_user):
            raise Failure("call %s: request line %r, expected user %s" % (name, request_line, ruri_user))
        for h, value in (headers or {}).items():
            m = re.search(r"^%s:\s*(.*?)\r?$" % re.escape(h), invite, re.M)
            if not m or m.group(1) != value:
                raise Failure("call %s: header %s is %r, expected %r" % (name, h, m and m.group(1), value))
        for h in absent:
            if re.search(r"^%s:" % re.escape(h), invite, re.M):
                raise Failure("call %s: header %s should be absent" % (name, h))
        print("ok   %-28s -> %-7s %s" % (name, uas, " ".join("%s=%s" % kv for kv in (headers or {}).items())))


VIP_HEADERS = ("X-VIP-Level", "X-VIP-Priority", "X-VIP-Greeting", "X-VIP-Agent")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vipctl", required=True)
    ap.add_argument("--lua-cpath", required=True, help="where Lua 5.1 finds the vipcore module, e.g. build/lua/5.1/?.so")
    ap.add_argument("--kamailio", default=shutil.which("kamailio") or "/usr/sbin/kamailio")
    ap.add_argument("--sipp", default=shutil.which("sipp") or "sipp")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (logs)")
    args = ap.parse_args()
    args.vipctl = os.path.abspath(args.vipctl)
    args.lua_cpath = ";".join(os.path.abspath(p) for p in args.lua_cpath.split(";") if p)
    for tool in (args.kamailio, args.sipp):
        if not shutil.which(tool):
            print("%s is not installed (Debian: kamailio kamailio-lua-modules sip-tester)" % tool, file=sys.stderr)
            return 1

    run = Run(args)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    ok = False
    try:
        run.seed()
        run.start_uas()
        run.start_kamailio()
        prio = {}
        for kind, level, rules in (("transfer", "PLATINUM", "IMMEDIATE_TRANSFER"),
                                   ("dedicated", "GOLD", "DEDICATED_AGENT,CUSTOM_GREETING"),
                                   ("queue", "GOLD", "PRIORITY_QUEUE"), ("silver", "SILVER", "")):
            prio[kind] = run.vipctl("identify", NUMBERS[kind], "--json")
            prio[kind] = re.search(r'"routing_priority"\s*:\s*(\d+)', prio[kind]).group(1)

        # From the P-Asserted-Identity, the From user being something else.
        run.call("immediate-transfer", "trunk", "P-Asserted-Identity: <sip:%s@127.0.0.1>" % NUMBERS["transfer"])
        run.expect("immediate-transfer", "agent", "agents",
                   {"X-VIP-Level": "PLATINUM", "X-VIP-Priority": prio["transfer"]}, ("X-VIP-Agent", "X-VIP-Greeting"))
        # From the From user, no P-Asserted-Identity.
        run.call("dedicated-agent", NUMBERS["dedicated"])
        run.expect("dedicated-agent", "agent", "agent-007",
                   {"X-VIP-Level": "GOLD", "X-VIP-Priority": prio["dedicated"], "X-VIP-Agent": "agent-007",
                    "X-VIP-Greeting": "Welcome back"})
        run.call("priority-queue", "trunk", "P-Asserted-Identity: <tel:%s>" % NUMBERS["queue"])
        run.expect("priority-queue", "queue", "vip-queue", {"X-VIP-Level": "GOLD", "X-VIP-Priority": prio["queue"]})
        run.call("silver-no-rules", NUMBERS["silver"])
        run.expect("silver-no-rules", "queue", "vip-queue", {"X-VIP-Level": "SILVER", "X-VIP-Priority": prio["silver"]})
        run.call("suspended-vip", NUMBERS["suspended"])
        run.expect("suspended-vip", "default", "service", absent=VIP_HEADERS)
        # A caller's own X-VIP-* header is removed, not trusted.
        run.call("not-a-vip", NUMBERS["stranger"], "X-VIP-Level: DIAMOND")
        run.expect("not-a-vip", "default", "service", absent=VIP_HEADERS)
        run.call("withheld", "anonymous")
        run.expect("withheld", "default", "service", absent=VIP_HEADERS)
        run.call("garbled", "12ab%2334", "P-Asserted-Identity: <sip:+1-not-a-number@127.0.0.1>")
        run.expect("garbled", "default", "service", absent=VIP_HEADERS)

        # vipctl changes the SILVER VIP while Kamailio runs: the next calls
        # (two, so that both workers answer one) follow the change.
        caller_id = re.search(r'"caller_id"\s*:\s*"([^"]+)"', run.vipctl("identify", NUMBERS["silver"], "--json")).group(1)
        run.vipctl("update", caller_id, "--level", "PLATINUM", "--rules", "IMMEDIATE_TRANSFER")
        new_prio = re.search(r'"routing_priority"\s*:\s*(\d+)', run.vipctl("identify", NUMBERS["silver"], "--json")).group(1)
        for i in (1, 2):
            run.call("silver-promoted-%d" % i, NUMBERS["silver"])
            run.expect("silver-promoted-%d" % i, "agent", "agents", {"X-VIP-Level": "PLATINUM", "X-VIP-Priority": new_prio})
        run.vipctl("update", caller_id, "--status", "SUSPENDED")
        for i in (1, 2):
            run.call("silver-suspended-%d" % i, NUMBERS["silver"])
            run.expect("silver-suspended-%d" % i, "default", "service", absent=VIP_HEADERS)

        if run.kamailio.poll() is not None:
            raise Failure("kamailio exited during the run")

        # vipcore failing (here: the wrong key) never blocks a call: a VIP's
        # call is routed as a non-VIP one, and the failure is logged.
        run.stop(run.kamailio)
        wrong_key = os.path.join(run.dir, "wrong.key")
        fd = os.open(wrong_key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, b"ab" * 32 + b"\n")
        os.close(fd)
        run.start_kamailio(key_file=wrong_key)
        run.call("vip-with-wrong-key", NUMBERS["transfer"])
        run.expect("vip-with-wrong-key", "default", "service", absent=VIP_HEADERS)
        run.stop(run.kamailio)
        with open(os.path.join(run.dir, "kamailio-wrong-key.out"), errors="replace") as f:
            if "vipcore: cannot open the database (key)" not in f.read():
                raise Failure("Kamailio did not log vipcore's failure to open the database with the wrong key")

        log = ""
        for name in ("kamailio.out", "kamailio-wrong-key.out"):
            with open(os.path.join(run.dir, name), errors="replace") as f:
                log += f.read()
        for n in NUMBERS.values():
            if n[2:] in log:
                raise Failure("Kamailio's log holds a caller's number")
        if "routing script error" in log:
            raise Failure("vipcore.lua raised an error: see kamailio.out")
        ok = True
        print("all calls routed as expected")
    except Exception as e:  # a failed check, a timeout, a missing file: all fail the test after clean-up
        print("FAILED: %s: %s" % (type(e).__name__, e), file=sys.stderr)
    finally:
        run.stop_all()
        if not ok:
            try:
                with open(os.path.join(run.dir, "kamailio.out"), errors="replace") as f:
                    print("---- kamailio log (last lines)\n" + "".join(f.readlines()[-40:]), file=sys.stderr)
            except OSError:
                pass
        if args.keep or not ok:
            print("logs kept in %s" % run.dir, file=sys.stderr)
        else:
            shutil.rmtree(run.dir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
