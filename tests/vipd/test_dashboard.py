#!/usr/bin/env python3
"""vipd's dashboard in headless Chromium, against a vipd serving the demo's database.

    test_dashboard.py VIPD VIPCTL VIPCORE_DEMO [--chromium PATH] [--screenshot PATH]

Runs the demo into a temporary directory (its morning of calls is Monday 15 January 2024, tenant
"acme"), makes a MANAGER token with vipctl, starts vipd on a free loopback port, then loads the
page in headless Chromium three times (all at once):
  - with the token and the demo's day: every chart's values, read back from Chart.js by the page,
    must be exactly the overview vipd answers to the same token (per level: calls, wait p50 and
    p90, the target wait from the settings, SLA met, escalation rate, satisfaction), drawn at
    finite, distinct pixel positions that follow the values; the alerts and the VIP list must be
    vipd's. This run also saves a screenshot (--screenshot; by default none is kept).
  - with a search term: the list shows vipd's answer to that search, fewer callers than without.
  - with a token vipd does not know: the token form is shown, and no data.
The token travels in the URL's fragment, which a browser never sends: vipd's log must not hold it.
Exit status 0 when every check passed; each failed check is printed.
"""

import argparse
import html.parser
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

DAY = "2024-01-15"  # the demo's simulated morning
SEARCH = "Doe"      # matches the demo's John Doe, not its generated callers
CHARTS = {  # chart -> the overview field of each of its datasets
    "calls": ["calls"],
    "wait": ["wait.p50", "wait.p90", "target_wait"],
    "sla": ["sla_met_rate"],
    "escalation": ["escalation_rate"],
    "satisfaction": ["average_satisfaction"],
}

failures = []


def check(condition, message):
    if not condition:
        failures.append(message)
        print("FAILED: " + message, flush=True)
    return condition


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Page(html.parser.HTMLParser):
    """What a dumped DOM shows: attributes by element id, the JSON of #drawn, table rows by table id."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.attrs_by_id = {}
        self.body = {}
        self.drawn_text = None
        self.rows = {}        # table id -> [[cell text, ...], ...] of its tbody
        self._in_drawn = False
        self._table = None
        self._in_tbody = False
        self._cell = None
        self.feed(text)
        self.close()
        self.drawn = json.loads(self.drawn_text) if self.drawn_text else None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.attrs_by_id[attrs["id"]] = attrs
        if tag == "body":
            self.body = attrs
        elif tag == "script" and attrs.get("id") == "drawn":
            self._in_drawn = True
            self.drawn_text = ""
        elif tag == "table":
            self._table = attrs.get("id")
            self.rows.setdefault(self._table, [])
        elif tag == "tbody":
            self._in_tbody = True
        elif tag == "tr" and self._in_tbody and self._table:
            self.rows[self._table].append([])
        elif tag in ("td", "th") and self._in_tbody and self._table:
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_drawn = False
        elif tag == "table":
            self._table = None
        elif tag == "tbody":
            self._in_tbody = False
        elif tag in ("td", "th") and self._cell is not None:
            self.rows[self._table][-1].append(self._cell.strip())
            self._cell = None

    def handle_data(self, data):
        if self._in_drawn:
            self.drawn_text += data
        elif self._cell is not None:
            self._cell += data

    def hidden(self, element_id):
        return "hidden" in self.attrs_by_id.get(element_id, {"hidden": ""})


class Run:
    """The helpers' shared state: paths, vipd's address and the token."""

    def __init__(self, args, work):
        self.args = args
        self.work = work
        self.base = None
        self.token = None

    def api(self, path, token=None, **params):
        """vipd's answer: (status, parsed JSON or None)."""
        query = urllib.parse.urlencode(params)
        request = urllib.request.Request(self.base + "/api/v1/vip/" + path + ("?" + query if query else ""),
                                         headers={"Authorization": "Bearer " + (token or self.token)})
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as e:
            body = e.read()
            try:
                return e.code, json.loads(body)
            except ValueError:
                return e.code, None

    def page_url(self, token, **fragment):
        return self.base + "/#" + urllib.parse.urlencode(dict(token=token, **fragment))

    def start_chromium(self, name, url, screenshot=None):
        profile = os.path.join(self.work, "chromium-" + name)
        command = [self.args.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                   "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
                   "--disable-component-update", "--disable-sync", "--hide-scrollbars", "--user-data-dir=" + profile,
                   "--window-size=1280,2200", "--virtual-time-budget=5000"]
        if screenshot:
            command.append("--screenshot=" + screenshot)
        command += ["--dump-dom", url]
        # Its own process group, so that a timeout ends every process Chromium started.
        return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                start_new_session=True, cwd=self.work)


def finish_chromium(process, name, timeout):
    try:
        out, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        check(False, f"{name}: Chromium did not finish within {timeout} s")
        return None
    if not check(process.returncode == 0, f"{name}: Chromium exited with status {process.returncode}"):
        return None
    return out.decode("utf-8", "replace")


def expected_value(stats, field, target):
    if field == "target_wait":
        return target
    if field.startswith("wait."):
        # The page draws no waits for a level without calls (the report's 0 s would mislead).
        return stats["wait"][field[5:]] if stats["calls"] > 0 else None
    return stats[field]


def check_chart(name, chart, overview, settings):
    levels = list(overview["by_level"])
    if not check(chart["labels"] == levels, f"chart {name}: labels {chart['labels']} are not the levels {levels}"):
        return
    fields = [d["field"] for d in chart["datasets"]]
    check(fields == CHARTS[name], f"chart {name}: datasets {fields}, expected {CHARTS[name]}")
    width, height = chart["width"], chart["height"]
    check(width > 0 and height > 0, f"chart {name}: drawn {width}x{height}")
    for dataset in chart["datasets"]:
        field = dataset["field"]
        what = f"chart {name}, {field}"
        expected = [expected_value(overview["by_level"][level], field, settings["levels"][level]["target_wait"])
                    for level in levels]
        check(dataset["data"] == expected, f"{what}: drew {dataset['data']}, vipd's overview has {expected}")
        points = dataset["points"]
        if not check(len(points) == len(levels), f"{what}: {len(points)} elements drawn for {len(levels)} levels"):
            continue
        drawn = []  # (value, x, y) of the values drawn
        for level, value, point in zip(levels, dataset["data"], points):
            if value is None:
                continue
            x, y = point["x"], point["y"]
            if check(isinstance(x, (int, float)) and isinstance(y, (int, float)) and math.isfinite(x)
                     and math.isfinite(y), f"{what}, {level}: value {value} drawn at x={x}, y={y}"):
                check(0 <= x <= width and 0 <= y <= height,
                      f"{what}, {level}: ({x}, {y}) is outside the {width}x{height} chart")
                drawn.append((value, x, y))
        xs = [x for _, x, _ in drawn]
        check(all(a < b for a, b in zip(xs, xs[1:])), f"{what}: levels not drawn left to right at distinct x: {xs}")
        for i, (value_a, _, y_a) in enumerate(drawn):
            for value_b, _, y_b in drawn[i + 1:]:
                # Canvas y grows downwards: the larger value is drawn higher.
                if value_a == value_b:
                    check(abs(y_a - y_b) < 1e-6, f"{what}: equal values {value_a} drawn at y {y_a} and {y_b}")
                else:
                    check((value_a > value_b) == (y_a < y_b),
                          f"{what}: values {value_a} and {value_b} drawn at y {y_a} and {y_b}")


def check_full_page(run, page, overview, settings, alerts, callers):
    check(page.body.get("data-state") == "ready", f"full page: state {page.body.get('data-state')}, expected ready")
    drawn = page.drawn
    if not check(drawn is not None, "full page: no #drawn JSON"):
        return
    check(drawn.get("errors") == {}, f"full page: the page shows errors {drawn.get('errors')}")
    check(drawn.get("range") == {"start_date": DAY, "end_date": DAY}, f"full page: range {drawn.get('range')}")
    check(not page.hidden("dashboard") and page.hidden("token-section"), "full page: dashboard hidden or token asked")
    charts = drawn.get("charts", {})
    check(sorted(charts) == sorted(CHARTS), f"full page: charts {sorted(charts)}, expected {sorted(CHARTS)}")
    for name in CHARTS:
        if name in charts:
            check_chart(name, charts[name], overview, settings)
    table = page.rows.get("levels-table", [])
    check([row[:2] for row in table] == [[level, str(s["calls"])] for level, s in overview["by_level"].items()],
          f"full page: the levels table {table} does not match the overview")

    want_alerts = [{"kind": a["kind"], "level": a["level"], "message": a["message"]} for a in alerts]
    check(drawn.get("alerts") == want_alerts, f"full page: alerts {drawn.get('alerts')}, vipd has {want_alerts}")
    check([row[2] for row in page.rows.get("alerts-table", [])] == [a["message"] for a in alerts],
          "full page: the alerts table does not list vipd's alerts")

    rows = (drawn.get("callers") or {}).get("rows")
    check(rows is not None and [r["id"] for r in rows] == [c["id"] for c in callers],
          f"full page: the VIP list is not vipd's first {len(callers)} callers")
    check(len(page.rows.get("callers-table", [])) == len(callers),
          f"full page: {len(page.rows.get('callers-table', []))} rows in the VIP table, vipd lists {len(callers)}")


def check_search_page(page, found, callers):
    check(page.body.get("data-state") == "ready", f"search: state {page.body.get('data-state')}, expected ready")
    drawn = page.drawn or {}
    list_state = drawn.get("callers") or {}
    check(list_state.get("search") == SEARCH, f"search: the page searched {list_state.get('search')!r}")
    rows = list_state.get("rows") or []
    check([r["id"] for r in rows] == [c["id"] for c in found],
          f"search: the page lists {[r['caller_name'] for r in rows]}, vipd finds {[c['caller_name'] for c in found]}")
    check(0 < len(rows) < len(callers), f"search: {len(rows)} callers shown for {SEARCH!r}, {len(callers)} without")
    table = page.rows.get("callers-table", [])
    check(len(table) == len(found) and all(SEARCH.lower() in row[0].lower() for row in table),
          f"search: the VIP table shows {[row[0] for row in table]}")


def check_refused_page(page):
    check(page.body.get("data-state") == "token", f"bad token: state {page.body.get('data-state')}, expected token")
    check(not page.hidden("token-section") and not page.hidden("token-form"), "bad token: no token form shown")
    check(page.hidden("dashboard"), "bad token: the dashboard is shown")
    check(not page.hidden("token-error"), "bad token: the refusal is not shown")
    drawn = page.drawn or {}
    check(drawn.get("charts") == {} and "callers" not in drawn and "alerts" not in drawn,
          f"bad token: data drawn: {sorted(k for k in drawn if k not in ('state', 'errors', 'charts'))}")
    for table in ("levels-table", "alerts-table", "callers-table"):
        check(page.rows.get(table) == [], f"bad token: {table} has rows")


def run_checks(run, vipd_log_path):
    args = run.args
    status, overview = run.api("analytics/overview", start_date=DAY, end_date=DAY)
    if not check(status == 200, f"GET analytics/overview: {status} {overview}"):
        return
    status, settings = run.api("settings")
    check(status == 200, f"GET settings: {status} {settings}")
    status, alerts = run.api("alerts", start_date=DAY, end_date=DAY)
    check(status == 200, f"GET alerts: {status} {alerts}")
    status, callers = run.api("", skip=0, limit=100)
    check(status == 200, f"GET the VIP list: {status}")
    status, found = run.api("", skip=0, limit=100, search=SEARCH)
    check(status == 200, f"GET the VIP list searching {SEARCH!r}: {status}")
    bad_token = "0" * 40
    status, _ = run.api("settings", token=bad_token)
    check(status == 401, f"GET settings with an unknown token: {status}, expected 401")
    if failures:
        return
    # What makes the checks below able to fail: the demo's day has calls, values that differ, alerts.
    check(overview["all"]["calls"] > 0, f"the demo's day {DAY} has no VIP calls")
    check(len({s["calls"] for s in overview["by_level"].values()}) > 1, "every level has as many calls")
    check(len(alerts) > 0, "the demo's day raises no alert")

    full = run.start_chromium("full", run.page_url(run.token, start_date=DAY, end_date=DAY), args.screenshot)
    search = run.start_chromium("search", run.page_url(run.token, start_date=DAY, end_date=DAY, search=SEARCH))
    bad = run.start_chromium("bad", run.page_url(bad_token))
    pages = {}
    for name, process in (("full", full), ("search", search), ("bad", bad)):
        text = finish_chromium(process, name, 90)
        if text is not None:
            with open(os.path.join(run.work, name + ".html"), "w", encoding="utf-8") as f:
                f.write(text)
            pages[name] = Page(text)
    if "full" in pages:
        check_full_page(run, pages["full"], overview, settings, alerts, callers)
    if "search" in pages:
        check_search_page(pages["search"], found, callers)
    if "bad" in pages:
        check_refused_page(pages["bad"])
    if args.screenshot:
        with open(args.screenshot, "rb") as f:
            check(f.read(8) == b"\x89PNG\r\n\x1a\n", f"{args.screenshot} is not a PNG")
    with open(vipd_log_path, encoding="utf-8", errors="replace") as f:
        check(run.token not in f.read(), "vipd's log holds the token")


def start_vipd(run, db, key, log):
    """vipd on a free port, answering /healthz; retried when another process took the port first."""
    for _ in range(3):
        port = free_port()
        vipd = subprocess.Popen([run.args.vipd, "--db", db, "--key-file", key, "--listen", f"127.0.0.1:{port}"],
                                stdout=log, stderr=log)
        run.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and vipd.poll() is None:
            try:
                with urllib.request.urlopen(run.base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return vipd
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.1)
        if vipd.poll() is None:
            stop(vipd)
            raise RuntimeError(f"vipd did not answer /healthz on port {port} within 15 s")
    raise RuntimeError("vipd exited at start three times (see its log above)")


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("vipd")
    parser.add_argument("vipctl")
    parser.add_argument("demo")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    parser.add_argument("--screenshot", help="where to keep a screenshot of the dashboard (PNG)")
    args = parser.parse_args()
    if args.screenshot:
        os.makedirs(os.path.dirname(os.path.abspath(args.screenshot)), exist_ok=True)

    work = tempfile.mkdtemp(prefix="vipd-dashboard-")
    run = Run(args, work)
    vipd = None
    vipd_log_path = os.path.join(work, "vipd.log")
    started = time.monotonic()
    try:
        demo = subprocess.run([args.demo, "--dir", work, "--summary-only", "--calls", "3000", "--generated", "300"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=120)
        if demo.returncode != 0:
            raise RuntimeError(f"the demo failed ({demo.returncode}): {demo.stderr}")
        db, key = os.path.join(work, "vip.db"), os.path.join(work, "vip.key")
        made = subprocess.run([args.vipctl, "--db", db, "--key-file", key, "token", "add", "--tenant", "acme",
                               "--actor", "dashboard-test", "--role", "MANAGER"],
                              capture_output=True, text=True, timeout=60)
        if made.returncode != 0:
            raise RuntimeError(f"vipctl token add failed ({made.returncode}): {made.stderr}")
        run.token = made.stdout.strip()
        if not run.token or "\n" in run.token:
            raise RuntimeError("vipctl token add did not print one token line")
        with open(vipd_log_path, "w") as log:
            vipd = start_vipd(run, db, key, log)
            run_checks(run, vipd_log_path)
    except Exception as e:  # a set-up failure is a failed test too, with its reason
        check(False, f"{type(e).__name__}: {e}")
    finally:
        if vipd is not None:
            stop(vipd)
    if failures:
        if os.path.exists(vipd_log_path):
            with open(vipd_log_path, encoding="utf-8", errors="replace") as f:
                print("vipd's log:\n" + f.read()[-4000:])
        print(f"{len(failures)} check(s) failed; the dumped pages are kept in {work}")
        return 1
    shutil.rmtree(work, ignore_errors=True)
    print(f"dashboard: every check passed in {time.monotonic() - started:.1f} s"
          + (f"; screenshot {args.screenshot}" if args.screenshot else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
