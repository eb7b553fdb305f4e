/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <X11/Xlib.h>

#include "viv-guest.h"

G_BEGIN_DECLS

/* Everything that touches X runs on one worker thread that owns its own
 * Display; these types live on that thread only. */

typedef struct _VivDesktopWorker VivDesktopWorker;
typedef struct _VivDesktopCapture VivDesktopCapture;
typedef struct _VivDesktopKeymap VivDesktopKeymap;
typedef struct _VivDesktopClipboard VivDesktopClipboard;

typedef struct
{
  Display             *display;
  Window               root;
  int                  screen;
  int                  width;
  int                  height;
  Window               own_window;   /* unmapped; owns the clipboard, receives replies */

  /* EWMH and ICCCM atoms */
  Atom                 net_client_list;
  Atom                 net_active_window;
  Atom                 net_wm_name;
  Atom                 net_wm_pid;
  Atom                 net_close_window;
  Atom                 net_supported;
  Atom                 net_supporting_wm_check;
  Atom                 wm_protocols;
  Atom                 wm_delete_window;
  Atom                 wm_state;
  Atom                 utf8_string;
  Atom                 clipboard;
  Atom                 targets;
  Atom                 incr;
  Atom                 text;
  Atom                 transfer;

  VivDesktopCapture   *capture;
  VivDesktopKeymap    *keymap;
  VivDesktopClipboard *clipboard_state;

  VivDesktopWorker    *worker;
  Window               last_focus;   /* for "focus" events */
} VivX;

/* A job runs on the worker thread with a live connection. It returns its
 * result (a JsonNode or GBytes, freed with the job's result_free) or NULL with
 * @error set; VIV_HTTP_ERROR codes become the HTTP status. */
typedef gpointer (*VivDesktopJobFunc) (VivX      *x,
                                       gpointer   data,
                                       GError   **error);

/* viv-desktop-worker.c */
VivDesktopWorker *viv_desktop_worker_new           (VivGuest             *guest,
                                                    const char           *display_name);
void              viv_desktop_worker_stop          (VivDesktopWorker     *worker);
void              viv_desktop_worker_run_async     (VivDesktopWorker     *worker,
                                                    VivDesktopJobFunc     func,
                                                    gpointer              data,
                                                    GDestroyNotify        data_free,
                                                    GDestroyNotify        result_free,
                                                    GAsyncReadyCallback   callback,
                                                    gpointer              user_data);
gpointer          viv_desktop_worker_run_finish    (GAsyncResult         *result,
                                                    GError              **error);

/* Protocol errors are trapped, never fatal: push, make requests, pop (which
 * syncs) and get the first error code, or Success. */
void              viv_x_trap_push                  (VivX                 *x);
int               viv_x_trap_pop                   (VivX                 *x);
/* Handles an event that is not the one a job waits for. */
void              viv_x_dispatch_event             (VivX                 *x,
                                                    XEvent               *event);
/* Waits up to @timeout_ms for an event @match accepts, dispatching others. */
gboolean          viv_x_wait_for_event             (VivX                 *x,
                                                    gboolean            (*match) (XEvent *event,
                                                                                  gpointer data),
                                                    gpointer              data,
                                                    int                   timeout_ms,
                                                    XEvent               *event);
/* After input or focus changes: publishes a "focus" event when it changed. */
void              viv_x_check_focus                (VivX                 *x);
Window            viv_x_get_focused_window         (VivX                 *x);
/* Answers whether a window manager that speaks EWMH supports @atom. */
gboolean          viv_x_wm_supports                (VivX                 *x,
                                                    Atom                  atom);
void              viv_x_set_error_out_of_screen    (VivX                 *x,
                                                    int                   px,
                                                    int                   py,
                                                    GError              **error);

/* viv-desktop-capture.c: a screenshot as PNG or JPEG bytes. */
typedef struct
{
  gboolean jpeg;
  int      quality;
  int      x, y, width, height;   /* width 0: the whole screen */
  Window   window;                /* None: no window */
} VivScreenshotRequest;

GBytes           *viv_desktop_capture              (VivX                 *x,
                                                    const VivScreenshotRequest *request,
                                                    GError              **error);
void              viv_desktop_capture_free         (VivDesktopCapture    *capture);

/* viv-desktop-keys.c */
gboolean          viv_desktop_keysym_from_name     (const char           *name,
                                                    KeySym               *keysym);
KeySym            viv_desktop_keysym_from_unichar  (gunichar              unichar);

/* viv-desktop-input.c: pointer actions through XTest; jobs answer the
 * pointer's position afterwards. */
typedef enum
{
  VIV_POINTER_MOVE,
  VIV_POINTER_CLICK,
  VIV_POINTER_PRESS,
  VIV_POINTER_RELEASE,
  VIV_POINTER_DRAG,
  VIV_POINTER_SCROLL,
} VivPointerAction;

typedef struct
{
  VivPointerAction action;
  gboolean         has_position;
  int              x, y;          /* where to move first (drag: from) */
  int              to_x, to_y;    /* drag: to */
  unsigned int     button;        /* X button number */
  int              count;         /* clicks, or scroll steps */
} VivPointerRequest;

gpointer          viv_desktop_pointer_job          (VivX                 *x,
                                                    gpointer              data,
                                                    GError              **error);
gpointer          viv_desktop_cursor_job           (VivX                 *x,
                                                    gpointer              data,
                                                    GError              **error);
/* data: the text (char *) */
gpointer          viv_desktop_type_job             (VivX                 *x,
                                                    gpointer              data,
                                                    GError              **error);
/* data: the key names (GStrv) */
gpointer          viv_desktop_press_keys_job       (VivX                 *x,
                                                    gpointer              data,
                                                    GError              **error);

void              viv_desktop_keymap_free          (VivDesktopKeymap     *keymap);

/* viv-desktop-clipboard.c */
gboolean          viv_desktop_clipboard_set        (VivX                 *x,
                                                    const char           *text,
                                                    GError              **error);
char             *viv_desktop_clipboard_get        (VivX                 *x,
                                                    GError              **error);
/* Handles selection events; returns whether @event was one. */
gboolean          viv_desktop_clipboard_handle_event (VivX               *x,
                                                      XEvent             *event);
void              viv_desktop_clipboard_free       (VivDesktopClipboard  *clipboard);

/* viv-desktop-windows.c: jobs return JSON. */
JsonNode         *viv_desktop_window_describe      (VivX                 *x,
                                                    Window                window,
                                                    Window                focused);
gboolean          viv_desktop_window_exists        (VivX                 *x,
                                                    Window                window);
gpointer          viv_desktop_list_windows_job     (VivX                 *x,
                                                    gpointer              data,
                                                    GError              **error);
gpointer          viv_desktop_focused_window_job   (VivX                 *x,
                                                    gpointer              data,
                                                    GError              **error);
gpointer          viv_desktop_focus_window_job     (VivX                 *x,
                                                    gpointer              data,
                                                    GError              **error);
gpointer          viv_desktop_close_window_job     (VivX                 *x,
                                                    gpointer              data,
                                                    GError              **error);

/* Emits a "focus" event on the main thread (called from the worker). */
void              viv_desktop_worker_post_focus    (VivDesktopWorker     *worker,
                                                    guint64               window,
                                                    const char           *title);

G_END_DECLS
