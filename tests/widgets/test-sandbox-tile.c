/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "widgets-test-util.h"

typedef struct
{
  VivTestXvnc    *sandbox;
  VivSandboxTile *tile;
  GtkWidget      *window;
  guint32         expected_pixel;
} Fixture;

static gboolean
is_connected (gpointer data)
{
  Fixture *fixture = data;

  return viv_sandbox_tile_get_state (fixture->tile) == VIV_DISPLAY_STATE_CONNECTED;
}

static gboolean
thumbnail_shows (gpointer data)
{
  Fixture *fixture = data;
  GdkTexture *thumbnail = viv_sandbox_tile_get_thumbnail (fixture->tile);

  return thumbnail != NULL &&
         widgets_texture_pixel (thumbnail, gdk_texture_get_width (thumbnail) / 2,
                                gdk_texture_get_height (thumbnail) / 2) == fixture->expected_pixel;
}

static void
test_tile_thumbnail (void)
{
  Fixture fixture = { 0 };
  GdkTexture *thumbnail;

  fixture.sandbox = viv_test_xvnc_start (1280, 800);
  fixture.tile = VIV_SANDBOX_TILE (viv_sandbox_tile_new ());
  g_assert_cmpuint (viv_sandbox_tile_get_interval (fixture.tile), ==, 1000);
  viv_sandbox_tile_set_interval (fixture.tile, 200);
  fixture.window = widgets_window_new (GTK_WIDGET (fixture.tile), 320, 240);

  viv_sandbox_tile_open_fd (fixture.tile, widgets_connect_unix (fixture.sandbox->vnc_socket));
  widgets_wait (is_connected, &fixture, 30, "the tile to connect");

  widgets_run (fixture.sandbox->display,
               (const char * const[]) { "xsetroot", "-solid", "#ff8000", NULL });
  fixture.expected_pixel = 0xffff8000;
  widgets_wait (thumbnail_shows, &fixture, 30, "an orange thumbnail");

  /* Downscaled on the CPU to the tile, keeping the aspect ratio. */
  thumbnail = viv_sandbox_tile_get_thumbnail (fixture.tile);
  g_assert_cmpint (gdk_texture_get_width (thumbnail), ==, 320);
  g_assert_cmpint (gdk_texture_get_height (thumbnail), ==, 200);
  g_assert_true (widgets_texture_all_opaque (thumbnail));

  /* Later changes arrive with the next tick. */
  widgets_run (fixture.sandbox->display,
               (const char * const[]) { "xsetroot", "-solid", "#008080", NULL });
  fixture.expected_pixel = 0xff008080;
  widgets_wait (thumbnail_shows, &fixture, 30, "a teal thumbnail");

  gtk_window_destroy (GTK_WINDOW (fixture.window));
  widgets_iterate_for (50);
  viv_test_xvnc_stop (fixture.sandbox);
}

int
main (int    argc,
      char **argv)
{
  widgets_test_init (&argc, &argv, 800, 600);

  g_test_add_func ("/widgets/tile/thumbnail", test_tile_thumbnail);

  return g_test_run ();
}
