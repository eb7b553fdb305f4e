/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include <glib/gi18n-lib.h>

#include "viv-display-view-private.h"

/* Rendering. The framebuffer is cut into 256x256 GdkMemoryTextures, each a
 * GBytes slice of the live pixels that gvnc decodes into (libmks did the same
 * on GTK 4.8: GNOME/libmks lib/mks-cairo-framebuffer.c at 01dab99). A damaged
 * rectangle only re-creates the tiles it touches, so GSK only re-uploads
 * those; untouched tiles keep their uploaded GPU texture. This bends texture
 * immutability, which is safe because gvnc decodes and GSK renders on the
 * same thread. We chose this over a GtkGLArea with glTexSubImage2D because it
 * works with every GSK renderer (GL, Vulkan, and the Cairo fallback found on
 * machines without GL), needs no GL code of ours, and measured fast enough:
 * see widgets/README.md for the numbers. */

#define FALLBACK_REQUEST_MS 500
#define RESIZE_DEBOUNCE_MS  500

G_DEFINE_ENUM_TYPE (VivDisplayState, viv_display_state,
  G_DEFINE_ENUM_VALUE (VIV_DISPLAY_STATE_DISCONNECTED, "disconnected"),
  G_DEFINE_ENUM_VALUE (VIV_DISPLAY_STATE_CONNECTING, "connecting"),
  G_DEFINE_ENUM_VALUE (VIV_DISPLAY_STATE_CONNECTED, "connected"),
  G_DEFINE_ENUM_VALUE (VIV_DISPLAY_STATE_RECONNECTING, "reconnecting"))

G_DEFINE_ENUM_TYPE (VivDisplayZoom, viv_display_zoom,
  G_DEFINE_ENUM_VALUE (VIV_DISPLAY_ZOOM_FIT, "fit"),
  G_DEFINE_ENUM_VALUE (VIV_DISPLAY_ZOOM_ORIGINAL, "original"))

enum {
  PASSWORD_NEEDED,
  DISCONNECTED,
  RECONNECT_NEEDED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (VivDisplayView, viv_display_view, GTK_TYPE_WIDGET)

GParamSpec *_viv_display_view_properties[VIV_DISPLAY_VIEW_N_PROPS];
#define properties _viv_display_view_properties
static guint signals[N_SIGNALS];

static void
clear_tiles (VivDisplayView *self)
{
  for (int i = 0; i < self->tiles_x * self->tiles_y; i++)
    g_clear_object (&self->tiles[i]);
  g_clear_pointer (&self->tiles, g_free);
  g_clear_pointer (&self->dirty_tiles, g_free);
  self->tiles_x = self->tiles_y = 0;
}

static void
ensure_tiles (VivDisplayView *self,
              int             width,
              int             height)
{
  int tiles_x = (width + VIV_TILE_SIZE - 1) / VIV_TILE_SIZE;
  int tiles_y = (height + VIV_TILE_SIZE - 1) / VIV_TILE_SIZE;

  if (self->tiles != NULL && tiles_x == self->tiles_x && tiles_y == self->tiles_y)
    return;

  clear_tiles (self);
  self->tiles_x = tiles_x;
  self->tiles_y = tiles_y;
  self->tiles = g_new0 (GdkTexture *, tiles_x * tiles_y);
  self->dirty_tiles = g_new (guint8, tiles_x * tiles_y);
  memset (self->dirty_tiles, 1, tiles_x * tiles_y);
}

static void
update_tile (VivDisplayView *self,
             GBytes         *pixels,
             int             width,
             int             height,
             gsize           stride,
             int             tx,
             int             ty)
{
  int x = tx * VIV_TILE_SIZE;
  int y = ty * VIV_TILE_SIZE;
  int w = MIN (VIV_TILE_SIZE, width - x);
  int h = MIN (VIV_TILE_SIZE, height - y);
  gsize offset = y * stride + (gsize) x * 4;
  g_autoptr (GBytes) slice = g_bytes_new_from_bytes (pixels, offset, (h - 1) * stride + (gsize) w * 4);
  int i = ty * self->tiles_x + tx;

  g_clear_object (&self->tiles[i]);
  self->tiles[i] = gdk_memory_texture_new (w, h, GDK_MEMORY_B8G8R8A8_PREMULTIPLIED, slice, stride);
  self->dirty_tiles[i] = FALSE;
}

static void
compute_placement (VivDisplayView *self,
                   int             remote_width,
                   int             remote_height)
{
  double width = gtk_widget_get_width (GTK_WIDGET (self));
  double height = gtk_widget_get_height (GTK_WIDGET (self));
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  /* The size at which one remote pixel is one device pixel. */
  double natural_width = (double) remote_width / scale;
  double natural_height = (double) remote_height / scale;
  double draw_width = natural_width;
  double draw_height = natural_height;
  double x, y;

  if (self->zoom == VIV_DISPLAY_ZOOM_FIT &&
      (natural_width > width || natural_height > height))
    {
      double factor = MIN (width / natural_width, height / natural_height);

      /* Snap to device pixels: a half-pixel offset blurs the whole image
       * (virt-manager#434). */
      draw_width = MAX (1, floor (natural_width * factor * scale)) / scale;
      draw_height = MAX (1, floor (natural_height * factor * scale)) / scale;
    }

  x = MAX (0, floor ((width - draw_width) / 2 * scale) / scale);
  y = MAX (0, floor ((height - draw_height) / 2 * scale) / scale);
  graphene_rect_init (&self->placement, x, y, draw_width, draw_height);
}

static const GdkRGBA black = { 0, 0, 0, 1 };

/* Only the bands around the desktop: without a GPU, filling the whole
 * widget under an opaque desktop costs as much as drawing the desktop. */
static void
append_letterbox (GtkSnapshot           *snapshot,
                  const graphene_rect_t *desktop,
                  double                 width,
                  double                 height)
{
  double left = desktop->origin.x;
  double top = desktop->origin.y;
  double right = MIN (width, left + desktop->size.width);
  double bottom = MIN (height, top + desktop->size.height);
  graphene_rect_t bands[] = {
    GRAPHENE_RECT_INIT (0, 0, width, top),
    GRAPHENE_RECT_INIT (0, bottom, width, height - bottom),
    GRAPHENE_RECT_INIT (0, top, left, bottom - top),
    GRAPHENE_RECT_INIT (right, top, width - right, bottom - top),
  };

  for (guint i = 0; i < G_N_ELEMENTS (bands); i++)
    if (bands[i].size.width > 0 && bands[i].size.height > 0)
      gtk_snapshot_append_color (snapshot, &black, &bands[i]);
}

static void
viv_display_view_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  VivDisplayView *self = VIV_DISPLAY_VIEW (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  GBytes *pixels;
  int remote_width, remote_height;
  gsize stride;

  pixels = viv_vnc_session_get_pixels (self->session, &remote_width, &remote_height, &stride);
  if (pixels == NULL || remote_width <= 0 || remote_height <= 0)
    {
      gtk_snapshot_append_color (snapshot, &black, &GRAPHENE_RECT_INIT (0, 0, width, height));
      return;
    }

  ensure_tiles (self, remote_width, remote_height);
  compute_placement (self, remote_width, remote_height);
  append_letterbox (snapshot, &self->placement, width, height);

  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &self->placement.origin);
  gtk_snapshot_scale (snapshot,
                      self->placement.size.width / remote_width,
                      self->placement.size.height / remote_height);

  for (int ty = 0; ty < self->tiles_y; ty++)
    for (int tx = 0; tx < self->tiles_x; tx++)
      {
        int i = ty * self->tiles_x + tx;
        GdkTexture *tile;

        if (self->dirty_tiles[i] || self->tiles[i] == NULL)
          update_tile (self, pixels, remote_width, remote_height, stride, tx, ty);
        tile = self->tiles[i];
        gtk_snapshot_append_texture (snapshot, tile,
                                     &GRAPHENE_RECT_INIT (tx * VIV_TILE_SIZE, ty * VIV_TILE_SIZE,
                                                          gdk_texture_get_width (tile),
                                                          gdk_texture_get_height (tile)));
      }

  gtk_snapshot_restore (snapshot);
  _viv_display_view_snapshot_mark (self, snapshot, remote_width, remote_height);
  gtk_snapshot_pop (snapshot);

  if (self->request_owed && self->update_complete)
    self->drawn_since_damage = TRUE;
}

static void
viv_display_view_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  VivDisplayView *self = VIV_DISPLAY_VIEW (widget);
  int scale = gtk_widget_get_scale_factor (widget);
  int remote_width, remote_height;
  int hint_minimum = 0, hint_natural = 0;

  viv_vnc_session_get_pixels (self->session, &remote_width, &remote_height, NULL);
  if (gtk_widget_get_visible (self->hint))
    gtk_widget_measure (self->hint, orientation, -1, &hint_minimum, &hint_natural, NULL, NULL);

  *minimum = MAX (32, hint_minimum);
  *natural = MAX (*minimum,
                  (orientation == GTK_ORIENTATION_HORIZONTAL ? remote_width : remote_height) / scale);
}

static gboolean
resize_remote_cb (gpointer user_data)
{
  VivDisplayView *self = user_data;
  VncConnection *connection = viv_vnc_session_get_connection (self->session);
  int scale = gtk_widget_get_scale_factor (GTK_WIDGET (self));
  int width = gtk_widget_get_width (GTK_WIDGET (self)) * scale;
  int height = gtk_widget_get_height (GTK_WIDGET (self)) * scale;

  self->resize_source = 0;

  /* The remote size is in device pixels, so the desktop is crisp at 1:1 on
   * HiDPI. set_size returns 1 on success, which collides with
   * ADMIN_PROHIBITED; the outcome is only known from vnc-desktop-resize
   * (gtk4-vnc-notes.md 1.6). */
  if (connection != NULL && width > 0 && height > 0 &&
      (width != vnc_connection_get_width (connection) ||
       height != vnc_connection_get_height (connection)))
    vnc_connection_set_size (connection, width, height);

  return G_SOURCE_REMOVE;
}

static void
schedule_remote_resize (VivDisplayView *self)
{
  g_clear_handle_id (&self->resize_source, g_source_remove);
  if (self->resize_remote &&
      viv_vnc_session_get_state (self->session) == VIV_DISPLAY_STATE_CONNECTED)
    self->resize_source = g_timeout_add (RESIZE_DEBOUNCE_MS, resize_remote_cb, self);
}

static void
viv_display_view_size_allocate (GtkWidget *widget,
                                int        width,
                                int        height,
                                int        baseline)
{
  VivDisplayView *self = VIV_DISPLAY_VIEW (widget);

  if (gtk_widget_get_visible (self->hint))
    {
      int hint_width, hint_height;

      gtk_widget_measure (self->hint, GTK_ORIENTATION_HORIZONTAL, -1, NULL, &hint_width, NULL, NULL);
      gtk_widget_measure (self->hint, GTK_ORIENTATION_VERTICAL, hint_width, NULL, &hint_height, NULL, NULL);
      hint_width = MIN (hint_width, width);
      gtk_widget_size_allocate (self->hint,
                                &(GtkAllocation) { (width - hint_width) / 2, 12, hint_width, hint_height },
                                -1);
    }

  schedule_remote_resize (self);
}

static void
request_next_update (VivDisplayView *self)
{
  self->request_owed = FALSE;
  self->drawn_since_damage = FALSE;
  self->update_complete = FALSE;
  g_clear_handle_id (&self->fallback_request_source, g_source_remove);
  g_clear_handle_id (&self->update_complete_source, g_source_remove);
  viv_vnc_session_request_update (self->session, TRUE);
}

static void
frame_clock_after_paint_cb (GdkFrameClock  *frame_clock,
                            VivDisplayView *self)
{
  if (!self->request_owed || !self->drawn_since_damage)
    return;

  /* The update is on screen: count the frame and ask for the next one. VNC
   * is pull-based, so pacing requests by what was drawn keeps decoding and
   * bandwidth at the rate the screen can show. */
  self->frames++;
  self->latency_sum += g_get_monotonic_time () - self->first_damage_time;
  request_next_update (self);
}

static gboolean
fallback_request_cb (gpointer user_data)
{
  VivDisplayView *self = user_data;

  /* Nothing was painted (the view is hidden or the window unmapped); keep
   * the framebuffer current at a low rate anyway, for screenshots. */
  self->fallback_request_source = 0;
  if (self->request_owed)
    request_next_update (self);
  return G_SOURCE_REMOVE;
}

static gboolean
update_complete_cb (gpointer user_data)
{
  VivDisplayView *self = user_data;

  /* gvnc 1.3.1 has no end-of-update signal. It emits each rectangle from an
   * idle raised to GDK_PRIORITY_REDRAW (viv-vnc-session.c) and adds the next
   * one as soon as it decoded it; this source is one step lower, so it only
   * runs when gvnc has nothing left to emit: the update is complete (or the
   * rest is still on the wire). One draw and, after it was painted, one
   * request per update instead of one per rectangle. */
  self->update_complete_source = 0;
  self->update_complete = TRUE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return G_SOURCE_REMOVE;
}

static void
session_damage_cb (VivVncSession  *session,
                   int             x,
                   int             y,
                   int             width,
                   int             height,
                   VivDisplayView *self)
{
  if (self->tiles != NULL)
    {
      int tx0 = x / VIV_TILE_SIZE, tx1 = MIN ((x + width - 1) / VIV_TILE_SIZE, self->tiles_x - 1);
      int ty0 = y / VIV_TILE_SIZE, ty1 = MIN ((y + height - 1) / VIV_TILE_SIZE, self->tiles_y - 1);

      for (int ty = ty0; ty <= ty1; ty++)
        for (int tx = tx0; tx <= tx1; tx++)
          self->dirty_tiles[ty * self->tiles_x + tx] = TRUE;
    }

  self->pixels += (gint64) width * height;

  if (!self->request_owed)
    {
      self->request_owed = TRUE;
      self->first_damage_time = g_get_monotonic_time ();
      self->fallback_request_source = g_timeout_add (FALLBACK_REQUEST_MS, fallback_request_cb, self);
    }

  self->update_complete = FALSE;
  if (self->update_complete_source == 0)
    self->update_complete_source = g_idle_add_full (GDK_PRIORITY_REDRAW + 1, update_complete_cb, self, NULL);
}

static void
session_resized_cb (VivVncSession  *session,
                    int             width,
                    int             height,
                    VivDisplayView *self)
{
  clear_tiles (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[VIV_DISPLAY_VIEW_PROP_REMOTE_WIDTH]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[VIV_DISPLAY_VIEW_PROP_REMOTE_HEIGHT]);
}

static void
set_stat (VivDisplayView *self,
          double         *field,
          double          value,
          int             prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
set_stat_int (VivDisplayView *self,
              gint64         *field,
              gint64          value,
              int             prop)
{
  if (*field == value)
    return;
  *field = value;
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static gboolean
stats_cb (gpointer user_data)
{
  VivDisplayView *self = user_data;
  gint64 bytes = viv_vnc_session_get_bytes_received (self->session);

  g_object_freeze_notify (G_OBJECT (self));
  set_stat (self, &self->fps, self->frames, VIV_DISPLAY_VIEW_PROP_FPS);
  set_stat (self, &self->latency,
            self->frames > 0 ? self->latency_sum / 1000.0 / self->frames : 0,
            VIV_DISPLAY_VIEW_PROP_LATENCY);
  set_stat_int (self, &self->pixels_per_second, self->pixels, VIV_DISPLAY_VIEW_PROP_PIXELS_PER_SECOND);
  set_stat_int (self, &self->bytes_per_second,
                bytes >= 0 && self->last_bytes >= 0 ? bytes - self->last_bytes : -1,
                VIV_DISPLAY_VIEW_PROP_BYTES_PER_SECOND);
  g_object_thaw_notify (G_OBJECT (self));

  self->frames = 0;
  self->latency_sum = 0;
  self->pixels = 0;
  self->last_bytes = bytes;
  return G_SOURCE_CONTINUE;
}

static void
update_encodings (VivDisplayView *self)
{
  viv_vnc_session_set_encoding_hints (self->session, self->jpeg_quality, self->compression_level,
                                      self->input_enabled);
}

static void
session_notify_state_cb (VivVncSession  *session,
                         GParamSpec     *pspec,
                         VivDisplayView *self)
{
  VivDisplayState state = viv_vnc_session_get_state (session);

  g_clear_handle_id (&self->stats_source, g_source_remove);
  self->frames = 0;
  self->latency_sum = 0;
  self->pixels = 0;

  if (state == VIV_DISPLAY_STATE_CONNECTED)
    {
      self->last_bytes = viv_vnc_session_get_bytes_received (session);
      self->stats_source = g_timeout_add_seconds (1, stats_cb, self);
      update_encodings (self);
      schedule_remote_resize (self);
      if (self->input_enabled && gtk_widget_has_focus (GTK_WIDGET (self)))
        _viv_display_view_push_clipboard (self);
    }
  else
    {
      /* A new connection starts with nothing owed. */
      self->request_owed = FALSE;
      self->drawn_since_damage = FALSE;
      self->update_complete = FALSE;
      g_clear_handle_id (&self->fallback_request_source, g_source_remove);
      g_clear_handle_id (&self->update_complete_source, g_source_remove);
      _viv_display_view_release_all (self);
      _viv_display_view_set_remote_cursor (self, NULL);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[VIV_DISPLAY_VIEW_PROP_STATE]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[VIV_DISPLAY_VIEW_PROP_DISCONNECT_REASON]);
}

static void
session_notify_desktop_name_cb (VivVncSession  *session,
                                GParamSpec     *pspec,
                                VivDisplayView *self)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[VIV_DISPLAY_VIEW_PROP_DESKTOP_NAME]);
}

static void
session_password_needed_cb (VivVncSession  *session,
                            VivDisplayView *self)
{
  g_signal_emit (self, signals[PASSWORD_NEEDED], 0);
}

static void
session_lost_cb (VivVncSession  *session,
                 const char     *reason,
                 gboolean        will_retry,
                 VivDisplayView *self)
{
  g_signal_emit (self, signals[DISCONNECTED], 0, reason);
  /* Only the owner of an fd can make a new one. */
  if (!will_retry && self->opened_by_fd)
    g_signal_emit (self, signals[RECONNECT_NEEDED], 0);
}

static void
session_cursor_changed_cb (VivVncSession  *session,
                           VncCursor      *cursor,
                           VivDisplayView *self)
{
  g_autoptr (GdkCursor) gdk_cursor = NULL;

  if (cursor != NULL && vnc_cursor_get_width (cursor) > 0 && vnc_cursor_get_height (cursor) > 0)
    {
      int width = vnc_cursor_get_width (cursor);
      int height = vnc_cursor_get_height (cursor);
      g_autoptr (GBytes) bytes = g_bytes_new (vnc_cursor_get_data (cursor), (gsize) width * height * 4);
      g_autoptr (GdkTexture) texture =
        gdk_memory_texture_new (width, height, GDK_MEMORY_R8G8B8A8, bytes, (gsize) width * 4);

      gdk_cursor = gdk_cursor_new_from_texture (texture,
                                                vnc_cursor_get_hotx (cursor),
                                                vnc_cursor_get_hoty (cursor),
                                                NULL);
    }
  else
    /* The remote cursor is invisible: hide ours too. */
    gdk_cursor = gdk_cursor_new_from_name ("none", NULL);

  _viv_display_view_set_remote_cursor (self, gdk_cursor);
}

static void
session_server_cut_text_cb (VivVncSession  *session,
                            const char     *text,
                            VivDisplayView *self)
{
  _viv_display_view_server_cut_text (self, text);
}

static void
viv_display_view_realize (GtkWidget *widget)
{
  VivDisplayView *self = VIV_DISPLAY_VIEW (widget);

  GTK_WIDGET_CLASS (viv_display_view_parent_class)->realize (widget);

  self->frame_clock = g_object_ref (gtk_widget_get_frame_clock (widget));
  self->after_paint_handler = g_signal_connect (self->frame_clock, "after-paint",
                                                G_CALLBACK (frame_clock_after_paint_cb), self);
}

static void
viv_display_view_unrealize (GtkWidget *widget)
{
  VivDisplayView *self = VIV_DISPLAY_VIEW (widget);

  g_clear_signal_handler (&self->after_paint_handler, self->frame_clock);
  g_clear_object (&self->frame_clock);
  /* GPU textures belong to the renderer of this realization. */
  clear_tiles (self);

  GTK_WIDGET_CLASS (viv_display_view_parent_class)->unrealize (widget);
}

static void
viv_display_view_dispose (GObject *object)
{
  VivDisplayView *self = VIV_DISPLAY_VIEW (object);

  _viv_display_view_dispose_input (self);
  _viv_display_view_dispose_clipboard (self);
  _viv_display_view_dispose_mark (self);
  g_clear_handle_id (&self->fallback_request_source, g_source_remove);
  g_clear_handle_id (&self->update_complete_source, g_source_remove);
  g_clear_handle_id (&self->stats_source, g_source_remove);
  g_clear_handle_id (&self->resize_source, g_source_remove);
  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      viv_vnc_session_close (self->session);
      g_clear_object (&self->session);
    }
  g_clear_pointer (&self->hint, gtk_widget_unparent);
  clear_tiles (self);

  G_OBJECT_CLASS (viv_display_view_parent_class)->dispose (object);
}

static void
viv_display_view_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  VivDisplayView *self = VIV_DISPLAY_VIEW (object);

  switch (prop_id)
    {
    case VIV_DISPLAY_VIEW_PROP_STATE:
      g_value_set_enum (value, viv_display_view_get_state (self));
      break;
    case VIV_DISPLAY_VIEW_PROP_DISCONNECT_REASON:
      g_value_set_string (value, viv_display_view_get_disconnect_reason (self));
      break;
    case VIV_DISPLAY_VIEW_PROP_DESKTOP_NAME:
      g_value_set_string (value, viv_display_view_get_desktop_name (self));
      break;
    case VIV_DISPLAY_VIEW_PROP_REMOTE_WIDTH:
      g_value_set_int (value, viv_display_view_get_remote_width (self));
      break;
    case VIV_DISPLAY_VIEW_PROP_REMOTE_HEIGHT:
      g_value_set_int (value, viv_display_view_get_remote_height (self));
      break;
    case VIV_DISPLAY_VIEW_PROP_INPUT_ENABLED:
      g_value_set_boolean (value, self->input_enabled);
      break;
    case VIV_DISPLAY_VIEW_PROP_ZOOM:
      g_value_set_enum (value, self->zoom);
      break;
    case VIV_DISPLAY_VIEW_PROP_RESIZE_REMOTE:
      g_value_set_boolean (value, self->resize_remote);
      break;
    case VIV_DISPLAY_VIEW_PROP_JPEG_QUALITY:
      g_value_set_int (value, self->jpeg_quality);
      break;
    case VIV_DISPLAY_VIEW_PROP_COMPRESSION_LEVEL:
      g_value_set_int (value, self->compression_level);
      break;
    case VIV_DISPLAY_VIEW_PROP_GRABBED:
      g_value_set_boolean (value, self->grabbed);
      break;
    case VIV_DISPLAY_VIEW_PROP_FPS:
      g_value_set_double (value, self->fps);
      break;
    case VIV_DISPLAY_VIEW_PROP_LATENCY:
      g_value_set_double (value, self->latency);
      break;
    case VIV_DISPLAY_VIEW_PROP_BYTES_PER_SECOND:
      g_value_set_int64 (value, self->bytes_per_second);
      break;
    case VIV_DISPLAY_VIEW_PROP_PIXELS_PER_SECOND:
      g_value_set_int64 (value, self->pixels_per_second);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_display_view_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  VivDisplayView *self = VIV_DISPLAY_VIEW (object);

  switch (prop_id)
    {
    case VIV_DISPLAY_VIEW_PROP_INPUT_ENABLED:
      viv_display_view_set_input_enabled (self, g_value_get_boolean (value));
      break;
    case VIV_DISPLAY_VIEW_PROP_ZOOM:
      viv_display_view_set_zoom (self, g_value_get_enum (value));
      break;
    case VIV_DISPLAY_VIEW_PROP_RESIZE_REMOTE:
      viv_display_view_set_resize_remote (self, g_value_get_boolean (value));
      break;
    case VIV_DISPLAY_VIEW_PROP_JPEG_QUALITY:
      viv_display_view_set_jpeg_quality (self, g_value_get_int (value));
      break;
    case VIV_DISPLAY_VIEW_PROP_COMPRESSION_LEVEL:
      viv_display_view_set_compression_level (self, g_value_get_int (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_display_view_class_init (VivDisplayViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;
  const GParamFlags rw = G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = viv_display_view_dispose;
  object_class->get_property = viv_display_view_get_property;
  object_class->set_property = viv_display_view_set_property;

  widget_class->snapshot = viv_display_view_snapshot;
  widget_class->measure = viv_display_view_measure;
  widget_class->size_allocate = viv_display_view_size_allocate;
  widget_class->realize = viv_display_view_realize;
  widget_class->unrealize = viv_display_view_unrealize;

  properties[VIV_DISPLAY_VIEW_PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, VIV_TYPE_DISPLAY_STATE,
                       VIV_DISPLAY_STATE_DISCONNECTED, ro);
  properties[VIV_DISPLAY_VIEW_PROP_DISCONNECT_REASON] =
    g_param_spec_string ("disconnect-reason", NULL, NULL, NULL, ro);
  properties[VIV_DISPLAY_VIEW_PROP_DESKTOP_NAME] =
    g_param_spec_string ("desktop-name", NULL, NULL, NULL, ro);
  properties[VIV_DISPLAY_VIEW_PROP_REMOTE_WIDTH] =
    g_param_spec_int ("remote-width", NULL, NULL, 0, G_MAXINT, 0, ro);
  properties[VIV_DISPLAY_VIEW_PROP_REMOTE_HEIGHT] =
    g_param_spec_int ("remote-height", NULL, NULL, 0, G_MAXINT, 0, ro);
  properties[VIV_DISPLAY_VIEW_PROP_INPUT_ENABLED] =
    g_param_spec_boolean ("input-enabled", NULL, NULL, FALSE, rw);
  properties[VIV_DISPLAY_VIEW_PROP_ZOOM] =
    g_param_spec_enum ("zoom", NULL, NULL, VIV_TYPE_DISPLAY_ZOOM, VIV_DISPLAY_ZOOM_FIT, rw);
  properties[VIV_DISPLAY_VIEW_PROP_RESIZE_REMOTE] =
    g_param_spec_boolean ("resize-remote", NULL, NULL, FALSE, rw);
  properties[VIV_DISPLAY_VIEW_PROP_JPEG_QUALITY] =
    g_param_spec_int ("jpeg-quality", NULL, NULL, -1, 9, -1, rw);
  properties[VIV_DISPLAY_VIEW_PROP_COMPRESSION_LEVEL] =
    g_param_spec_int ("compression-level", NULL, NULL, -1, 9, -1, rw);
  properties[VIV_DISPLAY_VIEW_PROP_GRABBED] =
    g_param_spec_boolean ("grabbed", NULL, NULL, FALSE, ro);
  properties[VIV_DISPLAY_VIEW_PROP_FPS] =
    g_param_spec_double ("fps", NULL, NULL, 0, G_MAXDOUBLE, 0, ro);
  properties[VIV_DISPLAY_VIEW_PROP_LATENCY] =
    g_param_spec_double ("latency", NULL, NULL, 0, G_MAXDOUBLE, 0, ro);
  properties[VIV_DISPLAY_VIEW_PROP_BYTES_PER_SECOND] =
    g_param_spec_int64 ("bytes-per-second", NULL, NULL, -1, G_MAXINT64, -1, ro);
  properties[VIV_DISPLAY_VIEW_PROP_PIXELS_PER_SECOND] =
    g_param_spec_int64 ("pixels-per-second", NULL, NULL, 0, G_MAXINT64, 0, ro);
  g_object_class_install_properties (object_class, VIV_DISPLAY_VIEW_N_PROPS, properties);

  /**
   * VivDisplayView::password-needed:
   *
   * The server asks for a VNC password. Answer with
   * viv_display_view_set_password(), now or later (e.g. after a keyring
   * lookup); the connection waits without blocking anything.
   */
  signals[PASSWORD_NEEDED] =
    g_signal_new ("password-needed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  /**
   * VivDisplayView::disconnected:
   * @reason: why, for people
   *
   * The connection was lost or refused. The state tells whether the view
   * reconnects by itself.
   */
  signals[DISCONNECTED] =
    g_signal_new ("disconnected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  /**
   * VivDisplayView::reconnect-needed:
   *
   * A connection opened from an fd was lost; the owner may call
   * viv_display_view_open_fd() with a new one.
   */
  signals[RECONNECT_NEEDED] =
    g_signal_new ("reconnect-needed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_css_name (widget_class, "vivdisplayview");
}

static void
viv_display_view_init (VivDisplayView *self)
{
  self->session = viv_vnc_session_new ();
  self->jpeg_quality = -1;
  self->compression_level = -1;
  self->bytes_per_second = -1;
  self->last_bytes = -1;

  g_signal_connect (self->session, "damage", G_CALLBACK (session_damage_cb), self);
  g_signal_connect (self->session, "resized", G_CALLBACK (session_resized_cb), self);
  g_signal_connect (self->session, "notify::state", G_CALLBACK (session_notify_state_cb), self);
  g_signal_connect (self->session, "notify::desktop-name", G_CALLBACK (session_notify_desktop_name_cb), self);
  g_signal_connect (self->session, "password-needed", G_CALLBACK (session_password_needed_cb), self);
  g_signal_connect (self->session, "lost", G_CALLBACK (session_lost_cb), self);
  g_signal_connect (self->session, "cursor-changed", G_CALLBACK (session_cursor_changed_cb), self);
  g_signal_connect (self->session, "server-cut-text", G_CALLBACK (session_server_cut_text_cb), self);

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);

  self->hint = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->hint, "osd");
  gtk_widget_add_css_class (self->hint, "viv-release-hint");
  gtk_widget_set_can_target (self->hint, FALSE);
  gtk_widget_set_visible (self->hint, FALSE);
  gtk_widget_set_parent (self->hint, GTK_WIDGET (self));

  _viv_display_view_init_input (self);
  _viv_display_view_init_clipboard (self);
}

/**
 * viv_display_view_new:
 *
 * Returns: (transfer floating): a view, not connected, view-only
 */
GtkWidget *
viv_display_view_new (void)
{
  return g_object_new (VIV_TYPE_DISPLAY_VIEW, NULL);
}

/**
 * viv_display_view_open_fd:
 * @fd: (transfer full): a connected stream socket to a VNC server
 *
 * Connects over @fd, which the view owns from now on. When the connection is
 * lost, #VivDisplayView::reconnect-needed asks for a new one.
 */
void
viv_display_view_open_fd (VivDisplayView *self,
                          int             fd)
{
  g_return_if_fail (VIV_IS_DISPLAY_VIEW (self));
  g_return_if_fail (fd >= 0);

  self->opened_by_fd = TRUE;
  viv_vnc_session_open_fd (self->session, fd);
}

/**
 * viv_display_view_open_host:
 *
 * Connects over TCP, and reconnects with backoff (0.5 s doubling to 30 s)
 * whenever the connection is lost, until viv_display_view_close().
 */
void
viv_display_view_open_host (VivDisplayView *self,
                            const char     *host,
                            guint16         port)
{
  g_return_if_fail (VIV_IS_DISPLAY_VIEW (self));
  g_return_if_fail (host != NULL);

  self->opened_by_fd = FALSE;
  viv_vnc_session_open_host (self->session, host, port);
}

void
viv_display_view_close (VivDisplayView *self)
{
  g_return_if_fail (VIV_IS_DISPLAY_VIEW (self));

  viv_vnc_session_close (self->session);
}

/**
 * viv_display_view_set_password:
 * @password: (nullable): the VNC password (only its first 8 bytes count)
 *
 * Answers #VivDisplayView::password-needed; it is also kept in memory for
 * reconnections until authentication fails.
 */
void
viv_display_view_set_password (VivDisplayView *self,
                               const char     *password)
{
  g_return_if_fail (VIV_IS_DISPLAY_VIEW (self));

  viv_vnc_session_set_password (self->session, password);
}

VivDisplayState
viv_display_view_get_state (VivDisplayView *self)
{
  g_return_val_if_fail (VIV_IS_DISPLAY_VIEW (self), VIV_DISPLAY_STATE_DISCONNECTED);

  return viv_vnc_session_get_state (self->session);
}

/**
 * viv_display_view_get_disconnect_reason:
 *
 * Returns: (nullable): why the view is not connected, or %NULL
 */
const char *
viv_display_view_get_disconnect_reason (VivDisplayView *self)
{
  g_return_val_if_fail (VIV_IS_DISPLAY_VIEW (self), NULL);

  return viv_vnc_session_get_disconnect_reason (self->session);
}

const char *
viv_display_view_get_desktop_name (VivDisplayView *self)
{
  g_return_val_if_fail (VIV_IS_DISPLAY_VIEW (self), NULL);

  return viv_vnc_session_get_desktop_name (self->session);
}

int
viv_display_view_get_remote_width (VivDisplayView *self)
{
  int width = 0;

  g_return_val_if_fail (VIV_IS_DISPLAY_VIEW (self), 0);

  viv_vnc_session_get_pixels (self->session, &width, NULL, NULL);
  return width;
}

int
viv_display_view_get_remote_height (VivDisplayView *self)
{
  int height = 0;

  g_return_val_if_fail (VIV_IS_DISPLAY_VIEW (self), 0);

  viv_vnc_session_get_pixels (self->session, NULL, &height, NULL);
  return height;
}

gboolean
viv_display_view_get_input_enabled (VivDisplayView *self)
{
  g_return_val_if_fail (VIV_IS_DISPLAY_VIEW (self), FALSE);

  return self->input_enabled;
}

/**
 * viv_display_view_set_input_enabled:
 *
 * Whether keyboard and pointer events (and the clipboard) go to the remote
 * desktop. Disabling releases every key and button still held there.
 */
void
viv_display_view_set_input_enabled (VivDisplayView *self,
                                    gboolean        input_enabled)
{
  g_return_if_fail (VIV_IS_DISPLAY_VIEW (self));

  input_enabled = !!input_enabled;
  if (self->input_enabled == input_enabled)
    return;

  if (!input_enabled)
    {
      _viv_display_view_release_all (self);
      viv_display_view_ungrab_keyboard (self);
    }
  self->input_enabled = input_enabled;
  update_encodings (self);
  if (!input_enabled)
    _viv_display_view_set_remote_cursor (self, NULL);
  else if (gtk_widget_has_focus (GTK_WIDGET (self)))
    _viv_display_view_push_clipboard (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[VIV_DISPLAY_VIEW_PROP_INPUT_ENABLED]);
}

VivDisplayZoom
viv_display_view_get_zoom (VivDisplayView *self)
{
  g_return_val_if_fail (VIV_IS_DISPLAY_VIEW (self), VIV_DISPLAY_ZOOM_FIT);

  return self->zoom;
}

void
viv_display_view_set_zoom (VivDisplayView *self,
                           VivDisplayZoom  zoom)
{
  g_return_if_fail (VIV_IS_DISPLAY_VIEW (self));

  if (self->zoom == zoom)
    return;
  self->zoom = zoom;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[VIV_DISPLAY_VIEW_PROP_ZOOM]);
}

gboolean
viv_display_view_get_resize_remote (VivDisplayView *self)
{
  g_return_val_if_fail (VIV_IS_DISPLAY_VIEW (self), FALSE);

  return self->resize_remote;
}

/**
 * viv_display_view_set_resize_remote:
 *
 * Whether to ask the server to resize its desktop to the view (500 ms after
 * the last size change). Only servers with ExtendedDesktopSize that allow it
 * (Xvnc) follow; the view scales to fit otherwise.
 */
void
viv_display_view_set_resize_remote (VivDisplayView *self,
                                    gboolean        resize_remote)
{
  g_return_if_fail (VIV_IS_DISPLAY_VIEW (self));

  resize_remote = !!resize_remote;
  if (self->resize_remote == resize_remote)
    return;
  self->resize_remote = resize_remote;
  schedule_remote_resize (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[VIV_DISPLAY_VIEW_PROP_RESIZE_REMOTE]);
}

int
viv_display_view_get_jpeg_quality (VivDisplayView *self)
{
  g_return_val_if_fail (VIV_IS_DISPLAY_VIEW (self), -1);

  return self->jpeg_quality;
}

/**
 * viv_display_view_set_jpeg_quality:
 * @jpeg_quality: 0 (smallest) to 9 (best), or -1 for lossless only
 */
void
viv_display_view_set_jpeg_quality (VivDisplayView *self,
                                   int             jpeg_quality)
{
  g_return_if_fail (VIV_IS_DISPLAY_VIEW (self));
  g_return_if_fail (jpeg_quality >= -1 && jpeg_quality <= 9);

  if (self->jpeg_quality == jpeg_quality)
    return;
  self->jpeg_quality = jpeg_quality;
  update_encodings (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[VIV_DISPLAY_VIEW_PROP_JPEG_QUALITY]);
}

int
viv_display_view_get_compression_level (VivDisplayView *self)
{
  g_return_val_if_fail (VIV_IS_DISPLAY_VIEW (self), -1);

  return self->compression_level;
}

/**
 * viv_display_view_set_compression_level:
 * @compression_level: 0 (fast) to 9 (small), or -1 for the server's default
 */
void
viv_display_view_set_compression_level (VivDisplayView *self,
                                        int             compression_level)
{
  g_return_if_fail (VIV_IS_DISPLAY_VIEW (self));
  g_return_if_fail (compression_level >= -1 && compression_level <= 9);

  if (self->compression_level == compression_level)
    return;
  self->compression_level = compression_level;
  update_encodings (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[VIV_DISPLAY_VIEW_PROP_COMPRESSION_LEVEL]);
}

gboolean
viv_display_view_get_grabbed (VivDisplayView *self)
{
  g_return_val_if_fail (VIV_IS_DISPLAY_VIEW (self), FALSE);

  return self->grabbed;
}

/**
 * viv_display_view_get_screenshot:
 *
 * Returns: (transfer full) (nullable): a copy of the remote desktop, opaque,
 *   or %NULL before the first frame
 */
GdkTexture *
viv_display_view_get_screenshot (VivDisplayView *self)
{
  g_autoptr (GBytes) copy = NULL;
  GBytes *pixels;
  int width, height;
  gsize stride;

  g_return_val_if_fail (VIV_IS_DISPLAY_VIEW (self), NULL);

  pixels = viv_vnc_session_get_pixels (self->session, &width, &height, &stride);
  if (pixels == NULL || width <= 0 || height <= 0)
    return NULL;

  copy = g_bytes_new (g_bytes_get_data (pixels, NULL), g_bytes_get_size (pixels));
  return gdk_memory_texture_new (width, height, GDK_MEMORY_B8G8R8A8_PREMULTIPLIED, copy, stride);
}

static void
save_screenshot_thread (GTask        *task,
                        gpointer      source_object,
                        gpointer      task_data,
                        GCancellable *cancellable)
{
  GdkTexture *texture = task_data;
  GFile *file = g_object_get_data (G_OBJECT (task), "file");
  g_autoptr (GBytes) png = gdk_texture_save_to_png_bytes (texture);
  g_autoptr (GError) error = NULL;

  if (!g_file_replace_contents (file, g_bytes_get_data (png, NULL), g_bytes_get_size (png),
                                NULL, FALSE, G_FILE_CREATE_NONE, NULL, cancellable, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * viv_display_view_save_screenshot_async:
 *
 * Saves the remote desktop as a PNG file, encoding and writing in a thread.
 */
void
viv_display_view_save_screenshot_async (VivDisplayView      *self,
                                        GFile               *file,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  GdkTexture *texture;

  g_return_if_fail (VIV_IS_DISPLAY_VIEW (self));
  g_return_if_fail (G_IS_FILE (file));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_display_view_save_screenshot_async);

  texture = viv_display_view_get_screenshot (self);
  if (texture == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                               _("There is no remote desktop to save yet"));
      return;
    }

  g_task_set_task_data (task, texture, g_object_unref);
  g_object_set_data_full (G_OBJECT (task), "file", g_object_ref (file), g_object_unref);
  g_task_run_in_thread (task, save_screenshot_thread);
}

gboolean
viv_display_view_save_screenshot_finish (VivDisplayView  *self,
                                         GAsyncResult    *result,
                                         GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * viv_display_view_get_fps:
 *
 * Returns: frames with new content presented during the last second
 */
double
viv_display_view_get_fps (VivDisplayView *self)
{
  g_return_val_if_fail (VIV_IS_DISPLAY_VIEW (self), 0);

  return self->fps;
}

/**
 * viv_display_view_get_latency:
 *
 * Returns: mean milliseconds, over the last second, from the first
 *   framebuffer update of a frame to the paint that showed it
 */
double
viv_display_view_get_latency (VivDisplayView *self)
{
  g_return_val_if_fail (VIV_IS_DISPLAY_VIEW (self), 0);

  return self->latency;
}

/**
 * viv_display_view_get_bytes_per_second:
 *
 * gvnc does not count bytes; this is read from the kernel's TCP_INFO of the
 * socket, so it is -1 for non-TCP sockets (e.g. Unix sockets).
 *
 * Returns: bytes received during the last second, or -1 if not known
 */
gint64
viv_display_view_get_bytes_per_second (VivDisplayView *self)
{
  g_return_val_if_fail (VIV_IS_DISPLAY_VIEW (self), -1);

  return self->bytes_per_second;
}

/**
 * viv_display_view_get_pixels_per_second:
 *
 * Returns: pixels decoded (the area of framebuffer updates) during the last second
 */
gint64
viv_display_view_get_pixels_per_second (VivDisplayView *self)
{
  g_return_val_if_fail (VIV_IS_DISPLAY_VIEW (self), 0);

  return self->pixels_per_second;
}

VivVncSession *
_viv_display_view_get_session (VivDisplayView *self)
{
  g_return_val_if_fail (VIV_IS_DISPLAY_VIEW (self), NULL);

  return self->session;
}
