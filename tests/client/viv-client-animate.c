/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A full-screen animation for the display benchmark: every frame repaints
 * the whole screen (a moving colour ramp), so that each framebuffer update
 * carries the whole screen. Runs until killed or until the display goes. */
#include <stdio.h>
#include <stdlib.h>

#include <X11/Xlib.h>
#include <X11/Xutil.h>

int
main (int   argc,
      char *argv[])
{
  Display *display = XOpenDisplay (NULL);
  XSetWindowAttributes attributes = { 0 };
  unsigned int width, height;
  Window window;
  GC gc;
  int screen;

  if (display == NULL)
    {
      fprintf (stderr, "viv-client-animate: cannot open the display\n");
      return 1;
    }

  screen = DefaultScreen (display);
  width = DisplayWidth (display, screen);
  height = DisplayHeight (display, screen);
  attributes.override_redirect = True;
  attributes.background_pixel = BlackPixel (display, screen);
  window = XCreateWindow (display, RootWindow (display, screen), 0, 0, width, height, 0,
                          CopyFromParent, InputOutput, CopyFromParent,
                          CWOverrideRedirect | CWBackPixel, &attributes);
  XMapRaised (display, window);
  gc = XCreateGC (display, window, 0, NULL);

  for (unsigned long frame = 0;; frame++)
    {
      /* 32 vertical bands whose colours shift every frame: every pixel
       * changes from one frame to the next. */
      for (unsigned int band = 0; band < 32; band++)
        {
          unsigned long value = (frame * 7 + band * 8) & 0xff;

          XSetForeground (display, gc, (value << 16) | ((255 - value) << 8) | ((value * 3) & 0xff));
          XFillRectangle (display, window, gc, band * width / 32, 0, width / 32 + 1, height);
        }
      /* One round trip per frame keeps the X server from queueing frames
       * faster than it can draw them. */
      XSync (display, False);
    }

  return 0;
}
