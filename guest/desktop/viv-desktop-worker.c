/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <X11/Xatom.h>
#include <X11/Xlibint.h>

#include "viv-guest-http.h"
#include "viv-desktop-private.h"

/* How often a missing or dead display is tried again while nobody asks. */
#define RECONNECT_INTERVAL_MS 2000

struct _VivDesktopWorker
{
  GWeakRef      guest;
  GMainContext *main_context;
  char         *display_name;
  GAsyncQueue  *jobs;          /* of GTask, in arrival order */
  int           wake_fd;       /* eventfd: a job arrived */
  VivX         *x;             /* worker thread only */
  GThread      *thread;
  gint          stopping;      /* atomic: viv_desktop_worker_stop() was called */
};

typedef struct
{
  VivDesktopJobFunc func;
  gpointer          data;
  GDestroyNotify    data_free;
  GDestroyNotify    result_free;
} Job;

static void
job_free (gpointer data)
{
  Job *job = data;

  if (job->data_free != NULL)
    g_clear_pointer (&job->data, job->data_free);
  g_free (job);
}

/* Xlib's default handlers exit the process: a protocol error is a failed
 * request here, and a lost connection must not kill the guest when Xvnc is
 * restarted. Only the worker thread talks to X, so thread-local state is
 * enough; other threads keep Xlib's behaviour. */
static __thread jmp_buf *io_error_jump;
#define TRAP_DEPTH_MAX 16
static __thread int trapped_error;
static __thread int trap_saved[TRAP_DEPTH_MAX];
static __thread int trap_depth;
static XIOErrorHandler previous_io_error_handler;

static int
io_error_cb (Display *display)
{
  if (io_error_jump != NULL)
    longjmp (*io_error_jump, 1);

  return previous_io_error_handler ? previous_io_error_handler (display) : 0;
}

static int
error_cb (Display     *display,
          XErrorEvent *event)
{
  if (trap_depth > 0)
    {
      if (trapped_error == Success)
        trapped_error = event->error_code;
    }
  else
    {
      char text[128];

      XGetErrorText (display, event->error_code, text, sizeof text);
      g_debug ("Untrapped X error: %s (request %d.%d)", text,
               event->request_code, event->minor_code);
    }

  return 0;
}

/* Traps nest: each pop answers the first error since its own push. */
void
viv_x_trap_push (VivX *x)
{
  g_assert (trap_depth < TRAP_DEPTH_MAX);
  trap_saved[trap_depth++] = trapped_error;
  trapped_error = Success;
}

int
viv_x_trap_pop (VivX *x)
{
  int error;

  XSync (x->display, False);
  g_assert (trap_depth > 0);
  error = trapped_error;
  trapped_error = trap_saved[--trap_depth];
  return error;
}

gboolean
viv_x_wm_supports (VivX *x,
                   Atom  atom)
{
  Atom type;
  int format;
  unsigned long n_items = 0, after;
  unsigned char *data = NULL;
  gboolean supported = FALSE;

  if (XGetWindowProperty (x->display, x->root, x->net_supported, 0, 4096, False, XA_ATOM,
                          &type, &format, &n_items, &after, &data) == Success &&
      data != NULL && format == 32)
    {
      Atom *atoms = (Atom *) data;

      for (unsigned long i = 0; i < n_items && !supported; i++)
        supported = atoms[i] == atom;
    }

  if (data != NULL)
    XFree (data);

  return supported;
}

void
viv_x_set_error_out_of_screen (VivX    *x,
                               int      px,
                               int      py,
                               GError **error)
{
  g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
               "(%d, %d) is outside the %dx%d screen", px, py, x->width, x->height);
}

static Window
get_window_property (VivX   *x,
                     Window  window,
                     Atom    property)
{
  Atom type;
  int format;
  unsigned long n_items = 0, after;
  unsigned char *data = NULL;
  Window value = None;

  viv_x_trap_push (x);
  if (XGetWindowProperty (x->display, window, property, 0, 1, False, XA_WINDOW,
                          &type, &format, &n_items, &after, &data) == Success &&
      data != NULL && n_items == 1 && format == 32)
    value = *(Window *) data;
  viv_x_trap_pop (x);

  if (data != NULL)
    XFree (data);

  return value;
}

/* The top-level window that holds @window: the child of the root above it. */
static Window
toplevel_of (VivX   *x,
             Window  window)
{
  while (window != None && window != x->root && window != PointerRoot)
    {
      Window root, parent, *children = NULL;
      unsigned int n_children;
      Status ok;

      viv_x_trap_push (x);
      ok = XQueryTree (x->display, window, &root, &parent, &children, &n_children);
      viv_x_trap_pop (x);
      if (children != NULL)
        XFree (children);
      if (!ok)
        return None;
      if (parent == x->root)
        return window;
      window = parent;
    }

  return None;
}

/* With a window manager, its _NET_ACTIVE_WINDOW; without one, the top-level
 * window that holds the input focus. */
Window
viv_x_get_focused_window (VivX *x)
{
  Window focus = None;
  int revert;

  if (get_window_property (x, x->root, x->net_supporting_wm_check) != None)
    return get_window_property (x, x->root, x->net_active_window);

  XGetInputFocus (x->display, &focus, &revert);
  return toplevel_of (x, focus);
}

void
viv_x_check_focus (VivX *x)
{
  Window focused = viv_x_get_focused_window (x);
  g_autoptr (JsonNode) description = NULL;
  const char *title = NULL;

  if (focused == x->last_focus)
    return;

  x->last_focus = focused;
  if (focused != None)
    {
      description = viv_desktop_window_describe (x, focused, focused);
      if (description != NULL)
        title = json_object_get_string_member_with_default (json_node_get_object (description),
                                                            "title", NULL);
    }

  viv_desktop_worker_post_focus (x->worker, focused, title);
}

static void
intern_atoms (VivX *x)
{
  const char *names[] = {
    "_NET_CLIENT_LIST", "_NET_ACTIVE_WINDOW", "_NET_WM_NAME", "_NET_WM_PID",
    "_NET_CLOSE_WINDOW", "_NET_SUPPORTED", "_NET_SUPPORTING_WM_CHECK", "WM_PROTOCOLS",
    "WM_DELETE_WINDOW", "WM_STATE", "UTF8_STRING", "CLIPBOARD", "TARGETS", "INCR", "TEXT",
    "VIVARIUM_TRANSFER",
  };
  Atom atoms[G_N_ELEMENTS (names)];

  XInternAtoms (x->display, (char **) names, G_N_ELEMENTS (names), False, atoms);
  x->net_client_list = atoms[0];
  x->net_active_window = atoms[1];
  x->net_wm_name = atoms[2];
  x->net_wm_pid = atoms[3];
  x->net_close_window = atoms[4];
  x->net_supported = atoms[5];
  x->net_supporting_wm_check = atoms[6];
  x->wm_protocols = atoms[7];
  x->wm_delete_window = atoms[8];
  x->wm_state = atoms[9];
  x->utf8_string = atoms[10];
  x->clipboard = atoms[11];
  x->targets = atoms[12];
  x->incr = atoms[13];
  x->text = atoms[14];
  x->transfer = atoms[15];
}

static VivX *
connect_display (VivDesktopWorker  *self,
                 GError           **error)
{
  VivX *x;
  Display *display;
  XSetWindowAttributes attributes = { 0 };

  display = XOpenDisplay (self->display_name);
  if (display == NULL)
    {
      g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_SERVICE_UNAVAILABLE,
                   "Cannot connect to the X display %s", self->display_name);
      return NULL;
    }

  x = g_new0 (VivX, 1);
  x->worker = self;
  x->display = display;
  x->screen = DefaultScreen (display);
  x->root = RootWindow (display, x->screen);
  x->width = DisplayWidth (display, x->screen);
  x->height = DisplayHeight (display, x->screen);
  intern_atoms (x);

  /* Root size changes (RandR from a VNC client) and focus changes. */
  XSelectInput (display, x->root, StructureNotifyMask | PropertyChangeMask);

  attributes.event_mask = PropertyChangeMask;
  x->own_window = XCreateWindow (display, x->root, -10, -10, 1, 1, 0, CopyFromParent,
                                 InputOnly, CopyFromParent, CWEventMask, &attributes);
  XSync (display, False);

  x->last_focus = viv_x_get_focused_window (x);
  g_debug ("Connected to X display %s", self->display_name);
  return x;
}

/* Frees what is ours; the connection itself only when it is still alive,
 * since closing a dead one would talk to the server again. */
static void
free_x (VivX     *x,
        gboolean  alive)
{
  g_clear_pointer (&x->capture, viv_desktop_capture_free);
  g_clear_pointer (&x->keymap, viv_desktop_keymap_free);
  g_clear_pointer (&x->clipboard_state, viv_desktop_clipboard_free);

  if (alive)
    {
      XCloseDisplay (x->display);
    }
  else
    {
      /* Mark the connection broken so that XCloseDisplay does not sync;
       * extension hooks may still try to talk, hence the guard. */
      jmp_buf buf;
      jmp_buf *previous = io_error_jump;

      x->display->flags |= XlibDisplayIOError;
      if (setjmp (buf) == 0)
        {
          io_error_jump = &buf;
          XCloseDisplay (x->display);
        }
      io_error_jump = previous;
    }

  g_free (x);
}

void
viv_x_dispatch_event (VivX   *x,
                      XEvent *event)
{
  if (viv_desktop_clipboard_handle_event (x, event))
    return;

  switch (event->type)
    {
    case ConfigureNotify:
      if (event->xconfigure.window == x->root)
        {
          x->width = event->xconfigure.width;
          x->height = event->xconfigure.height;
        }
      break;

    case PropertyNotify:
      if (event->xproperty.window == x->root &&
          event->xproperty.atom == x->net_active_window)
        viv_x_check_focus (x);
      break;

    case MappingNotify:
      XRefreshKeyboardMapping (&event->xmapping);
      break;

    default:
      break;
    }
}

static void
process_events (VivX *x)
{
  while (XPending (x->display) > 0)
    {
      XEvent event;

      XNextEvent (x->display, &event);
      viv_x_dispatch_event (x, &event);
    }
}

/* Runs @func with the connection guarded; FALSE when the connection died. */
static gboolean
guarded_run (VivX     *x,
             void    (*func) (VivX *x, gpointer data),
             gpointer  data)
{
  jmp_buf buf;
  jmp_buf *previous = io_error_jump;

  if (setjmp (buf) != 0)
    {
      io_error_jump = previous;
      trap_depth = 0;
      return FALSE;
    }

  io_error_jump = &buf;
  func (x, data);
  io_error_jump = previous;
  return TRUE;
}

static void
process_events_cb (VivX     *x,
                   gpointer  data)
{
  process_events (x);
}

typedef struct
{
  Job      *job;
  gpointer  result;
  GError   *error;
} JobRun;

static void
run_job_cb (VivX     *x,
            gpointer  data)
{
  JobRun *run = data;

  run->result = run->job->func (x, run->job->data, &run->error);
  /* Whatever the job asked of the server has happened when we answer. */
  XSync (x->display, False);
  process_events (x);
}

static void
drop_connection (VivDesktopWorker *self)
{
  g_warning ("Lost the connection to the X display %s", self->display_name);
  free_x (self->x, FALSE);
  self->x = NULL;
}

static void
run_job (VivDesktopWorker *self,
         GTask            *task)
{
  Job *job = g_task_get_task_data (task);
  JobRun run = { job, NULL, NULL };

  if (self->x == NULL)
    {
      g_autoptr (GError) error = NULL;

      self->x = connect_display (self, &error);
      if (self->x == NULL)
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }

  if (!guarded_run (self->x, run_job_cb, &run))
    {
      drop_connection (self);
      g_clear_error (&run.error);
      if (run.result != NULL && job->result_free != NULL)
        job->result_free (run.result);
      g_task_return_new_error (task, VIV_HTTP_ERROR, SOUP_STATUS_SERVICE_UNAVAILABLE,
                               "The X display %s went away", self->display_name);
      return;
    }

  if (run.error != NULL)
    g_task_return_error (task, run.error);
  else
    g_task_return_pointer (task, run.result, job->result_free);
}

static gpointer
worker_thread (gpointer data)
{
  VivDesktopWorker *self = data;

  self->x = connect_display (self, NULL);

  while (!g_atomic_int_get (&self->stopping))
    {
      struct pollfd fds[2] = {
        { self->wake_fd, POLLIN, 0 },
        { self->x ? ConnectionNumber (self->x->display) : -1, POLLIN, 0 },
      };
      GTask *task;

      if (poll (fds, 2, self->x ? -1 : RECONNECT_INTERVAL_MS) < 0 && errno != EINTR)
        g_error ("poll: %s", g_strerror (errno));

      if (fds[0].revents & POLLIN)
        {
          guint64 count;

          if (read (self->wake_fd, &count, sizeof count) < 0 && errno != EAGAIN)
            g_warning ("eventfd read: %s", g_strerror (errno));
        }

      /* Connect early, so that focus changes are reported before anyone asks,
       * and again after the display restarts. */
      if (self->x == NULL)
        self->x = connect_display (self, NULL);

      if (self->x != NULL && !guarded_run (self->x, process_events_cb, NULL))
        drop_connection (self);

      while ((task = g_async_queue_try_pop (self->jobs)) != NULL)
        {
          run_job (self, task);
          g_object_unref (task);
        }
    }

  return NULL;
}

VivDesktopWorker *
viv_desktop_worker_new (VivGuest   *guest,
                        const char *display_name)
{
  VivDesktopWorker *self = g_new0 (VivDesktopWorker, 1);

  g_weak_ref_init (&self->guest, guest);
  self->main_context = g_main_context_ref_thread_default ();
  self->display_name = g_strdup (display_name);
  self->jobs = g_async_queue_new ();
  self->wake_fd = eventfd (0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (self->wake_fd < 0)
    g_error ("eventfd: %s", g_strerror (errno));

  previous_io_error_handler = XSetIOErrorHandler (io_error_cb);
  XSetErrorHandler (error_cb);

  /* The worker lives until viv_desktop_worker_stop(), just before exit. */
  self->thread = g_thread_new ("viv-desktop-x", worker_thread, self);
  return self;
}

/**
 * viv_desktop_worker_stop:
 *
 * Ends the worker thread and waits for it, so that the process never exits
 * while the thread is inside Xlib (exit() would tear Xlib down under it).
 * Jobs still queued are not run.
 */
void
viv_desktop_worker_stop (VivDesktopWorker *self)
{
  guint64 one = 1;

  if (self->thread == NULL)
    return;

  g_atomic_int_set (&self->stopping, TRUE);
  if (write (self->wake_fd, &one, sizeof one) < 0)
    g_warning ("eventfd write: %s", g_strerror (errno));
  g_thread_join (g_steal_pointer (&self->thread));
}

void
viv_desktop_worker_run_async (VivDesktopWorker    *self,
                              VivDesktopJobFunc    func,
                              gpointer             data,
                              GDestroyNotify       data_free,
                              GDestroyNotify       result_free,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  GTask *task = g_task_new (NULL, NULL, callback, user_data);
  Job *job = g_new0 (Job, 1);
  guint64 one = 1;

  g_task_set_source_tag (task, viv_desktop_worker_run_async);
  job->func = func;
  job->data = data;
  job->data_free = data_free;
  job->result_free = result_free;
  g_task_set_task_data (task, job, job_free);

  g_async_queue_push (self->jobs, task);
  if (write (self->wake_fd, &one, sizeof one) < 0)
    g_warning ("eventfd write: %s", g_strerror (errno));
}

gpointer
viv_desktop_worker_run_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  GWeakRef *guest_ref;
  guint64   window;
  char     *title;
} FocusEvent;

static gboolean
emit_focus_cb (gpointer data)
{
  FocusEvent *focus = data;
  g_autoptr (VivGuest) guest = g_weak_ref_get (focus->guest_ref);
  g_autoptr (JsonObject) event = json_object_new ();

  if (guest != NULL)
    {
      if (focus->window != None)
        json_object_set_int_member (event, "window", (gint64) focus->window);
      else
        json_object_set_null_member (event, "window");
      if (focus->title != NULL)
        json_object_set_string_member (event, "title", focus->title);
      else
        json_object_set_null_member (event, "title");
      viv_guest_emit_event (guest, "focus", event);
    }

  g_free (focus->title);
  g_free (focus);
  return G_SOURCE_REMOVE;
}

void
viv_desktop_worker_post_focus (VivDesktopWorker *self,
                               guint64           window,
                               const char       *title)
{
  FocusEvent *focus = g_new0 (FocusEvent, 1);

  focus->guest_ref = &self->guest;
  focus->window = window;
  focus->title = g_strdup (title);
  g_main_context_invoke (self->main_context, emit_focus_cb, focus);
}

gboolean
viv_x_wait_for_event (VivX      *x,
                      gboolean (*match) (XEvent *event, gpointer data),
                      gpointer   data,
                      int        timeout_ms,
                      XEvent    *event)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      struct pollfd fd = { ConnectionNumber (x->display), POLLIN, 0 };
      gint64 remaining;

      while (XPending (x->display) > 0)
        {
          XNextEvent (x->display, event);
          if (match (event, data))
            return TRUE;
          viv_x_dispatch_event (x, event);
        }

      remaining = deadline - g_get_monotonic_time ();
      if (remaining <= 0)
        return FALSE;

      if (poll (&fd, 1, (int) ((remaining + 999) / 1000)) < 0 && errno != EINTR)
        return FALSE;
    }
}
