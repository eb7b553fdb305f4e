/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(VIVARIUM_WIDGETS_INSIDE) && !defined(VIVARIUM_WIDGETS_COMPILATION)
# error "Only <vivarium-widgets.h> can be included directly."
#endif

#include <gtk/gtk.h>

G_BEGIN_DECLS

/**
 * VivDisplayState:
 * @VIV_DISPLAY_STATE_DISCONNECTED: not connected; see the disconnect reason
 * @VIV_DISPLAY_STATE_CONNECTING: connecting and authenticating
 * @VIV_DISPLAY_STATE_CONNECTED: the desktop is shown
 * @VIV_DISPLAY_STATE_RECONNECTING: the connection was lost and is retried with backoff
 */
typedef enum {
  VIV_DISPLAY_STATE_DISCONNECTED,
  VIV_DISPLAY_STATE_CONNECTING,
  VIV_DISPLAY_STATE_CONNECTED,
  VIV_DISPLAY_STATE_RECONNECTING,
} VivDisplayState;

/**
 * VivDisplayZoom:
 * @VIV_DISPLAY_ZOOM_FIT: scale down to fit, letterboxed; 1:1 when it fits
 * @VIV_DISPLAY_ZOOM_ORIGINAL: always one remote pixel per device pixel
 */
typedef enum {
  VIV_DISPLAY_ZOOM_FIT,
  VIV_DISPLAY_ZOOM_ORIGINAL,
} VivDisplayZoom;

#define VIV_TYPE_DISPLAY_STATE (viv_display_state_get_type ())
GType viv_display_state_get_type (void) G_GNUC_CONST;
#define VIV_TYPE_DISPLAY_ZOOM (viv_display_zoom_get_type ())
GType viv_display_zoom_get_type (void) G_GNUC_CONST;

#define VIV_TYPE_DISPLAY_VIEW (viv_display_view_get_type ())
G_DECLARE_FINAL_TYPE (VivDisplayView, viv_display_view, VIV, DISPLAY_VIEW, GtkWidget)

GtkWidget       *viv_display_view_new                 (void);

void             viv_display_view_open_fd             (VivDisplayView       *self,
                                                       int                   fd);
void             viv_display_view_open_host           (VivDisplayView       *self,
                                                       const char           *host,
                                                       guint16               port);
void             viv_display_view_close               (VivDisplayView       *self);
void             viv_display_view_set_password        (VivDisplayView       *self,
                                                       const char           *password);

VivDisplayState  viv_display_view_get_state           (VivDisplayView       *self);
const char      *viv_display_view_get_disconnect_reason (VivDisplayView     *self);
const char      *viv_display_view_get_desktop_name    (VivDisplayView       *self);
int              viv_display_view_get_remote_width    (VivDisplayView       *self);
int              viv_display_view_get_remote_height   (VivDisplayView       *self);

gboolean         viv_display_view_get_input_enabled   (VivDisplayView       *self);
void             viv_display_view_set_input_enabled   (VivDisplayView       *self,
                                                       gboolean              input_enabled);
VivDisplayZoom   viv_display_view_get_zoom            (VivDisplayView       *self);
void             viv_display_view_set_zoom            (VivDisplayView       *self,
                                                       VivDisplayZoom        zoom);
gboolean         viv_display_view_get_resize_remote   (VivDisplayView       *self);
void             viv_display_view_set_resize_remote   (VivDisplayView       *self,
                                                       gboolean              resize_remote);
int              viv_display_view_get_jpeg_quality    (VivDisplayView       *self);
void             viv_display_view_set_jpeg_quality    (VivDisplayView       *self,
                                                       int                   jpeg_quality);
int              viv_display_view_get_compression_level (VivDisplayView     *self);
void             viv_display_view_set_compression_level (VivDisplayView     *self,
                                                       int                   compression_level);

gboolean         viv_display_view_get_grabbed         (VivDisplayView       *self);
void             viv_display_view_grab_keyboard       (VivDisplayView       *self);
void             viv_display_view_ungrab_keyboard     (VivDisplayView       *self);
gboolean         viv_display_view_send_keys           (VivDisplayView       *self,
                                                       const guint          *keyvals,
                                                       gsize                 n_keyvals);

GdkTexture      *viv_display_view_get_screenshot      (VivDisplayView       *self);
void             viv_display_view_save_screenshot_async (VivDisplayView     *self,
                                                       GFile                *file,
                                                       GCancellable         *cancellable,
                                                       GAsyncReadyCallback   callback,
                                                       gpointer              user_data);
gboolean         viv_display_view_save_screenshot_finish (VivDisplayView    *self,
                                                       GAsyncResult         *result,
                                                       GError              **error);

void             viv_display_view_mark_point          (VivDisplayView       *self,
                                                       int                   x,
                                                       int                   y);

double           viv_display_view_get_fps             (VivDisplayView       *self);
double           viv_display_view_get_latency         (VivDisplayView       *self);
gint64           viv_display_view_get_bytes_per_second (VivDisplayView      *self);
gint64           viv_display_view_get_pixels_per_second (VivDisplayView     *self);

G_END_DECLS
