#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The session view's Files panel, end to end: the real app under a real X
server, driven through AT-SPI, against a real vivarium-host with a real
sandbox. TAP output; screenshots of each step go to the test log directory."""

import hashlib
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from vivtest import App, atspi, log, main, toplevel, wait_for  # noqa: E402


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def sandbox_sha256(guest, path):
    code, out = guest.run(f"sha256sum {path}")
    return out.split()[0] if code == 0 and out else None


def dialog_node(Atspi, role, name):
    """A node of one of the app's other toplevels (dialogs, the preview)."""
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        for j in range(app.get_child_count() if app else 0):
            window = app.get_child_at_index(j)
            if window is None or window.get_name() == "Vivarium":
                continue
            found = App(Atspi).find_all(lambda n: n.get_role_name() == role and
                                        (n.get_name() or "").replace("_", "").startswith(name),
                                        root=window)
            if found:
                return found[0]
    return None


def row_label(app, name):
    """The name label of a shown row of the files list."""
    nodes = app.find_all(lambda n: n.get_role_name() == "label" and n.get_name() == name)
    for node in nodes:
        try:
            extents = node.get_extents(app.Atspi.CoordType.WINDOW)
        except Exception:
            continue
        if extents.width > 0 and extents.height > 0 and extents.x > 700 and is_row(node):
            return node
    return None


def is_row(label):
    """Whether a label is a row's name: the row's icon comes before it
    (the action bar's label of the selection has none)."""
    try:
        first = label.get_parent().get_child_at_index(0)
        return first is not None and first.get_role_name() in ("image", "icon")
    except Exception:
        return False


def click_row(env, app, name, double=False):
    node = wait_for(f"the row “{name}”", lambda: row_label(app, name), 30)
    x, y = app.center(node)
    env.xdotool("mousemove", str(x), str(y))
    if double:
        env.xdotool("click", "--repeat", "2", "--delay", "80", "1")
    else:
        env.xdotool("click", "1")
    time.sleep(0.3)


DRAG_SOURCE = """
import sys, gi
gi.require_version("Gtk", "4.0")
from gi.repository import Gdk, Gio, GLib, Gtk
path = sys.argv[1]
def activate(app):
    window = Gtk.ApplicationWindow(application=app, title="Drag Source", default_width=220, default_height=120)
    label = Gtk.Label(label="Drag this file")
    source = Gtk.DragSource(actions=Gdk.DragAction.COPY)
    uri = Gio.File.new_for_path(path).get_uri() + "\\r\\n"
    source.connect("prepare", lambda *a: Gdk.ContentProvider.new_for_bytes("text/uri-list", GLib.Bytes.new(uri.encode())))
    label.add_controller(source)
    window.set_child(label)
    window.present()
app = Gtk.Application(application_id="io.github.vivarium.TestDragSource")
app.connect("activate", activate)
app.run([])
"""


def drag(env, start, end, steps=20):
    """Drags with the pointer from start to end, in steps, as a hand would."""
    env.xdotool("mousemove", str(start[0]), str(start[1]))
    time.sleep(0.3)
    env.xdotool("mousedown", "1")
    for i in range(1, steps + 1):
        x = start[0] + (end[0] - start[0]) * i // steps
        y = start[1] + (end[1] - start[1]) * i // steps
        env.xdotool("mousemove", str(x), str(y))
        time.sleep(0.05)
    time.sleep(0.5)
    env.xdotool("mouseup", "1")


def text_of(node):
    text = node.get_text_iface()
    return text.get_text(0, text.get_character_count()) if text else ""


def menu_items(app):
    """The shown items of the app's open popover menu, by name."""
    items = app.find_all(lambda n: "menu item" in n.get_role_name(), showing=False)
    shown = {}
    for item in items:
        try:
            extents = item.get_extents(app.Atspi.CoordType.WINDOW)
        except Exception:
            continue
        if extents.width > 0 and extents.height > 0:
            shown[(item.get_name() or "").replace("_", "")] = item
    return shown


def choose_in_menu(env, app, name):
    """Activates an item of the open popover menu with the keyboard: GTK 4.8
    gives popover menu items no AT-SPI action."""
    for _ in range(12):
        focused = app.find_all(lambda n: "menu item" in n.get_role_name() and
                               n.get_state_set().contains(app.Atspi.StateType.FOCUSED), showing=False)
        if focused and (focused[0].get_name() or "").replace("_", "").startswith(name):
            env.xdotool("key", "Return")
            return
        env.xdotool("key", "Down")
        time.sleep(0.3)
    raise AssertionError(f"no menu item “{name}”")


def selected_name(app, name):
    """The action bar's label of the selected file, when it says name."""
    return app.find_all(lambda n: n.get_role_name() == "label" and n.get_name() == name and not is_row(n))


def select_row(env, app, name):
    """Clicks a row until it is the selection: a click while the list
    changes under the pointer (a live update) can be lost."""
    for attempt in range(3):
        click_row(env, app, name)
        try:
            wait_for(f"“{name}” selected", lambda: selected_name(app, name), 3)
            return
        except AssertionError:
            log(f"the click on “{name}” did not select it (attempt {attempt + 1})")
            env.screenshot("click-lost")
    raise AssertionError(f"“{name}” cannot be selected")


def path_shown(app, path):
    """The path bar says exactly path (a row's tooltip starts with its path)."""
    return app.find_all(lambda n: n.get_role_name() == "label" and n.get_name() == path)


def toast_shown(app, *words):
    return app.find_all(lambda n: n.get_role_name() == "label" and
                        all(w in (n.get_name() or "") for w in words))


ROW_MENU = ["Open", "Download…", "Copy Path", "Rename…", "Delete"]
BACKGROUND_MENU = ["New Folder…", "Upload Files…", "Show Hidden Files", "Reload", "Copy Location"]


def right_click_menu(env, app, x, y, expected, shot):
    """Right-clicks at x, y; returns the menu items shown once the expected
    ones are (or after 10 s), then moves the pointer onto the menu, as a
    hand would (a row's tooltip goes), and takes a screenshot."""
    env.xdotool("mousemove", str(x), str(y), "click", "3")
    try:
        wait_for("the context menu", lambda: all(name in menu_items(app) for name in expected), 10)
    except AssertionError:
        pass
    shown = menu_items(app)
    env.xdotool("mousemove_relative", "40", "20")
    time.sleep(1)
    env.screenshot(shot)
    return shown


def links_hidden_files_and_menus(env, tap, app, Atspi, guest, home):
    """Links followed, hidden files, and the rows' context menu; the shown
    folder is ~/from-agent."""
    folder = f"{home}/from-agent"
    code, _ = guest.run(f"mkdir -p {home}/link-target && echo inside > {home}/link-target/inside-target.txt"
                        f" && printf 'read through the link\\n' > {home}/link-target/linked.txt"
                        f" && ln -s ../link-target {folder}/dir-link"
                        f" && ln -s {home}/link-target/linked.txt {folder}/file-link"
                        f" && ln -s {home}/nowhere {folder}/dangling-link"
                        f" && echo secret > {folder}/.hidden-note"
                        f" && mkdir {folder}/dots-only && echo x > {folder}/dots-only/.only-hidden")
    assert code == 0, "could not make the links and the dotfile"

    # Hidden files: not listed by default, though they are there.
    wait_for("the links' rows", lambda: row_label(app, "dir-link") and row_label(app, "file-link") and
             row_label(app, "dangling-link"), 30)

    # A link to a folder sorts with the folders once followed, a dangling
    # link and a link to a file with the files.
    def top(name):
        node = row_label(app, name)
        return node.get_extents(Atspi.CoordType.WINDOW).y if node is not None else None

    def order():
        tops = [top(name) for name in ("dir-link", "dots-only", "dangling-link", "file-link")]
        return tops if None not in tops and tops == sorted(tops) else None
    try:
        wait_for("the link to a folder among the folders", order, 15, 0.2)
    except AssertionError:
        env.screenshot("link-order-failed")
    tap.ok(order() is not None, "a link to a folder sorts with the folders (dir-link, dots-only), "
           "dangling and file links with the files")
    env.screenshot("links")

    time.sleep(1)
    tap.ok(row_label(app, ".hidden-note") is None and guest.run(f"test -f {folder}/.hidden-note")[0] == 0,
           "a dotfile the agent made is hidden by default")

    # Ctrl+H with the focus in the list shows it, without listing again:
    # a folder listed anew would lose the selection.
    select_row(env, app, "notes.txt")
    started = time.monotonic()
    env.xdotool("key", "ctrl+h")
    try:
        wait_for("the dotfile", lambda: row_label(app, ".hidden-note"), 10, 0.05)
        log(f"Ctrl+H: the dotfile's row after {(time.monotonic() - started) * 1000:.0f} ms")
        started = time.monotonic()
        row_label(app, ".hidden-note")
        log(f"(one AT-SPI lookup of a row takes {(time.monotonic() - started) * 1000:.0f} ms)")
    except AssertionError:
        env.screenshot("ctrl-h-failed")
    tap.ok(row_label(app, ".hidden-note") is not None and row_label(app, "notes.txt") is not None and
           bool(selected_name(app, "notes.txt")),
           "Ctrl+H shows hidden files, keeping the selection (filtered, not listed again)")

    # The rows' context menu, on a right click: the row's actions.
    click_row(env, app, "file-link")
    x, y = app.center(row_label(app, "file-link"))
    shown = right_click_menu(env, app, x, y, ROW_MENU, "context-menu")
    tap.ok(all(name in shown for name in ROW_MENU),
           f"a right click on a row opens its context menu: {sorted(shown)}")

    # Open, from the menu: a link to a file previews the file it points to.
    choose_in_menu(env, app, "Open")
    try:
        view = wait_for("the preview", lambda: dialog_node(Atspi, "text", "File contents"), 30)
        wait_for("the text", lambda: "read through the link" in text_of(view), 30)
        text = text_of(view)
    except AssertionError:
        text = ""
    tap.ok(text.startswith("read through the link"),
           "Open on a link to a file previews the file it points to")
    env.xdotool("key", "Escape")
    wait_for("the preview to close", lambda: toplevel(Atspi, "linked.txt") is None, 10)

    # Where no row is, a right click opens the folder's own menu; its Copy
    # Location puts the folder's path on the clipboard.
    bottom = max(node.get_extents(Atspi.CoordType.WINDOW).y for node in
                 [row_label(app, name) for name in ("notes.txt", "file-link", ".hidden-note")] if node)
    shown = right_click_menu(env, app, x, bottom + 90, BACKGROUND_MENU, "background-menu")
    tap.ok(all(name in shown for name in BACKGROUND_MENU) and "Open" not in shown,
           f"a right click below the rows opens the folder's menu: {sorted(shown)}")
    choose_in_menu(env, app, "Copy Location")
    try:
        copied = wait_for("the copied location",
                          lambda: (lambda t: t if t == folder else None)(env.clipboard_text()), 10, 0.3)
    except AssertionError:
        copied = env.clipboard_text()
    tap.ok(copied == folder, f"its Copy Location copies the folder's path ({copied!r})")

    # Download of a link saves the file it points to, under the link's name.
    select_row(env, app, "file-link")
    app.press("push button", "Download")
    chooser = wait_for("the save chooser", lambda: toplevel(Atspi, "Download File"), 30)
    time.sleep(1)
    suggested = App(Atspi).find_all(lambda n: n.get_role_name() == "text" and text_of(n) == "file-link",
                                    root=chooser)
    saved = os.path.join(env.tmp, "home", "through-link.txt")
    env.xdotool("key", "ctrl+a")
    env.xdotool("type", "--delay", "20", saved)
    env.xdotool("key", "Return")
    try:
        wait_for("the downloaded file", lambda: os.path.exists(saved) and
                 open(saved).read() == "read through the link\n", 30, 0.5)
    except AssertionError:
        pass
    tap.ok(bool(suggested) and os.path.exists(saved) and open(saved).read() == "read through the link\n",
           "Download of a link to a file saves the file's bytes, suggesting the link's name")

    # The Menu key opens the same menu for the selected row.
    select_row(env, app, "notes.txt")
    env.xdotool("key", "Menu")
    try:
        wait_for("the context menu", lambda: all(name in menu_items(app) for name in ROW_MENU), 10)
    except AssertionError:
        pass
    tap.ok(all(name in menu_items(app) for name in ROW_MENU), "the Menu key opens the row's context menu")
    env.xdotool("key", "Escape")
    wait_for("the menu to close", lambda: not menu_items(app), 10)

    # A link to a folder opens it under the link's path.
    click_row(env, app, "dir-link", double=True)
    started = time.monotonic()
    try:
        wait_for("the target's file", lambda: row_label(app, "inside-target.txt"), 30, 0.05)
        log(f"a link to a folder: its files after {(time.monotonic() - started) * 1000:.0f} ms")
    except AssertionError:
        env.screenshot("dir-link-failed")
    tap.ok(row_label(app, "inside-target.txt") is not None and row_label(app, "linked.txt") is not None and
           bool(path_shown(app, f"{folder}/dir-link")),
           "double-clicking a link to a folder lists the folder it points to, under the link's path")
    env.screenshot("dir-link")
    app.press("push button", "Parent Folder")
    wait_for("the folder again", lambda: row_label(app, "dangling-link"), 30)

    # A dangling link says why it does not open.
    click_row(env, app, "dangling-link", double=True)
    try:
        wait_for("the toast", lambda: toast_shown(app, "dangling-link", "does not exist"), 15)
    except AssertionError:
        pass
    message = toast_shown(app, "dangling-link", "does not exist")
    env.screenshot("dangling-link")
    tap.ok(bool(message) and env.app.poll() is None and bool(path_shown(app, folder)),
           f"a dangling link shows why: {message[0].get_name() if message else None!r}")

    # The folder menu's toggle hides them again.
    app.press("push button", "Folder Menu")
    try:
        wait_for("the folder menu", lambda: "Show Hidden Files" in menu_items(app), 10)
    except AssertionError:
        pass
    toggle = menu_items(app).get("Show Hidden Files")
    checked = toggle is not None and toggle.get_state_set().contains(Atspi.StateType.CHECKED)
    if toggle is not None:
        choose_in_menu(env, app, "Show Hidden Files")
    try:
        wait_for("the dotfile to go", lambda: row_label(app, ".hidden-note") is None, 10)
    except AssertionError:
        pass
    tap.ok(checked and row_label(app, ".hidden-note") is None and row_label(app, "notes.txt") is not None,
           "the folder menu's “Show Hidden Files”, checked, hides them again")

    # A folder of hidden files only says so, rather than “Folder Is Empty”.
    click_row(env, app, "dots-only", double=True)
    try:
        wait_for("the empty page", lambda: app.shown("label", "Only Hidden Files"), 20)
    except AssertionError:
        pass
    env.screenshot("only-hidden")
    tap.ok(app.shown("label", "Only Hidden Files") is not None and bool(path_shown(app, f"{folder}/dots-only")),
           "a folder with hidden files only says “Only Hidden Files”")

    # Home Folder, from the folder menu.
    app.press("push button", "Folder Menu")
    wait_for("the folder menu", lambda: "Home Folder" in menu_items(app), 10)
    choose_in_menu(env, app, "Home Folder")
    try:
        wait_for("the home", lambda: row_label(app, "from-agent") and path_shown(app, home), 20)
    except AssertionError:
        pass
    tap.ok(row_label(app, "from-agent") is not None and bool(path_shown(app, home)),
           "the folder menu's “Home Folder” goes back to the home")
    click_row(env, app, "from-agent", double=True)
    wait_for("the folder again", lambda: row_label(app, "notes.txt"), 30)
    guest.run(f"rm -r {folder}/dir-link {folder}/file-link {folder}/dangling-link {folder}/.hidden-note"
              f" {folder}/dots-only {home}/link-target")
    wait_for("the links to go", lambda: row_label(app, "dir-link") is None, 20)


def run(env, tap):
    env.start_x()
    env.start_dbus()
    env.start_host()

    sandbox = env.create_sandbox("base", {"purpose": "files-panel"})
    guest = env.guest(sandbox)
    wait_for("the sandbox's envd", lambda: guest.json("GET", "/health")[0] in (200, 204), 60)
    code, home = guest.run("mkdir -p ~/from-agent && printf 'hello from the agent\\n' > ~/from-agent/notes.txt"
                           " && cd && pwd")
    assert code == 0, "could not prepare the sandbox's files"
    home = home.strip()
    log(f"the sandbox's home is {home}")

    env.start_app()
    Atspi = atspi()
    app = App(Atspi)
    wait_for("the app's window", app.window, 60)
    wait_for("the card", lambda: app.card(sandbox), 60)
    x, y = app.center(app.card(sandbox))
    env.xdotool("mousemove", str(x), str(y), "click", "1")
    wait_for("the session view", lambda: app.shown("push button", "Take Over"), 30)
    # The header's toggle opens the side panel (F9 needs the keyboard focus,
    # which no window manager gives here); Files is its first page.
    toggle = wait_for("the Side Panel toggle", lambda: app.find_all(
        lambda n: "button" in n.get_role_name() and n.get_name() == "Side Panel"), 30)[0]
    x, y = app.center(toggle)
    env.xdotool("mousemove", str(x), str(y), "click", "1")

    # The tree starts at the sandbox user's home and shows the agent's folder.
    wait_for("the agent's folder", lambda: row_label(app, "from-agent"), 60)
    path_label = wait_for("the path", lambda: app.find("label", home), 10)
    tap.ok(path_label is not None and row_label(app, "from-agent") is not None,
           f"the panel lists the home {home} with the folder the agent made")
    env.screenshot("home")

    # The tree: a folder expands in place, listed and watched on its own.
    node = row_label(app, "from-agent")
    extents = node.get_extents(Atspi.CoordType.WINDOW)
    env.xdotool("mousemove", str(extents.x - 32), str(extents.y + extents.height // 2), "click", "1")
    try:
        wait_for("the folder's file in the tree", lambda: row_label(app, "notes.txt"), 20)
    except AssertionError:
        pass
    tap.ok(row_label(app, "notes.txt") is not None and app.find("label", home + "/from-agent") is None,
           "expanding a folder shows its files in the tree")
    guest.run("echo tree > ~/from-agent/in-tree.txt")
    try:
        wait_for("the new file in the tree", lambda: row_label(app, "in-tree.txt"), 20)
    except AssertionError:
        pass
    tap.ok(row_label(app, "in-tree.txt") is not None, "an expanded folder updates live too")
    env.screenshot("tree")
    guest.run("rm ~/from-agent/in-tree.txt")

    # Into the folder: its file, then one the agent writes while it is shown.
    click_row(env, app, "from-agent", double=True)
    wait_for("the folder's file", lambda: row_label(app, "notes.txt"), 30)
    tap.ok(app.find("label", home + "/from-agent") is not None, "double-clicking a folder shows it")
    code, _ = guest.run("sleep 0.5; echo later > ~/from-agent/appeared-later.txt")
    try:
        wait_for("the new file", lambda: row_label(app, "appeared-later.txt"), 20)
    except AssertionError:
        pass
    tap.ok(row_label(app, "appeared-later.txt") is not None,
           "a file the agent creates appears without any user action")
    guest.run("rm ~/from-agent/appeared-later.txt")
    try:
        wait_for("the file to go", lambda: row_label(app, "appeared-later.txt") is None, 20)
    except AssertionError:
        pass
    tap.ok(row_label(app, "appeared-later.txt") is None, "a file the agent removes disappears")
    env.screenshot("listing")

    # Preview of a text file.
    click_row(env, app, "notes.txt")
    app.press("push button", "Open Preview")
    view = wait_for("the preview", lambda: dialog_node(Atspi, "text", "File contents"), 30)
    wait_for("the text", lambda: "hello from the agent" in text_of(view), 30)
    tap.ok(text_of(view).startswith("hello from the agent"), "the preview shows the text file's contents")
    env.screenshot("preview")
    env.xdotool("key", "Escape")
    wait_for("the preview to close", lambda: toplevel(Atspi, "notes.txt") is None, 10)

    # Preview of an image.
    from PIL import Image
    import base64
    import io
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (255, 0, 0)).save(picture, "PNG")
    code, _ = guest.run(f"echo {base64.b64encode(picture.getvalue()).decode()} | base64 -d > ~/from-agent/red.png")
    assert code == 0, "could not write the image"
    click_row(env, app, "red.png")
    app.press("push button", "Open Preview")
    size = wait_for("the image's size", lambda: dialog_node(Atspi, "label", "64 × 48 pixels"), 30)
    shot = env.screenshot("image-preview")
    from vivtest import count_color
    red = count_color(shot, (255, 0, 0))
    tap.ok(size is not None and red > 64 * 48 // 2, f"the preview shows the image ({red} red pixels)")
    env.xdotool("key", "Escape")
    wait_for("the preview to close", lambda: toplevel(Atspi, "red.png") is None, 10)
    guest.run("rm ~/from-agent/red.png")

    # Upload through the file chooser: the exact bytes land in the sandbox.
    local = os.path.join(env.tmp, "home", "upload.bin")
    with open(local, "wb") as f:
        f.write(os.urandom(24 * 1024 * 1024 + 123))
    app.press("push button", "Upload Files")
    wait_for("the file chooser", lambda: toplevel(Atspi, "Upload Files"), 30)
    time.sleep(1)
    env.xdotool("type", "--delay", "20", local)
    time.sleep(0.5)
    env.xdotool("key", "Return")
    try:
        wait_for("the transfer row", lambda: app.find("label", "Uploading “upload.bin”"), 10, 0.05)
        env.screenshot("upload-in-progress")
    except AssertionError:
        pass
    remote = f"{home}/from-agent/upload.bin"
    wait_for("the uploaded file", lambda: sandbox_sha256(guest, remote) == sha256(local), 90, 1)
    tap.ok(sandbox_sha256(guest, remote) == sha256(local),
           "Upload Files puts the exact bytes into the shown folder")
    wait_for("its row", lambda: row_label(app, "upload.bin"), 20)

    # Drag and drop from another app: the file lands in the shown folder.
    dropped = os.path.join(env.tmp, "home", "dropped.bin")
    with open(dropped, "wb") as f:
        f.write(os.urandom(300 * 1000 + 7))
    env.spawn(["/usr/bin/python3", "-c", DRAG_SOURCE, dropped], "drag-source")
    source = wait_for("the drag source", lambda: toplevel(Atspi, "Drag Source"), 30)
    label = wait_for("its label", lambda: App(Atspi).find_all(
        lambda n: n.get_role_name() == "label" and n.get_name() == "Drag this file", root=source), 10)[0]
    sx, sy = App(Atspi).center(label)
    target = row_label(app, "notes.txt")
    tx, ty = app.center(target)
    drag(env, (sx, sy), (tx, ty + 200))
    remote_dropped = f"{home}/from-agent/dropped.bin"
    try:
        wait_for("the dropped file", lambda: sandbox_sha256(guest, remote_dropped) == sha256(dropped), 30, 1)
    except AssertionError:
        env.screenshot("drop-failed")
    tap.ok(sandbox_sha256(guest, remote_dropped) == sha256(dropped),
           "a file dropped on the panel is uploaded into the shown folder, exact bytes")
    wait_for("its row", lambda: row_label(app, "dropped.bin"), 20)

    # Download: the exact bytes land where the chooser says.
    guest.run("head -c 3000000 /dev/urandom > ~/from-agent/agent-output.bin")
    click_row(env, app, "agent-output.bin")
    app.press("push button", "Download")
    wait_for("the save chooser", lambda: toplevel(Atspi, "Download File"), 30)
    time.sleep(1)
    saved = os.path.join(env.tmp, "home", "downloaded.bin")
    env.xdotool("key", "ctrl+a")
    env.xdotool("type", "--delay", "20", saved)
    env.xdotool("key", "Return")
    expected = sandbox_sha256(guest, f"{home}/from-agent/agent-output.bin")
    wait_for("the downloaded file", lambda: os.path.exists(saved) and sha256(saved) == expected, 60, 0.5)
    tap.ok(sha256(saved) == expected, "Download writes the sandbox file's exact bytes locally")
    env.screenshot("transfers")

    # A folder downloads with everything in it.
    app.press("push button", "Parent Folder")
    wait_for("the home again", lambda: row_label(app, "from-agent"), 30)
    click_row(env, app, "from-agent")
    app.press("push button", "Download")
    wait_for("the folder chooser", lambda: toplevel(Atspi, "Download Folder Into"), 30)
    time.sleep(1)
    target = os.path.join(env.tmp, "home", "into")
    os.makedirs(target)
    env.xdotool("type", "--delay", "20", target + "/")
    time.sleep(0.5)
    env.xdotool("key", "Return")
    copy = os.path.join(target, "from-agent")
    wait_for("the folder's copy", lambda: os.path.exists(os.path.join(copy, "upload.bin")) and
             sha256(os.path.join(copy, "upload.bin")) == sha256(local), 90, 0.5)
    wait_for("its other files", lambda: os.path.exists(os.path.join(copy, "notes.txt")), 30, 0.5)
    tap.ok(sorted(os.listdir(copy)) == ["agent-output.bin", "dropped.bin", "notes.txt", "upload.bin"] and
           sha256(os.path.join(copy, "agent-output.bin")) == expected and
           sha256(os.path.join(copy, "dropped.bin")) == sha256(dropped),
           f"a folder downloads recursively into the chosen folder ({sorted(os.listdir(copy))})")

    # A big download shows its progress and stops on Cancel, leaving no file.
    click_row(env, app, "from-agent", double=True)
    wait_for("the folder again", lambda: row_label(app, "notes.txt"), 30)
    guest.run("truncate -s 8G ~/from-agent/huge.bin")
    click_row(env, app, wait_for("the big file", lambda: row_label(app, "huge.bin") and "huge.bin", 20))
    app.press("push button", "Download")
    wait_for("the save chooser", lambda: toplevel(Atspi, "Download File"), 30)
    time.sleep(1)
    huge = os.path.join(env.tmp, "home", "huge.bin")
    env.xdotool("key", "ctrl+a")
    env.xdotool("type", "--delay", "20", huge)
    env.xdotool("key", "Return")
    wait_for("the transfer row", lambda: app.find("label", "Downloading “huge.bin”"), 30)
    # The bytes arriving locally are the progress the row shows.
    wait_for("bytes arriving", lambda: os.path.exists(huge) and os.path.getsize(huge) > 50 * 1000 * 1000, 60, 0.2)
    partial = os.path.getsize(huge)
    env.screenshot("download-in-progress")
    app.press("push button", "Cancel Transfer")
    wait_for("the cancelled transfer", lambda: app.find("label", "Cancelled"), 30)
    time.sleep(1)
    tap.ok(not os.path.exists(huge) and env.app.poll() is None,
           f"Cancel stops a download in progress (at least {partial} of 8 GiB in) and leaves no partial file")
    guest.run("rm ~/from-agent/huge.bin")

    # New Folder, Rename, Delete: each checked in the sandbox.
    app.press("push button", "New Folder")
    entry = wait_for("the name entry", lambda: dialog_node(Atspi, "text", "Name"), 30)
    time.sleep(0.5)
    env.xdotool("type", "--delay", "20", "made-by-user")
    env.screenshot("new-folder")
    env.xdotool("key", "Return")
    made = wait_for("the new folder", lambda: guest.run(f"test -d {home}/from-agent/made-by-user")[0] == 0, 30, 0.5)
    tap.ok(made, "New Folder creates the folder in the sandbox")
    wait_for("its row", lambda: row_label(app, "made-by-user"), 20)

    click_row(env, app, "made-by-user")
    app.press("push button", "Rename")
    entry = wait_for("the name entry", lambda: dialog_node(Atspi, "text", "Name"), 30)
    time.sleep(0.5)
    env.xdotool("key", "ctrl+a")
    env.xdotool("type", "--delay", "20", "renamed-by-user")
    env.xdotool("key", "Return")
    renamed = wait_for("the renamed folder",
                       lambda: guest.run(f"test -d {home}/from-agent/renamed-by-user && "
                                         f"! test -e {home}/from-agent/made-by-user")[0] == 0, 30, 0.5)
    tap.ok(renamed, "Rename renames it in the sandbox")
    wait_for("the renamed row", lambda: row_label(app, "renamed-by-user"), 20)
    tap.ok(row_label(app, "made-by-user") is None, "the old name's row is gone")

    click_row(env, app, "upload.bin")
    app.press("push button", "Delete")
    button = wait_for("the confirmation", lambda: dialog_node(Atspi, "push button", "Delete"), 30)
    env.screenshot("delete-confirmation")
    tap.ok(guest.run(f"test -e {remote}")[0] == 0, "nothing is deleted before the confirmation")
    button.get_action_iface().do_action(0)
    gone = wait_for("the deleted file", lambda: guest.run(f"test -e {remote}")[0] != 0, 30, 0.5)
    tap.ok(gone, "Delete after confirmation removes the file in the sandbox")
    wait_for("its row to go", lambda: row_label(app, "upload.bin") is None, 20)

    links_hidden_files_and_menus(env, tap, app, Atspi, guest, home)

    # Paused: listing fails with a clear message; resumed: it comes back alone.
    status, _ = env.api.call("POST", f"/sandboxes/{sandbox}/pause", {})
    assert status in (200, 204), f"pause: {status}"
    wait_for("the paused state", lambda: app.find("label", "Sandbox Paused") or
             app.shown("push button", "Resume"), 60)
    app.press("push button", "Reload")
    # shown(): the stack's hidden pages keep their labels in the tree.
    wait_for("the paused error", lambda: app.shown("label", "Cannot Show Files"), 30)
    reason = wait_for("the reason", lambda: app.find_all(
        lambda n: n.get_role_name() == "label" and "paused" in (n.get_name() or "") and
        n.get_extents(Atspi.CoordType.WINDOW).width > 0), 10)[0].get_name()
    env.screenshot("paused")
    tap.ok("paused" in reason, f"a paused sandbox's files show “Cannot Show Files”: {reason!r}")
    status, _ = env.api.call("POST", f"/sandboxes/{sandbox}/resume", {"timeout": 600})
    assert status in (200, 201), f"resume: {status}"
    try:
        wait_for("the listing again", lambda: row_label(app, "notes.txt"), 60)
    except AssertionError:
        env.screenshot("not-resumed")
        log(f"the sandbox is {env.sandbox_state(sandbox)}")
    tap.ok(row_label(app, "notes.txt") is not None, "after Resume the listing comes back by itself")

    # A sandbox that is gone shows a clear error, and the app lives on.
    status, _ = env.api.call("DELETE", f"/sandboxes/{sandbox}")
    assert status in (200, 204), f"kill: {status}"
    time.sleep(1)
    app.press("push button", "Reload")
    error = wait_for("the error", lambda: app.shown("label", "Cannot Show Files") and
                     not row_label(app, "notes.txt"), 30)
    env.screenshot("sandbox-gone")
    tap.ok(error is not None and env.app.poll() is None,
           "a sandbox that is gone shows “Cannot Show Files”, no crash")


if __name__ == "__main__":
    sys.exit(main(run, "app-files"))
