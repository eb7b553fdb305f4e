# SPDX-License-Identifier: GPL-3.0-or-later
"""Fixtures for the app's end-to-end tests: an X server, a private D-Bus
session with AT-SPI, a real vivarium-host, the real app, and small clients
for the host's control plane and a sandbox's guest."""

import json
import os
import shutil
import signal
import socket
import subprocess
import struct
import sys
import tempfile
import time
import urllib.error
import urllib.request


def log(message):
    print(f"# {message}", flush=True)


def wait_for(what, predicate, timeout=60, interval=0.2):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def free_display():
    for n in range(120, 400):
        if not os.path.exists(f"/tmp/.X11-unix/X{n}") and not os.path.exists(f"/tmp/.X{n}-lock"):
            return n
    raise RuntimeError("no free X display")


class Http:
    def __init__(self, base, headers):
        self.base = base.rstrip("/")
        self.headers = headers

    def call(self, method, path, body=None, raw=None, content_type="application/json"):
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        request = urllib.request.Request(self.base + path, data=data, method=method)
        for name, value in self.headers.items():
            request.add_header(name, value)
        if data is not None:
            request.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def json(self, method, path, body=None):
        status, payload = self.call(method, path, body)
        try:
            return status, json.loads(payload) if payload else None
        except ValueError:
            return status, {"raw": payload[:200]}


class Environment:
    """Everything the app runs in; torn down in reverse order."""

    def __init__(self, build_root, log_dir, prefix="app-e2e"):
        self.build_root = build_root
        self.log_dir = log_dir
        self.tmp = tempfile.mkdtemp(prefix="viv-app-test-")
        self.children = []
        self.shot = 0
        self.prefix = prefix
        self.started = time.monotonic()
        # Screenshots of an earlier run would mix with this run's steps.
        import glob
        for path in glob.glob(os.path.join(log_dir, f"{prefix}-*.png")):
            os.unlink(path)
        self.env = dict(os.environ)
        for name in ("runtime", "config", "data", "cache", "state", "home"):
            os.makedirs(os.path.join(self.tmp, name), mode=0o700)
        self.env.update({
            "XDG_RUNTIME_DIR": os.path.join(self.tmp, "runtime"),
            "XDG_CONFIG_HOME": os.path.join(self.tmp, "config"),
            "XDG_DATA_HOME": os.path.join(self.tmp, "data"),
            "XDG_CACHE_HOME": os.path.join(self.tmp, "cache"),
            "HOME": os.path.join(self.tmp, "home"),
            "GSETTINGS_BACKEND": "memory",
            "GSETTINGS_SCHEMA_DIR": os.path.join(build_root, "data"),
            "GDK_BACKEND": "x11",
            "GTK_A11Y": "atspi",
            "NO_AT_BRIDGE": "0",
            "LANG": "C.UTF-8",
            "LC_ALL": "C.UTF-8",
            "G_MESSAGES_DEBUG": os.environ.get("G_MESSAGES_DEBUG", ""),
        })
        for name in ("WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "AT_SPI_BUS_ADDRESS", "LANGUAGE"):
            self.env.pop(name, None)

    def spawn(self, argv, name, **kwargs):
        logfile = open(os.path.join(self.tmp, f"{name}.log"), "wb")
        child = subprocess.Popen(argv, env=self.env, stdout=kwargs.pop("stdout", logfile),
                                 stderr=logfile, start_new_session=True, **kwargs)
        self.children.append((name, child))
        return child

    def start_x(self, geometry="1400x900"):
        n = free_display()
        self.spawn(["Xvnc", f":{n}", "-geometry", geometry, "-depth", "24",
                    "-SecurityTypes", "None", "-rfbport", "-1", "-nolisten", "tcp", "-noreset"],
                   "xvnc")
        wait_for("the X server", lambda: os.path.exists(f"/tmp/.X11-unix/X{n}"), 30)
        self.env["DISPLAY"] = f":{n}"
        wait_for("the X server to answer",
                 lambda: subprocess.run(["xdotool", "getmouselocation"], env=self.env,
                                        capture_output=True).returncode == 0, 30)

    def start_dbus(self):
        child = self.spawn(["dbus-daemon", "--session", "--nofork", "--print-address=1"], "dbus",
                           stdout=subprocess.PIPE)
        address = child.stdout.readline().decode().strip()
        assert address, "dbus-daemon gave no address"
        self.env["DBUS_SESSION_BUS_ADDRESS"] = address
        self.spawn(["/usr/libexec/at-spi-bus-launcher", "--launch-immediately"], "at-spi")
        # This process is the AT-SPI client: it finds the bus the same way.
        os.environ["DBUS_SESSION_BUS_ADDRESS"] = address
        os.environ["DISPLAY"] = self.env["DISPLAY"]

        def a11y_bus_up():
            result = subprocess.run(
                ["gdbus", "call", "--session", "--dest", "org.a11y.Bus", "--object-path",
                 "/org/a11y/bus", "--method", "org.a11y.Bus.GetAddress"],
                env=self.env, capture_output=True)
            return result.returncode == 0
        wait_for("the AT-SPI bus", a11y_bus_up, 30)
        # A real keyring for the API keys the app stores: an empty line is
        # the empty password that creates and unlocks the login keyring.
        self.spawn(["sh", "-c", "exec gnome-keyring-daemon --unlock --components=secrets "
                    "--foreground >/dev/null <<EOF\n\nEOF\n"], "keyring")

    def start_host(self):
        state = os.path.join(self.tmp, "host-state")
        os.makedirs(os.path.join(state, "templates"))
        # A desktop whose pixels the test knows: openbox paints no background,
        # so the root colour set below is what shows.
        with open(os.path.join(state, "templates", "e2e.template"), "w") as f:
            f.write("[Template]\nSession=openbox\nResolution=1024x768\n")
        self.host_state = state
        self.spawn([os.path.join(self.build_root, "host", "vivarium-host"), "serve",
                    "--state-dir", state], "host")
        discovery = os.path.join(self.env["XDG_RUNTIME_DIR"], "vivarium", "host.json")
        wait_for("the host's discovery file",
                 lambda: os.path.exists(discovery) and os.path.getsize(discovery) > 0, 60)
        with open(discovery) as f:
            info = json.load(f)
        with open(info["api_key_file"]) as f:
            key = f.read().strip()
        self.api = Http(info["api_url"], {"X-API-KEY": key})
        self.sandbox_url = info["sandbox_url"]
        self.api_url = info["api_url"]

    def start_app(self, *args):
        self.app = self.spawn([os.path.join(self.build_root, "app", "vivarium"), *args], "app")
        return self.app

    def run_app(self, *args):
        """A second invocation: forwarded to the running instance."""
        return subprocess.run([os.path.join(self.build_root, "app", "vivarium"), *args],
                              env=self.env, capture_output=True, timeout=60)

    def start_demo_agent(self, sandbox_id):
        """The real demo agent; it finds the host by $XDG_RUNTIME_DIR."""
        source = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        return self.spawn(["/usr/bin/python3", os.path.join(source, "demo", "vivarium-demo-agent"),
                           "drive", sandbox_id], "demo-agent")

    def read_log(self, name):
        try:
            with open(os.path.join(self.tmp, f"{name}.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def report_app(self):
        """After a failure: whether the app is still running, and the end of
        its log, as TAP comments, so the test's own output says why (the
        build directory with the copied logs is gone after CI)."""
        app = getattr(self, "app", None)
        if app is None:
            return
        code = app.poll()
        if code is None:
            print("# the app is still running")
        elif code < 0:
            print(f"# the app died of signal {-code} ({signal.Signals(-code).name})")
        else:
            print(f"# the app exited with status {code}")
        for line in self.read_log("app").splitlines()[-40:]:
            print(f"# app: {line}")

    def stop(self, child):
        try:
            os.killpg(child.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        child.wait(timeout=10)

    def activate_app_action(self, name):
        subprocess.run(["gdbus", "call", "--session", "--dest", "io.github.vivarium.Vivarium",
                        "--object-path", "/io/github/vivarium/Vivarium",
                        "--method", "org.gtk.Actions.Activate", name, "[]", "{}"],
                       env=self.env, check=True, capture_output=True, timeout=30)

    def screenshot(self, name):
        self.shot += 1
        path = os.path.join(self.log_dir, f"{self.prefix}-{self.shot:02d}-{name}.png")
        subprocess.run(["import", "-window", "root", path], env=self.env, check=True,
                       capture_output=True)
        log(f"screenshot {path} at {time.monotonic() - self.started:.1f} s")
        return path

    def xdotool(self, *args):
        subprocess.run(["xdotool", *args], env=self.env, check=True, capture_output=True)

    def teardown(self):
        for sandbox in getattr(self, "created", []):
            try:
                self.api.call("DELETE", f"/sandboxes/{sandbox}")
            except Exception:
                pass
        for name, child in reversed(self.children):
            if child.poll() is None:
                try:
                    os.killpg(child.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for name, child in reversed(self.children):
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        for name in ("app", "host", "demo-agent"):
            path = os.path.join(self.tmp, f"{name}.log")
            if os.path.exists(path):
                shutil.copy(path, os.path.join(self.log_dir, f"{self.prefix}-{name}.log"))
        import glob
        for path in glob.glob(os.path.join(self.tmp, "host-state", "sandboxes", "*", "guest.log")):
            sandbox = os.path.basename(os.path.dirname(path))
            shutil.copy(path, os.path.join(self.log_dir, f"{self.prefix}-guest-{sandbox}.log"))
        shutil.rmtree(self.tmp, ignore_errors=True)

    # The host's control plane

    def create_sandbox(self, template, metadata=None):
        status, sandbox = self.api.json("POST", "/sandboxes", {
            "templateID": template, "timeout": 1800, "metadata": metadata or {}})
        assert status == 201, f"create: {status} {sandbox}"
        self.created = getattr(self, "created", []) + [sandbox["sandboxID"]]
        return sandbox["sandboxID"]

    def sandbox_ids(self):
        status, sandboxes = self.api.json("GET", "/sandboxes")
        assert status == 200, f"list: {status} {sandboxes}"
        return sorted(s["sandboxID"] for s in sandboxes)

    def sandbox_state(self, sandbox_id):
        status, sandbox = self.api.json("GET", f"/sandboxes/{sandbox_id}")
        return sandbox.get("state") if status == 200 else None

    def sandbox_with(self, key, value):
        status, sandboxes = self.api.json("GET", "/sandboxes")
        for sandbox in sandboxes if status == 200 else []:
            if (sandbox.get("metadata") or {}).get(key) == value:
                return sandbox["sandboxID"]
        return None

    def read_clipboard(self, kind, read, *args):
        """Runs another GTK app that reads the X clipboard's kind ("text" or
        "texture"): read is the body of its callback, with clipboard, result
        and sys.argv; returns what it printed."""
        script = (
            "import sys, gi\n"
            "gi.require_version('Gtk', '4.0')\n"
            "from gi.repository import Gtk, Gdk, GLib\n"
            "Gtk.init()\n"
            "loop = GLib.MainLoop()\n"
            "def done(clipboard, result):\n"
            "    try:\n"
            f"        {read}\n"
            "    finally:\n"
            "        loop.quit()\n"
            "clipboard = Gdk.Display.get_default().get_clipboard()\n"
            f"clipboard.read_{kind}_async(None, done)\n"
            "loop.run()\n")
        result = subprocess.run(["/usr/bin/python3", "-c", script, *args], env=self.env,
                                capture_output=True, timeout=30)
        return result.stdout.decode(errors="replace")

    def clipboard_png(self, path):
        """Saves the X clipboard's image; returns its size or None."""
        if os.path.exists(path):
            os.unlink(path)
        self.read_clipboard("texture", "texture = clipboard.read_texture_finish(result); "
                            "texture and texture.save_to_png(sys.argv[1])", path)
        if not os.path.exists(path):
            return None
        from PIL import Image
        return Image.open(path).size

    def clipboard_text(self):
        """The X clipboard's text, as another app reads it ("" if none)."""
        return self.read_clipboard("text", "sys.stdout.write(clipboard.read_text_finish(result) or '')")

    def sandbox_end_at(self, sandbox_id):
        """The host's endAt in seconds since the epoch."""
        from datetime import datetime
        status, sandbox = self.api.json("GET", f"/sandboxes/{sandbox_id}")
        if status != 200 or not sandbox.get("endAt"):
            return None
        return datetime.fromisoformat(sandbox["endAt"].replace("Z", "+00:00")).timestamp()

    def freezer(self, sandbox_id):
        """(freezer.state, cgroup exists, {pid: /proc state letter}) of the
        sandbox's freezer cgroup, from the host's own record of it."""
        with open(os.path.join(self.host_state, "sandboxes", sandbox_id, "sandbox.json")) as f:
            record = json.load(f)
        directory = next((d for d in record.get("cgroups", []) if d.startswith("/sys/fs/cgroup/freezer/")), None)
        if directory is None:
            return (None, False, {})
        with open(os.path.join(directory, "freezer.state")) as f:
            state = f.read().strip()
        states = {}
        with open(os.path.join(directory, "cgroup.procs")) as f:
            for pid in f.read().split():
                try:
                    with open(f"/proc/{pid}/stat") as stat:
                        states[int(pid)] = stat.read().rsplit(")", 1)[1].split()[0]
                except OSError:
                    pass
        return (state, True, states)

    def guest(self, sandbox_id):
        status, detail = self.api.json("GET", f"/sandboxes/{sandbox_id}")
        assert status == 200, f"get: {status} {detail}"
        headers = {"E2b-Sandbox-Id": sandbox_id, "E2b-Sandbox-Port": "49983"}
        if detail.get("envdAccessToken"):
            headers["X-Access-Token"] = detail["envdAccessToken"]
        return Guest(Http(self.sandbox_url, headers))


class Guest:
    def __init__(self, http):
        self.http = http

    def json(self, method, path, body=None):
        return self.http.json(method, path, body)

    def run(self, command, timeout=30):
        """Runs a shell command through envd's Connect process API; returns
        (exit code, stdout)."""
        message = json.dumps({"process": {"cmd": "/bin/sh", "args": ["-c", command]}}).encode()
        status, payload = self.http.call("POST", "/process.Process/Start",
                                         raw=struct.pack(">BI", 0, len(message)) + message,
                                         content_type="application/connect+json")
        assert status == 200, f"process start: {status} {payload[:200]}"
        out, code = b"", None
        offset = 0
        while offset + 5 <= len(payload):
            flags, length = struct.unpack(">BI", payload[offset:offset + 5])
            frame = json.loads(payload[offset + 5:offset + 5 + length] or b"{}")
            offset += 5 + length
            event = frame.get("event", {})
            if "data" in event and "stdout" in event["data"]:
                import base64
                out += base64.b64decode(event["data"]["stdout"])
            if "end" in event:
                code = event["end"].get("exitCode", 0)
        return code, out.decode(errors="replace")


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, condition, name):
        self.n += 1
        if not condition:
            self.failed += 1
        print(f"{'ok' if condition else 'not ok'} {self.n} - {name}", flush=True)
        return condition


def atspi():
    import gi
    gi.require_version("Atspi", "2.0")
    from gi.repository import Atspi
    return Atspi


class App:
    """The app's accessible tree, looked up fresh on every query."""

    def __init__(self, Atspi):
        self.Atspi = Atspi

    def window(self):
        desktop = self.Atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            app = desktop.get_child_at_index(i)
            for j in range(app.get_child_count() if app else 0):
                frame = app.get_child_at_index(j)
                if frame and frame.get_role() == self.Atspi.Role.FRAME and frame.get_name() == "Vivarium":
                    return frame
        return None

    def find_all(self, predicate, root=None, showing=True):
        found = []
        root = root or self.window()
        if root is None:
            return found

        def walk(node, depth):
            if node is None or depth > 40:
                return
            try:
                # GTK 4.8 sets SHOWING on toplevels only; a shown widget is
                # one with a size (see shown()).
                if showing and not node.get_state_set().contains(self.Atspi.StateType.VISIBLE):
                    return
                if predicate(node):
                    found.append(node)
                count = node.get_child_count()
            except Exception:
                return
            # A child that went away while we walk (a list row recycled, a
            # progress label replaced) costs only itself, not its siblings.
            for i in range(count):
                try:
                    child = node.get_child_at_index(i)
                except Exception:
                    continue
                walk(child, depth + 1)
        walk(root, 0)
        return found

    def find(self, role, name, showing=True):
        nodes = self.find_all(lambda n: n.get_role_name() == role and
                              (n.get_name() or "").replace("_", "") .startswith(name), showing=showing)
        return nodes[0] if nodes else None

    def card_ids(self):
        cards = self.find_all(lambda n: n.get_role_name() == "panel" and
                              ", " in (n.get_name() or "") and
                              n.get_name().split(", ")[-1] in ("Running", "Paused", "Killed", "Unknown"))
        return sorted(n.get_name().split(", ")[0] for n in cards)

    def card(self, sandbox_id):
        nodes = self.find_all(lambda n: n.get_role_name() == "panel" and
                              (n.get_name() or "").startswith(sandbox_id + ", "))
        return nodes[0] if nodes else None

    def press(self, role, name):
        node = wait_for(f"{role} “{name}”", lambda: self.find(role, name), 30)
        # A GtkMenuButton's action is on its inner toggle button.
        for target in [node] + [node.get_child_at_index(i) for i in range(node.get_child_count())]:
            action = target.get_action_iface() if target else None
            if action is not None and action.get_n_actions() > 0:
                action.do_action(0)
                return node
        raise AssertionError(f"{name} has no action")

    def shown(self, role, name):
        for node in self.find_all(lambda n: n.get_role_name() == role and
                                  (n.get_name() or "").replace("_", "").startswith(name)):
            try:
                extents = node.get_extents(self.Atspi.CoordType.WINDOW)
            except Exception:
                continue
            if extents.width > 0 and extents.height > 0:
                return node
        return None

    def menu_activate(self, env, button, item):
        """Opens a menu button's menu and activates an item with the keyboard:
        GTK 4.8 gives popover menu items no AT-SPI action."""
        self.press("push button", button)
        for _ in range(12):
            time.sleep(0.4)
            env.xdotool("key", "Down")
            time.sleep(0.2)
            focused = self.find_all(lambda n: n.get_role_name() == "menu item" and
                                    n.get_state_set().contains(self.Atspi.StateType.FOCUSED), showing=False)
            if focused and (focused[0].get_name() or "").replace("_", "").startswith(item):
                env.xdotool("key", "Return")
                return
        raise AssertionError(f"no menu item “{item}” under “{button}”")

    def center(self, node):
        extents = node.get_extents(self.Atspi.CoordType.WINDOW)
        return extents.x + extents.width // 2, extents.y + extents.height // 2


def count_color(path, color, box=None):
    from PIL import Image
    image = Image.open(path).convert("RGB")
    if box:
        image = image.crop(box)
    return sum(1 for pixel in image.getdata() if pixel == color)


def toplevel(Atspi, name):
    """One of the app's toplevel windows (a dialog, the preview) by name."""
    desktop = Atspi.get_desktop(0)
    for i in range(desktop.get_child_count()):
        app = desktop.get_child_at_index(i)
        for j in range(app.get_child_count() if app else 0):
            window = app.get_child_at_index(j)
            if window and window.get_name() == name:
                return window
    return None


def main(run, prefix):
    """Runs a test function run(env, tap) in a fresh environment, as TAP;
    screenshots go to the test log directory, named after prefix."""
    build_root = os.environ.get("MESON_BUILD_ROOT") or sys.argv[1]
    log_dir = os.path.join(build_root, "meson-logs")
    os.makedirs(log_dir, exist_ok=True)
    tap = Tap()
    env = Environment(build_root, log_dir, prefix)
    try:
        run(env, tap)
    except Exception as e:
        import traceback
        for line in traceback.format_exc().splitlines():
            print(f"# {line}")
        tap.ok(False, f"the test ran to the end ({e})")
        try:
            env.screenshot("failure")
        except Exception:
            pass
    finally:
        if tap.failed:
            env.report_app()
        env.teardown()
    print(f"1..{tap.n}")
    return 1 if tap.failed else 0
