/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <X11/Xlib.h>
#include <vivarium-widgets.h>

#include "viv-test-harness.h"

G_BEGIN_DECLS

/* The X server GTK itself runs on (an Xvnc from the harness), started before
 * gtk_init(); stopped at exit. */
VivTestXvnc *widgets_test_init           (int          *argc,
                                          char       ***argv,
                                          int           viewer_width,
                                          int           viewer_height);
const char  *widgets_test_viewer_display (void);

/* A VNC server over TCP on 127.0.0.1 (its own Xvnc), optionally with a VNC
 * password; restartable on the same display and port. */
typedef struct
{
  char  *tmpdir;
  char  *display;
  int    number;
  guint16 port;
  char  *password_file;
  GPid   pid;
} WidgetsTcpXvnc;

WidgetsTcpXvnc *widgets_tcp_xvnc_start   (int               width,
                                          int               height,
                                          const char       *password);
void         widgets_tcp_xvnc_kill       (WidgetsTcpXvnc   *xvnc);
void         widgets_tcp_xvnc_restart    (WidgetsTcpXvnc   *xvnc);
void         widgets_tcp_xvnc_stop       (WidgetsTcpXvnc   *xvnc);

int          widgets_connect_unix        (const char       *path);

/* Iterates the main loop until @condition is true, failing after @timeout_s. */
typedef gboolean (*WidgetsCondition) (gpointer user_data);
void         widgets_wait                (WidgetsCondition  condition,
                                          gpointer          user_data,
                                          guint             timeout_s,
                                          const char       *what);
void         widgets_iterate_for         (guint             ms);

/* Runs a program to completion with DISPLAY=@display; asserts success. */
void         widgets_run                 (const char       *display,
                                          const char * const *argv);

/* Pixel at (x, y) of @texture as 0xAARRGGBB. */
guint32      widgets_texture_pixel       (GdkTexture       *texture,
                                          int               x,
                                          int               y);
gboolean     widgets_texture_all_opaque  (GdkTexture       *texture);

/* An X client on the sandbox display: a full-screen window with the input
 * focus that records the text typed and the buttons pressed. */
typedef struct
{
  Display *display;
  Window   window;
  GString *text;        /* UTF-8 */
  GArray  *buttons;     /* guint: button numbers pressed, in order */
  int      last_x;
  int      last_y;
  guint    last_state;  /* modifier state of the last key press */
  KeySym   last_keysym;
} WidgetsXClient;

WidgetsXClient *widgets_x_client_new     (const char       *display);
void         widgets_x_client_process    (WidgetsXClient   *client);
gboolean     widgets_x_client_key_down   (WidgetsXClient   *client,
                                          KeySym            keysym);
void         widgets_x_client_free       (WidgetsXClient   *client);

/* A window on the viewer display showing @child, decorations off. */
GtkWidget   *widgets_window_new          (GtkWidget        *child,
                                          int               width,
                                          int               height);
gulong       widgets_window_xid          (GtkWidget        *window);
void         widgets_focus_window        (GtkWidget        *window);

G_END_DECLS
