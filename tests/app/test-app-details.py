#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The session view's Details panel, in the real app driven through AT-SPI
against a real vivarium-host: the sandbox's id, template and metadata, a
countdown that ticks, Extend and the host's timeout moving the end, a paused
sandbox's stopped timer, env vars with secret-looking values hidden until
revealed, and the CPU and memory graph filling with samples. TAP output;
screenshots go to the test log directory."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vivtest import App, atspi, log, main, wait_for  # noqa: E402

SECRET = "sk-details-7f3a91"
GREETING = "hello from the details test"
HIDDEN = "●●●●●●●●"
GRAPH = "CPU and memory over the last minutes"
COUNTDOWN = re.compile(r"^(?:(\d+):)?(\d\d):(\d\d) left$")


def labels(app):
    """The texts of every shown label in the window."""
    return [n.get_name() or "" for n in app.find_all(lambda n: n.get_role_name() == "label")]


def has_label(app, text):
    return text in labels(app)


def row_value(app, title):
    """The value (subtitle) of the Details row titled @title: the label that
    follows the title label among the row's labels."""
    def is_row(node):
        if node.get_role_name() not in ("list item", "row"):
            return False
        names = [node.get_child_at_index(i).get_name() for i in range(node.get_child_count())]
        return title in names or title in row_texts(node)
    for row in app.find_all(is_row):
        # Rows of a hidden panel are still "visible" to AT-SPI: only count
        # rows that take room on the screen.
        extents = row.get_extents(app.Atspi.CoordType.WINDOW)
        if extents.width <= 0 or extents.height <= 0:
            continue
        texts = row_texts(row)
        if title in texts:
            index = texts.index(title)
            if index + 1 < len(texts):
                return texts[index + 1]
    return None


def row_texts(node, depth=0):
    texts = []
    if depth > 6:
        return texts
    for i in range(node.get_child_count()):
        child = node.get_child_at_index(i)
        if child is None:
            continue
        if child.get_role_name() == "label":
            texts.append(child.get_name() or "")
        texts.extend(row_texts(child, depth + 1))
    return texts


def press_exact(app, name):
    """Presses the button named exactly @name (App.press drops underscores,
    which variable names are full of)."""
    node = wait_for(f"button “{name}”", lambda: next(iter(app.find_all(
        lambda n: n.get_role_name() == "push button" and n.get_name() == name)), None), 30)
    node.get_action_iface().do_action(0)


def seconds_left(text):
    match = COUNTDOWN.match(text or "")
    if not match:
        return None
    hours, minutes, seconds = (int(g) if g else 0 for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def graph_description(app):
    nodes = app.find_all(lambda n: (n.get_name() or "") == GRAPH)
    return nodes[0].get_description() if nodes else None


def graph_samples(app):
    match = re.search(r", (\d+) samples$", graph_description(app) or "")
    return int(match.group(1)) if match else 0


def dump(node, depth=0, out=None):
    """The accessible tree under @node, for the log when a lookup fails."""
    out = [] if out is None else out
    if node is None or depth > 30:
        return out
    out.append("  " * depth + f"{node.get_role_name()} “{node.get_name()}”")
    for i in range(node.get_child_count()):
        dump(node.get_child_at_index(i), depth + 1, out)
    return out


def run(env, tap):
    state = {}
    try:
        steps(env, tap, state)
    except Exception:
        # The panel's accessible tree says what a failed lookup missed.
        app = state.get("app")
        panels = app.find_all(lambda n: n.get_name() == "VivDetailsPanel", showing=False) if app else []
        for line in dump(panels[0]) if panels else []:
            log(line)
        raise


def steps(env, tap, state):
    # Tall enough that the whole panel fits in the screenshots.
    env.start_x("1400x1300")
    env.start_dbus()
    env.start_host()

    # Values with markup characters show as they are.
    metadata = {"purpose": "details-test", "owner": "qa <qa@example.com> & co", "<b>note</b>": "<i>as is</i>"}
    status, sandbox = env.api.json("POST", "/sandboxes", {
        "templateID": "e2e", "timeout": 1800, "metadata": metadata,
        "envVars": {"OPENAI_API_KEY": SECRET, "GREETING": GREETING}})
    assert status == 201, f"create: {status} {sandbox}"
    sandbox_id = sandbox["sandboxID"]
    env.created = [sandbox_id]
    guest = env.guest(sandbox_id)
    wait_for("the sandbox's display", lambda: guest.json("GET", "/desktop/screen")[0] == 200, 90)

    env.start_app()
    Atspi = atspi()
    app = state["app"] = App(Atspi)
    wait_for("the app's window", app.window, 60)
    env.xdotool("search", "--name", "^Vivarium$", "windowsize", "%@", "1380", "1280")
    wait_for("the sandbox's card", lambda: app.card(sandbox_id), 60)
    x, y = app.center(app.card(sandbox_id))
    env.xdotool("mousemove", str(x), str(y), "click", "1")
    wait_for("the session view", lambda: app.shown("filler", "Sandbox desktop"), 30)

    # The header's toggle opens the side panel; its switcher picks the Details page.
    app.press("push button", "Side Panel")
    tab = wait_for("the side panel's switcher", lambda: app.shown("page tab", "Details"), 30)
    action = tab.get_action_iface()
    if action is not None and action.get_n_actions() > 0:
        action.do_action(0)
    else:
        x, y = app.center(tab)
        env.xdotool("mousemove", str(x), str(y), "click", "1")
    try:
        wait_for("the sandbox's id in the panel", lambda: row_value(app, "ID") == sandbox_id, 30)
    except AssertionError:
        log("\n# ".join(dump(app.window())))
        raise

    # What the sandbox is.
    tap.ok(row_value(app, "ID") == sandbox_id, f"the panel shows the sandbox's id ({sandbox_id})")
    tap.ok(row_value(app, "Template") == "e2e", f"the panel shows the template ({row_value(app, 'Template')})")
    tap.ok(row_value(app, "Account") == "This Computer",
           f"the panel shows the account ({row_value(app, 'Account')})")
    tap.ok(row_value(app, "State") == "Running", f"the panel shows the state ({row_value(app, 'State')})")
    tap.ok(all(row_value(app, key) == value for key, value in metadata.items()),
           "the panel shows the metadata values (" +
           ", ".join(f"{k}={row_value(app, k)!r}" for k in metadata) + ")")
    env.screenshot("details")
    warnings = [line for line in env.read_log("app").splitlines() if "markup" in line]
    tap.ok(not warnings, f"no value is taken for markup ({warnings[:1]})")

    # Copy buttons put the value itself on the clipboard, secret or not.
    press_exact(app, "Copy ID")
    copied = wait_for("the copied id", lambda: (lambda t: t if t == sandbox_id else None)(env.clipboard_text()), 10, 0.5)
    tap.ok(copied == sandbox_id, f"Copy ID puts the id on the clipboard ({copied!r})")

    # The countdown ticks every second.
    # Reading through AT-SPI takes time of its own (and may meet a label in
    # the middle of its change): retry a read, and compare with the clock.
    def read_left():
        start = time.monotonic()
        left = wait_for("the time left", lambda: seconds_left(row_value(app, "Time Left")), 10, 0.1)
        return left, start, time.monotonic()
    first, first_start, first_end = read_left()
    time.sleep(3)
    second, second_start, second_end = read_left()
    # Whole seconds shown, ticking once a second: one second either way.
    shortest, longest = second_start - first_end - 1, second_end - first_start + 1
    tap.ok(second < first and shortest <= first - second <= longest,
           f"the time left counts down ({first} s, then {second} s after "
           f"{second_start - first_end:.1f}–{second_end - first_start:.1f} s)")

    # Env vars: the normal one shown, the secret-looking one hidden until revealed.
    wait_for("the env vars", lambda: row_value(app, "GREETING"), 30)
    tap.ok(row_value(app, "GREETING") == GREETING, f"a normal env var's value is shown ({row_value(app, 'GREETING')!r})")
    hidden = row_value(app, "OPENAI_API_KEY")
    tap.ok(hidden == HIDDEN and not has_label(app, SECRET),
           f"a secret-looking env var's value is hidden ({hidden!r})")
    env.screenshot("env-hidden")
    press_exact(app, "Show OPENAI_API_KEY")
    wait_for("the revealed value", lambda: row_value(app, "OPENAI_API_KEY") == SECRET, 10)
    tap.ok(row_value(app, "OPENAI_API_KEY") == SECRET, "the secret value shows once revealed")
    env.screenshot("env-revealed")
    press_exact(app, "Hide OPENAI_API_KEY")
    wait_for("the hidden value again", lambda: row_value(app, "OPENAI_API_KEY") == HIDDEN, 10)
    tap.ok(True, "hiding it again shows dots")
    press_exact(app, "Copy OPENAI_API_KEY")
    copied = wait_for("the copied secret", lambda: (lambda t: t if t == SECRET else None)(env.clipboard_text()), 10, 0.5)
    tap.ok(copied == SECRET, "Copy on a hidden value copies the value itself")

    # The graph fills with samples polled every few seconds, and shows the
    # CPU a busy loop in the sandbox takes.
    wait_for("two metrics samples", lambda: graph_samples(app) >= 2, 30, 1)
    before = graph_samples(app)
    code, _ = guest.run("setsid sh -c 'timeout 25 sh -c \"while :; do :; done\"' "
                        "</dev/null >/dev/null 2>&1 &")
    assert code == 0, "cannot start the busy loop"
    busy = wait_for("the busy loop's CPU in the graph", lambda: (lambda d: d if d and float(
        re.match(r"CPU ([\d.]+) %", d).group(1)) >= 10 else None)(graph_description(app)), 30, 1)
    env.screenshot("metrics-busy")
    time.sleep(6)
    description = graph_description(app)
    after = graph_samples(app)
    match = re.match(r"CPU ([\d.]+) %, memory (.+) of (.+), \d+ samples$", description or "")
    tap.ok(match is not None and 0 <= float(match.group(1)) <= 100 and after > before,
           f"the metrics graph has data and keeps polling ({before} -> {after} samples: {description!r})")
    tap.ok(busy is not None, f"the graph reports a busy loop's CPU ({busy!r})")
    env.screenshot("metrics")

    # Extend (the session menu) moves the end time by 30 minutes.
    ends_before = row_value(app, "Ends")
    left_before = seconds_left(row_value(app, "Time Left"))
    app.menu_activate(env, "Sandbox Menu", "Extend Timeout")
    left_after = wait_for("the later end", lambda: (lambda s: s if s and s > left_before + 25 * 60 else None)(
        seconds_left(row_value(app, "Time Left"))), 30, 0.5)
    tap.ok(row_value(app, "Ends") != ends_before and left_after - left_before > 25 * 60,
           f"Extend moves the end in the panel ({ends_before} -> {row_value(app, 'Ends')}, "
           f"{left_before} s -> {left_after} s left)")

    # The host's own timeout call moves it too (the app learns it by polling).
    status, _ = env.api.json("POST", f"/sandboxes/{sandbox_id}/timeout", {"timeout": 600})
    assert status == 204, f"timeout: {status}"
    left = wait_for("the shorter end", lambda: (lambda s: s if s and s <= 600 else None)(
        seconds_left(row_value(app, "Time Left"))), 30, 0.5)
    tap.ok(550 < left <= 600, f"the host's timeout moves the end in the panel ({left} s left)")
    env.screenshot("timeout")

    # Paused, the timer stops and says so; resumed, it counts again.
    status, _ = env.api.json("POST", f"/sandboxes/{sandbox_id}/pause")
    assert status == 204, f"pause: {status}"
    wait_for("the paused state", lambda: row_value(app, "State") == "Paused", 30, 0.5)
    paused = row_value(app, "Time Left")
    tap.ok(paused == "Paused: the timer is stopped", f"a paused sandbox's timer says it is stopped ({paused!r})")
    env.screenshot("paused")
    status, _ = env.api.json("POST", f"/sandboxes/{sandbox_id}/resume", {"timeout": 900})
    assert status in (200, 201, 204), f"resume: {status}"
    wait_for("the running state", lambda: row_value(app, "State") == "Running", 30, 0.5)
    left = wait_for("the countdown again", lambda: seconds_left(row_value(app, "Time Left")), 30, 0.5)
    tap.ok(850 < left <= 900, f"resumed, the countdown runs again ({left} s left)")


if __name__ == "__main__":
    sys.exit(main(run, "app-details"))
