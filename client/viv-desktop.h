/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(VIVARIUM_INSIDE) && !defined(VIVARIUM_COMPILATION)
# error "Only <vivarium.h> can be included directly."
#endif

#include <gio/gio.h>

#include "viv-sandbox.h"

G_BEGIN_DECLS

/**
 * VivImageFormat:
 * @VIV_IMAGE_FORMAT_PNG: PNG (lossless)
 * @VIV_IMAGE_FORMAT_JPEG: JPEG (smaller, lossy)
 *
 * The encoding of a screenshot.
 */
typedef enum
{
  VIV_IMAGE_FORMAT_PNG,
  VIV_IMAGE_FORMAT_JPEG,
} VivImageFormat;

/**
 * VivPointerButton:
 * @VIV_POINTER_BUTTON_LEFT: the left (primary) button
 * @VIV_POINTER_BUTTON_MIDDLE: the middle button
 * @VIV_POINTER_BUTTON_RIGHT: the right (secondary) button
 *
 * A pointer button.
 */
typedef enum
{
  VIV_POINTER_BUTTON_LEFT,
  VIV_POINTER_BUTTON_MIDDLE,
  VIV_POINTER_BUTTON_RIGHT,
} VivPointerButton;

/**
 * VivScrollDirection:
 * @VIV_SCROLL_DIRECTION_UP: towards the top
 * @VIV_SCROLL_DIRECTION_DOWN: towards the bottom
 * @VIV_SCROLL_DIRECTION_LEFT: towards the left
 * @VIV_SCROLL_DIRECTION_RIGHT: towards the right
 *
 * Which way the wheel turns.
 */
typedef enum
{
  VIV_SCROLL_DIRECTION_UP,
  VIV_SCROLL_DIRECTION_DOWN,
  VIV_SCROLL_DIRECTION_LEFT,
  VIV_SCROLL_DIRECTION_RIGHT,
} VivScrollDirection;

/**
 * VivDesktopWindow:
 *
 * A top-level window of a sandbox's desktop, as listed at one moment.
 */
typedef struct _VivDesktopWindow VivDesktopWindow;

#define VIV_TYPE_DESKTOP_WINDOW (viv_desktop_window_get_type ())
GType       viv_desktop_window_get_type      (void) G_GNUC_CONST;
VivDesktopWindow  *viv_desktop_window_ref           (VivDesktopWindow *self);
void        viv_desktop_window_unref         (VivDesktopWindow *self);
guint64     viv_desktop_window_get_id        (VivDesktopWindow *self);
const char *viv_desktop_window_get_title     (VivDesktopWindow *self);
const char *viv_desktop_window_get_class     (VivDesktopWindow *self);
const char *viv_desktop_window_get_instance  (VivDesktopWindow *self);
gint64      viv_desktop_window_get_pid       (VivDesktopWindow *self);
void        viv_desktop_window_get_geometry  (VivDesktopWindow *self,
                                      int       *x,
                                      int       *y,
                                      int       *width,
                                      int       *height);
gboolean    viv_desktop_window_get_focused   (VivDesktopWindow *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (VivDesktopWindow, viv_desktop_window_unref)

#define VIV_TYPE_DESKTOP (viv_desktop_get_type ())
G_DECLARE_FINAL_TYPE (VivDesktop, viv_desktop, VIV, DESKTOP, GObject)

VivDesktop *viv_desktop_new                  (VivSandbox          *sandbox);
VivSandbox *viv_desktop_get_sandbox          (VivDesktop          *self);

/* Takeover */
gboolean    viv_desktop_get_takeover_held    (VivDesktop          *self);
const char *viv_desktop_get_takeover_holder  (VivDesktop          *self);
GDateTime  *viv_desktop_get_takeover_since   (VivDesktop          *self);
void        viv_desktop_acquire_takeover_async  (VivDesktop       *self,
                                              const char          *holder,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    viv_desktop_acquire_takeover_finish (VivDesktop       *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        viv_desktop_release_takeover_async  (VivDesktop       *self,
                                              const char          *holder,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    viv_desktop_release_takeover_finish (VivDesktop       *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        viv_desktop_query_takeover_async    (VivDesktop       *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    viv_desktop_query_takeover_finish   (VivDesktop       *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Events */
gboolean    viv_desktop_get_events_connected (VivDesktop          *self);
void        viv_desktop_watch_events_async   (VivDesktop          *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
void        viv_desktop_watch_events_since_async (VivDesktop      *self,
                                              guint64              since,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    viv_desktop_watch_events_finish  (VivDesktop          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Screen */
void        viv_desktop_screenshot_async     (VivDesktop          *self,
                                              VivImageFormat       format,
                                              guint                quality,
                                              int                  x,
                                              int                  y,
                                              int                  width,
                                              int                  height,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GBytes     *viv_desktop_screenshot_finish    (VivDesktop          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        viv_desktop_get_screen_size_async  (VivDesktop        *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    viv_desktop_get_screen_size_finish (VivDesktop        *self,
                                              GAsyncResult        *result,
                                              int                 *width,
                                              int                 *height,
                                              GError             **error);

/* Pointer */
void        viv_desktop_move_pointer_async   (VivDesktop          *self,
                                              int                  x,
                                              int                  y,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    viv_desktop_move_pointer_finish  (VivDesktop          *self,
                                              GAsyncResult        *result,
                                              int                 *x,
                                              int                 *y,
                                              GError             **error);
void        viv_desktop_click_async          (VivDesktop          *self,
                                              int                  x,
                                              int                  y,
                                              VivPointerButton     button,
                                              guint                count,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    viv_desktop_click_finish         (VivDesktop          *self,
                                              GAsyncResult        *result,
                                              int                 *x,
                                              int                 *y,
                                              GError             **error);
void        viv_desktop_press_button_async   (VivDesktop          *self,
                                              VivPointerButton     button,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    viv_desktop_press_button_finish  (VivDesktop          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        viv_desktop_release_button_async (VivDesktop          *self,
                                              VivPointerButton     button,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    viv_desktop_release_button_finish (VivDesktop         *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        viv_desktop_drag_async           (VivDesktop          *self,
                                              int                  from_x,
                                              int                  from_y,
                                              int                  to_x,
                                              int                  to_y,
                                              VivPointerButton     button,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    viv_desktop_drag_finish          (VivDesktop          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        viv_desktop_scroll_async         (VivDesktop          *self,
                                              VivScrollDirection   direction,
                                              guint                amount,
                                              int                  x,
                                              int                  y,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    viv_desktop_scroll_finish        (VivDesktop          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Keyboard */
void        viv_desktop_type_text_async      (VivDesktop          *self,
                                              const char          *text,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    viv_desktop_type_text_finish     (VivDesktop          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        viv_desktop_press_keys_async     (VivDesktop          *self,
                                              const char * const  *keys,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    viv_desktop_press_keys_finish    (VivDesktop          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Windows */
void        viv_desktop_list_windows_async   (VivDesktop          *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
GPtrArray  *viv_desktop_list_windows_finish  (VivDesktop          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        viv_desktop_get_focused_window_async  (VivDesktop     *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
VivDesktopWindow  *viv_desktop_get_focused_window_finish (VivDesktop     *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        viv_desktop_focus_window_async   (VivDesktop          *self,
                                              guint64              window_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    viv_desktop_focus_window_finish  (VivDesktop          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        viv_desktop_close_window_async   (VivDesktop          *self,
                                              guint64              window_id,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    viv_desktop_close_window_finish  (VivDesktop          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Clipboard */
void        viv_desktop_get_clipboard_async  (VivDesktop          *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
char       *viv_desktop_get_clipboard_finish (VivDesktop          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        viv_desktop_set_clipboard_async  (VivDesktop          *self,
                                              const char          *text,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    viv_desktop_set_clipboard_finish (VivDesktop          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

/* Apps */
void        viv_desktop_launch_async         (VivDesktop          *self,
                                              const char          *app_id,
                                              const char          *uri,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gint64      viv_desktop_launch_finish        (VivDesktop          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
void        viv_desktop_open_async           (VivDesktop          *self,
                                              const char          *target,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    viv_desktop_open_finish          (VivDesktop          *self,
                                              GAsyncResult        *result,
                                              GError             **error);

G_END_DECLS
