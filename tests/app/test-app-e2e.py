#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""End-to-end: the real Vivarium app under a real X server, driven through
AT-SPI, against a real vivarium-host with real sandboxes. TAP output;
screenshots of each step go to the test log directory."""

import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vivtest import App, atspi, count_color, log, main, toplevel, wait_for  # noqa: E402

MAGENTA = (255, 0, 255)


def run(env, tap):
    env.start_x()
    env.start_dbus()
    env.start_host()

    first = env.create_sandbox("e2e", {"purpose": "e2e-desktop"})
    guest = env.guest(first)
    wait_for("the sandbox's display", lambda: guest.json("GET", "/desktop/screen")[0] == 200, 90)
    code, _ = guest.run("xsetroot -solid '#ff00ff'")
    assert code == 0, "xsetroot failed in the sandbox"

    env.start_app()
    Atspi = atspi()
    app = App(Atspi)
    wait_for("the app's window", app.window, 60)

    # The grid shows exactly the host's sandboxes, and follows creation.
    wait_for("the first card", lambda: app.card_ids() == env.sandbox_ids(), 60)
    tap.ok(app.card_ids() == env.sandbox_ids() == [first], "the grid shows exactly the host's sandbox")
    second = env.create_sandbox("base", {"purpose": "e2e-base"})
    try:
        wait_for("the new card", lambda: app.card_ids() == env.sandbox_ids(), 60)
    except AssertionError:
        pass
    tap.ok(app.card_ids() == env.sandbox_ids() == sorted([first, second]),
           "a sandbox created on the host appears in the grid")
    # The live tile shows the sandbox's own pixels.
    wait_for("the live tile", lambda: count_color(env.screenshot("overview"), MAGENTA) > 2000, 60, 1)
    tap.ok(True, "the tile shows the sandbox's desktop live")

    # Opening one shows its desktop.
    x, y = app.center(app.card(first))
    env.xdotool("mousemove", str(x), str(y), "click", "1")
    wait_for("the session view", lambda: app.shown("filler", "Sandbox desktop"), 30)
    path = wait_for("the desktop's pixels",
                    lambda: (lambda p: p if count_color(p, MAGENTA) > 200000 else None)(env.screenshot("session")),
                    60, 1)
    tap.ok(count_color(path, MAGENTA) > 200000, "opening a sandbox shows its desktop big")

    # The agent opens a terminal while nobody holds the desktop.
    status, _ = guest.json("POST", "/desktop/launch", {"app": "debian-xterm"})
    tap.ok(status == 200, "the agent can launch an app before the takeover")
    wait_for("the terminal", lambda: terminal_open(guest), 30)

    # The real demo agent drives the desktop through the guest's API.
    agent = env.start_demo_agent(first)
    wait_for("the demo agent at work", lambda: "driving sandbox" in env.read_log("demo-agent"), 60, 0.5)

    # Take Over: the guest holds the lock for us, agents are refused.
    app.press("push button", "Take Over")
    state = wait_for("the lock", lambda: (lambda s: s if s.get("held") else None)(
        guest.json("GET", "/desktop/takeover")[1] or {}), 30)
    tap.ok(state["holder"].endswith("(Vivarium)"), f"Take Over holds the guest's lock ({state['holder']})")
    status, answer = guest.json("POST", "/desktop/pointer/move", {"x": 10, "y": 10})
    tap.ok(status == 423, f"the agent's input is refused while taken over ({status})")
    wait_for("the takeover bar", lambda: app.shown("label", "You are in control"), 30)
    waiting = wait_for("the agent to wait", lambda: "has taken over" in env.read_log("demo-agent"), 30, 0.5)
    tap.ok(waiting and agent.poll() is None and
           "(Vivarium) has taken over" in env.read_log("demo-agent"),
           "the demo agent waits while the desktop is taken over")
    time.sleep(1)
    env.screenshot("taken-over")

    # Keys typed in the app arrive in the sandbox.
    view = app.find("filler", "Sandbox desktop")
    vx, vy = app.center(view)
    env.xdotool("mousemove", str(vx), str(vy))
    time.sleep(0.5)
    # The agent may have left half a line in the terminal: clear it first.
    env.xdotool("key", "ctrl+u")
    env.xdotool("type", "--delay", "60", "echo typed-in-vivarium > /tmp/typed")
    env.xdotool("key", "Return")
    typed = wait_for("the typed file", lambda: (lambda r: r[1].strip() if r[0] == 0 and r[1].strip() else None)(
        guest.run("cat /tmp/typed 2>/dev/null")), 30, 0.5)
    tap.ok(typed == "typed-in-vivarium", f"keys typed in the app arrive in the sandbox ({typed!r})")
    env.screenshot("typed")

    # The send-keys menu: Alt+F4 reaches the sandbox's window manager, which
    # closes the terminal.
    app.menu_activate(env, "Send Keys", "Alt+F4")
    wait_for("the terminal to close", lambda: not terminal_open(guest), 30, 0.5)
    tap.ok(True, "Send Keys delivers Alt+F4 to the sandbox (its terminal closed)")
    time.sleep(1)
    env.screenshot("alt-f4-sent")

    # Hand Back releases the lock.
    app.press("push button", "Hand Back")
    wait_for("the release", lambda: not (guest.json("GET", "/desktop/takeover")[1] or {}).get("held"), 30)
    tap.ok(True, "Hand Back releases the lock")
    status, _ = guest.json("POST", "/desktop/pointer/move", {"x": 10, "y": 10})
    tap.ok(status == 200, "the agent's input flows again")
    wait_for("the agent to carry on", lambda: "handed back" in env.read_log("demo-agent"), 30, 0.5)
    tap.ok(agent.poll() is None, "the demo agent carries on after Hand Back")
    env.stop(agent)
    log("demo agent: " + " | ".join(env.read_log("demo-agent").splitlines()[-6:]))

    # Zoom: Original Size shows the 1024x768 desktop pixel for pixel, which
    # differs from the fitted view; toggling it again fits it back.
    # The widest magenta row is the desktop's width on the screen.
    # The takeover bar slides away after Hand Back: wait for a steady width.
    widths = [0]

    def steady_fit():
        widths.append(magenta_width(env.screenshot("zoom-fit")))
        return widths[-1] if 0 < widths[-1] < 1024 and widths[-1] == widths[-2] else None
    fitted = wait_for("the fitted view", steady_fit, 30, 1)
    app.menu_activate(env, "Sandbox Menu", "Original Size")
    wait_for("the 1:1 view", lambda: magenta_width(env.screenshot("zoom-1-1")) == 1024, 30, 1)
    tap.ok(True, f"Original Size shows the desktop 1:1 (1024 pixels wide, fitted {fitted})")
    app.menu_activate(env, "Sandbox Menu", "Original Size")
    wait_for("the fitted view again", lambda: magenta_width(env.screenshot("zoom-fit-again")) == fitted, 30, 1)

    # Copy Screenshot puts the sandbox's full-size picture on the clipboard.
    app.menu_activate(env, "Sandbox Menu", "Copy Screenshot")
    clip = os.path.join(env.log_dir, "app-e2e-clipboard.png")
    size = wait_for("the clipboard image", lambda: env.clipboard_png(clip), 30, 1)
    tap.ok(size == (1024, 768) and count_color(clip, MAGENTA) > 1024 * 768 // 2,
           f"Copy Screenshot puts a {size[0]}x{size[1]} PNG of the desktop on the clipboard")

    # Save Screenshot writes a PNG where the file chooser says.
    app.menu_activate(env, "Sandbox Menu", "Save Screenshot")
    wait_for("the file chooser", lambda: toplevel(atspi(), "Save Screenshot"), 30)
    time.sleep(1)
    saved = os.path.join(env.tmp, "home", "saved-screenshot.png")
    env.xdotool("key", "ctrl+a")
    env.xdotool("type", "--delay", "20", saved)
    env.screenshot("save-screenshot")
    env.xdotool("key", "Return")
    size = wait_for("the saved file", lambda: png_size(saved), 30, 0.5)
    tap.ok(size == (1024, 768) and count_color(saved, MAGENTA) > 1024 * 768 // 2,
           f"Save Screenshot writes a {size[0]}x{size[1]} PNG of the desktop to the chosen file")

    # Extend moves the host's end time later.
    before = env.sandbox_end_at(first)
    app.menu_activate(env, "Sandbox Menu", "Extend Timeout")
    after = wait_for("the later end", lambda: (lambda e: e if e and e - before > 20 * 60 else None)(
        env.sandbox_end_at(first)), 30, 0.5)
    tap.ok(after - before > 20 * 60, f"Extend Timeout moves the host's end {after - before:.0f} s later")

    # Pause shows paused; Resume reconnects.
    app.menu_activate(env, "Sandbox Menu", "Pause")
    wait_for("the paused page", lambda: app.shown("panel", "Sandbox Paused"), 30)
    tap.ok(env.sandbox_state(first) == "paused", "Pause pauses the sandbox and shows it")
    env.screenshot("paused")
    frozen = env.freezer(first)
    log(f"paused: {frozen}")
    tap.ok(frozen[0] == "FROZEN" and frozen[1] and all(s == "D" for s in frozen[2].values()),
           f"the paused sandbox's {len(frozen[2])} processes are frozen")
    app.press("push button", "Resume")
    wait_for("the running state", lambda: env.sandbox_state(first) == "running", 30)
    path = wait_for("the desktop again",
                    lambda: (lambda p: p if count_color(p, MAGENTA) > 200000 else None)(env.screenshot("resumed")),
                    60, 1)
    tap.ok(True, "Resume reconnects the desktop")
    thawed = env.freezer(first)
    tap.ok(thawed[0] == "THAWED" and "D" not in thawed[2].values(),
           f"the resumed sandbox's processes run again ({thawed[0]})")

    # Kill, after confirmation, removes the tile.
    app.menu_activate(env, "Sandbox Menu", "Kill Sandbox")
    wait_for("the confirmation", lambda: app_dialog_button(Atspi, "Kill"), 30)
    env.screenshot("kill-confirmation")
    app_dialog_button(Atspi, "Kill").get_action_iface().do_action(0)
    wait_for("the sandbox to go", lambda: first not in env.sandbox_ids(), 60)
    wait_for("the tile to go", lambda: app.card_ids() == env.sandbox_ids(), 60)
    tap.ok(app.card_ids() == [second], "Kill after confirmation removes the tile")
    env.screenshot("killed")

    # The New Sandbox dialog creates one on the host, and it appears.
    app.press("push button", "New Sandbox")
    dialog = wait_for("the dialog", lambda: toplevel(Atspi, "New Sandbox"), 30)
    time.sleep(1)
    entry = wait_for("the metadata entry", lambda: App(Atspi).find_all(
        lambda n: n.get_role_name() in ("text", "entry") and (n.get_name() or "").startswith("Metadata"),
        root=dialog), 10)[0]
    x, y = App(Atspi).center(entry)
    env.xdotool("mousemove", str(x), str(y), "click", "1")
    time.sleep(0.3)
    env.xdotool("type", "--delay", "20", "purpose=e2e-dialog")
    env.screenshot("new-sandbox")
    App(Atspi).find_all(lambda n: n.get_role_name() == "push button" and
                        (n.get_name() or "").replace("_", "").startswith("Create"), root=dialog)[0] \
        .get_action_iface().do_action(0)
    third = wait_for("the dialog's sandbox", lambda: env.sandbox_with("purpose", "e2e-dialog"), 60, 0.5)
    env.created.append(third)
    wait_for("its card", lambda: app.card_ids() == env.sandbox_ids(), 60)
    tap.ok(app.card_ids() == sorted([second, third]), "the New Sandbox dialog creates a sandbox that appears")
    env.screenshot("created")

    # An E2B-compatible account with a wrong key says so clearly.
    env.activate_app_action("preferences")
    prefs = wait_for("the preferences", lambda: toplevel(Atspi, "Preferences"), 30)
    time.sleep(1)
    entries = App(Atspi).find_all(lambda n: n.get_role_name() in ("text", "entry", "password text"),
                                  root=prefs)
    log(f"{len(entries)} entries: {[e.get_name() for e in entries]}")
    # The custom service's rows: the last "API Key" is its key (the first
    # one is E2B Cloud's). The window has no window manager to place it, so
    # its window coordinates are the screen's.
    named = {}
    for entry in entries:
        named[entry.get_name()] = entry
    for name, text in (("Name", "Wrong Key"), ("API URL", env.api_url),
                       ("API Key", "e2b_0000000000000000000000000000000000000000")):
        x, y = App(Atspi).center(named[name])
        env.xdotool("mousemove", str(x), str(y), "click", "1")
        time.sleep(0.3)
        env.xdotool("type", "--delay", "20", text)
    env.screenshot("preferences")
    button = wait_for("Add Service", lambda: App(Atspi).find_all(
        lambda n: n.get_role_name() == "push button" and (n.get_name() or "").replace("_", "").startswith("Add Service"),
        root=prefs), 10)[0]
    button.get_action_iface().do_action(0)
    message = wait_for("the error", lambda: any_label(Atspi, "Wrong Key refused the API key"), 60)
    env.screenshot("wrong-key")
    tap.ok("401" in message or "key" in message.lower(),
           f"a wrong API key shows a clear error: {message!r}")


def png_size(path):
    """The size of a complete PNG at path, None while it is missing or partial."""
    from PIL import Image
    try:
        with Image.open(path) as image:
            image.load()
            return image.size
    except (OSError, SyntaxError):
        return None


def magenta_width(path):
    from PIL import Image
    image = Image.open(path).convert("RGB")
    width, height = image.size
    pixels = image.load()
    return max(sum(1 for x in range(width) if pixels[x, y] == MAGENTA) for y in range(100, height - 100, 50))


def terminal_open(guest):
    return any("xterm" in (w.get("class") or "").lower()
               for w in (guest.json("GET", "/desktop/windows")[1] or []))


def any_label(Atspi, prefix):
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        for j in range(app.get_child_count() if app else 0):
            found = App(Atspi).find_all(lambda n: n.get_role_name() == "label" and
                                        (n.get_name() or "").startswith(prefix),
                                        root=app.get_child_at_index(j))
            if found:
                return found[0].get_name()
    return None


def app_dialog_button(Atspi, name):
    """A button of the app's message dialog (its own toplevel)."""
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        for j in range(app.get_child_count() if app else 0):
            toplevel = app.get_child_at_index(j)
            found = App(Atspi).find_all(lambda n: n.get_role_name() == "push button" and
                                        (n.get_name() or "").replace("_", "").startswith(name),
                                        root=toplevel)
            if found and toplevel.get_name() != "Vivarium":
                return found[0]
    return None


if __name__ == "__main__":
    sys.exit(main(run, "app-e2e"))
