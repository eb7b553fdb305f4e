/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>

#include <glib/gstdio.h>

#include "viv-display-private.h"
#include "viv-guest-http.h"
#include "viv-guest-modules.h"

/* Restart backoff: doubling from the first delay up to the last, back to the
 * first once a child has run long enough to count as healthy. */
#define BACKOFF_FIRST_MS     500
#define BACKOFF_LAST_MS      (10 * 1000)
#define HEALTHY_RUN_US       (30 * G_USEC_PER_SEC)
/* How long Xvnc may take to accept X connections before it counts as failed. */
#define READY_TIMEOUT_US     (30 * G_USEC_PER_SEC)
#define READY_POLL_MS        50
/* How long viv_display_stop () waits for SIGTERM before using SIGKILL. */
#define STOP_GRACE_US        (3 * G_USEC_PER_SEC)

typedef struct _VivDisplay VivDisplay;

/* One started process; the wait callback keeps it alive until it is reaped. */
typedef struct
{
  VivDisplay  *display;    /* NULL once the supervisor is gone */
  GSubprocess *process;
  GPid         pid;
  gint64       started_at;
  gboolean     exited;
  gboolean     stopped;    /* we asked it to go: not a crash */
} VivChild;

struct _VivDisplay
{
  VivGuest              *guest;
  VivGuestDisplayConfig *config;
  int                    number;
  char                  *x_socket;
  char                  *lock_file;
  char                  *xauthority;
  char                  *xvnc_log;
  char                  *session_log;
  gboolean               stopping;

  /* Xvnc */
  const char            *state;      /* starting, ready, restarting, failed, attached, stopped */
  char                  *reason;
  guint                  restarts;
  VivChild              *xvnc;
  guint                  xvnc_delay_ms;
  guint                  xvnc_timer;
  gint64                 ready_deadline;

  /* The session */
  const char            *session_state; /* none, running, restarting, failed, stopped */
  char                  *session_reason;
  guint                  session_restarts;
  VivChild              *session;
  guint                  session_delay_ms;
  guint                  session_timer;
};

static void xvnc_start    (VivDisplay *self);
static void session_start (VivDisplay *self);

static void
viv_child_clear (VivChild *child)
{
  g_clear_object (&child->process);
}

static void
viv_child_unref (VivChild *child)
{
  g_rc_box_release_full (child, (GDestroyNotify) viv_child_clear);
}

static VivChild *
viv_child_spawn (VivDisplay         *display,
                 const char * const *argv,
                 const char         *log_path,
                 GAsyncReadyCallback exited_cb,
                 GError            **error)
{
  g_autoptr (GSubprocess) process = NULL;
  const char *identifier;
  VivChild *child;

  process = _viv_display_spawn (argv, display->config->display, display->xauthority,
                                log_path, error);
  if (process == NULL)
    return NULL;

  child = g_rc_box_new0 (VivChild);
  child->display = display;
  child->process = g_steal_pointer (&process);
  /* No identifier: it exited, and was reaped, already; its exit callback
   * reports that. */
  identifier = g_subprocess_get_identifier (child->process);
  child->pid = identifier != NULL ? atoi (identifier) : 0;
  child->started_at = g_get_monotonic_time ();

  /* The callback owns one reference, the supervisor the other. */
  g_subprocess_wait_async (child->process, NULL, exited_cb, g_rc_box_acquire (child));
  return child;
}

/* Signals @child (its whole process group when @group) unless it is reaped. */
static void
viv_child_signal (VivChild *child,
                  int       signal_number,
                  gboolean  group)
{
  if (child == NULL || child->exited || child->pid <= 0)
    return;

  child->stopped = TRUE;
  if (group)
    kill (-child->pid, signal_number);
  kill (child->pid, signal_number);
}

static guint
next_delay (guint  *delay_ms,
            gint64  started_at)
{
  guint delay;

  if (*delay_ms == 0 || g_get_monotonic_time () - started_at >= HEALTHY_RUN_US)
    *delay_ms = BACKOFF_FIRST_MS;

  delay = *delay_ms;
  *delay_ms = MIN (*delay_ms * 2, BACKOFF_LAST_MS);
  return delay;
}

static void
emit_display_event (VivDisplay *self)
{
  g_autoptr (JsonObject) data = json_object_new ();

  json_object_set_string_member (data, "state", self->state);
  json_object_set_string_member (data, "display", self->config->display);
  json_object_set_int_member (data, "restarts", self->restarts);
  if (self->reason != NULL)
    json_object_set_string_member (data, "reason", self->reason);
  viv_guest_emit_event (self->guest, "display", data);
}

static void
emit_session_event (VivDisplay *self)
{
  g_autoptr (JsonObject) data = json_object_new ();

  json_object_set_string_member (data, "state", self->session_state);
  json_object_set_string_member (data, "session", self->config->session);
  json_object_set_string_member (data, "display", self->config->display);
  json_object_set_int_member (data, "restarts", self->session_restarts);
  if (self->session_reason != NULL)
    json_object_set_string_member (data, "reason", self->session_reason);
  viv_guest_emit_event (self->guest, "session", data);
}

static void
set_state (VivDisplay *self,
           const char *state,
           char       *reason)
{
  self->state = state;
  g_free (self->reason);
  self->reason = reason;
  emit_display_event (self);
}

static void
set_session_state (VivDisplay *self,
                   const char *state,
                   char       *reason)
{
  self->session_state = state;
  g_free (self->session_reason);
  self->session_reason = reason;
  emit_session_event (self);
}

/* The session */

static gboolean
session_restart_cb (gpointer user_data)
{
  VivDisplay *self = user_data;

  self->session_timer = 0;
  session_start (self);
  return G_SOURCE_REMOVE;
}

static void
session_exited_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  VivChild *child = user_data;
  VivDisplay *self = child->display;
  g_autofree char *how = NULL;

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  child->exited = TRUE;

  if (self == NULL || self->session != child)
    {
      viv_child_unref (child);
      return;
    }

  how = _viv_display_describe_exit (child->process);
  g_clear_pointer (&self->session, viv_child_unref);

  if (child->stopped || self->stopping)
    {
      self->session_state = "stopped";
    }
  else if (g_strcmp0 (self->state, "ready") == 0)
    {
      guint delay = next_delay (&self->session_delay_ms, child->started_at);

      self->session_restarts++;
      set_session_state (self, "restarting",
                         g_strdup_printf ("The %s session %s", self->config->session, how));
      self->session_timer = g_timeout_add (delay, session_restart_cb, self);
    }

  viv_child_unref (child);
}

static void
session_start (VivDisplay *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *program = NULL;
  const char *command;

  if (strcmp (self->config->session, "none") == 0)
    {
      self->session_state = "none";
      return;
    }

  command = strcmp (self->config->session, "xfce") == 0 ? "startxfce4" : "openbox";
  program = g_find_program_in_path (command);
  if (program == NULL)
    {
      set_session_state (self, "failed",
                         g_strdup_printf ("The %s session needs %s, which is not installed",
                                          self->config->session, command));
      return;
    }

  self->session = viv_child_spawn (self, (const char * const []) { program, NULL },
                                   self->session_log, session_exited_cb, &error);
  if (self->session == NULL)
    {
      set_session_state (self, "failed", g_strdup (error->message));
      return;
    }

  set_session_state (self, "running", NULL);
}

/* Xvnc */

static gboolean
xvnc_restart_cb (gpointer user_data)
{
  VivDisplay *self = user_data;

  self->xvnc_timer = 0;
  xvnc_start (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_xvnc_restart (VivDisplay *self,
                       gint64      started_at)
{
  guint delay = next_delay (&self->xvnc_delay_ms, started_at);

  g_clear_handle_id (&self->xvnc_timer, g_source_remove);
  self->xvnc_timer = g_timeout_add (delay, xvnc_restart_cb, self);
}

static gboolean
xvnc_ready_poll_cb (gpointer user_data)
{
  VivDisplay *self = user_data;

  if (_viv_display_socket_accepts (self->x_socket) &&
      _viv_display_socket_accepts (self->config->vnc_socket))
    {
      self->xvnc_timer = 0;
      set_state (self, "ready", NULL);
      session_start (self);
      return G_SOURCE_REMOVE;
    }

  if (g_get_monotonic_time () > self->ready_deadline)
    {
      /* Its exit callback reports it and starts another. */
      self->xvnc_timer = 0;
      g_free (self->reason);
      self->reason = g_strdup ("Xvnc did not accept connections in time");
      viv_child_signal (self->xvnc, SIGKILL, FALSE);
      return G_SOURCE_REMOVE;
    }

  return G_SOURCE_CONTINUE;
}

static void
xvnc_exited_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  VivChild *child = user_data;
  VivDisplay *self = child->display;
  g_autofree char *how = NULL;
  gboolean was_ready;

  g_subprocess_wait_finish (G_SUBPROCESS (object), result, NULL);
  child->exited = TRUE;

  if (self == NULL || self->xvnc != child)
    {
      viv_child_unref (child);
      return;
    }

  g_clear_pointer (&self->xvnc, viv_child_unref);
  g_clear_handle_id (&self->xvnc_timer, g_source_remove);

  if (self->stopping)
    {
      viv_child_unref (child);
      return;
    }

  how = _viv_display_describe_exit (child->process);
  was_ready = g_strcmp0 (self->state, "ready") == 0;

  /* The session lost its X server; it is started again once Xvnc is back. */
  viv_child_signal (self->session, SIGTERM, TRUE);

  if (was_ready)
    {
      self->restarts++;
      set_state (self, "restarting", g_strdup_printf ("Xvnc %s", how));
    }
  else
    {
      g_autofree char *earlier = g_steal_pointer (&self->reason);

      set_state (self, "failed",
                 earlier ? g_strdup_printf ("%s; it %s", earlier, how)
                         : g_strdup_printf ("Xvnc %s before it was ready", how));
    }

  schedule_xvnc_restart (self, child->started_at);
  viv_child_unref (child);
}

static void
xvnc_start (VivDisplay *self)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *geometry = g_strdup_printf ("%dx%d", self->config->width,
                                               self->config->height);
  const char *argv[] = {
    "Xvnc", self->config->display,
    "-geometry", geometry, "-depth", "24",
    "-auth", self->xauthority,
    /* VNC on a Unix socket only: the guest's WebSocket endpoint is the way in. */
    "-rfbport", "-1", "-rfbunixpath", self->config->vnc_socket, "-rfbunixmode", "0600",
    "-SecurityTypes", "None",
    /* A viewer that asks for exclusive access must not disconnect the others. */
    "-AlwaysShared",
    "-nolisten", "tcp",
    /* No server reset when the last client goes: a client connecting in that
     * moment (the session, the guest itself) would be dropped. */
    "-noreset",
    NULL
  };

  /* A socket left by a killed Xvnc would make it look ready at once. */
  if (g_unlink (self->config->vnc_socket) != 0 && errno != ENOENT)
    g_warning ("Cannot remove %s: %s", self->config->vnc_socket, g_strerror (errno));

  self->xvnc = viv_child_spawn (self, argv, self->xvnc_log, xvnc_exited_cb, &error);
  if (self->xvnc == NULL)
    {
      set_state (self, "failed", g_strdup_printf ("Cannot start Xvnc: %s", error->message));
      schedule_xvnc_restart (self, g_get_monotonic_time ());
      return;
    }

  self->state = "starting";
  self->ready_deadline = g_get_monotonic_time () + READY_TIMEOUT_US;
  self->xvnc_timer = g_timeout_add (READY_POLL_MS, xvnc_ready_poll_cb, self);
}

/* GET /desktop/display */

static void
add_child_pid (JsonObject *object,
               VivChild   *child)
{
  if (child != NULL && !child->exited)
    json_object_set_int_member (object, "pid", child->pid);
  else
    json_object_set_null_member (object, "pid");
}

static void
get_display_cb (VivGuest          *guest,
                SoupServerMessage *msg,
                const char        *tail,
                GHashTable        *query,
                gpointer           user_data)
{
  VivDisplay *self = g_object_get_data (G_OBJECT (guest), "viv-display");
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (JsonObject) session = json_object_new ();

  if (self == NULL)
    {
      viv_http_reply_error (msg, SOUP_STATUS_NOT_FOUND,
                            "This guest runs without a display");
      return;
    }

  json_object_set_string_member (object, "display", self->config->display);
  json_object_set_string_member (object, "mode", self->config->attach ? "attached" : "started");
  json_object_set_string_member (object, "state", self->state);
  json_object_set_boolean_member (object, "vnc", self->config->vnc_socket != NULL);
  if (self->reason != NULL)
    json_object_set_string_member (object, "reason", self->reason);
  json_object_set_int_member (object, "restarts", self->restarts);
  add_child_pid (object, self->xvnc);
  if (!self->config->attach)
    {
      json_object_set_int_member (object, "width", self->config->width);
      json_object_set_int_member (object, "height", self->config->height);
      json_object_set_string_member (object, "xauthority", self->xauthority);

      json_object_set_string_member (session, "name", self->config->session);
      json_object_set_string_member (session, "state", self->session_state);
      if (self->session_reason != NULL)
        json_object_set_string_member (session, "reason", self->session_reason);
      json_object_set_int_member (session, "restarts", self->session_restarts);
      add_child_pid (session, self->session);
      json_object_set_object_member (object, "session", g_steal_pointer (&session));
    }
  else
    json_object_set_null_member (object, "session");

  viv_http_reply_object (msg, SOUP_STATUS_OK, object);
}

static void
viv_display_free (VivDisplay *self)
{
  if (self->xvnc != NULL)
    self->xvnc->display = NULL;
  if (self->session != NULL)
    self->session->display = NULL;
  g_clear_pointer (&self->xvnc, viv_child_unref);
  g_clear_pointer (&self->session, viv_child_unref);
  g_clear_handle_id (&self->xvnc_timer, g_source_remove);
  g_clear_handle_id (&self->session_timer, g_source_remove);
  g_free (self->x_socket);
  g_free (self->lock_file);
  g_free (self->xauthority);
  g_free (self->xvnc_log);
  g_free (self->session_log);
  g_free (self->reason);
  g_free (self->session_reason);
  g_free (self);
}

/**
 * viv_display_start:
 *
 * With --display, starts Xvnc and then the session, and keeps both running;
 * this returns at once, and the display's progress shows on GET /desktop/display
 * and as "display" events. With --attach, checks that the display exists.
 */
gboolean
viv_display_start (VivGuest  *guest,
                   GError   **error)
{
  VivGuestDisplayConfig *config = viv_guest_get_display_config (guest);
  VivDisplay *self;

  viv_guest_add_route (guest, "GET", "/desktop/display", 0, get_display_cb, NULL);

  if (config->display == NULL)
    return TRUE;

  self = g_new0 (VivDisplay, 1);
  self->guest = guest;
  self->config = config;
  self->number = atoi (config->display + 1);
  self->x_socket = g_strdup_printf ("/tmp/.X11-unix/X%d", self->number);
  self->lock_file = g_strdup_printf ("/tmp/.X%d-lock", self->number);
  self->session_state = "none";
  g_object_set_data_full (G_OBJECT (guest), "viv-display", self,
                          (GDestroyNotify) viv_display_free);

  /* Whatever the guest starts (apps, processes, the desktop API's own X
   * connections) finds the display. Set before the main loop and any thread. */
  g_setenv ("DISPLAY", config->display, TRUE);

  if (config->attach)
    {
      if (!g_file_test (self->x_socket, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       "Display %s does not exist (no %s)", config->display, self->x_socket);
          return FALSE;
        }
      if (config->vnc_socket != NULL && !g_file_test (config->vnc_socket, G_FILE_TEST_EXISTS))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                       "The VNC socket %s does not exist", config->vnc_socket);
          return FALSE;
        }
      self->state = "attached";
      return TRUE;
    }

  if (g_file_test (self->lock_file, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                   "Display %s is in use (%s exists); use --attach %s to use it",
                   config->display, self->lock_file, config->display);
      return FALSE;
    }

  g_free (config->vnc_socket);
  config->vnc_socket = g_build_filename (config->run_dir, "vnc.sock", NULL);
  self->xauthority = g_build_filename (config->run_dir, "Xauthority", NULL);
  self->xvnc_log = g_build_filename (config->run_dir, "Xvnc.log", NULL);
  self->session_log = g_build_filename (config->run_dir, "session.log", NULL);

  if (!_viv_display_write_xauthority (self->xauthority, self->number, error))
    return FALSE;
  g_setenv ("XAUTHORITY", self->xauthority, TRUE);

  xvnc_start (self);
  if (self->xvnc == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", self->reason);
      return FALSE;
    }

  return TRUE;
}

static gboolean
children_exited (VivDisplay *self)
{
  return (self->xvnc == NULL || self->xvnc->exited) &&
         (self->session == NULL || self->session->exited);
}

/* The main loop has stopped; the wait callbacks still need the main context. */
static void
wait_for_children (VivDisplay *self,
                   gint64      timeout_us)
{
  gint64 deadline = g_get_monotonic_time () + timeout_us;

  while (!children_exited (self) && g_get_monotonic_time () < deadline)
    {
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (5 * 1000);
    }
}

/* Removes the X lock and socket that a killed Xvnc could not remove, only when
 * the lock names the Xvnc we started. */
static void
remove_stale_x_files (VivDisplay *self,
                      GPid        xvnc_pid)
{
  g_autofree char *contents = NULL;

  if (xvnc_pid <= 0 || !g_file_get_contents (self->lock_file, &contents, NULL, NULL))
    return;

  if (atoi (g_strstrip (contents)) == xvnc_pid)
    {
      g_unlink (self->x_socket);
      g_unlink (self->lock_file);
    }
}

/**
 * viv_display_stop:
 *
 * Stops the session and Xvnc: SIGTERM, a short wait, then SIGKILL, and waits
 * until both are reaped, so nothing the guest started outlives it.
 */
void
viv_display_stop (VivGuest *guest)
{
  VivDisplay *self = g_object_get_data (G_OBJECT (guest), "viv-display");
  GPid xvnc_pid;

  /* Nothing to stop when attached, or when the start failed before Xvnc. */
  if (self == NULL || self->stopping || self->config->attach || self->xauthority == NULL)
    return;

  self->stopping = TRUE;
  g_clear_handle_id (&self->xvnc_timer, g_source_remove);
  g_clear_handle_id (&self->session_timer, g_source_remove);
  xvnc_pid = self->xvnc != NULL ? self->xvnc->pid : 0;

  viv_child_signal (self->session, SIGTERM, TRUE);
  viv_child_signal (self->xvnc, SIGTERM, FALSE);
  wait_for_children (self, STOP_GRACE_US);

  viv_child_signal (self->session, SIGKILL, TRUE);
  viv_child_signal (self->xvnc, SIGKILL, FALSE);
  wait_for_children (self, STOP_GRACE_US);

  remove_stale_x_files (self, xvnc_pid);
  g_unlink (self->config->vnc_socket);
  g_unlink (self->xauthority);

  set_state (self, "stopped", NULL);
}
