#!/usr/bin/env python3
"""Throughput of Kamailio with vipcore's lookup, against the same configuration without it.

Seeds a database of VIPs (vipctl import), starts one sipp user agent answering
every target (examples/kamailio/uas.xml: 200 at once) and, for each round, a
fresh Kamailio (examples/kamailio/kamailio.cfg) on 127.0.0.1, and places calls
(INVITE, 200, ACK, BYE, 200) with sipp at a given rate, from callers of whom
--vip-share are VIPs, as on a real PBX.

A round "completes" when at least 99% of its calls are answered, at most 1%
fail, and the calls went through at 90% or more of the rate asked (the proxy
kept up). Past the rate the setup can carry, sipp and Kamailio retransmit and
calls fail, and calls/s then measures failures, not the lookup's cost. So:

 1. search (short rounds, doubling from --start-rate, then bisecting to
    within 5%) the highest rate at which the configuration WITHOUT vipcore
    completes a round (a rate that does not gets a second try);
 2. at that rate, run both configurations --rounds times each, alternating,
    and take the best round of each (the one other load on the machine
    disturbed least): calls/s, and the CPU time Kamailio's processes spent
    per call;
 3. search the highest rate at which the configuration WITH vipcore
    completes, starting from the rate of step 1 (skip with --no-with-search).

Prints
  kamailio_saturation_rate_without_vipcore  N   (calls/s asked, step 1)
  kamailio_cpu_us_per_call_with_vipcore / _without_vipcore, and their ratio (step 2, least of each)
  kamailio_max_completing_rate_with_vipcore / _without_vipcore, and their ratio (steps 1 and 3)
  kamailio_calls_per_s_with_vipcore     N       (step 2, best of each)
  kamailio_calls_per_s_without_vipcore  N
  ratio kamailio_calls_per_s_with_vipcore/without  R   (higher is better)

Usage: bench/kamailio/run.py --vipctl build/tools/vipctl --lua-cpath 'build/lua/5.1/?.so'
       [--start-rate 250] [--round-seconds 6] [--rounds 3] [--vips 1000] [--vip-share 0.1]
       [--rate N (no search: compare at N)] [--keep (the temporary directory, with the logs)]
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
    ap.add_argument("--start-rate", type=int, default=250, help="calls/s of the search's first round")
    ap.add_argument("--max-rate", type=int, default=32000, help="the search stops doubling here")
    ap.add_argument("--rate", type=int, default=0, help="compare at this rate (calls/s), without searching")
    ap.add_argument("--round-seconds", type=float, default=6.0, help="length of a round at the rate asked")
    ap.add_argument("--rounds", type=int, default=3, help="rounds of each configuration at the compared rate")
    ap.add_argument("--no-with-search", action="store_true", help="skip the search of step 3")
    ap.add_argument("--vips", type=int, default=1000)
    ap.add_argument("--vip-share", type=float, default=0.1)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (database, logs)")
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

    rounds_run = [0]

    def calls_for(rate):
        return max(200, int(rate * args.round_seconds))

    def run_round(with_vipcore, rate, label):
        """One round: a fresh Kamailio, calls_for(rate) calls at rate calls/s. Returns its figures."""
        calls = calls_for(rate)
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
        try:
            wait_ready(kport, k)
            # A few calls first, so that each worker has done its one-time set-up (vipcore.lua opens its
            # vipcore handle at a worker's first call): the round measures the steady state.
            subprocess.run([args.sipp, "127.0.0.1:%d" % kport, "-sf", os.path.join(EXAMPLE, "uac.xml"),
                            "-inf", os.path.join(tmp, "callers.csv"), "-m", "40", "-r", "40", "-i", "127.0.0.1",
                            "-p", str(free_udp_port()), "-nostdin", "-timeout", "30s", "-recv_timeout", "5s"],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp)
            cpu0 = group_cpu_seconds(k.pid)
            t0 = time.monotonic()
            # At most 2 s of calls in flight: enough that the limit never paces a proxy keeping up.
            uac_cmd = [args.sipp, "127.0.0.1:%d" % kport, "-sf", os.path.join(EXAMPLE, "uac.xml"),
                       "-inf", os.path.join(tmp, "callers.csv"), "-m", str(calls),
                       "-r", str(rate), "-l", str(max(100, 2 * rate)), "-i", "127.0.0.1",
                       "-p", str(free_udp_port()), "-nostdin", "-timeout", "120s", "-recv_timeout", "2s"]
            if args.keep:  # and why calls failed
                rounds_run[0] += 1
                uac_cmd += ["-trace_err", "-error_file", os.path.join(tmp, "uac-errors-%d-%s.log" % (
                    rounds_run[0], "with" if with_vipcore else "without"))]
            uac = subprocess.run(uac_cmd,
                                 stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                 cwd=tmp, text=True, errors="replace")
            elapsed = time.monotonic() - t0
            cpu = group_cpu_seconds(k.pid) - cpu0
        finally:
            stop(k)
        ok = re.findall(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", uac.stdout)
        failed = re.findall(r"Failed call\s*\|\s*\d+\s*\|\s*(\d+)", uac.stdout)
        ok = int(ok[-1]) if ok else 0
        failed = int(failed[-1]) if failed else calls
        r = {"rate": rate, "calls": calls, "ok": ok, "failed": failed, "elapsed": elapsed,
             "calls_per_s": ok / elapsed, "cpu_us": cpu * 1e6 / max(ok, 1)}
        r["completes"] = (ok >= 0.99 * calls and failed <= 0.01 * calls and calls / elapsed >= 0.9 * rate)
        print("%-22s %-16s asked %5d/s: %6d of %6d ok, %4d failed, %6.2f s: %5.0f calls/s, "
              "Kamailio CPU %4.0f us/call%s"
              % (label, "with vipcore" if with_vipcore else "without vipcore", rate, ok, calls, failed, elapsed,
                 r["calls_per_s"], r["cpu_us"], "" if r["completes"] else "  (does not complete)"), flush=True)
        return r

    def search(with_vipcore, start_rate):
        """The highest rate (calls/s) at which the configuration completes a round: doubling (or halving) from
        start_rate, then bisecting to within 5%."""
        label = "search " + ("with" if with_vipcore else "without")

        def completes(rate):  # a second try before a rate counts as too high: other load comes and goes
            return (run_round(with_vipcore, rate, label)["completes"] or
                    run_round(with_vipcore, rate, label + " again")["completes"])
        good, bad = 0, 0
        rate = start_rate
        if completes(rate):
            good = rate
            while rate < args.max_rate:
                rate = min(2 * rate, args.max_rate)
                if not completes(rate):
                    bad = rate
                    break
                good = rate
            if not bad:
                return good
        else:
            bad = rate
            while rate > 25:
                rate //= 2
                if completes(rate):
                    good = rate
                    break
                bad = rate
            if not good:
                raise RuntimeError("no rate completes without failures (is sipp or Kamailio failing?)")
        while bad - good > max(10, good // 20):
            rate = (good + bad) // 2
            if completes(rate):
                good = rate
            else:
                bad = rate
        return good

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
            for i in range(20000):  # sipp wraps around
                if rnd.random() < args.vip_share:
                    number = "+1312200%04d" % rnd.randrange(args.vips)
                else:
                    number = "+1312300%04d" % rnd.randrange(10000)
                f.write("%s;X-No-PAI: 1;bench\n" % number)

        uas_port = free_udp_port()
        start([args.sipp, "-sf", os.path.join(EXAMPLE, "uas.xml"), "-i", "127.0.0.1", "-p", str(uas_port),
               "-nostdin"], "uas.out")

        if args.rate:
            rate = args.rate
        else:
            rate = search(False, args.start_rate)
        print("kamailio_saturation_rate_without_vipcore  %d  (highest rate asked that completes)" % rate, flush=True)
        results = {True: [], False: []}
        for i in range(args.rounds):
            for with_vipcore in (True, False):
                results[with_vipcore].append(run_round(with_vipcore, rate, "compare round %d" % (i + 1)))
        with_max = 0
        if not args.rate and not args.no_with_search:
            with_max = search(True, rate)

        best = lambda with_vipcore, key: (max if key == "calls_per_s" else min)(r[key] for r in results[with_vipcore])
        completed = lambda with_vipcore: sum(r["completes"] for r in results[with_vipcore])
        print("rounds completed at %d calls/s: %d of %d with vipcore, %d of %d without"
              % (rate, completed(True), args.rounds, completed(False), args.rounds))
        print("kamailio_cpu_us_per_call_with_vipcore     %.0f" % best(True, "cpu_us"))
        print("kamailio_cpu_us_per_call_without_vipcore  %.0f" % best(False, "cpu_us"))
        print("ratio kamailio_cpu_per_call_with_vipcore/without  %.3f  (lower is better)"
              % (best(True, "cpu_us") / best(False, "cpu_us")))
        if with_max:
            print("kamailio_max_completing_rate_with_vipcore     %d" % with_max)
            print("kamailio_max_completing_rate_without_vipcore  %d" % rate)
            print("ratio kamailio_max_completing_rate_with_vipcore/without  %.3f  (higher is better)"
                  % (with_max / rate))
        print("kamailio_calls_per_s_with_vipcore     %.0f" % best(True, "calls_per_s"))
        print("kamailio_calls_per_s_without_vipcore  %.0f" % best(False, "calls_per_s"))
        print("ratio kamailio_calls_per_s_with_vipcore/without  %.3f  (higher is better)"
              % (best(True, "calls_per_s") / best(False, "calls_per_s")))
        return 0
    finally:
        for p in procs:
            stop(p)
        if args.keep:
            print("kept", tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
