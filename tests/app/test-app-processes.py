#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The session view's Processes panel, end to end: the real app under a real
X server, driven through AT-SPI, against a real vivarium-host and a real
sandbox. Processes are started through the guest's envd process API (the
one the panel lists), commands are typed into the panel, signals are sent
from it and their effect is checked inside the sandbox. TAP output;
screenshots go to the test log directory."""

import base64
import http.client
import json
import os
import struct
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vivtest import App, atspi, main, wait_for  # noqa: E402

def start_detached(guest, cmd, args, tag=None, cwd=None):
    """Starts a process through envd's Process/Start, reads its start event
    and drops the stream, as a client that disconnects does: the process
    keeps running (spec: e2b-wire.md, Connect-Timeout-Ms). Returns its pid."""
    url = urllib.parse.urlsplit(guest.http.base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    request = {"process": {"cmd": cmd, "args": args, "envs": {}}}
    if cwd is not None:
        request["process"]["cwd"] = cwd
    if tag is not None:
        request["tag"] = tag
    message = json.dumps(request).encode()
    headers = dict(guest.http.headers)
    headers["Content-Type"] = "application/connect+json"
    connection.request("POST", (url.path or "") + "/process.Process/Start",
                       body=struct.pack(">BI", 0, len(message)) + message, headers=headers)
    response = connection.getresponse()
    assert response.status == 200, f"process start: {response.status}"
    try:
        while True:
            header = response.read(5)
            assert len(header) == 5, "the stream ended before the start event"
            flags, length = struct.unpack(">BI", header)
            frame = json.loads(response.read(length) or b"{}")
            start = frame.get("event", {}).get("start")
            if start is not None:
                return int(start["pid"])
    finally:
        connection.close()


def alive(guest, pid):
    code, out = guest.run(f"test -d /proc/{pid} && cat /proc/{pid}/cmdline | tr '\\0' ' '")
    return out.strip() if code == 0 else None


def envd_pids(guest):
    status, answer = guest.json("POST", "/process.Process/List", {})
    assert status == 200, f"list: {status} {answer}"
    return {int(p["pid"]): p for p in (answer or {}).get("processes", [])}


def process_row(app, pid, command):
    """The list's row showing pid and command, as (row, command label)."""
    Atspi = app.Atspi

    def labels(node):
        return app.find_all(lambda n: n.get_role_name() == "label", root=node)

    rows = app.find_all(lambda n: n.get_role_name() in ("table row", "row", "list item") and
                        any((label.get_name() or "") == str(pid) for label in labels(n)))
    for row in rows:
        for label in labels(row):
            if (label.get_name() or "").startswith(command):
                try:
                    extents = label.get_extents(Atspi.CoordType.WINDOW)
                except Exception:
                    continue
                if extents.width > 0 and extents.height > 0:
                    return row, label
    return None


def row_labels(app, row):
    """The row's labels that are on screen, as {text: extents}."""
    shown = {}
    for label in app.find_all(lambda n: n.get_role_name() == "label", root=row):
        try:
            extents = label.get_extents(app.Atspi.CoordType.WINDOW)
        except Exception:
            continue
        if extents.width > 0 and extents.height > 0:
            shown[label.get_name() or ""] = extents
    return shown


def tinted_pixels(path, extents):
    """Pixels of the accent's blue (the tag's pill and text) in extents."""
    from PIL import Image
    image = Image.open(path).convert("RGB").crop(
        (extents.x, extents.y, extents.x + extents.width, extents.y + extents.height))
    return sum(1 for (r, g, b) in image.getdata() if b - r > 15)


def listed_anywhere(app, pid):
    """Whether any list row holds a label with the pid, on screen or not."""
    return bool(app.find_all(lambda n: n.get_role_name() == "table row" and any(
        (label.get_name() or "") == str(pid)
        for label in app.find_all(lambda m: m.get_role_name() == "label", root=n))))


class Output:
    """The output view's text, through a node looked up once: a walk of the
    whole accessible tree takes about a second."""

    def __init__(self, app):
        self.text = wait_for("the output view", lambda: app.find("text", "Command Output"), 30).get_text_iface()

    def __call__(self):
        return self.text.get_text(0, self.text.get_character_count())


def toast_shown(app, prefix):
    return app.find_all(lambda n: (n.get_name() or "").startswith(prefix), showing=False)


def click(env, app, node):
    x, y = app.center(node)
    env.xdotool("mousemove", str(x), str(y), "click", "1")


def run_in_panel(env, app, command):
    entry = wait_for("the command entry", lambda: command_entry(app), 30)
    click(env, app, entry)
    time.sleep(0.3)
    env.xdotool("key", "ctrl+a")
    env.xdotool("type", "--delay", "30", command)
    time.sleep(0.3)
    env.xdotool("key", "Return")


def dialog_node(app, role, name):
    """A node of one of the app's other toplevels (a message dialog)."""
    desktop = app.Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        application = desktop.get_child_at_index(i)
        for j in range(application.get_child_count() if application else 0):
            toplevel = application.get_child_at_index(j)
            if toplevel is None or toplevel.get_name() == "Vivarium":
                continue
            found = app.find_all(lambda n: n.get_role_name() == role and
                                 (n.get_name() or "").replace("_", "").startswith(name), root=toplevel)
            if found:
                return found[0]
    return None


def command_entry(app):
    for node in app.find_all(lambda n: n.get_role_name() == "text" and (n.get_name() or "") == "Command"):
        return node
    return None


def red_pixels(path, box):
    """Pixels near libadwaita's light @error_color (#c01c28) in box."""
    from PIL import Image
    image = Image.open(path).convert("RGB").crop(box)
    return sum(1 for (r, g, b) in image.getdata() if r > 150 and g < 90 and b < 100)


def run(env, tap):
    env.start_x()
    env.start_dbus()
    env.start_host()

    sandbox = env.create_sandbox("base", {"purpose": "processes-panel"})
    guest = env.guest(sandbox)
    wait_for("the sandbox's envd", lambda: guest.json("GET", "/health")[0] in (200, 204), 60)

    # A long process started through envd, whose stream is then dropped.
    sleeper = start_detached(guest, "/usr/bin/sleep", ["1234"])
    tap.ok(alive(guest, sleeper) == "/usr/bin/sleep 1234",
           f"a detached sleep 1234 runs in the sandbox (pid {sleeper})")
    tap.ok(sleeper in envd_pids(guest), "envd lists it")

    env.start_app()
    Atspi = atspi()
    app = App(Atspi)
    wait_for("the app's window", app.window, 60)
    wait_for("the sandbox's card", lambda: app.card(sandbox), 60)
    click(env, app, app.card(sandbox))
    wait_for("the session view", lambda: app.shown("label", "No Desktop"), 30)

    # The header's toggle opens the side panel (F9 needs the keyboard focus,
    # which no window manager gives here); its switcher picks Processes.
    toggle = wait_for("the Side Panel toggle", lambda: app.find_all(
        lambda n: "button" in n.get_role_name() and n.get_name() == "Side Panel"), 30)[0]
    click(env, app, toggle)
    switch = wait_for("the Processes switch", lambda: app.shown("label", "Processes"), 30)
    click(env, app, switch)

    found = wait_for("the sleep in the list", lambda: process_row(app, sleeper, "/usr/bin/sleep 1234"), 30)
    tap.ok(found is not None, f"the panel lists pid {sleeper} with its command line “/usr/bin/sleep 1234”")
    status = wait_for("the status line", lambda: app.shown("label", "1 process"), 10)
    tap.ok(status is not None, f"the panel counts it ({status.get_name()!r})")
    env.screenshot("list")

    # A second process appears on its own, by the periodic refresh.
    later = start_detached(guest, "/usr/bin/sleep", ["2345"])
    started = time.monotonic()
    wait_for("the second sleep", lambda: process_row(app, later, "/usr/bin/sleep 2345"), 15, 0.2)
    seconds = time.monotonic() - started
    tap.ok(process_row(app, sleeper, "/usr/bin/sleep 1234") is not None,
           f"a process started later appears by itself after {seconds:.1f} s, the first one stays")

    # Hidden, the panel does not list: its count (kept in a label that
    # exists while hidden) stays at two while a third process starts; shown
    # again, it lists at once instead of waiting for a period.
    click(env, app, app.shown("label", "Files"))
    hidden = start_detached(guest, "/usr/bin/sleep", ["5678"])
    time.sleep(7)
    missed = (app.find("label", "2 processes, refreshed") is not None and
              app.find("label", "3 processes") is None and not listed_anywhere(app, hidden))
    click(env, app, app.shown("label", "Processes"))
    started = time.monotonic()
    wait_for("the process started while hidden", lambda: process_row(app, hidden, "/usr/bin/sleep 5678"), 15, 0.1)
    tap.ok(missed, "while hidden the panel does not refresh; shown again, it lists the new process "
           f"(seen {time.monotonic() - started:.1f} s after switching back)")
    guest.run(f"kill {hidden}")

    # A command typed into the panel runs; its output streams in.
    output_text = Output(app)
    run_in_panel(env, app, "echo vivarium-$((6*7))")
    started = time.monotonic()
    text = wait_for("the command's exit", lambda: (lambda t: t if "Exited with code 0" in t else None)(
        output_text()), 30, 0.1)
    tap.ok("$ echo vivarium-$((6*7))\nvivarium-42\nExited with code 0" in text,
           f"a typed command runs and its output shows ({text.strip().splitlines()[-2:]!r}, "
           f"{time.monotonic() - started:.1f} s after Enter)")
    env.screenshot("echo")

    # Standard error, shown in red, and a non-zero exit code.
    run_in_panel(env, app, "echo to-stdout; echo to-stderr >&2; exit 3")
    text = wait_for("the failing command's exit", lambda: (lambda t: t if "Exited with code 3" in t else None)(
        output_text()), 30, 0.1)
    tail = text[text.rfind("$ echo to-stdout"):]
    tap.ok("to-stdout" in tail and "to-stderr" in tail and tail.rstrip().endswith("Exited with code 3"),
           f"stdout, stderr and the exit code 3 show ({tail.strip().splitlines()!r})")
    time.sleep(0.5)
    shot = env.screenshot("stderr")
    view = app.find("text", "Command Output")
    extents = view.get_extents(Atspi.CoordType.WINDOW)
    red = red_pixels(shot, (extents.x, extents.y, extents.x + extents.width, extents.y + extents.height))
    tap.ok(red > 40, f"stderr and the failed exit are styled in the error colour ({red} red pixels)")

    # Output that is not text: a NUL and a stray byte show as U+FFFD, a
    # two-byte character stays whole.
    run_in_panel(env, app, "printf 'nul[\\0] bad[\\377] e[\\303\\251]\\n'")
    text = wait_for("the binary output's exit", lambda: (lambda t: t if t.count("Exited with code 0") >= 2 else None)(
        output_text()), 30, 0.1)
    tail = text[text.rfind("$ printf"):]
    tap.ok("nul[\ufffd] bad[\ufffd] e[\u00e9]\n" in tail,
           f"bytes that are not UTF-8 show as replacement characters ({tail.strip().splitlines()[1:2]!r})")

    # Output that keeps coming streams while the command runs.
    shown_text = output_text
    run_in_panel(env, app, "for i in 1 2 3 4; do echo tick-$i; sleep 2; done")
    wait_for("the first tick", lambda: "tick-1" in shown_text(), 30, 0.1)
    early = shown_text()
    early = early[early.rfind("$ for i"):]
    tap.ok("tick-1" in early and "tick-4" not in early and "Exited" not in early,
           f"output streams in while the command runs ({early.splitlines()[1:]!r})")
    # What runs from the panel is listed too, under the pid it reports.
    running = wait_for("the run's pid", lambda: app.shown("label", "Running as process"), 10, 0.2)
    pid = int(running.get_name().rsplit(" ", 1)[1])
    listed = wait_for("the run in the list", lambda: process_row(app, pid, "/bin/bash -l -c for i in"), 10, 0.2)
    tap.ok(listed is not None, f"the running command is listed as pid {pid}, “/bin/bash -l -c for i in …”")
    wait_for("the last tick", lambda: shown_text().rstrip().endswith("Exited with code 0"), 30, 0.3)

    # A command that writes faster than the view shows: the sandbox's guest
    # holds it back instead of buffering it (the sandbox's memory limit
    # would end the guest), the view keeps only its last part, and the app
    # answers throughout.
    run_in_panel(env, app, "timeout 5 yes vivarium-flood")
    started = time.monotonic()
    worst = 0.0
    while time.monotonic() - started < 30:
        asked = time.monotonic()
        text = shown_text()
        worst = max(worst, time.monotonic() - asked)
        if text.rstrip().endswith("Exited with code 124"):
            break
        time.sleep(0.2)
    tap.ok(text.rstrip().endswith("Exited with code 124") and env.sandbox_state(sandbox) == "running" and
           len(text) <= 256 * 1024,
           f"a flood of output ends as the command does ({time.monotonic() - started:.1f} s), the sandbox "
           f"still runs, the view keeps {len(text)} characters, the slowest read of it took {worst * 1000:.0f} ms")

    # The run's own Stop button ends it; the output says how it ended.
    run_in_panel(env, app, "sleep 300")
    running = wait_for("the sleep's pid", lambda: app.shown("label", "Running as process"), 10, 0.2)
    pid = int(running.get_name().rsplit(" ", 1)[1])
    app.press("push button", "Stop the Running Command")
    wait_for("the stopped run", lambda: "Ended by a signal" in shown_text(), 15, 0.2)
    tap.ok(alive(guest, pid) is None and shown_text().rstrip().endswith("Ended by a signal (exit code -1)"),
           f"the run's Stop button ends it (pid {pid} gone) and the output says it ended by a signal")
    # The view keeps its end in sight: the red end line is in its bottom strip.
    time.sleep(1)
    shot = env.screenshot("signalled")
    extents = app.find("text", "Command Output").get_extents(Atspi.CoordType.WINDOW)
    bottom = red_pixels(shot, (extents.x, extents.y + extents.height - 36,
                               extents.x + extents.width, extents.y + extents.height))
    tap.ok(bottom > 20, f"the output view follows its end ({bottom} red pixels of the last line "
           "in its bottom 36 pixels)")

    # A process started with a tag and a working directory shows both: the
    # tag as a pill after the command, the directory on a dim line below it.
    guest.run("mkdir -p /tmp/viv-procs-cwd")
    tagged = start_detached(guest, "/usr/bin/sleep", ["4321"], tag="vivarium-tagged",
                            cwd="/tmp/viv-procs-cwd")
    info = envd_pids(guest).get(tagged, {})
    tap.ok(info.get("tag") == "vivarium-tagged" and info.get("config", {}).get("cwd") == "/tmp/viv-procs-cwd"
           and (alive(guest, tagged) or "").startswith("/usr/bin/sleep 4321"),
           f"envd lists pid {tagged} with its tag and working directory")
    row, label = wait_for("the tagged sleep", lambda: process_row(app, tagged, "/usr/bin/sleep 4321"), 15, 0.2)
    shown = wait_for("its tag and directory", lambda: (lambda labels: labels if "vivarium-tagged" in labels and
                                                       "/tmp/viv-procs-cwd" in labels else None)(
        row_labels(app, row)), 10, 0.2)
    command = shown["/usr/bin/sleep 4321"]
    tag, cwd = shown["vivarium-tagged"], shown["/tmp/viv-procs-cwd"]
    tap.ok(tag.x >= command.x + command.width and abs((tag.y + tag.height / 2) - (command.y + command.height / 2)) <= 3
           and cwd.y >= command.y + command.height - 1 and cwd.x == command.x,
           f"its row shows the tag after the command (tag at x {tag.x}, command ends at {command.x + command.width}) "
           f"and the working directory below it (y {cwd.y} under {command.y}+{command.height})")
    described = [n.get_description() for n in app.find_all(
        lambda n: "Working directory:" in (n.get_description() or ""), root=row)]
    tap.ok(described == ["/usr/bin/sleep 4321\nWorking directory: /tmp/viv-procs-cwd\nTag: vivarium-tagged"],
           f"its tooltip, also its accessible description, says what both are ({described!r})")
    time.sleep(0.5)
    shot = env.screenshot("tag-and-cwd")
    tinted = tinted_pixels(shot, tag)
    tap.ok(tinted > tag.width * tag.height // 2,
           f"the tag is a tinted pill ({tinted} of its {tag.width * tag.height} pixels in the accent's blue)")
    for dx in (20, 24, 28):
        env.xdotool("mousemove", str(command.x + dx), str(command.y + command.height // 2))
        time.sleep(0.1)
    time.sleep(1.5)
    env.screenshot("tag-and-cwd-tooltip")
    others = row_labels(app, process_row(app, later, "/usr/bin/sleep 2345")[0])
    tap.ok(sorted(others) == sorted([str(later), "/usr/bin/sleep 2345"]),
           f"a process without tag and directory keeps a one-line row ({sorted(others)!r})")
    guest.run(f"kill {tagged}")
    wait_for("the tagged row to go", lambda: process_row(app, tagged, "/usr/bin/sleep 4321") is None, 15, 0.3)

    # Stop (SIGTERM) ends the selected process.
    row, label = process_row(app, sleeper, "/usr/bin/sleep 1234")
    click(env, app, label)
    time.sleep(0.5)
    env.screenshot("selected")
    app.press("push button", "Stop")
    started = time.monotonic()
    wait_for("the sleep to end", lambda: alive(guest, sleeper) is None, 30, 0.1)
    tap.ok(alive(guest, sleeper) is None,
           f"Stop ends pid {sleeper} in the sandbox ({time.monotonic() - started:.1f} s)")
    wait_for("its row to go", lambda: process_row(app, sleeper, "/usr/bin/sleep 1234") is None, 15, 0.3)
    tap.ok(process_row(app, later, "/usr/bin/sleep 2345") is not None,
           "its row goes from the list, the other process stays")

    # Kill (SIGKILL) asks first; Cancel keeps the process, Kill ends it.
    row, label = process_row(app, later, "/usr/bin/sleep 2345")
    click(env, app, label)
    time.sleep(0.3)
    app.press("push button", "Kill")
    wait_for("the confirmation", lambda: dialog_node(app, "label", "Kill Process?"), 30)
    time.sleep(0.5)
    env.screenshot("kill-confirmation")
    env.xdotool("key", "Escape")
    time.sleep(1.5)
    tap.ok(alive(guest, later) is not None, "cancelling the Kill confirmation keeps the process")
    row, label = process_row(app, later, "/usr/bin/sleep 2345")
    click(env, app, label)
    time.sleep(0.3)
    app.press("push button", "Kill")
    button = wait_for("the dialog's Kill button", lambda: dialog_node(app, "push button", "Kill"), 30)
    button.get_action_iface().do_action(0)
    wait_for("the killed sleep to end", lambda: alive(guest, later) is None, 30, 0.3)
    tap.ok(alive(guest, later) is None, f"Kill, once confirmed, ends pid {later}")

    # A process that ends while the Kill confirmation is open: the signal
    # finds nothing, and a toast says so.
    ended = start_detached(guest, "/usr/bin/sleep", ["3456"])
    row, label = wait_for("the third sleep", lambda: process_row(app, ended, "/usr/bin/sleep 3456"), 15, 0.2)
    click(env, app, label)
    time.sleep(0.3)
    app.press("push button", "Kill")
    button = wait_for("the dialog's Kill button", lambda: dialog_node(app, "push button", "Kill"), 30)
    guest.run(f"kill {ended}")
    wait_for("envd to forget it", lambda: ended not in envd_pids(guest), 15, 0.2)
    button.get_action_iface().do_action(0)
    toast = wait_for("the toast", lambda: toast_shown(app, f"Process {ended} has already ended"), 15, 0.2)
    tap.ok(bool(toast), f"a process that ended meanwhile is reported in a toast (“{toast[0].get_name()}”)")
    env.screenshot("already-ended")

    # The list empties: the empty state.
    wait_for("the empty state", lambda: app.shown("label", "No Processes"), 20, 0.3)
    tap.ok(True, "with no processes left the panel shows its empty state")
    env.screenshot("empty")

    # A paused sandbox stops refreshing and says so.
    status, _ = env.api.call("POST", f"/sandboxes/{sandbox}/pause", {})
    assert status == 204, f"pause: {status}"
    banner = wait_for("the paused banner", lambda: app.shown("label", "The sandbox is paused"), 30, 0.3)
    stale = wait_for("the stale count", lambda: app.shown("label", "0 processes when last refreshed"), 10, 0.3)
    tap.ok(banner is not None and stale is not None and command_run_disabled(app),
           "a paused sandbox shows that the list is not refreshed, and Run is disabled")
    env.screenshot("paused")
    # After resuming, the panel lists again by itself.
    status, _ = env.api.call("POST", f"/sandboxes/{sandbox}/resume", {"timeout": 600})
    assert status in (200, 201, 204), f"resume: {status}"
    wait_for("refreshing again", lambda: app.shown("label", "0 processes, refreshed every"), 30, 0.3)
    resumed = start_detached(guest, "/usr/bin/sleep", ["4567"])
    wait_for("the sleep after resuming", lambda: process_row(app, resumed, "/usr/bin/sleep 4567"), 20, 0.3)
    tap.ok(True, "after resuming, the list refreshes again")
    env.screenshot("resumed")

    # A killed sandbox: nothing left to list, and the panel says so.
    status, _ = env.api.call("DELETE", f"/sandboxes/{sandbox}")
    assert status == 204, f"kill: {status}"
    gone = wait_for("the panel's gone page", lambda: app.shown("label", "Its processes ended with it"), 30, 0.3)
    tap.ok(gone is not None and command_run_disabled(app),
           "a killed sandbox empties the panel, says so, and Run is disabled")
    env.screenshot("gone")


def command_run_disabled(app):
    button = app.find("push button", "Run")
    return button is not None and not button.get_state_set().contains(app.Atspi.StateType.SENSITIVE)


if __name__ == "__main__":
    sys.exit(main(run, "app-processes"))
