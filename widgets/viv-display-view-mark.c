/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "viv-display-view-private.h"

/* Marking a point: a dot with two rings pulsing out of it, drawn over the
 * frame for a moment, so that a person can see where on the desktop a logged
 * action happened. */

#define MARK_DURATION_US  (1500 * G_TIME_SPAN_MILLISECOND)
#define MARK_PULSES       2
#define MARK_DOT_RADIUS   7.0
#define MARK_RING_FROM    9.0
#define MARK_RING_TO      36.0
#define MARK_RING_WIDTH   3.0

/* GNOME palette Orange 3: stands out on most desktops and is not one of
 * libadwaita's own accent or state colours. */
static const GdkRGBA mark_color = { 1.0, 120 / 255., 0.0, 1.0 };
static const GdkRGBA mark_outline = { 1.0, 1.0, 1.0, 1.0 };

static void
append_disc (GtkSnapshot *snapshot,
             double       cx,
             double       cy,
             double       radius,
             const GdkRGBA *color)
{
  GskRoundedRect disc;

  gsk_rounded_rect_init_from_rect (&disc,
                                   &GRAPHENE_RECT_INIT (cx - radius, cy - radius,
                                                        2 * radius, 2 * radius),
                                   radius);
  gtk_snapshot_push_rounded_clip (snapshot, &disc);
  gtk_snapshot_append_color (snapshot, color, &disc.bounds);
  gtk_snapshot_pop (snapshot);
}

static void
append_ring (GtkSnapshot *snapshot,
             double       cx,
             double       cy,
             double       radius,
             double       width,
             const GdkRGBA *color)
{
  GskRoundedRect ring;
  const float widths[4] = { width, width, width, width };
  const GdkRGBA colors[4] = { *color, *color, *color, *color };

  gsk_rounded_rect_init_from_rect (&ring,
                                   &GRAPHENE_RECT_INIT (cx - radius, cy - radius,
                                                        2 * radius, 2 * radius),
                                   radius);
  gtk_snapshot_append_border (snapshot, &ring, widths, colors);
}

static gint64
mark_now (VivDisplayView *self)
{
  GdkFrameClock *clock = gtk_widget_get_frame_clock (GTK_WIDGET (self));

  return clock != NULL ? gdk_frame_clock_get_frame_time (clock) : g_get_monotonic_time ();
}

void
_viv_display_view_snapshot_mark (VivDisplayView *self,
                                 GtkSnapshot    *snapshot,
                                 int             remote_width,
                                 int             remote_height)
{
  gint64 elapsed;
  double progress, cx, cy, fade;
  GdkRGBA outline = mark_outline;
  GdkRGBA dot = mark_color;

  if (self->mark_start == 0)
    return;

  elapsed = mark_now (self) - self->mark_start;
  if (elapsed < 0)
    elapsed = 0;
  if (elapsed >= MARK_DURATION_US)
    return;

  /* The centre of the remote pixel, in widget coordinates. */
  cx = self->placement.origin.x + (self->mark_x + 0.5) * self->placement.size.width / remote_width;
  cy = self->placement.origin.y + (self->mark_y + 0.5) * self->placement.size.height / remote_height;

  progress = (double) elapsed / MARK_DURATION_US;
  /* Everything fades out over the last fifth. */
  fade = progress < 0.8 ? 1.0 : (1.0 - progress) / 0.2;

  /* One ring after the other grows out of the dot and fades. */
  {
    int pulse = MIN ((int) (progress * MARK_PULSES), MARK_PULSES - 1);
    double phase = progress * MARK_PULSES - pulse;
    GdkRGBA color = mark_color;

    color.alpha = (1.0 - 0.75 * phase) * fade;
    append_ring (snapshot, cx, cy,
                 MARK_RING_FROM + (MARK_RING_TO - MARK_RING_FROM) * phase,
                 MARK_RING_WIDTH, &color);
  }

  outline.alpha = fade;
  dot.alpha = fade;
  append_disc (snapshot, cx, cy, MARK_DOT_RADIUS + 2, &outline);
  append_disc (snapshot, cx, cy, MARK_DOT_RADIUS, &dot);
}

static gboolean
mark_tick_cb (GtkWidget     *widget,
              GdkFrameClock *clock,
              gpointer       user_data)
{
  VivDisplayView *self = VIV_DISPLAY_VIEW (widget);

  gtk_widget_queue_draw (widget);
  if (gdk_frame_clock_get_frame_time (clock) - self->mark_start < MARK_DURATION_US)
    return G_SOURCE_CONTINUE;

  self->mark_start = 0;
  self->mark_tick = 0;
  return G_SOURCE_REMOVE;
}

void
_viv_display_view_dispose_mark (VivDisplayView *self)
{
  if (self->mark_tick != 0)
    gtk_widget_remove_tick_callback (GTK_WIDGET (self), self->mark_tick);
  self->mark_tick = 0;
  self->mark_start = 0;
}

/**
 * viv_display_view_mark_point:
 * @x: a column of the remote desktop
 * @y: a row of the remote desktop
 *
 * Draws a pulsing mark at the desktop's point (@x, @y) over the frame for
 * about one and a half seconds, wherever the desktop is shown (scaled or
 * 1:1). A new mark replaces the one shown.
 */
void
viv_display_view_mark_point (VivDisplayView *self,
                             int             x,
                             int             y)
{
  g_return_if_fail (VIV_IS_DISPLAY_VIEW (self));

  self->mark_x = x;
  self->mark_y = y;
  self->mark_start = mark_now (self);
  if (self->mark_tick == 0)
    self->mark_tick = gtk_widget_add_tick_callback (GTK_WIDGET (self), mark_tick_cb, NULL, NULL);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}
