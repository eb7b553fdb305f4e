#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Benchmark (suite bench): a 5,000-entry folder in a real sandbox, from
asking for it in the Files panel to the first frame painted with its rows
(the panel's own debug timing: a frame clock after-paint once the rows are
in), against the raw ListDir call through the guest for the same folder,
measured in the same run. Prints both and the ratio; not a pass/fail test."""

import json
import os
import re
import statistics
import sys
import time

os.environ["G_MESSAGES_DEBUG"] = "VivariumApp"
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vivtest import App, atspi, log, main, wait_for  # noqa: E402

N_FILES = 5000
RUNS = 5


def row_label(app, name):
    for node in app.find_all(lambda n: n.get_role_name() == "label" and n.get_name() == name):
        extents = node.get_extents(app.Atspi.CoordType.WINDOW)
        if extents.width > 0 and extents.x > 700:
            return node
    return None


def paints(env, folder):
    pattern = re.compile(r"Files: first paint of " + re.escape(folder) + r" after ([0-9.]+) ms \(([0-9.]+) ms after")
    return [(float(a), float(b)) for a, b in pattern.findall(env.read_log("app"))]


def run(env, tap):
    env.start_x()
    env.start_dbus()
    env.start_host()

    sandbox = env.create_sandbox("base", {"purpose": "files-bench"})
    guest = env.guest(sandbox)
    wait_for("the sandbox's envd", lambda: guest.json("GET", "/health")[0] in (200, 204), 60)
    code, home = guest.run(f"mkdir -p ~/many && cd ~/many && i=0; while [ $i -lt {N_FILES} ]; do "
                           ": > file-$i.txt; i=$((i+1)); done; cd && pwd", timeout=120)
    assert code == 0, "could not make the folder"
    folder = home.strip() + "/many"

    # Baseline: the same listing straight from the guest (Connect unary JSON).
    raw = []
    for _ in range(RUNS):
        started = time.monotonic()
        status, body = guest.http.call("POST", "/filesystem.Filesystem/ListDir",
                                       raw=json.dumps({"path": folder, "depth": 1}).encode())
        raw.append((time.monotonic() - started) * 1000)
        assert status == 200, f"ListDir: {status} {body[:200]}"
        entries = len(json.loads(body).get("entries", []))
    tap.ok(entries == N_FILES, f"the raw ListDir returns {entries} entries")

    env.start_app()
    app = App(atspi())
    wait_for("the app's window", app.window, 60)
    wait_for("the card", lambda: app.card(sandbox), 60)
    x, y = app.center(app.card(sandbox))
    env.xdotool("mousemove", str(x), str(y), "click", "1")
    toggle = wait_for("the Side Panel toggle", lambda: app.find_all(
        lambda n: "button" in n.get_role_name() and n.get_name() == "Side Panel"), 30)[0]
    x, y = app.center(toggle)
    env.xdotool("mousemove", str(x), str(y), "click", "1")
    node = wait_for("the folder's row", lambda: row_label(app, "many"), 60)
    time.sleep(1)
    x, y = app.center(node)
    env.xdotool("mousemove", str(x), str(y), "click", "--repeat", "2", "--delay", "80", "1")
    wait_for("the first paint", lambda: paints(env, folder), 60, 0.2)
    wait_for("the first file's row", lambda: row_label(app, "file-0.txt"), 30)
    env.screenshot("5000-entries")

    # Reload lists and paints it again, each time from the start.
    for i in range(RUNS - 1):
        app.press("push button", "Reload")
        wait_for("another paint", lambda: len(paints(env, folder)) >= i + 2, 60, 0.2)
        time.sleep(0.5)
    panel = [a for a, b in paints(env, folder)]
    after_rows = [b for a, b in paints(env, folder)]
    tap.ok(len(panel) >= RUNS, f"the panel painted the folder {len(panel)} times")
    for line in env.read_log("app").splitlines():
        if "Files: " + folder + ":" in line:
            log(line.split("Files: ", 1)[1])

    panel_median = statistics.median(panel)
    raw_median = statistics.median(raw)
    log(f"panel, asking to first paint of {N_FILES} rows: median {panel_median:.1f} ms "
        f"(runs: {', '.join(f'{t:.1f}' for t in panel)})")
    log(f"of which from the rows being in to the first paint: median {statistics.median(after_rows):.1f} ms")
    log(f"raw ListDir through the guest: median {raw_median:.1f} ms "
        f"(runs: {', '.join(f'{t:.1f}' for t in raw)})")
    log(f"ratio panel / raw ListDir: {panel_median / raw_median:.2f}x")


if __name__ == "__main__":
    sys.exit(main(run, "bench-files"))
