/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A full-screen animation for the benchmarks: repaints every pixel of the
 * root window with a moving pattern, up to 60 times per second. */
#include <glib.h>
#include <X11/Xlib.h>
#include <X11/Xutil.h>

int
main (int    argc,
      char **argv)
{
  Display *display = XOpenDisplay (NULL);
  int screen, width, height;
  XImage *image;
  GC gc;
  char *data;

  if (display == NULL)
    return 1;
  screen = DefaultScreen (display);
  width = DisplayWidth (display, screen);
  height = DisplayHeight (display, screen);
  data = g_malloc ((gsize) width * height * 4);
  image = XCreateImage (display, DefaultVisual (display, screen), 24, ZPixmap, 0,
                        data, width, height, 32, width * 4);
  gc = XCreateGC (display, RootWindow (display, screen), 0, NULL);

  for (guint frame = 0;; frame++)
    {
      gint64 start = g_get_monotonic_time ();
      guint32 *pixels = (guint32 *) data;

      /* Gradients that move: every pixel changes, and it compresses like a
       * busy desktop rather than like noise. */
      for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
          pixels[y * width + x] = (((x + frame * 7) & 0xff) << 16) |
                                  (((y + frame * 3) & 0xff) << 8) |
                                  (((x ^ y) + frame) & 0xff);

      XPutImage (display, RootWindow (display, screen), gc, image, 0, 0, 0, 0, width, height);
      XSync (display, False);

      {
        gint64 spent = g_get_monotonic_time () - start;

        if (spent < G_USEC_PER_SEC / 60)
          g_usleep (G_USEC_PER_SEC / 60 - spent);
      }
    }

  return 0;
}
