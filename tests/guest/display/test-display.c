/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "viv-test-display.h"
#include "viv-test-viewer.h"

static gboolean
pid_alive (gint64 pid)
{
  return pid > 0 && kill ((pid_t) pid, 0) == 0;
}

static gint64
member_pid (JsonObject *object)
{
  if (!json_object_has_member (object, "pid") || json_object_get_null_member (object, "pid"))
    return 0;
  return json_object_get_int_member (object, "pid");
}

static gboolean
restarted_once (JsonObject *state,
                gpointer    data)
{
  gint64 old_pid = *(gint64 *) data;

  return g_strcmp0 (json_object_get_string_member (state, "state"), "ready") == 0 &&
         json_object_get_int_member (state, "restarts") == 1 &&
         member_pid (state) != 0 && member_pid (state) != old_pid;
}

static gboolean
session_running_other_than (JsonObject *state,
                            gpointer    data)
{
  gint64 old_pid = *(gint64 *) data;
  JsonObject *session = json_object_get_object_member (state, "session");

  return g_strcmp0 (json_object_get_string_member (state, "state"), "ready") == 0 &&
         g_strcmp0 (json_object_get_string_member (session, "state"), "running") == 0 &&
         member_pid (session) != 0 && member_pid (session) != old_pid;
}

/* Reads the event stream from the start and returns the "data:" lines of
 * @type events, until one contains @last. */
static GPtrArray *
read_events_until (VivTestGuest *guest,
                   const char   *type,
                   const char   *last)
{
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", "http://localhost/desktop/events?since=0");
  g_autoptr (GInputStream) body = NULL;
  g_autoptr (GDataInputStream) lines = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *event_line = g_strdup_printf ("event: %s", type);
  GPtrArray *found = g_ptr_array_new_with_free_func (g_free);
  gboolean in_type = FALSE;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Access-Token",
                                guest->token);
  body = soup_session_send (guest->session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  lines = g_data_input_stream_new (body);

  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      if (g_str_has_prefix (line, "event: "))
        in_type = strcmp (line, event_line) == 0;
      else if (in_type && g_str_has_prefix (line, "data: "))
        {
          g_ptr_array_add (found, g_strdup (line + 6));
          if (strstr (line, last) != NULL)
            return found;
        }
    }
}

static void
test_x_needs_cookie (void)
{
  VivTestDisplayGuest *dg = viv_test_display_guest_start ("none", "640x480");
  g_autoptr (JsonObject) state = viv_test_display_wait (dg, NULL, NULL);
  Display *x;

  g_assert_cmpstr (json_object_get_string_member (state, "display"), ==, dg->display);
  g_assert_true (json_object_get_boolean_member (state, "vnc"));
  g_assert_cmpint (json_object_get_int_member (state, "width"), ==, 640);
  g_assert_true (pid_alive (member_pid (state)));
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (state, "session"), "state"), ==, "none");

  x = viv_test_display_open_x (dg);
  g_assert_cmpint (DisplayWidth (x, DefaultScreen (x)), ==, 640);
  g_assert_cmpint (DisplayHeight (x, DefaultScreen (x)), ==, 480);
  XCloseDisplay (x);

  /* Without the cookie, the X server refuses. */
  g_setenv ("XAUTHORITY", "/nonexistent", TRUE);
  g_assert_null (XOpenDisplay (dg->display));

  /* No TCP listener: only the Unix socket. */
  g_assert_true (g_file_test (dg->vnc_socket, G_FILE_TEST_EXISTS));

  viv_test_display_guest_stop (dg);
}

static void
test_xvnc_restarted (void)
{
  VivTestDisplayGuest *dg = viv_test_display_guest_start ("none", "640x480");
  g_autoptr (JsonObject) before = viv_test_display_wait (dg, NULL, NULL);
  g_autoptr (JsonObject) after = NULL;
  g_autoptr (GPtrArray) events = NULL;
  g_autoptr (SoupSession) session = viv_test_unix_session_new (dg->guest->socket_path);
  gint64 old_pid = member_pid (before);
  VivTestViewer *viewer;
  Display *x;

  viewer = viv_test_viewer_open_websocket (dg->guest, session, NULL, NULL, NULL);
  g_assert_true (viv_test_viewer_wait_ready (viewer));

  g_assert_cmpint (json_object_get_int_member (before, "restarts"), ==, 0);
  g_assert_cmpint (kill ((pid_t) old_pid, SIGKILL), ==, 0);

  /* A viewer of the dead server is disconnected, and can connect again. */
  VIV_TEST_WAIT_FOR (viewer->disconnected, 30000);
  viv_test_viewer_close (viewer);

  after = viv_test_display_wait (dg, restarted_once, &old_pid);
  g_assert_true (pid_alive (member_pid (after)));

  viewer = viv_test_viewer_open_websocket (dg->guest, session, NULL, NULL, NULL);
  g_assert_true (viv_test_viewer_wait_ready (viewer));
  viv_test_viewer_refresh (viewer);
  viv_test_viewer_close (viewer);

  /* The event stream told: restarting (with the reason), then ready. */
  events = read_events_until (dg->guest, "display", "\"restarts\":1");
  {
    gboolean restarting = FALSE, ready_after = FALSE;

    for (guint i = 0; i < events->len; i++)
      {
        const char *data = g_ptr_array_index (events, i);

        if (strstr (data, "\"state\":\"restarting\"") != NULL)
          {
            restarting = TRUE;
            g_assert_nonnull (strstr (data, "signal 9"));
          }
        else if (restarting && strstr (data, "\"state\":\"ready\"") != NULL)
          ready_after = TRUE;
      }
    if (!ready_after)
      {
        /* "ready" may come after the last line read; read on to it. */
        g_autoptr (GPtrArray) more = read_events_until (dg->guest, "display", "\"ready\"");
        ready_after = more->len > 0;
      }
    g_assert_true (restarting);
    g_assert_true (ready_after);
  }

  /* The same cookie still works with the new server. */
  x = viv_test_display_open_x (dg);
  XCloseDisplay (x);

  viv_test_display_guest_stop (dg);
}

static void
test_openbox_supervised_and_stopped (void)
{
  VivTestDisplayGuest *dg = viv_test_display_guest_start ("openbox", "640x480");
  g_autoptr (JsonObject) state = NULL;
  g_autoptr (JsonObject) again = NULL;
  g_autoptr (JsonObject) final = NULL;
  g_autofree char *x_socket = g_strdup_printf ("/tmp/.X11-unix/X%s", dg->display + 1);
  gint64 no_pid = -1, openbox_pid, xvnc_pid;
  int status;

  state = viv_test_display_wait (dg, session_running_other_than, &no_pid);
  openbox_pid = member_pid (json_object_get_object_member (state, "session"));
  g_assert_true (pid_alive (openbox_pid));

  /* A dead session is started again. */
  g_assert_cmpint (kill ((pid_t) openbox_pid, SIGKILL), ==, 0);
  again = viv_test_display_wait (dg, session_running_other_than, &openbox_pid);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (again, "session"),
                                               "restarts"), ==, 1);

  /* A dead Xvnc brings the session back with it. */
  xvnc_pid = member_pid (again);
  openbox_pid = member_pid (json_object_get_object_member (again, "session"));
  g_assert_cmpint (kill ((pid_t) xvnc_pid, SIGKILL), ==, 0);
  {
    g_autoptr (JsonObject) restarted = viv_test_display_wait (dg, restarted_once, &xvnc_pid);
  }
  final = viv_test_display_wait (dg, session_running_other_than, &openbox_pid);
  xvnc_pid = member_pid (final);
  openbox_pid = member_pid (json_object_get_object_member (final, "session"));
  g_assert_true (pid_alive (xvnc_pid));
  g_assert_true (pid_alive (openbox_pid));

  /* SIGTERM to the guest alone: it stops everything it started. */
  g_assert_cmpint (kill (dg->guest->pid, SIGTERM), ==, 0);
  g_assert_cmpint (waitpid (dg->guest->pid, &status, 0), ==, dg->guest->pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  dg->guest->pid = 0;

  g_assert_false (pid_alive (xvnc_pid));
  g_assert_cmpint (errno, ==, ESRCH);
  g_assert_false (pid_alive (openbox_pid));
  g_assert_cmpint (errno, ==, ESRCH);
  g_assert_false (g_file_test (x_socket, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (dg->vnc_socket, G_FILE_TEST_EXISTS));

  viv_test_display_guest_stop (dg);
}

static gboolean
session_settled (JsonObject *state,
                 gpointer    data)
{
  const char *session_state = json_object_get_string_member (
    json_object_get_object_member (state, "session"), "state");

  return g_strcmp0 (session_state, "running") == 0 || g_strcmp0 (session_state, "failed") == 0;
}

static void
test_xfce_session (void)
{
  VivTestDisplayGuest *dg = viv_test_display_guest_start ("xfce", "640x480");
  g_autoptr (JsonObject) state = viv_test_display_wait (dg, session_settled, NULL);
  JsonObject *session = json_object_get_object_member (state, "session");
  g_autofree char *startxfce4 = g_find_program_in_path ("startxfce4");

  g_assert_cmpstr (json_object_get_string_member (session, "name"), ==, "xfce");
  if (startxfce4 != NULL)
    g_assert_cmpstr (json_object_get_string_member (session, "state"), ==, "running");
  else
    {
      g_autoptr (GPtrArray) events = NULL;

      /* The display still works; the event says what is missing. */
      g_assert_cmpstr (json_object_get_string_member (session, "state"), ==, "failed");
      g_assert_nonnull (strstr (json_object_get_string_member (session, "reason"),
                                "startxfce4"));
      g_assert_cmpstr (json_object_get_string_member (state, "state"), ==, "ready");
      events = read_events_until (dg->guest, "session", "\"failed\"");
      g_assert_nonnull (strstr (g_ptr_array_index (events, events->len - 1),
                                "not installed"));
    }

  viv_test_display_guest_stop (dg);
}

static void
test_no_display (void)
{
  VivTestGuest *guest = viv_test_guest_start (NULL, NULL);
  g_autoptr (JsonNode) node = NULL;
  guint status = 0;

  node = viv_test_guest_json (guest, "GET", "/desktop/display", NULL, &status);
  g_assert_cmpuint (status, ==, 404);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (node), "code"), ==, 404);

  viv_test_guest_stop (guest);
}

static void
test_attach_missing_display (void)
{
  g_autofree char *tmpdir = g_dir_make_tmp ("viv-attach-XXXXXX", NULL);
  g_autofree char *listen = g_strdup_printf ("unix:%s/guest.sock", tmpdir);
  g_autofree char *run_dir = g_build_filename (tmpdir, "run", NULL);
  int number = 900;
  g_autofree char *display = NULL;
  int out_fd = -1, status;
  GPid pid;

  for (;; number++)
    {
      g_autofree char *x_socket = g_strdup_printf ("/tmp/.X11-unix/X%d", number);

      if (!g_file_test (x_socket, G_FILE_TEST_EXISTS))
        break;
    }
  display = g_strdup_printf (":%d", number);

  pid = viv_test_spawn ((const char * const []) { viv_test_guest_binary (), "--listen", listen,
                                                  "--run-dir", run_dir, "--attach", display,
                                                  NULL },
                        NULL, &out_fd);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
  close (out_fd);
  g_rmdir (run_dir);
  g_rmdir (tmpdir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_debug_enabled (FALSE);

  g_test_add_func ("/display/x-needs-cookie", test_x_needs_cookie);
  g_test_add_func ("/display/xvnc-restarted", test_xvnc_restarted);
  g_test_add_func ("/display/openbox-supervised-and-stopped", test_openbox_supervised_and_stopped);
  g_test_add_func ("/display/xfce-session", test_xfce_session);
  g_test_add_func ("/display/no-display", test_no_display);
  g_test_add_func ("/display/attach-missing-display", test_attach_missing_display);

  return g_test_run ();
}
