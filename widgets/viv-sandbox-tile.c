/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "viv-sandbox-tile.h"
#include "viv-vnc-session.h"

/* A live thumbnail for the overview grid. It has its own VNC session, asks
 * for an update once per interval (VNC is pull-based, so this is what keeps
 * a dozen tiles cheap: gvnc decodes on the UI thread), and downscales on the
 * CPU because GSK in GTK 4.8 has no mipmaps (a big texture drawn small
 * shimmers and is uploaded whole). */

#define DEFAULT_INTERVAL_MS 1000

struct _VivSandboxTile
{
  GtkWidget       parent_instance;

  VivVncSession  *session;
  guint           interval;
  guint           tick_source;
  gboolean        dirty;
  guint           update_complete_source;
  GdkTexture     *thumbnail;
  gboolean        opened_by_fd;
};

enum {
  PROP_0,
  PROP_STATE,
  PROP_INTERVAL,
  N_PROPS
};

enum {
  PASSWORD_NEEDED,
  RECONNECT_NEEDED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (VivSandboxTile, viv_sandbox_tile, GTK_TYPE_WIDGET)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* Two sample positions inside the source span [@start, @end): a quarter and
 * three quarters in, or the one pixel there is. */
static void
sample_positions (int  start,
                  int  end,
                  int *first,
                  int *second)
{
  int span = MAX (end - start, 1);

  *first = start + span / 4;
  *second = start + (3 * span) / 4;
}

/* Scales @src (B,G,R,A bytes) down to @dst_width x @dst_height, averaging
 * 2x2 samples spread over each destination pixel's source box: a thumbnail
 * looks the same as with a full box filter at a fraction of the reads (at
 * 1280x800 to 256x160, 4 instead of 25 per pixel). */
static GdkTexture *
downscale (const guint8 *src,
           int           src_width,
           int           src_height,
           gsize         src_stride,
           int           dst_width,
           int           dst_height)
{
  gsize dst_stride = (gsize) dst_width * 4;
  guint8 *dst = g_malloc (dst_stride * dst_height);
  g_autofree int *columns = g_new (int, (gsize) dst_width * 2);
  g_autoptr (GBytes) bytes = NULL;

  for (int x = 0; x < dst_width; x++)
    sample_positions ((int) ((gint64) x * src_width / dst_width),
                      (int) ((gint64) (x + 1) * src_width / dst_width),
                      &columns[x * 2], &columns[x * 2 + 1]);

  for (int y = 0; y < dst_height; y++)
    {
      const guint8 *row0, *row1;
      guint8 *out = dst + y * dst_stride;
      int sy0, sy1;

      sample_positions ((int) ((gint64) y * src_height / dst_height),
                        (int) ((gint64) (y + 1) * src_height / dst_height), &sy0, &sy1);
      row0 = src + sy0 * src_stride;
      row1 = src + sy1 * src_stride;

      for (int x = 0; x < dst_width; x++)
        {
          const guint8 *a = row0 + columns[x * 2] * 4;
          const guint8 *b = row0 + columns[x * 2 + 1] * 4;
          const guint8 *c = row1 + columns[x * 2] * 4;
          const guint8 *d = row1 + columns[x * 2 + 1] * 4;

          out[x * 4] = (a[0] + b[0] + c[0] + d[0] + 2) / 4;
          out[x * 4 + 1] = (a[1] + b[1] + c[1] + d[1] + 2) / 4;
          out[x * 4 + 2] = (a[2] + b[2] + c[2] + d[2] + 2) / 4;
          out[x * 4 + 3] = 0xff;
        }
    }

  bytes = g_bytes_new_take (dst, dst_stride * dst_height);
  return gdk_memory_texture_new (dst_width, dst_height, GDK_MEMORY_B8G8R8A8_PREMULTIPLIED,
                                 bytes, dst_stride);
}

static void
viv_sandbox_tile_snapshot (GtkWidget   *widget,
                           GtkSnapshot *snapshot)
{
  VivSandboxTile *self = VIV_SANDBOX_TILE (widget);
  double width = gtk_widget_get_width (widget);
  double height = gtk_widget_get_height (widget);
  int scale = gtk_widget_get_scale_factor (widget);
  int remote_width, remote_height;
  gsize stride;
  GBytes *pixels;
  double factor, draw_width, draw_height;
  int device_width, device_height;

  gtk_snapshot_append_color (snapshot, &(GdkRGBA) { 0, 0, 0, 1 },
                             &GRAPHENE_RECT_INIT (0, 0, width, height));

  pixels = viv_vnc_session_get_pixels (self->session, &remote_width, &remote_height, &stride);
  if (pixels == NULL || remote_width <= 0 || remote_height <= 0 || width < 1 || height < 1)
    return;

  factor = MIN (1.0, MIN (width * scale / remote_width, height * scale / remote_height));
  device_width = MAX (1, (int) floor (remote_width * factor));
  device_height = MAX (1, (int) floor (remote_height * factor));

  if (self->thumbnail == NULL || self->dirty ||
      gdk_texture_get_width (self->thumbnail) != device_width ||
      gdk_texture_get_height (self->thumbnail) != device_height)
    {
      g_clear_object (&self->thumbnail);
      self->thumbnail = downscale (g_bytes_get_data (pixels, NULL), remote_width, remote_height,
                                   stride, device_width, device_height);
      self->dirty = FALSE;
    }

  draw_width = (double) device_width / scale;
  draw_height = (double) device_height / scale;
  gtk_snapshot_append_texture (snapshot, self->thumbnail,
                               &GRAPHENE_RECT_INIT (floor ((width - draw_width) / 2 * scale) / scale,
                                                    floor ((height - draw_height) / 2 * scale) / scale,
                                                    draw_width, draw_height));
}

static void
viv_sandbox_tile_measure (GtkWidget      *widget,
                          GtkOrientation  orientation,
                          int             for_size,
                          int            *minimum,
                          int            *natural,
                          int            *minimum_baseline,
                          int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 64 : 40;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 256 : 160;
}

static void restart_ticks (VivSandboxTile *self);

static gboolean
tick_cb (gpointer user_data)
{
  VivSandboxTile *self = user_data;

  self->tick_source = 0;
  viv_vnc_session_request_update (self->session, TRUE);
  restart_ticks (self);
  return G_SOURCE_REMOVE;
}

/* Ticks fall on multiples of the interval of the monotonic clock, the same
 * for every tile with that interval: a grid's tiles ask together, their
 * answers land in the same few frames, and the window is painted a few
 * times per interval instead of once per tile. */
static void
restart_ticks (VivSandboxTile *self)
{
  gint64 now_ms;

  g_clear_handle_id (&self->tick_source, g_source_remove);
  if (viv_vnc_session_get_state (self->session) != VIV_DISPLAY_STATE_CONNECTED)
    return;

  now_ms = g_get_monotonic_time () / 1000;
  self->tick_source = g_timeout_add (self->interval - (guint) (now_ms % self->interval),
                                     tick_cb, self);
}

static gboolean
update_complete_cb (gpointer user_data)
{
  VivSandboxTile *self = user_data;

  /* Runs once gvnc has emitted every rectangle it decoded (its idles are at
   * GDK_PRIORITY_REDRAW, see viv-vnc-session.c): one downscale per update,
   * not one per frame painted between its rectangles. */
  self->update_complete_source = 0;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return G_SOURCE_REMOVE;
}

static void
session_damage_cb (VivVncSession  *session,
                   int             x,
                   int             y,
                   int             width,
                   int             height,
                   VivSandboxTile *self)
{
  /* No request here: the next one comes with the next tick. */
  self->dirty = TRUE;
  if (self->update_complete_source == 0)
    self->update_complete_source = g_idle_add_full (GDK_PRIORITY_REDRAW + 1, update_complete_cb, self, NULL);
}

static void
session_notify_state_cb (VivVncSession  *session,
                         GParamSpec     *pspec,
                         VivSandboxTile *self)
{
  restart_ticks (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

static void
session_password_needed_cb (VivVncSession  *session,
                            VivSandboxTile *self)
{
  g_signal_emit (self, signals[PASSWORD_NEEDED], 0);
}

static void
session_lost_cb (VivVncSession  *session,
                 const char     *reason,
                 gboolean        will_retry,
                 VivSandboxTile *self)
{
  if (!will_retry && self->opened_by_fd)
    g_signal_emit (self, signals[RECONNECT_NEEDED], 0);
}

static void
viv_sandbox_tile_dispose (GObject *object)
{
  VivSandboxTile *self = VIV_SANDBOX_TILE (object);

  g_clear_handle_id (&self->tick_source, g_source_remove);
  g_clear_handle_id (&self->update_complete_source, g_source_remove);
  if (self->session != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->session, self);
      viv_vnc_session_close (self->session);
      g_clear_object (&self->session);
    }
  g_clear_object (&self->thumbnail);

  G_OBJECT_CLASS (viv_sandbox_tile_parent_class)->dispose (object);
}

static void
viv_sandbox_tile_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  VivSandboxTile *self = VIV_SANDBOX_TILE (object);

  switch (prop_id)
    {
    case PROP_STATE:
      g_value_set_enum (value, viv_sandbox_tile_get_state (self));
      break;
    case PROP_INTERVAL:
      g_value_set_uint (value, self->interval);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_sandbox_tile_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  VivSandboxTile *self = VIV_SANDBOX_TILE (object);

  switch (prop_id)
    {
    case PROP_INTERVAL:
      viv_sandbox_tile_set_interval (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_sandbox_tile_class_init (VivSandboxTileClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = viv_sandbox_tile_dispose;
  object_class->get_property = viv_sandbox_tile_get_property;
  object_class->set_property = viv_sandbox_tile_set_property;

  widget_class->snapshot = viv_sandbox_tile_snapshot;
  widget_class->measure = viv_sandbox_tile_measure;

  properties[PROP_STATE] =
    g_param_spec_enum ("state", NULL, NULL, VIV_TYPE_DISPLAY_STATE, VIV_DISPLAY_STATE_DISCONNECTED,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * VivSandboxTile:interval:
   *
   * Milliseconds between update requests; 1000 gives about 1 fps.
   */
  properties[PROP_INTERVAL] =
    g_param_spec_uint ("interval", NULL, NULL, 50, 600000, DEFAULT_INTERVAL_MS,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[PASSWORD_NEEDED] =
    g_signal_new ("password-needed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
  signals[RECONNECT_NEEDED] =
    g_signal_new ("reconnect-needed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_css_name (widget_class, "vivsandboxtile");
}

static void
viv_sandbox_tile_init (VivSandboxTile *self)
{
  self->interval = DEFAULT_INTERVAL_MS;
  self->session = viv_vnc_session_new ();
  /* A thumbnail needs no lossless pixels: Tight JPEG at a middle quality and
   * the highest compression level cut the bytes to read and decode. */
  viv_vnc_session_set_encoding_hints (self->session, 5, 9, FALSE);
  g_signal_connect (self->session, "damage", G_CALLBACK (session_damage_cb), self);
  g_signal_connect (self->session, "notify::state", G_CALLBACK (session_notify_state_cb), self);
  g_signal_connect (self->session, "password-needed", G_CALLBACK (session_password_needed_cb), self);
  g_signal_connect (self->session, "lost", G_CALLBACK (session_lost_cb), self);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);
}

GtkWidget *
viv_sandbox_tile_new (void)
{
  return g_object_new (VIV_TYPE_SANDBOX_TILE, NULL);
}

/**
 * viv_sandbox_tile_open_fd:
 * @fd: (transfer full): a connected stream socket to a VNC server
 */
void
viv_sandbox_tile_open_fd (VivSandboxTile *self,
                          int             fd)
{
  g_return_if_fail (VIV_IS_SANDBOX_TILE (self));
  g_return_if_fail (fd >= 0);

  self->opened_by_fd = TRUE;
  viv_vnc_session_open_fd (self->session, fd);
}

void
viv_sandbox_tile_open_host (VivSandboxTile *self,
                            const char     *host,
                            guint16         port)
{
  g_return_if_fail (VIV_IS_SANDBOX_TILE (self));
  g_return_if_fail (host != NULL);

  self->opened_by_fd = FALSE;
  viv_vnc_session_open_host (self->session, host, port);
}

void
viv_sandbox_tile_close (VivSandboxTile *self)
{
  g_return_if_fail (VIV_IS_SANDBOX_TILE (self));

  viv_vnc_session_close (self->session);
}

void
viv_sandbox_tile_set_password (VivSandboxTile *self,
                               const char     *password)
{
  g_return_if_fail (VIV_IS_SANDBOX_TILE (self));

  viv_vnc_session_set_password (self->session, password);
}

VivDisplayState
viv_sandbox_tile_get_state (VivSandboxTile *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX_TILE (self), VIV_DISPLAY_STATE_DISCONNECTED);

  return viv_vnc_session_get_state (self->session);
}

guint
viv_sandbox_tile_get_interval (VivSandboxTile *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX_TILE (self), 0);

  return self->interval;
}

void
viv_sandbox_tile_set_interval (VivSandboxTile *self,
                               guint           interval_ms)
{
  g_return_if_fail (VIV_IS_SANDBOX_TILE (self));
  g_return_if_fail (interval_ms >= 50);

  if (self->interval == interval_ms)
    return;
  self->interval = interval_ms;
  restart_ticks (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INTERVAL]);
}

/**
 * viv_sandbox_tile_get_thumbnail:
 *
 * Returns: (transfer none) (nullable): the downscaled desktop last drawn
 */
GdkTexture *
viv_sandbox_tile_get_thumbnail (VivSandboxTile *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX_TILE (self), NULL);

  return self->thumbnail;
}
