/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "viv-display-view.h"
#include "viv-vnc-session.h"

G_BEGIN_DECLS

/* Tiles of the framebuffer, each a GdkMemoryTexture over a slice of the live
 * pixels; see the comment on rendering in viv-display-view.c. */
#define VIV_TILE_SIZE 256

struct _VivDisplayView
{
  GtkWidget          parent_instance;

  VivVncSession     *session;
  GtkWidget         *hint;            /* the "press Ctrl+Alt to release" overlay */

  /* Rendering */
  GdkTexture       **tiles;
  guint8            *dirty_tiles;
  int                tiles_x;
  int                tiles_y;
  VivDisplayZoom     zoom;
  graphene_rect_t    placement;       /* where the desktop was drawn, in widget coordinates */

  /* Pacing: the next incremental update is requested after the frame that
   * shows the previous one was painted. */
  gboolean           request_owed;
  gboolean           drawn_since_damage;
  gboolean           opened_by_fd;
  gint64             first_damage_time;
  gulong             after_paint_handler;
  GdkFrameClock     *frame_clock;
  guint              fallback_request_source;
  /* Runs once gvnc has no rectangle left to emit: the update is complete. */
  guint              update_complete_source;
  gboolean           update_complete;

  /* Statistics over the last second */
  guint              stats_source;
  guint              frames;
  gint64             latency_sum;
  gint64             pixels;
  gint64             last_bytes;
  double             fps;
  double             latency;
  gint64             bytes_per_second;
  gint64             pixels_per_second;

  /* Settings */
  gboolean           input_enabled;
  gboolean           resize_remote;
  int                jpeg_quality;
  int                compression_level;
  guint              resize_source;

  /* Input */
  GHashTable        *pressed_keys;    /* hardware keycode -> keysym sent at press */
  guint8             button_mask;
  double             scroll_dx;
  double             scroll_dy;
  guint16            last_x;
  guint16            last_y;
  gboolean           grabbed;
  gboolean           release_combo_armed;
  guint              hint_source;
  GtkEventController *capture_controller;
  GdkCursor         *remote_cursor;

  /* Clipboard */
  gulong             clipboard_changed_handler;
  GCancellable      *clipboard_cancellable;

  /* A marked point: where a logged action happened, shown for a moment */
  int                mark_x;
  int                mark_y;
  gint64             mark_start;      /* monotonic microseconds, 0 when none */
  guint              mark_tick;
};

enum {
  VIV_DISPLAY_VIEW_PROP_0,
  VIV_DISPLAY_VIEW_PROP_STATE,
  VIV_DISPLAY_VIEW_PROP_DISCONNECT_REASON,
  VIV_DISPLAY_VIEW_PROP_DESKTOP_NAME,
  VIV_DISPLAY_VIEW_PROP_REMOTE_WIDTH,
  VIV_DISPLAY_VIEW_PROP_REMOTE_HEIGHT,
  VIV_DISPLAY_VIEW_PROP_INPUT_ENABLED,
  VIV_DISPLAY_VIEW_PROP_ZOOM,
  VIV_DISPLAY_VIEW_PROP_RESIZE_REMOTE,
  VIV_DISPLAY_VIEW_PROP_JPEG_QUALITY,
  VIV_DISPLAY_VIEW_PROP_COMPRESSION_LEVEL,
  VIV_DISPLAY_VIEW_PROP_GRABBED,
  VIV_DISPLAY_VIEW_PROP_FPS,
  VIV_DISPLAY_VIEW_PROP_LATENCY,
  VIV_DISPLAY_VIEW_PROP_BYTES_PER_SECOND,
  VIV_DISPLAY_VIEW_PROP_PIXELS_PER_SECOND,
  VIV_DISPLAY_VIEW_N_PROPS
};

extern GParamSpec *_viv_display_view_properties[VIV_DISPLAY_VIEW_N_PROPS];

/* viv-display-view-input.c */
void      _viv_display_view_init_input         (VivDisplayView *self);
void      _viv_display_view_release_all        (VivDisplayView *self);
void      _viv_display_view_set_remote_cursor  (VivDisplayView *self,
                                                GdkCursor      *cursor);
/* The paths the event controllers take, also for tests that cannot
 * synthesize GTK events. Return whether something was sent. */
gboolean  _viv_display_view_key_event          (VivDisplayView *self,
                                                gboolean        down,
                                                guint           keyval,
                                                guint           keycode);
gboolean  _viv_display_view_pointer_event      (VivDisplayView *self,
                                                double          x,
                                                double          y,
                                                guint8          button_mask);
void      _viv_display_view_dispose_input      (VivDisplayView *self);

/* viv-display-view-clipboard.c */
void      _viv_display_view_init_clipboard     (VivDisplayView *self);
void      _viv_display_view_dispose_clipboard  (VivDisplayView *self);
void      _viv_display_view_push_clipboard     (VivDisplayView *self);
void      _viv_display_view_server_cut_text    (VivDisplayView *self,
                                                const char     *latin1);

/* viv-display-view-mark.c */
void      _viv_display_view_snapshot_mark      (VivDisplayView *self,
                                                GtkSnapshot    *snapshot,
                                                int             remote_width,
                                                int             remote_height);
void      _viv_display_view_dispose_mark       (VivDisplayView *self);

/* Test access to the session (and so the VncConnection). */
VivVncSession *_viv_display_view_get_session   (VivDisplayView *self);

G_END_DECLS
