#!/usr/bin/env python3
"""Throughput of Kamailio with vipcore's lookup, against the same configuration without it.

Seeds a database of VIPs (vipctl import), starts one sipp user agent answering
every target and Kamailio (examples/kamailio/kamailio.cfg) on 127.0.0.1, then
pushes calls (INVITE, 200, ACK, BYE, 200) with sipp as fast as the proxy
takes them (a high rate, bounded by --concurrent calls in flight), from
callers of whom --vip-share are VIPs, as on a real PBX. Each configuration
runs --rounds times, alternating; the best round of each counts. Prints

  kamailio_calls_per_s_with_vipcore     N
  kamailio_calls_per_s_without_vipcore  N
  ratio kamailio_calls_per_s_with_vipcore/without  R   (higher is better)
and the CPU time Kamailio's processes spent per call in each (less sensitive to
other load on the machine than the rates, which sipp's own CPU also bounds).

Usage: bench/kamailio/run.py --vipctl build/tools/vipctl --lua-cpath 'build/lua/5.1/?.so'
       [--calls 20000] [--concurrent 100] [--rounds 2] [--vips 1000] [--vip-share 0.1]
Not part of the tests (timings depend on the machine).
"""
import argparse
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "kamailio")


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port, proc):
    deadline = time.time() + 15
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(0.3)
        n = 0
        while time.time() < deadline:
            if proc.poll() is not None:
                raise RuntimeError("kamailio exited at start-up")
            n += 1
            msg = ("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bK-r%d\r\n"
                   "From: <sip:probe@127.0.0.1>;tag=%d\r\nTo: <sip:127.0.0.1:%d>\r\nCall-ID: ready-%d\r\n"
                   "CSeq: 1 OPTIONS\r\nMax-Forwards: 5\r\nContent-Length: 0\r\n\r\n"
                   % (port, s.getsockname()[1], n, n, port, n))
            s.sendto(msg.encode(), ("127.0.0.1", port))
            try:
                if s.recv(4096).startswith(b"SIP/2.0 200"):
                    return
            except socket.timeout:
                pass
    raise RuntimeError("kamailio did not answer")


def group_cpu_seconds(pgid):
    """CPU time (user + system) used so far by the processes of a process group (Kamailio and its workers)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # pgrp; utime and stime follow at 11 and 12
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--vipctl", required=True)
    ap.add_argument("--lua-cpath", required=True)
    ap.add_argument("--kamailio", default=shutil.which("kamailio") or "/usr/sbin/kamailio")
    ap.add_argument("--sipp", default=shutil.which("sipp") or "sipp")
    ap.add_argument("--calls", type=int, default=20000)
    ap.add_argument("--concurrent", type=int, default=100)
    ap.add_argument("--rate", type=int, default=20000, help="calls/s asked of sipp (above what the proxy takes)")
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--vips", type=int, default=1000)
    ap.add_argument("--vip-share", type=float, default=0.1)
    args = ap.parse_args()
    args.vipctl = os.path.abspath(args.vipctl)
    args.lua_cpath = os.path.abspath(args.lua_cpath)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # clean up (finally) when killed
    tmp = tempfile.mkdtemp(prefix="vipcore-kamailio-bench-")
    env = dict(os.environ, VIPCTL_DB=os.path.join(tmp, "vip.db"), VIPCTL_KEY_FILE=os.path.join(tmp, "vip.key"),
               VIPCTL_TENANT="acme", VIPCTL_ACTOR="bench", LUA_CPATH=args.lua_cpath + ";;")
    procs = []

    def start(cmd, log):
        p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=open(os.path.join(tmp, log), "wb"),
                             stderr=subprocess.STDOUT, env=env, cwd=tmp, start_new_session=True)
        procs.append(p)
        return p

    def stop(p):
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    try:
        vipctl = lambda *a: subprocess.run([args.vipctl, *a], env=env, cwd=tmp, check=True,
                                           stdout=subprocess.DEVNULL)
        vipctl("init")
        rules = ["IMMEDIATE_TRANSFER", "DEDICATED_AGENT", "PRIORITY_QUEUE", ""]
        levels = ["SILVER", "GOLD", "PLATINUM", "DIAMOND"]
        with open(os.path.join(tmp, "vips.csv"), "w") as f:
            f.write("phone_number,caller_name,vip_level,handling_rules,preferred_agent_id\n")
            for i in range(args.vips):
                f.write("+1312200%04d,VIP %d,%s,%s,agent-%03d\n" % (i, i, levels[i % 4], rules[i % 4], i % 50))
        vipctl("import", os.path.join(tmp, "vips.csv"))
        rnd = random.Random(7)
        with open(os.path.join(tmp, "callers.csv"), "w") as f:
            f.write("SEQUENTIAL\n")
            for i in range(args.calls):
                if rnd.random() < args.vip_share:
                    number = "+1312200%04d" % rnd.randrange(args.vips)
                else:
                    number = "+1312300%04d" % rnd.randrange(10000)
                f.write("%s;X-No-PAI: 1;bench\n" % number)

        uas_port = free_udp_port()
        start([args.sipp, "-sn", "uas", "-i", "127.0.0.1", "-p", str(uas_port), "-nostdin"], "uas.out")
        results = {True: [], False: []}
        cpu_per_call = {True: [], False: []}
        for rnd_i in range(args.rounds):
            for with_vipcore in (True, False):
                kport = free_udp_port()
                cmd = [args.kamailio, "-f", os.path.join(EXAMPLE, "kamailio.cfg"), "-DD", "-E", "-Y", tmp,
                       "-P", os.path.join(tmp, "kamailio.pid"), "-m", "256", "-M", "16",
                       "-A", "LISTEN=udp:127.0.0.1:%d" % kport,
                       "-A", 'VIPCORE_SCRIPT="%s"' % os.path.join(EXAMPLE, "vipcore.lua"),
                       "-A", 'VIPCORE_DB="%s"' % env["VIPCTL_DB"], "-A", 'VIPCORE_KEY_FILE="%s"' % env["VIPCTL_KEY_FILE"],
                       "-A", 'VIPCORE_TENANT="acme"',
                       "-A", 'AGENT_TARGET="sip:agents@127.0.0.1:%d"' % uas_port,
                       "-A", 'AGENT_DOMAIN="127.0.0.1:%d"' % uas_port,
                       "-A", 'QUEUE_TARGET="sip:vip-queue@127.0.0.1:%d"' % uas_port,
                       "-A", 'DEFAULT_TARGET="sip:pbx@127.0.0.1:%d"' % uas_port]
                if not with_vipcore:
                    cmd += ["-A", "WITHOUT_VIPCORE"]
                k = start(cmd, "kamailio-%s.out" % ("with" if with_vipcore else "without"))
                wait_ready(kport, k)
                cpu0 = group_cpu_seconds(k.pid)
                t0 = time.monotonic()
                uac = subprocess.run([args.sipp, "127.0.0.1:%d" % kport, "-sf", os.path.join(EXAMPLE, "uac.xml"),
                                      "-inf", os.path.join(tmp, "callers.csv"), "-m", str(args.calls),
                                      "-r", str(args.rate), "-l", str(args.concurrent), "-i", "127.0.0.1",
                                      "-p", str(free_udp_port()), "-nostdin", "-timeout", "300s",
                                      "-recv_timeout", "5s"],
                                     stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     cwd=tmp, text=True, errors="replace")
                elapsed = time.monotonic() - t0
                cpu = group_cpu_seconds(k.pid) - cpu0
                stop(k)
                ok = re.findall(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", uac.stdout)
                failed = re.findall(r"Failed call\s*\|\s*\d+\s*\|\s*(\d+)", uac.stdout)
                ok = int(ok[-1]) if ok else 0
                failed = int(failed[-1]) if failed else -1
                rate = ok / elapsed
                results[with_vipcore].append(rate)
                cpu_per_call[with_vipcore].append(cpu * 1e6 / max(ok, 1))
                print("round %d %-16s %6d calls ok, %d failed, %.2f s: %.0f calls/s; Kamailio CPU %.0f us per call"
                      % (rnd_i + 1, "with vipcore" if with_vipcore else "without vipcore", ok, failed, elapsed, rate,
                         cpu_per_call[with_vipcore][-1]), flush=True)
        with_best, without_best = max(results[True]), max(results[False])
        print("kamailio_cpu_us_per_call_with_vipcore     %.0f" % min(cpu_per_call[True]))
        print("kamailio_cpu_us_per_call_without_vipcore  %.0f" % min(cpu_per_call[False]))
        print("kamailio_calls_per_s_with_vipcore     %.0f" % with_best)
        print("kamailio_calls_per_s_without_vipcore  %.0f" % without_best)
        print("ratio kamailio_calls_per_s_with_vipcore/without  %.3f  (higher is better)" % (with_best / without_best))
        return 0
    finally:
        for p in procs:
            stop(p)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
