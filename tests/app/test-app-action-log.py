#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The session view's Action Log, in the real app driven through AT-SPI
against a real vivarium-host, with the real demo agent driving the sandbox:
the guest's history and live events in order, takeover changes, marking an
entry's point on the live view, the export as JSON lines compared with the
guest's own event history, the cap at 5,000 entries after a flood of
actions, and following the newest entry unless the user scrolled up. TAP
output; screenshots go to the test log directory."""

import http.client
import json
import os
import re
import socket
import sys
import time
import urllib.parse
import urllib.request
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vivtest import App, atspi, count_color, log, main, toplevel, wait_for  # noqa: E402

# VivDisplayView's mark (GNOME Orange 3); the desktop's root is grey.
MARKER = (255, 120, 0)
ROOT = "#3d3846"
ROW_NAME = re.compile(r"^(.*), at (\d\d:\d\d:\d\d)$")


# The guest's own event history

def guest_events(guest, quiet=0.5):
    """Every event the guest keeps (GET /desktop/events?since=0): its replay,
    up to the first event that happened after the request, or until the
    stream has been quiet for @quiet seconds."""
    request = urllib.request.Request(guest.http.base + "/desktop/events?since=0")
    for name, value in guest.http.headers.items():
        request.add_header(name, value)
    request.add_header("Accept", "text/event-stream")
    asked = datetime.now(timezone.utc)
    events = []
    # The timeout applies to each read: silence ends the history.
    with urllib.request.urlopen(request, timeout=quiet) as response:
        try:
            for raw in response:
                line = raw.decode().rstrip("\n")
                if line.startswith("data: "):
                    event = json.loads(line[len("data: "):])
                    if event_time(event) > asked:
                        break
                    events.append(event)
        except (socket.timeout, TimeoutError):
            pass
    return events


def event_time(event):
    return datetime.fromisoformat(event["time"].replace("Z", "+00:00"))


def shorten(text):
    shown = ""
    for n, c in enumerate(text):
        if n == 48:
            return shown + "…"
        shown += "⏎" if c in "\r\n" else " " if c == "\t" else c
    return shown


def key_name(key):
    if key.lower() in ("ctrl", "control"):
        return "Ctrl"
    if len(key) == 1:
        return key.upper()
    return key[0].upper() + key[1:]


def summary(event):
    """What the action log says for a guest event (VivActionLogEntry)."""
    kind = event["type"]
    if kind == "action":
        action = event.get("action")
        has_point = "x" in event and "y" in event
        at = f"{event.get('x')}, {event.get('y')}"
        button = event.get("button")
        if action == "move":
            return f"Move to {at}" if has_point else "Move"
        if action == "click":
            count = event.get("count", 1)
            what = "Double-click" if count == 2 else f"{count} clicks" if count > 2 else "Click"
            if has_point and button:
                return f"{what} at {at} ({button})"
            if has_point:
                return f"{what} at {at}"
            return f"{what} ({button})" if button else what
        if action == "type":
            return f"Typed “{shorten(event['text'])}”" if "text" in event else "Typed text"
        if action == "keys":
            keys = "+".join(key_name(k) for k in event.get("keys", []) if k)
            return f"Keys {keys}" if keys else "Keys"
        if action == "launch":
            return f"Launched {event['app']}" if "app" in event else "Launched an app"
        if action == "focus_window":
            return f"Focused window {event['window']:#x}" if "window" in event else "Focused a window"
        if action == "close_window":
            return f"Closed window {event['window']:#x}" if "window" in event else "Closed a window"
        return None
    if kind == "takeover":
        return f"Taken over by {event.get('holder')}" if event.get("held") else "Handed back"
    if kind == "focus":
        if event.get("title"):
            return f"Focus: {event['title']}"
        if event.get("window") is not None:
            return f"Focus: window {event['window']:#x}"
        return "Focus: no window"
    if kind == "display":
        return f"Display: {event.get('state')}"
    if kind == "session":
        return f"Session: {event.get('state')}"
    if kind == "viewer":
        return {"connected": "A viewer connected",
                "disconnected": "A viewer left"}.get(event.get("state"), f"Viewer: {event.get('state')}")
    return f"Event “{kind}”"


def local_clock(event):
    return event_time(event).astimezone().strftime("%H:%M:%S")


# The action log, read through AT-SPI

def log_list(app):
    nodes = app.find_all(lambda n: n.get_role_name() == "list" and n.get_name() == "Action Log")
    return nodes[0] if nodes else None


def log_rows(app):
    """The entries' rows: (summary, time, node). GTK 4.8's list view keeps
    about 200 rows around the ones shown, some with stale positions, and
    AT-SPI cannot tell them apart: only rows known to be shown (the newest,
    after scrolling to the bottom) have meaningful positions."""
    lst = log_list(app)
    if lst is None:
        return []
    rows = []
    for node in app.find_all(lambda n: n.get_role_name() == "panel" and ROW_NAME.match(n.get_name() or ""),
                             root=lst):
        match = ROW_NAME.match(node.get_name())
        rows.append((match.group(1), match.group(2), node))
    return rows


def status(app):
    nodes = app.find_all(lambda n: n.get_role_name() == "label" and
                         re.match(r"^(\d+ events?|Connecting…|Reconnecting…|Not connected: .*)$",
                                  n.get_name() or ""))
    return nodes[0].get_name() if nodes else None


def event_count(app):
    match = re.match(r"^(\d+) events?$", status(app) or "")
    return int(match.group(1)) if match else None


def export(env, app, name):
    """Exports the log through the file chooser; returns the lines' objects."""
    app.press("push button", "Export as JSON Lines")
    wait_for("the file chooser", lambda: toplevel(atspi(), "Export Action Log"), 30)
    time.sleep(1)
    saved = os.path.join(env.tmp, "home", name)
    env.xdotool("key", "ctrl+a")
    env.xdotool("type", "--delay", "20", saved)
    env.screenshot("export")
    env.xdotool("key", "Return")
    wait_for("the exported file", lambda: os.path.exists(saved) and os.path.getsize(saved) > 0, 30, 0.5)
    # Complete: the file is replaced in one piece, and ends with a newline.
    wait_for("the whole file", lambda: open(saved, "rb").read().endswith(b"\n"), 10, 0.2)
    with open(saved) as f:
        return [json.loads(line) for line in f.read().splitlines()]


def flood(guest, count, point=None):
    """Many pointer moves, fast, through a kept-alive connection (opened
    again when the server closes it); the last one is to 199, 55, or all to
    @point."""
    url = urllib.parse.urlparse(guest.http.base)
    headers = dict(guest.http.headers, **{"Content-Type": "application/json"})
    connection = None
    reconnections = 0
    for i in range(count - 1, -1, -1):
        x, y = point or (199 + i % 600, 55 + (i // 600) * 50)
        body = json.dumps({"x": x, "y": y})
        for attempt in range(3):
            try:
                if connection is None:
                    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
                connection.request("POST", url.path + "/desktop/pointer/move", body, headers)
                response = connection.getresponse()
                response.read()
                break
            except (ConnectionError, http.client.HTTPException):
                connection.close()
                connection = None
                reconnections += 1
        assert response.status == 200, f"move: {response.status}"
    connection.close()
    log(f"flood: {count} moves, {reconnections} reconnections")


def shown_rows(app):
    """Rows laid out inside the list (rows kept aside report the list's top)."""
    box = log_list(app).get_extents(app.Atspi.CoordType.WINDOW)
    rows = []
    for s, t, node in log_rows(app):
        extents = node.get_extents(app.Atspi.CoordType.WINDOW)
        if box.y + 8 < extents.y and extents.y + extents.height <= box.y + box.height + 2:
            rows.append((s, t, node))
    return rows


def crop(path, box):
    from PIL import Image
    with Image.open(path) as image:
        return image.convert("RGB").crop(box).tobytes()


def mapped(app, view, x, y):
    """Where the desktop's (x, y) is on the screen: the 1024x768 desktop
    fitted into the view and centred, as VivDisplayView draws it."""
    extents = view.get_extents(app.Atspi.CoordType.WINDOW)
    scale = min(extents.width / 1024, extents.height / 768, 1.0)
    width, height = int(1024 * scale), int(768 * scale)
    left = extents.x + (extents.width - width) // 2
    top = extents.y + (extents.height - height) // 2
    return left + (x + 0.5) * width / 1024, top + (y + 0.5) * height / 768


def run(env, tap):
    env.start_x()
    env.start_dbus()
    env.start_host()

    sandbox = env.create_sandbox("e2e", {"purpose": "action-log"})
    guest = env.guest(sandbox)
    wait_for("the sandbox's display", lambda: guest.json("GET", "/desktop/screen")[0] == 200, 90)
    code, _ = guest.run(f"xsetroot -solid '{ROOT}'")
    assert code == 0, "xsetroot failed in the sandbox"

    # The demo agent starts before the app: what it did first is history
    # that the log gets from the guest's replay.
    agent = env.start_demo_agent(sandbox)
    wait_for("the agent's first steps",
             lambda: sum(1 for e in guest_events(guest, 0.5) if e.get("action") == "type") >= 1, 90, 1)
    before_app = guest_events(guest)
    log(f"{len(before_app)} events before the app opened")

    env.start_app()
    Atspi = atspi()
    app = App(Atspi)
    wait_for("the app's window", app.window, 60)
    card = wait_for("the sandbox's card", lambda: app.card(sandbox), 60)
    x, y = app.center(card)
    env.xdotool("mousemove", str(x), str(y), "click", "1")
    view = wait_for("the session view", lambda: app.shown("filler", "Sandbox desktop"), 30)

    # The header's toggle opens the side panel; its switcher picks the
    # Action Log page.
    app.press("push button", "Side Panel")
    tab = wait_for("the side panel's switcher", lambda: app.shown("page tab", "Action Log"), 30)
    action = tab.get_action_iface()
    if action is not None and action.get_n_actions() > 0:
        action.do_action(0)
    else:
        x, y = app.center(tab)
        env.xdotool("mousemove", str(x), str(y), "click", "1")
    wait_for("the action log's list", lambda: log_list(app), 30)
    wait_for("entries", lambda: len(log_rows(app)) >= 5, 60, 0.5)
    env.screenshot("opened")

    # The history from before the app opened is there: a row for each event
    # the guest had then (the list is still short enough for GTK to keep a
    # row for every entry).
    history = [(summary(e), local_clock(e)) for e in before_app]
    def history_shown():
        missing = set(history) - {(s, t) for s, t, _ in log_rows(app)}
        if missing:
            log(f"not among the rows yet: {sorted(missing)[:4]} ({event_count(app)} events)")
        return not missing
    wait_for("the history's rows", history_shown, 30, 1)
    count = event_count(app)
    tap.ok(count >= len(before_app),
           f"the log shows the {len(before_app)} events from before it opened ({count} events now)")

    # Live: a takeover and the hand-back appear while the agent works, and
    # the agent's refused action is marked.
    app.press("push button", "Take Over")
    wait_for("the lock", lambda: (guest.json("GET", "/desktop/takeover")[1] or {}).get("held"), 30)
    taken = wait_for("the takeover entry", lambda: next(
        (s for s, _, _ in log_rows(app) if s.startswith("Taken over by ") and s.endswith("(Vivarium)")), None), 30, 0.5)
    tap.ok(True, f"taking over shows in the log (“{taken}”)")
    refused = wait_for("a refused entry", lambda: next(
        (n for s, _, n in log_rows(app)
         if (n.get_description() or "").startswith("Refused: The desktop is taken over by")), None), 30, 0.5)
    tap.ok(refused is not None,
           f"the agent's refused action is marked (“{refused.get_name()}”: {refused.get_description()})")
    env.screenshot("taken-over")
    app.press("push button", "Hand Back")
    wait_for("the release", lambda: not (guest.json("GET", "/desktop/takeover")[1] or {}).get("held"), 30)
    wait_for("the hand-back entry", lambda: any(s == "Handed back" for s, _, _ in log_rows(app)), 30, 0.5)
    tap.ok(True, "handing back shows in the log")
    wait_for("the agent to carry on", lambda: "handed back" in env.read_log("demo-agent"), 30, 0.5)

    # Once the agent stops, the log and the guest agree on the count: the
    # whole history and every live event, none twice.
    time.sleep(4)
    env.stop(agent)
    time.sleep(1)
    def counts_agree():
        events = guest_events(guest, 1.0)
        count = event_count(app)
        if count != len(events):
            log(f"the log counts {count}, the guest has {len(events)} events")
            return None
        return events
    events = wait_for("the count to settle", counts_agree, 30, 0.5)
    tap.ok(True, f"the log counts exactly the guest's {len(events)} events (no duplicates)")
    env.screenshot("agent-stopped")

    # Every row says what its guest event was, with the local time; the
    # newest events are shown at the bottom, in the guest's order.
    rows = log_rows(app)
    # The guest goes on recording while we read (a viewer leaving, say): the
    # rows are compared with its events as they are after the rows were read,
    # up to the newest one the rows show.
    seen = {(s, t) for s, t, _ in rows}
    expected = [(summary(e), local_clock(e)) for e in guest_events(guest, 1.0)]
    while expected and expected[-1] not in seen:
        expected.pop()
    wrong = [(s, t) for s, t, _ in rows if (s, t) not in expected]
    tap.ok(len(rows) >= 20 and not wrong,
           f"all {len(rows)} rows read match the guest's events (summary and local time){f': {wrong[:3]}' if wrong else ''}")
    newest = expected[-8:]
    shown = {}
    for s, t, node in rows:
        if (s, t) in newest and newest.count((s, t)) == 1:
            shown[(s, t)] = node.get_extents(Atspi.CoordType.WINDOW)
    order = [shown[e].y for e in newest if e in shown]
    box = log_list(app).get_extents(Atspi.CoordType.WINDOW)
    bottom = shown[newest[-1]].y + shown[newest[-1]].height if newest[-1] in shown else -1
    log("newest: " + " | ".join(f"{t} {s} @{shown[(s, t)].y if (s, t) in shown else '-'}" for s, t in newest))
    tap.ok(len(order) >= 6 and order == sorted(order) and len(set(order)) == len(order) and
           box.y + box.height - 40 <= bottom <= box.y + box.height + 2,
           f"the newest {len(order)} events are shown in the guest's order, the last at the bottom")
    agent_rows = [s for s, _ in expected]
    tap.ok(any(re.match(r"^Click at \d+, \d+ \(left\)$", s) for s in agent_rows) and
           any(s.startswith("Typed “echo 'Step ") for s in agent_rows) and
           "Keys Enter" in agent_rows and "Launched debian-xterm" in agent_rows,
           "the demo agent's launch, clicks, typed text and keys are summarized with coordinates, text and keys")

    # Activating an entry with coordinates marks its point on the live view.
    view = app.shown("filler", "Sandbox desktop")
    target = None
    for s, t in reversed(newest):
        match = re.match(r"^(?:Click at|Move to) (\d+), (\d+)", s)
        if match and (s, t) in shown:
            node = next(n for rs, rt, n in rows if (rs, rt) == (s, t))
            target = (node, int(match.group(1)), int(match.group(2)))
            break
    assert target, "no entry with coordinates is shown"
    node, px, py = target
    sx, sy = mapped(app, view, px, py)
    box = (int(sx) - 24, int(sy) - 24, int(sx) + 24, int(sy) + 24)
    before = count_color(env.screenshot("before-mark"), MARKER, box)
    rx, ry = app.center(node)
    env.xdotool("mousemove", str(rx), str(ry))
    time.sleep(0.3)
    env.xdotool("click", "1")
    shots = [env.screenshot("marked") for _ in range(3)]
    marked = max(count_color(path, MARKER, box) for path in shots)
    elsewhere = count_color(shots[0], MARKER) - count_color(shots[0], MARKER, box)
    tap.ok(before == 0 and marked >= 60 and elsewhere < 20,
           f"activating “{node.get_name()}” marks {px}, {py} on the view "
           f"({marked} marker pixels near {int(sx)}, {int(sy)}; {before} before, {elsewhere} elsewhere)")
    time.sleep(2.5)
    after = count_color(env.screenshot("mark-gone"), MARKER, box)
    tap.ok(after == 0, f"the mark goes away after a moment ({after} marker pixels 2.5 s later)")

    # Export writes the guest's events as JSON lines.
    exported = export(env, app, "exported.jsonl")
    events = guest_events(guest)
    last = exported[-1]["id"] if exported else 0
    kept = [e for e in events if e["id"] <= last]
    tap.ok(len(exported) > 0 and [(e["id"], e["type"]) for e in exported] == [(e["id"], e["type"]) for e in kept],
           f"the export's {len(exported)} lines have the guest's ids and types, in order")
    if exported != kept:
        log(f"exported {[(e['id'], e['type']) for e in exported[-3:]]}, guest {[(e['id'], e['type']) for e in kept[-3:]]}")
    tap.ok(exported == kept, "each exported line is the guest's event object as sent")
    wait_for("the toast", lambda: app.find("label", f"{len(exported)} events exported"), 15, 0.5)
    tap.ok(True, f"a toast says “{len(exported)} events exported”")
    env.screenshot("exported")

    # A flood of actions: the log keeps the newest 5,000.
    started = time.monotonic()
    flood(guest, 5200)
    sent = time.monotonic() - started
    wait_for("the capped count", lambda: event_count(app) == 5000 and
             any(s == "Move to 199, 55" for s, _, _ in log_rows(app)), 120, 1)
    caught_up = time.monotonic() - started - sent
    env.screenshot("capped")
    newest = guest_events(guest)[-1]["id"]
    capped = export(env, app, "capped.jsonl")
    # The guest may record an event of its own after the flood (a window
    # appearing under the pointer, say) that is still on its way to the app:
    # export again until the app has everything the guest had.
    for attempt in range(5):
        if not capped or capped[-1]["id"] >= newest:
            break
        time.sleep(2)
        capped = export(env, app, f"capped-{attempt + 1}.jsonl")
    ids = [e["id"] for e in capped]
    tap.ok(len(capped) == 5000 and ids == list(range(ids[0], ids[0] + 5000)) and ids[-1] >= newest,
           f"after 5,200 more actions the log keeps the newest 5,000 events (ids {ids[0]}..{ids[-1]}, "
           f"the guest's newest {newest}); sent in {sent:.1f} s, shown {caught_up:.1f} s later")

    # Scrolled up to read, the list stays put while events arrive; back at
    # the bottom, it follows again.
    box = log_list(app).get_extents(Atspi.CoordType.WINDOW)
    env.xdotool("mousemove", str(box.x + box.width // 2), str(box.y + box.height // 2))
    for _ in range(12):
        env.xdotool("click", "4")
        time.sleep(0.05)
    # Away from the rows, whose tooltips would change the pixels.
    vx, vy = app.center(app.shown("filler", "Sandbox desktop"))
    env.xdotool("mousemove", str(vx), str(vy))
    time.sleep(1.5)
    # The rows, not the overlay scrollbar, which shows itself on changes.
    region = (box.x, box.y, box.x + box.width - 16, box.y + box.height)
    before = crop(env.screenshot("scrolled-up"), region)
    flood(guest, 30, (701, 601))
    time.sleep(2)
    after = crop(env.screenshot("scrolled-up-new-events"), region)
    tap.ok(before == after, "scrolled up, the list stays where the user is while 30 events arrive")
    env.xdotool("mousemove", str(box.x + box.width // 2), str(box.y + box.height // 2))
    for _ in range(60):
        env.xdotool("click", "5")
        time.sleep(0.02)
    env.xdotool("mousemove", str(vx), str(vy))
    time.sleep(1)
    flood(guest, 1, (777, 707))
    row = wait_for("the newest row at the bottom", lambda: next(
        (e for s, _, n in shown_rows(app) if s == "Move to 777, 707"
         for e in [n.get_extents(Atspi.CoordType.WINDOW)]), None), 30, 1)
    env.screenshot("following-again")
    tap.ok(box.y + box.height - 40 <= row.y + row.height <= box.y + box.height + 2,
           "back at the bottom, the list follows the newest event again")


if __name__ == "__main__":
    sys.exit(main(run, "app-action-log"))
