/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmarks of VivDisplayView and VivSandboxTile against gvnc alone, on a
 * full-screen animation. Prints numbers; never fails on timing. */
#include "config.h"

#include <sys/resource.h>

#include <gvnc.h>

#include "viv-gl-view.h"
#include "widgets-test-util.h"

#define MEASURE_S 5
#define ROUNDS    4

static double
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
         usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

static GPid
start_animation (VivTestXvnc *sandbox)
{
  g_auto (GStrv) envp = g_environ_setenv (g_get_environ (), "DISPLAY", sandbox->display, TRUE);
  const char *argv[] = { g_getenv ("VIV_ANIMATE"), NULL };

  g_assert_nonnull (argv[0]);
  return viv_test_spawn (argv, (const char * const *) envp, NULL);
}

/* gvnc with no GTK: the same pixel format and encodings as the view, and
 * the same requests: the next one once the update is complete, which gvnc
 * (no end-of-update signal) shows by having no rectangle left to emit; its
 * emissions are idles at G_PRIORITY_DEFAULT_IDLE, so an idle one step lower
 * runs only then. The view does the same, and paints before it asks. */
typedef struct
{
  VncConnection      *connection;
  VncBaseFramebuffer *framebuffer;
  guint8             *pixels;
  int                 width;
  int                 height;
  guint               idle;
  guint64             decoded;
  gboolean            initialized;
} Baseline;

static const VncPixelFormat local_format = {
  .bits_per_pixel = 32, .depth = 24, .byte_order = G_BYTE_ORDER, .true_color_flag = 1,
  .red_max = 255, .green_max = 255, .blue_max = 255,
  .red_shift = 16, .green_shift = 8, .blue_shift = 0,
};

static void
baseline_framebuffer (Baseline *baseline)
{
  int width = vnc_connection_get_width (baseline->connection);
  int height = vnc_connection_get_height (baseline->connection);

  if (baseline->framebuffer != NULL && width == baseline->width && height == baseline->height)
    return;
  g_clear_object (&baseline->framebuffer);
  baseline->width = width;
  baseline->height = height;
  baseline->pixels = g_malloc0 ((gsize) width * height * 4);
  baseline->framebuffer = vnc_base_framebuffer_new (baseline->pixels, width, height, width * 4,
                                                    &local_format,
                                                    vnc_connection_get_pixel_format (baseline->connection));
  /* As VivVncSession: gvnc may outlive our reference and still decode. */
  g_object_set_data_full (G_OBJECT (baseline->framebuffer), "pixels", baseline->pixels, g_free);
  vnc_connection_set_framebuffer (baseline->connection, VNC_FRAMEBUFFER (baseline->framebuffer));
}

static void
baseline_initialized_cb (VncConnection *connection,
                         Baseline      *baseline)
{
  gint32 encodings[] = {
    VNC_CONNECTION_ENCODING_TIGHT, VNC_CONNECTION_ENCODING_ZRLE, VNC_CONNECTION_ENCODING_HEXTILE,
    VNC_CONNECTION_ENCODING_COPY_RECT, VNC_CONNECTION_ENCODING_RAW,
    VNC_CONNECTION_ENCODING_EXTENDED_DESKTOP_RESIZE, VNC_CONNECTION_ENCODING_DESKTOP_RESIZE,
    VNC_CONNECTION_ENCODING_LAST_RECT, VNC_CONNECTION_ENCODING_DESKTOP_NAME,
    VNC_CONNECTION_ENCODING_POINTER_CHANGE,
  };

  vnc_connection_set_pixel_format (connection, &local_format);
  baseline_framebuffer (baseline);
  vnc_connection_set_encodings (connection, G_N_ELEMENTS (encodings), encodings);
  vnc_connection_framebuffer_update_request (connection, FALSE, 0, 0, baseline->width, baseline->height);
  baseline->initialized = TRUE;
}

static void
baseline_resize_cb (VncConnection *connection,
                    int            width,
                    int            height,
                    Baseline      *baseline)
{
  baseline_framebuffer (baseline);
  vnc_connection_framebuffer_update_request (connection, FALSE, 0, 0, width, height);
}

static gboolean
baseline_request_cb (gpointer data)
{
  Baseline *baseline = data;

  baseline->idle = 0;
  vnc_connection_framebuffer_update_request (baseline->connection, TRUE, 0, 0,
                                             baseline->width, baseline->height);
  return G_SOURCE_REMOVE;
}

static void
baseline_update_cb (VncConnection *connection,
                    int            x,
                    int            y,
                    int            width,
                    int            height,
                    Baseline      *baseline)
{
  baseline->decoded += (guint64) width * height;
  if (baseline->idle == 0)
    baseline->idle = g_idle_add_full (G_PRIORITY_DEFAULT_IDLE + 1, baseline_request_cb, baseline, NULL);
}

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
static void
baseline_auth_cb (VncConnection *connection,
                  GValueArray   *types,
                  Baseline      *baseline)
{
  vnc_connection_set_auth_type (connection, VNC_CONNECTION_AUTH_NONE);
}
G_GNUC_END_IGNORE_DEPRECATIONS

static gboolean
baseline_ready (gpointer data)
{
  return ((Baseline *) data)->initialized;
}

/* What one measurement of MEASURE_S seconds saw. "Full frames" are areas
 * decoded divided by the screen's area: the animation repaints every pixel
 * and gvnc has no end-of-update signal. */
typedef struct
{
  double cpu_s;
  double full_frames;
  double shown;
  double latency_ms_sum;
  int    latency_samples;
} Sample;

static void
sample_add (Sample       *total,
            const Sample *sample)
{
  total->cpu_s += sample->cpu_s;
  total->full_frames += sample->full_frames;
  total->shown += sample->shown;
  total->latency_ms_sum += sample->latency_ms_sum;
  total->latency_samples += sample->latency_samples;
}

static double
sample_cpu_per_frame_ms (const Sample *sample)
{
  return sample->full_frames > 0 ? sample->cpu_s * 1000 / sample->full_frames : 0;
}

static Sample
measure_baseline (VivTestXvnc *sandbox)
{
  Baseline baseline = { 0 };
  guint64 decoded;
  Sample sample = { 0 };

  baseline.connection = vnc_connection_new ();
  vnc_connection_set_shared (baseline.connection, TRUE);
  g_signal_connect (baseline.connection, "vnc-initialized", G_CALLBACK (baseline_initialized_cb), &baseline);
  g_signal_connect (baseline.connection, "vnc-desktop-resize", G_CALLBACK (baseline_resize_cb), &baseline);
  g_signal_connect (baseline.connection, "vnc-framebuffer-update", G_CALLBACK (baseline_update_cb), &baseline);
  g_signal_connect (baseline.connection, "vnc-auth-choose-type", G_CALLBACK (baseline_auth_cb), &baseline);
  vnc_connection_open_fd (baseline.connection, widgets_connect_unix (sandbox->vnc_socket));
  widgets_wait (baseline_ready, &baseline, 30, "gvnc to connect");
  widgets_iterate_for (1000);

  decoded = baseline.decoded;
  sample.cpu_s = cpu_seconds ();
  widgets_iterate_for (MEASURE_S * 1000);
  sample.cpu_s = cpu_seconds () - sample.cpu_s;
  sample.full_frames = (baseline.decoded - decoded) / ((double) baseline.width * baseline.height);

  g_signal_handlers_disconnect_by_data (baseline.connection, &baseline);
  g_clear_handle_id (&baseline.idle, g_source_remove);
  vnc_connection_shutdown (baseline.connection);
  widgets_iterate_for (200);
  g_object_unref (baseline.connection);
  g_clear_object (&baseline.framebuffer);
  return sample;
}

static gboolean
view_connected (gpointer data)
{
  return viv_display_view_get_state (data) == VIV_DISPLAY_STATE_CONNECTED;
}

static Sample
measure_view (VivTestXvnc *sandbox,
              int          width,
              int          height)
{
  VivDisplayView *view = VIV_DISPLAY_VIEW (viv_display_view_new ());
  GtkWidget *window = widgets_window_new (GTK_WIDGET (view), width, height);
  gint64 pixels = 0;
  Sample sample = { 0 };

  viv_display_view_open_fd (view, widgets_connect_unix (sandbox->vnc_socket));
  widgets_wait (view_connected, view, 30, "the view to connect");
  widgets_iterate_for (2000);
  g_test_message ("GSK renderer: %s", G_OBJECT_TYPE_NAME (gtk_native_get_renderer (GTK_NATIVE (window))));

  /* The view's statistics are over the last second: read once a second. */
  sample.cpu_s = cpu_seconds ();
  for (int i = 0; i < MEASURE_S; i++)
    {
      widgets_iterate_for (1000);
      sample.shown += viv_display_view_get_fps (view);
      sample.latency_ms_sum += viv_display_view_get_latency (view);
      sample.latency_samples++;
      pixels += viv_display_view_get_pixels_per_second (view);
    }
  sample.cpu_s = cpu_seconds () - sample.cpu_s;
  sample.full_frames = pixels / ((double) width * height);

  gtk_window_destroy (GTK_WINDOW (window));
  widgets_iterate_for (200);
  return sample;
}

static gboolean
gl_view_connected (gpointer data)
{
  return viv_gl_view_is_connected (data);
}

static Sample
measure_gl_view (VivTestXvnc *sandbox,
                 int          width,
                 int          height)
{
  VivGlView *view = VIV_GL_VIEW (viv_gl_view_new ());
  GtkWidget *window = widgets_window_new (GTK_WIDGET (view), width, height);
  guint64 frames[2], pixels[2];
  gint64 latency[2];
  Sample sample = { 0 };

  viv_gl_view_open_fd (view, widgets_connect_unix (sandbox->vnc_socket));
  widgets_wait (gl_view_connected, view, 30, "the GL view to connect");
  widgets_iterate_for (2000);

  viv_gl_view_get_counters (view, &frames[0], &pixels[0], &latency[0]);
  sample.cpu_s = cpu_seconds ();
  widgets_iterate_for (MEASURE_S * 1000);
  sample.cpu_s = cpu_seconds () - sample.cpu_s;
  viv_gl_view_get_counters (view, &frames[1], &pixels[1], &latency[1]);

  sample.shown = frames[1] - frames[0];
  sample.full_frames = (pixels[1] - pixels[0]) / ((double) width * height);
  if (sample.shown > 0)
    {
      /* One sample: the mean over the frames shown. */
      sample.latency_ms_sum = (latency[1] - latency[0]) / 1000.0 / sample.shown;
      sample.latency_samples = 1;
    }

  gtk_window_destroy (GTK_WINDOW (window));
  widgets_iterate_for (200);
  return sample;
}

static void
report (int           width,
        int           height,
        const char   *what,
        const Sample *sample,
        const Sample *baseline)
{
  double seconds = (double) ROUNDS * MEASURE_S;

  if (baseline == NULL)
    {
      g_test_message ("%dx%d %s: %.1f full frames/s decoded, %.2f ms CPU/frame",
                      width, height, what, sample->full_frames / seconds,
                      sample_cpu_per_frame_ms (sample));
      return;
    }
  g_test_message ("%dx%d %s: %.1f frames/s shown, %.1f full frames/s decoded, %.2f ms CPU/frame, "
                  "update-to-present latency %.1f ms; overhead %.2fx gvnc alone (target < 1.5x)",
                  width, height, what, sample->shown / seconds, sample->full_frames / seconds,
                  sample_cpu_per_frame_ms (sample),
                  sample->latency_samples > 0 ? sample->latency_ms_sum / sample->latency_samples : 0,
                  sample_cpu_per_frame_ms (sample) / MAX (sample_cpu_per_frame_ms (baseline), 1e-9));
}

/* ROUNDS rounds of gvnc alone, the view, and the GtkGLArea variant, one
 * after the other on the same animation, so a change in the machine's load
 * during the run touches all three alike. */
static void
bench_view (gconstpointer data)
{
  const int *size = data;
  VivTestXvnc *sandbox = viv_test_xvnc_start (size[0], size[1]);
  GPid animation = start_animation (sandbox);
  Sample baseline = { 0 }, view = { 0 }, gl_view = { 0 };

  widgets_iterate_for (1000);
  for (int round = 0; round < ROUNDS; round++)
    {
      Sample b = measure_baseline (sandbox);
      Sample v = measure_view (sandbox, size[0], size[1]);
      Sample g = measure_gl_view (sandbox, size[0], size[1]);

      g_test_message ("%dx%d round %d: CPU/frame gvnc alone %.2f ms, view %.2f ms (%.2fx), "
                      "GtkGLArea %.2f ms (%.2fx)", size[0], size[1], round + 1,
                      sample_cpu_per_frame_ms (&b),
                      sample_cpu_per_frame_ms (&v), sample_cpu_per_frame_ms (&v) / MAX (sample_cpu_per_frame_ms (&b), 1e-9),
                      sample_cpu_per_frame_ms (&g), sample_cpu_per_frame_ms (&g) / MAX (sample_cpu_per_frame_ms (&b), 1e-9));
      sample_add (&baseline, &b);
      sample_add (&view, &v);
      sample_add (&gl_view, &g);
    }

  report (size[0], size[1], "gvnc alone", &baseline, NULL);
  report (size[0], size[1], "VivDisplayView (tiled textures)", &view, &baseline);
  report (size[0], size[1], "GtkGLArea + glTexSubImage2D variant", &gl_view, &baseline);

  viv_test_kill (animation);
  viv_test_xvnc_stop (sandbox);
}

typedef struct
{
  VivSandboxTile *tiles[16];
  VivSandboxTile *current;
} Tiles;

static gboolean
tile_connected (gpointer data)
{
  Tiles *tiles = data;

  return viv_sandbox_tile_get_state (tiles->current) == VIV_DISPLAY_STATE_CONNECTED;
}

static gboolean
tiles_connected (gpointer data)
{
  Tiles *tiles = data;

  int connected = 0;

  for (int i = 0; i < 16; i++)
    if (viv_sandbox_tile_get_state (tiles->tiles[i]) == VIV_DISPLAY_STATE_CONNECTED)
      connected++;
  return connected == 16;
}

static void
bench_tiles (void)
{
  VivTestXvnc *sandbox = viv_test_xvnc_start (1280, 800);
  GPid animation = start_animation (sandbox);
  GtkWidget *grid = gtk_grid_new ();
  GtkWidget *window;
  Tiles tiles;
  double cpu, idle_cpu;

  for (int i = 0; i < 16; i++)
    {
      tiles.tiles[i] = VIV_SANDBOX_TILE (viv_sandbox_tile_new ());
      gtk_widget_set_size_request (GTK_WIDGET (tiles.tiles[i]), 240, 150);
      gtk_grid_attach (GTK_GRID (grid), GTK_WIDGET (tiles.tiles[i]), i % 4, i / 4, 1, 1);
    }
  window = widgets_window_new (grid, 960, 600);

  /* What the process costs with the window but no connection. */
  widgets_iterate_for (1000);
  idle_cpu = cpu_seconds ();
  widgets_iterate_for (5000);
  idle_cpu = (cpu_seconds () - idle_cpu) / 5;

  /* One after the other: Xvnc blacklists a peer address with more than five
   * connections still in the handshake (BlacklistThreshold), and all of
   * ours come from the same Unix socket. In the app each tile has its own
   * sandbox. */
  for (int i = 0; i < 16; i++)
    {
      tiles.current = tiles.tiles[i];
      viv_sandbox_tile_open_fd (tiles.tiles[i], widgets_connect_unix (sandbox->vnc_socket));
      widgets_wait (tile_connected, &tiles, 30, "a tile to connect");
    }
  g_assert_true (tiles_connected (&tiles));
  widgets_iterate_for (3000);

  cpu = cpu_seconds ();
  widgets_iterate_for (2 * MEASURE_S * 1000);
  cpu = (cpu_seconds () - cpu) / (2 * MEASURE_S);

  g_test_message ("16 VivSandboxTiles at 1 fps on a 1280x800 animation: %.1f%% of one core "
                  "(idle window: %.1f%%; target < 25%%)", cpu * 100, idle_cpu * 100);

  gtk_window_destroy (GTK_WINDOW (window));
  widgets_iterate_for (200);
  viv_test_kill (animation);
  viv_test_xvnc_stop (sandbox);
}

int
main (int    argc,
      char **argv)
{
  static const int size_800[] = { 1280, 800 };
  static const int size_1080[] = { 1920, 1080 };

  widgets_test_init (&argc, &argv, 1920, 1080);

  g_test_add_data_func ("/bench/widgets/view-1280x800", size_800, bench_view);
  g_test_add_data_func ("/bench/widgets/view-1920x1080", size_1080, bench_view);
  g_test_add_func ("/bench/widgets/tiles-16", bench_tiles);

  return g_test_run ();
}
