/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-test-display.h"
#include "viv-test-viewer.h"

/* Frames per second of a full-screen animation read by gvnc, through the
 * guest's WebSocket endpoint and, as the baseline, straight from Xvnc's VNC
 * socket, on the same display in the same run. Every frame is a full-screen
 * Raw update (4 MB at 1280x800), the heaviest load the proxy carries. */

#define SECONDS 4

typedef struct
{
  double frames_per_second;
  double megabytes_per_second;
} Result;

static Result
measure (VivTestViewer *viewer,
         Display       *x)
{
  static const gulong colours[] = { 0xff0000, 0x00ff00, 0x0000ff, 0xffff00, 0x00ffff };
  gint64 start, end;
  guint frames = 0;
  Result result;

  g_assert_true (viv_test_viewer_wait_ready (viewer));
  viv_test_viewer_refresh (viewer);

  start = g_get_monotonic_time ();
  end = start + SECONDS * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end)
    {
      guint32 colour = colours[frames % G_N_ELEMENTS (colours)];

      viv_test_display_fill_root (x, colour);
      viv_test_viewer_refresh (viewer);
      frames++;
    }

  /* The last frame shows the last colour: frames really went through. */
  g_assert_cmphex (viv_test_viewer_pixel (viewer, viewer->width / 2, viewer->height / 2), ==,
                   colours[(frames - 1) % G_N_ELEMENTS (colours)]);

  result.frames_per_second = frames / ((g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);
  result.megabytes_per_second = result.frames_per_second * viewer->width * viewer->height * 4 / 1e6;
  return result;
}

static void
bench_vnc (void)
{
  VivTestDisplayGuest *dg = viv_test_display_guest_start ("none", "1280x800");
  g_autoptr (SoupSession) session = viv_test_unix_session_new (dg->guest->socket_path);
  Display *x = viv_test_display_open_x (dg);
  VivTestViewer *viewer;
  Result direct, websocket, direct_again;

  viewer = viv_test_viewer_open_socket (dg->vnc_socket);
  direct = measure (viewer, x);
  viv_test_viewer_close (viewer);

  viewer = viv_test_viewer_open_websocket (dg->guest, session, NULL, NULL, NULL);
  g_assert_nonnull (viewer);
  websocket = measure (viewer, x);
  g_test_message ("WebSocket extensions negotiated: %u",
                  g_list_length (soup_websocket_connection_get_extensions (viewer->websocket)));
  viv_test_viewer_close (viewer);

  /* Once more, to see how much the machine's load moved between runs. */
  viewer = viv_test_viewer_open_socket (dg->vnc_socket);
  direct_again = measure (viewer, x);
  viv_test_viewer_close (viewer);

  g_test_message ("VNC, 1280x800 full-screen Raw frames, %d s each:", SECONDS);
  g_test_message ("  direct Unix socket:      %6.1f frames/s  %7.1f MB/s",
                  direct.frames_per_second, direct.megabytes_per_second);
  g_test_message ("  guest WebSocket:         %6.1f frames/s  %7.1f MB/s",
                  websocket.frames_per_second, websocket.megabytes_per_second);
  g_test_message ("  direct again:            %6.1f frames/s  %7.1f MB/s",
                  direct_again.frames_per_second, direct_again.megabytes_per_second);
  g_test_message ("  WebSocket / direct:      %6.2f",
                  websocket.frames_per_second /
                  ((direct.frames_per_second + direct_again.frames_per_second) / 2));

  XCloseDisplay (x);
  viv_test_display_guest_stop (dg);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_log_set_debug_enabled (FALSE);

  g_test_add_func ("/bench/vnc-websocket-vs-direct", bench_vnc);

  return g_test_run ();
}
