#!/usr/bin/python3
"""check_report.py -- opens an HTML report in headless Chromium and checks that it rendered.

Usage: check_report.py REPORT.html [--chromium PATH] [--timeout SECONDS]

Starts `chromium --headless` with a DevTools port (the browser writes the port it took into DevToolsActivePort in
its profile directory, so no port is guessed), talks the Chrome DevTools Protocol over a WebSocket
(python3-websocket), loads the file:// page, and checks:
  - no console errors, exceptions or log entries of level error while it loads;
  - no request leaves the file (no scripts, no network resources);
  - the summary is there and says something;
  - every chart (svg.chart) is present with a non-zero width and height, with a <title>;
  - on a phone-sized viewport (390 px) the page does not scroll sideways (wide tables scroll in their box).
It saves full-page screenshots next to the report: REPORT.png (1280 px wide) and REPORT-phone.png.
Exit status: 0 when every check passes, 1 when one fails (each failure on its own line), 2 on a usage or setup
error.
"""
import argparse
import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import websocket  # python3-websocket
except ImportError:
    print("check_report: python3-websocket is missing (apt-get install python3-websocket)", file=sys.stderr)
    sys.exit(2)


class Browser:
    def __init__(self, chromium, timeout):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="plumb-chromium-")
        args = [chromium, "--headless=new", "--remote-debugging-port=0", f"--user-data-dir={self.profile}",
                "--no-first-run", "--no-default-browser-check", "--disable-gpu", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--disable-dev-shm-usage",
                "--hide-scrollbars", "--mute-audio", "about:blank"]
        if os.geteuid() == 0:
            args.insert(1, "--no-sandbox")  # Chromium refuses to run as root with its sandbox
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        port_file = os.path.join(self.profile, "DevToolsActivePort")
        deadline = time.time() + timeout
        while not os.path.exists(port_file) or os.path.getsize(port_file) == 0:
            if self.proc.poll() is not None or time.time() > deadline:
                err = self.proc.stderr.read().decode(errors="replace")[-2000:] if self.proc.poll() is not None else ""
                self.close()
                raise RuntimeError(f"chromium did not start: {err}")
            time.sleep(0.05)
        time.sleep(0.05)
        port, path = open(port_file).read().split("\n")[:2]
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=timeout, suppress_origin=True)
        self.next_id = 0
        self.events = []
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]

    def call(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.time() + self.timeout
        while time.time() < deadline:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            if "method" in reply:
                self.events.append(reply)
        raise RuntimeError(f"{method}: no reply within {self.timeout} s")

    def page(self, method, params=None):
        return self.call(method, params, self.session)

    def wait_event(self, method):
        deadline = time.time() + self.timeout
        for e in self.events:
            if e["method"] == method:
                return e
        while time.time() < deadline:
            reply = json.loads(self.ws.recv())
            if "method" in reply:
                self.events.append(reply)
                if reply["method"] == method:
                    return reply
        raise RuntimeError(f"no {method} within {self.timeout} s")

    def evaluate(self, expression):
        r = self.page("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in r:
            raise RuntimeError(f"evaluation failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def screenshot(self, path, width):
        self.page("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 600})
        height = self.evaluate("Math.ceil(document.documentElement.scrollHeight)")
        self.page("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": int(height), "deviceScaleFactor": 1, "mobile": width < 600})
        shot = self.page("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))
        return height

    def close(self):
        try:
            self.ws.close()
        except Exception:
            pass
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.profile, ignore_errors=True)


CHECK_JS = r"""
(() => {
  const charts = [...document.querySelectorAll('svg.chart')].map(s => {
    const r = s.getBoundingClientRect();
    const t = s.querySelector('title');
    return {id: s.id, width: r.width, height: r.height, title: t ? t.textContent : '',
            labelled: !!s.getAttribute('aria-labelledby'), nan: /NaN|Infinity/.test(s.outerHTML)};
  });
  const summary = document.querySelector('#summary');
  return {
    title: document.title,
    charts: charts,
    summary: summary ? summary.innerText : null,
    scripts: document.scripts.length,
    resources: performance.getEntriesByType('resource').map(e => e.name),
    external: [...document.querySelectorAll('[src],link[href]')].map(e => e.getAttribute('src') || e.getAttribute('href')),
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  };
})()
"""


def main():
    ap = argparse.ArgumentParser(description="check an HTML report in headless Chromium")
    ap.add_argument("report")
    ap.add_argument("--chromium", default=shutil.which("chromium") or shutil.which("chromium-browser"))
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--min-charts", type=int, default=1)
    a = ap.parse_args()
    if not a.chromium:
        print("check_report: no chromium on PATH", file=sys.stderr)
        return 2
    report = os.path.abspath(a.report)
    if not os.path.isfile(report):
        print(f"check_report: no file '{a.report}'", file=sys.stderr)
        return 2
    stem = report[:-5] if report.endswith(".html") else report
    failures = []
    try:
        b = Browser(a.chromium, a.timeout)
    except Exception as e:
        print(f"check_report: {e}", file=sys.stderr)
        return 2
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            b.page(f"{domain}.enable")
        b.page("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1,
                                                      "mobile": False})
        b.page("Page.navigate", {"url": "file://" + report})
        b.wait_event("Page.loadEventFired")
        time.sleep(0.3)  # late console messages
        info = b.evaluate(CHECK_JS)
        for e in b.events:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.exceptionThrown":
                failures.append(f"exception: {p['exceptionDetails'].get('text')}")
            elif m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert", "warning"):
                failures.append("console " + p["type"] + ": " + " ".join(str(x.get("value", x.get("description")))
                                                                         for x in p.get("args", [])))
            elif m == "Log.entryAdded" and p["entry"]["level"] == "error":
                failures.append(f"log error: {p['entry'].get('text')} {p['entry'].get('url', '')}")
            elif m == "Network.requestWillBeSent":
                url = p["request"]["url"]
                if url != "file://" + report:
                    failures.append(f"the page requested '{url}'")
        if info["scripts"]:
            failures.append(f"{info['scripts']} script element(s): a report has none")
        if info["external"]:
            failures.append(f"elements load outside files: {info['external']}")
        if not info["summary"] or len(info["summary"].strip()) < 40:
            failures.append("no summary (#summary) or an empty one")
        if len(info["charts"]) < a.min_charts:
            failures.append(f"{len(info['charts'])} charts, expected at least {a.min_charts}")
        for c in info["charts"]:
            if not (c["width"] > 0 and c["height"] > 0):
                failures.append(f"chart {c['id']} ({c['title']!r}) is {c['width']} x {c['height']}")
            if not c["title"] or not c["labelled"]:
                failures.append(f"chart {c['id']} has no <title> or aria-labelledby")
            if c["nan"]:
                failures.append(f"chart {c['id']} ({c['title']!r}) contains NaN or Infinity")
        height = b.screenshot(stem + ".png", 1280)
        b.page("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 1,
                                                      "mobile": True})
        time.sleep(0.1)
        phone = b.evaluate(CHECK_JS)
        if phone["scrollWidth"] > phone["clientWidth"] + 1:
            failures.append(f"on a 390 px screen the page is {phone['scrollWidth']} px wide: it scrolls sideways")
        for c in phone["charts"]:
            if c["width"] > 390:
                failures.append(f"on a 390 px screen chart {c['id']} is {c['width']:.0f} px wide")
        b.screenshot(stem + "-phone.png", 390)
    except Exception as e:
        failures.append(f"browser: {e}")
    finally:
        b.close()
    for f in failures:
        print(f"FAIL: {f}")
    if not failures:
        print(f"ok: '{info['title']}': {len(info['charts'])} charts, summary of {len(info['summary'])} characters, "
              f"no console errors; screenshots {os.path.basename(stem)}.png (1280 x {height}) and "
              f"{os.path.basename(stem)}-phone.png")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
