/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gdk/x11/gdkx.h>
#include <X11/keysym.h>

#include "viv-display-view-private.h"
#include "widgets-test-util.h"

#define ORANGE 0xffff8000u
#define TEAL   0xff008080u
/* VivDisplayView's mark: GNOME Orange 3 */
#define MARK   0xffff7800u

typedef struct
{
  VivTestXvnc    *sandbox;
  WidgetsTcpXvnc *tcp;
  GtkWidget      *window;
  VivDisplayView *view;
  WidgetsXClient *client;
  guint32         expected_pixel;
  int             expected_width;
  const char     *expected_text;
  guint           password_needed;
  guint           disconnected;
  guint           reconnect_needed;
  char           *password_answer;
} Fixture;

static void
password_needed_cb (VivDisplayView *view,
                    Fixture        *fixture)
{
  fixture->password_needed++;
}

static void
disconnected_cb (VivDisplayView *view,
                 const char     *reason,
                 Fixture        *fixture)
{
  g_test_message ("disconnected: %s", reason);
  fixture->disconnected++;
}

static void
reconnect_needed_cb (VivDisplayView *view,
                     Fixture        *fixture)
{
  fixture->reconnect_needed++;
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->sandbox = viv_test_xvnc_start (640, 480);
  fixture->view = VIV_DISPLAY_VIEW (viv_display_view_new ());
  g_signal_connect (fixture->view, "password-needed", G_CALLBACK (password_needed_cb), fixture);
  g_signal_connect (fixture->view, "disconnected", G_CALLBACK (disconnected_cb), fixture);
  g_signal_connect (fixture->view, "reconnect-needed", G_CALLBACK (reconnect_needed_cb), fixture);
  fixture->window = widgets_window_new (GTK_WIDGET (fixture->view), 800, 600);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  gtk_window_destroy (GTK_WINDOW (fixture->window));
  widgets_iterate_for (50);
  widgets_x_client_free (fixture->client);
  viv_test_xvnc_stop (fixture->sandbox);
  widgets_tcp_xvnc_stop (fixture->tcp);
  g_free (fixture->password_answer);
}

static gboolean
is_connected (gpointer data)
{
  Fixture *fixture = data;

  return viv_display_view_get_state (fixture->view) == VIV_DISPLAY_STATE_CONNECTED;
}

static gboolean
shows_expected_pixel (gpointer data)
{
  Fixture *fixture = data;
  g_autoptr (GdkTexture) texture = viv_display_view_get_screenshot (fixture->view);

  return texture != NULL &&
         widgets_texture_pixel (texture, gdk_texture_get_width (texture) / 2,
                                gdk_texture_get_height (texture) / 2) == fixture->expected_pixel;
}

static void
connect_fd (Fixture *fixture)
{
  viv_display_view_open_fd (fixture->view, widgets_connect_unix (fixture->sandbox->vnc_socket));
  widgets_wait (is_connected, fixture, 30, "the view to connect");
}

static void
set_root_color (const char *display,
                const char *color)
{
  widgets_run (display, (const char * const[]) { "xsetroot", "-solid", color, NULL });
}

static void
save_png_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr (GError) error = NULL;

  g_assert_true (viv_display_view_save_screenshot_finish (VIV_DISPLAY_VIEW (object), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

static void
test_fd_pixels (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GdkTexture) window_shot = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *window_png = g_test_build_filename (G_TEST_BUILT, "widgets-window.png", NULL);
  g_autofree char *remote_png = g_test_build_filename (G_TEST_BUILT, "widgets-remote.png", NULL);
  g_autoptr (GFile) remote_file = g_file_new_for_path (remote_png);
  gboolean saved = FALSE;

  connect_fd (fixture);
  g_assert_cmpint (viv_display_view_get_remote_width (fixture->view), ==, 640);
  g_assert_cmpint (viv_display_view_get_remote_height (fixture->view), ==, 480);

  set_root_color (fixture->sandbox->display, "#ff8000");
  fixture->expected_pixel = ORANGE;
  widgets_wait (shows_expected_pixel, fixture, 30, "orange in the screenshot");

  /* The padding byte from the server must not become a transparent alpha. */
  texture = viv_display_view_get_screenshot (fixture->view);
  g_assert_true (widgets_texture_all_opaque (texture));

  /* A second color: updates keep flowing after the first frame. */
  set_root_color (fixture->sandbox->display, "#008080");
  fixture->expected_pixel = TEAL;
  widgets_wait (shows_expected_pixel, fixture, 30, "teal in the screenshot");

  viv_display_view_save_screenshot_async (fixture->view, remote_file, NULL, save_png_cb, &saved);
  widgets_wait (is_true, &saved, 30, "the PNG to be saved");
  texture = gdk_texture_new_from_filename (remote_png, &error);
  g_assert_no_error (error);
  g_assert_cmphex (widgets_texture_pixel (texture, 320, 240), ==, TEAL);

  /* What the window really shows, read back from the viewer's X server: the
   * 640x480 desktop at 1:1 in the middle of the 800x600 window. */
  widgets_iterate_for (300);
  widgets_run (widgets_test_viewer_display (),
               (const char * const[]) { "import", "-window", "root", window_png, NULL });
  g_test_message ("window screenshot: %s", window_png);
  window_shot = gdk_texture_new_from_filename (window_png, &error);
  g_assert_no_error (error);
  g_assert_cmphex (widgets_texture_pixel (window_shot, 400, 300), ==, TEAL);
  /* The desktop's corners are at (80, 60) and (719, 539); black bands on
   * the four sides, touching it. */
  g_assert_cmphex (widgets_texture_pixel (window_shot, 80, 60), ==, TEAL);
  g_assert_cmphex (widgets_texture_pixel (window_shot, 719, 539), ==, TEAL);
  g_assert_cmphex (widgets_texture_pixel (window_shot, 79, 300), ==, 0xff000000);
  g_assert_cmphex (widgets_texture_pixel (window_shot, 720, 300), ==, 0xff000000);
  g_assert_cmphex (widgets_texture_pixel (window_shot, 400, 59), ==, 0xff000000);
  g_assert_cmphex (widgets_texture_pixel (window_shot, 400, 540), ==, 0xff000000);
  g_assert_cmphex (widgets_texture_pixel (window_shot, 0, 0), ==, 0xff000000);
  g_assert_cmphex (widgets_texture_pixel (window_shot, 799, 599), ==, 0xff000000);
}

static gboolean
has_expected_width (gpointer data)
{
  Fixture *fixture = data;

  return viv_display_view_get_remote_width (fixture->view) == fixture->expected_width;
}

static void
test_fd_resize (Fixture       *fixture,
                gconstpointer  data)
{
  connect_fd (fixture);

  widgets_run (fixture->sandbox->display,
               (const char * const[]) { "xrandr", "--fb", "1024x768", NULL });
  fixture->expected_width = 1024;
  widgets_wait (has_expected_width, fixture, 30, "the remote resize to 1024");
  g_assert_cmpint (viv_display_view_get_remote_height (fixture->view), ==, 768);

  /* Pixels still arrive into the new framebuffer, and fill it. */
  set_root_color (fixture->sandbox->display, "#ff8000");
  fixture->expected_pixel = ORANGE;
  widgets_wait (shows_expected_pixel, fixture, 30, "orange after the resize");

  /* And the view asks the server to take its own size (Xvnc honours it). */
  viv_display_view_set_resize_remote (fixture->view, TRUE);
  fixture->expected_width = gtk_widget_get_width (GTK_WIDGET (fixture->view)) *
                            gtk_widget_get_scale_factor (GTK_WIDGET (fixture->view));
  g_assert_cmpint (fixture->expected_width, ==, 800);
  widgets_wait (has_expected_width, fixture, 30, "the server to follow the view's size");
  g_assert_cmpint (viv_display_view_get_remote_height (fixture->view), ==, 600);
}

static gboolean
client_has_text (gpointer data)
{
  Fixture *fixture = data;

  widgets_x_client_process (fixture->client);
  return g_str_equal (fixture->client->text->str, fixture->expected_text);
}

static gboolean
client_has_buttons (gpointer data)
{
  Fixture *fixture = data;

  widgets_x_client_process (fixture->client);
  return fixture->client->buttons->len >= (guint) fixture->expected_width;
}

static void
xdotool (const char * const *argv)
{
  widgets_run (widgets_test_viewer_display (), argv);
}

static void
prepare_input (Fixture *fixture)
{
  connect_fd (fixture);
  fixture->client = widgets_x_client_new (fixture->sandbox->display);
  widgets_iterate_for (200);
  widgets_focus_window (fixture->window);
  gtk_widget_grab_focus (GTK_WIDGET (fixture->view));
  widgets_iterate_for (200);
}

static void
test_fd_input (Fixture       *fixture,
               gconstpointer  data)
{
  static const guint ctrl_alt_backspace[] = { GDK_KEY_Control_L, GDK_KEY_Alt_L, GDK_KEY_BackSpace };
  g_autofree char *xid = NULL;

  prepare_input (fixture);
  viv_display_view_set_input_enabled (fixture->view, TRUE);
  xid = g_strdup_printf ("%lu", widgets_window_xid (fixture->window));

  /* Shifted and non-ASCII Latin-1 characters, typed on the viewer's X
   * server through GTK's key events. The viewer's layout gets keys for é
   * and Ä as a French or German one has them: xdotool would otherwise remap
   * a scratch keycode for an instant, and GTK reads the keymap after the
   * mapping is gone again. */
  widgets_run (widgets_test_viewer_display (),
               (const char * const[]) { "xmodmap", "-e", "keycode 250 = eacute Eacute",
                                        "-e", "keycode 251 = adiaeresis Adiaeresis", NULL });
  widgets_iterate_for (300);
  xdotool ((const char * const[]) { "xdotool", "type", "--delay", "40", "Hi, World! é~Ä", NULL });
  fixture->expected_text = "Hi, World! é~Ä";
  widgets_wait (client_has_text, fixture, 30, "the typed text on the sandbox");

  /* Clicks land where they were made: the desktop is at (80, 60) in the
   * window at 1:1. */
  xdotool ((const char * const[]) { "xdotool", "mousemove", "--window", xid, "180", "160",
                                    "click", "1", NULL });
  fixture->expected_width = 1;
  widgets_wait (client_has_buttons, fixture, 30, "a click on the sandbox");
  g_assert_cmpuint (g_array_index (fixture->client->buttons, guint, 0), ==, 1);
  g_assert_cmpint (fixture->client->last_x, ==, 100);
  g_assert_cmpint (fixture->client->last_y, ==, 100);

  xdotool ((const char * const[]) { "xdotool", "click", "3", NULL });
  xdotool ((const char * const[]) { "xdotool", "click", "5", NULL });
  xdotool ((const char * const[]) { "xdotool", "click", "4", NULL });
  fixture->expected_width = 4;
  widgets_wait (client_has_buttons, fixture, 30, "right click and scroll on the sandbox");
  g_assert_cmpuint (g_array_index (fixture->client->buttons, guint, 1), ==, 3);
  g_assert_cmpuint (g_array_index (fixture->client->buttons, guint, 2), ==, 5);
  g_assert_cmpuint (g_array_index (fixture->client->buttons, guint, 3), ==, 4);

  /* Send-keys: a combination the local desktop would catch. */
  fixture->client->last_keysym = NoSymbol;
  g_assert_true (viv_display_view_send_keys (fixture->view, ctrl_alt_backspace, 3));
  fixture->expected_text = "Hi, World! é~Ä\b";
  widgets_wait (client_has_text, fixture, 30, "Ctrl+Alt+BackSpace on the sandbox");
  g_assert_cmpuint (fixture->client->last_keysym, ==, XK_BackSpace);
  g_assert_true (fixture->client->last_state & ControlMask);
  g_assert_true (fixture->client->last_state & Mod1Mask);
  g_assert_false (widgets_x_client_key_down (fixture->client, XK_Control_L));
}

static void
test_fd_view_only (Fixture       *fixture,
                   gconstpointer  data)
{
  static const guint f5[] = { GDK_KEY_a };
  g_autofree char *xid = NULL;

  prepare_input (fixture);
  xid = g_strdup_printf ("%lu", widgets_window_xid (fixture->window));
  g_assert_false (viv_display_view_get_input_enabled (fixture->view));

  xdotool ((const char * const[]) { "xdotool", "type", "--delay", "20", "secret", NULL });
  xdotool ((const char * const[]) { "xdotool", "mousemove", "--window", xid, "180", "160",
                                    "click", "1", NULL });
  g_assert_false (viv_display_view_send_keys (fixture->view, f5, 1));
  widgets_iterate_for (500);

  /* Then with input enabled: the sandbox must see only what follows, and
   * it arrives in order, so nothing was sent before. */
  viv_display_view_set_input_enabled (fixture->view, TRUE);
  xdotool ((const char * const[]) { "xdotool", "type", "--delay", "20", "ok", NULL });
  fixture->expected_text = "ok";
  widgets_wait (client_has_text, fixture, 30, "the text typed after enabling input");
  g_assert_cmpuint (fixture->client->buttons->len, ==, 0);
}

typedef struct
{
  Fixture *fixture;
  KeySym   keysym;
  gboolean down;
} KeyWait;

static gboolean
remote_key_is (gpointer data)
{
  KeyWait *wait = data;

  return widgets_x_client_key_down (wait->fixture->client, wait->keysym) == wait->down;
}

static void
test_fd_focus_out (Fixture       *fixture,
                   gconstpointer  data)
{
  GtkWidget *other = gtk_entry_new ();
  GtkWidget *other_window;
  KeyWait wait = { fixture, XK_Control_L, TRUE };

  prepare_input (fixture);
  viv_display_view_set_input_enabled (fixture->view, TRUE);

  xdotool ((const char * const[]) { "xdotool", "keydown", "Control_L", NULL });
  widgets_wait (remote_key_is, &wait, 30, "Control_L held on the sandbox");

  /* Another window takes the focus: Control_L must not stay held remotely. */
  other_window = widgets_window_new (other, 200, 100);
  widgets_iterate_for (300);
  widgets_focus_window (other_window);
  wait.down = FALSE;
  widgets_wait (remote_key_is, &wait, 30, "Control_L released on focus-out");
  xdotool ((const char * const[]) { "xdotool", "keyup", "Control_L", NULL });

  /* The same when input gets disabled while a key is held. */
  widgets_focus_window (fixture->window);
  widgets_iterate_for (300);
  xdotool ((const char * const[]) { "xdotool", "keydown", "Shift_L", NULL });
  wait.keysym = XK_Shift_L;
  wait.down = TRUE;
  widgets_wait (remote_key_is, &wait, 30, "Shift_L held on the sandbox");
  viv_display_view_set_input_enabled (fixture->view, FALSE);
  wait.down = FALSE;
  widgets_wait (remote_key_is, &wait, 30, "Shift_L released when input is disabled");
  xdotool ((const char * const[]) { "xdotool", "keyup", "Shift_L", NULL });

  gtk_window_destroy (GTK_WINDOW (other_window));
}

static gboolean
is_not_grabbed (gpointer data)
{
  Fixture *fixture = data;

  return !viv_display_view_get_grabbed (fixture->view);
}

static void
test_fd_grab (Fixture       *fixture,
              gconstpointer  data)
{
  prepare_input (fixture);

  /* No grab for a watcher. */
  viv_display_view_grab_keyboard (fixture->view);
  g_assert_false (viv_display_view_get_grabbed (fixture->view));

  viv_display_view_set_input_enabled (fixture->view, TRUE);
  viv_display_view_grab_keyboard (fixture->view);
  g_assert_true (viv_display_view_get_grabbed (fixture->view));
  g_assert_true (gtk_widget_get_visible (fixture->view->hint));
  g_assert_nonnull (strstr (gtk_label_get_label (GTK_LABEL (fixture->view->hint)), "Ctrl+Alt"));

  /* Ctrl+Alt+T goes to the remote and keeps the grab... */
  xdotool ((const char * const[]) { "xdotool", "key", "ctrl+alt+t", NULL });
  widgets_iterate_for (500);
  g_assert_true (viv_display_view_get_grabbed (fixture->view));

  /* ...Ctrl+Alt alone releases it. */
  xdotool ((const char * const[]) { "xdotool", "key", "ctrl+alt", NULL });
  widgets_wait (is_not_grabbed, fixture, 30, "the release combination to ungrab");
  g_assert_false (gtk_widget_get_visible (fixture->view->hint));
}

static gboolean
is_disconnected (gpointer data)
{
  Fixture *fixture = data;

  return viv_display_view_get_state (fixture->view) == VIV_DISPLAY_STATE_DISCONNECTED;
}

static void
test_fd_lost (Fixture       *fixture,
              gconstpointer  data)
{
  gint64 start;

  connect_fd (fixture);

  viv_test_xvnc_stop (fixture->sandbox);
  fixture->sandbox = NULL;
  widgets_wait (is_disconnected, fixture, 30, "the disconnected state");
  g_assert_cmpuint (fixture->disconnected, ==, 1);
  g_assert_cmpuint (fixture->reconnect_needed, ==, 1);
  g_assert_nonnull (viv_display_view_get_disconnect_reason (fixture->view));

  /* The window keeps running: a frame is drawn promptly. */
  start = g_get_monotonic_time ();
  gtk_widget_queue_draw (GTK_WIDGET (fixture->view));
  widgets_iterate_for (100);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);

  /* The owner supplies a new fd; a fresh connection shows the new server. */
  fixture->sandbox = viv_test_xvnc_start (640, 480);
  connect_fd (fixture);
  set_root_color (fixture->sandbox->display, "#ff8000");
  fixture->expected_pixel = ORANGE;
  widgets_wait (shows_expected_pixel, fixture, 30, "pixels after reconnecting");
}

static gboolean
is_reconnecting (gpointer data)
{
  Fixture *fixture = data;

  return viv_display_view_get_state (fixture->view) == VIV_DISPLAY_STATE_RECONNECTING;
}

static gboolean
has_bytes_per_second (gpointer data)
{
  Fixture *fixture = data;

  return viv_display_view_get_bytes_per_second (fixture->view) > 0;
}

static void
test_tcp_reconnect (Fixture       *fixture,
                    gconstpointer  data)
{
  fixture->tcp = widgets_tcp_xvnc_start (640, 480, NULL);
  viv_display_view_open_host (fixture->view, "127.0.0.1", fixture->tcp->port);
  g_assert_cmpint (viv_display_view_get_state (fixture->view), ==, VIV_DISPLAY_STATE_CONNECTING);
  widgets_wait (is_connected, fixture, 30, "the view to connect over TCP");

  set_root_color (fixture->tcp->display, "#ff8000");
  fixture->expected_pixel = ORANGE;
  widgets_wait (shows_expected_pixel, fixture, 30, "orange over TCP");
  /* Over TCP the kernel counts bytes for us. */
  set_root_color (fixture->tcp->display, "#008080");
  widgets_wait (has_bytes_per_second, fixture, 30, "a bytes/s figure");

  widgets_tcp_xvnc_kill (fixture->tcp);
  widgets_wait (is_reconnecting, fixture, 30, "the reconnecting state");
  g_assert_cmpuint (fixture->disconnected, ==, 1);
  g_assert_cmpuint (fixture->reconnect_needed, ==, 0);

  widgets_tcp_xvnc_restart (fixture->tcp);
  widgets_wait (is_connected, fixture, 60, "the view to reconnect by itself");
  set_root_color (fixture->tcp->display, "#ff8000");
  fixture->expected_pixel = ORANGE;
  widgets_wait (shows_expected_pixel, fixture, 30, "orange after the reconnection");

  viv_display_view_close (fixture->view);
  g_assert_cmpint (viv_display_view_get_state (fixture->view), ==, VIV_DISPLAY_STATE_DISCONNECTED);
}

static gboolean
answer_password_cb (gpointer data)
{
  Fixture *fixture = data;

  viv_display_view_set_password (fixture->view, fixture->password_answer);
  return G_SOURCE_REMOVE;
}

static void
password_needed_answer_later_cb (VivDisplayView *view,
                                 Fixture        *fixture)
{
  /* As an app would after a keyring lookup: later, from the main loop. */
  g_timeout_add (300, answer_password_cb, fixture);
}

static gboolean
password_was_asked (gpointer data)
{
  Fixture *fixture = data;

  return fixture->password_needed > 0;
}

static void
test_tcp_password (Fixture       *fixture,
                   gconstpointer  data)
{
  fixture->tcp = widgets_tcp_xvnc_start (640, 480, "s3cret!");
  g_signal_connect (fixture->view, "password-needed",
                    G_CALLBACK (password_needed_answer_later_cb), fixture);

  /* A wrong password: a clear reason, no endless retries. */
  fixture->password_answer = g_strdup ("wrong");
  viv_display_view_open_host (fixture->view, "127.0.0.1", fixture->tcp->port);
  widgets_wait (password_was_asked, fixture, 30, "password-needed");
  widgets_wait (is_disconnected, fixture, 30, "the refusal of a wrong password");
  g_assert_nonnull (strstr (viv_display_view_get_disconnect_reason (fixture->view), "uthentication"));

  g_free (fixture->password_answer);
  fixture->password_answer = g_strdup ("s3cret!");
  viv_display_view_open_host (fixture->view, "127.0.0.1", fixture->tcp->port);
  widgets_wait (is_connected, fixture, 30, "the view to connect with the password");
  g_assert_cmpuint (fixture->password_needed, ==, 2);

  set_root_color (fixture->tcp->display, "#ff8000");
  fixture->expected_pixel = ORANGE;
  widgets_wait (shows_expected_pixel, fixture, 30, "orange behind VNC auth");
}

/* What the view draws right now, rendered as the window would. */
static GdkTexture *
render_view (Fixture *fixture)
{
  GtkWidget *widget = GTK_WIDGET (fixture->view);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  GskRenderer *renderer = gtk_native_get_renderer (GTK_NATIVE (fixture->window));

  /* The view's own drawing, without the release hint it parents. */
  GTK_WIDGET_GET_CLASS (widget)->snapshot (widget, snapshot);
  node = gtk_snapshot_free_to_node (snapshot);
  g_assert_nonnull (node);
  return gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

/* Pixels of a row of @texture from @x0 to @x1 that are neither @a nor @b. */
static int
count_other (GdkTexture *texture,
             int         x0,
             int         x1,
             int         y,
             guint32     a,
             guint32     b)
{
  int n = 0;

  for (int x = x0; x <= x1; x++)
    {
      guint32 pixel = widgets_texture_pixel (texture, x, y);

      n += pixel != a && pixel != b;
    }
  return n;
}

/* A marked point shows as an orange dot with a ring growing out of it, at
 * the desktop's point wherever the desktop is drawn, then goes away. */
static void
test_fd_mark (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr (GdkTexture) texture = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *window_png = g_test_build_filename (G_TEST_BUILT, "widgets-mark.png", NULL);
  /* The 640x480 desktop is drawn 1:1 at (80, 60) in the 800x600 view. */
  int cx = 80 + 100, cy = 60 + 50;
  int ring_pixels;

  connect_fd (fixture);
  set_root_color (fixture->sandbox->display, "#008080");
  fixture->expected_pixel = TEAL;
  widgets_wait (shows_expected_pixel, fixture, 30, "teal in the screenshot");
  widgets_iterate_for (200);

  texture = render_view (fixture);
  g_assert_cmphex (widgets_texture_pixel (texture, cx, cy), ==, TEAL);
  g_clear_object (&texture);

  viv_display_view_mark_point (fixture->view, 100, 50);
  texture = render_view (fixture);
  g_assert_cmphex (widgets_texture_pixel (texture, cx, cy), ==, MARK);
  g_assert_cmphex (widgets_texture_pixel (texture, cx + 4, cy + 4), ==, MARK);
  /* The white outline around the dot. */
  g_assert_cmphex (widgets_texture_pixel (texture, cx + 8, cy), ==, 0xffffffffu);
  /* Nothing far from it. */
  g_assert_cmphex (widgets_texture_pixel (texture, cx + 60, cy), ==, TEAL);
  g_clear_object (&texture);

  /* A third of the way, the first ring has grown away from the dot: the
   * window, read back from its X server, shows it (the view redraws itself
   * while the mark animates). */
  widgets_iterate_for (450);
  widgets_run (widgets_test_viewer_display (),
               (const char * const[]) { "import", "-window", "root", window_png, NULL });
  texture = gdk_texture_new_from_filename (window_png, &error);
  g_assert_no_error (error);
  g_test_message ("window screenshot: %s", window_png);
  g_assert_cmphex (widgets_texture_pixel (texture, cx, cy), ==, MARK);
  ring_pixels = count_other (texture, cx + 12, cx + 40, cy, TEAL, 0xffffffffu);
  g_test_message ("ring pixels right of the dot: %d", ring_pixels);
  g_assert_cmpint (ring_pixels, >=, 2);
  g_clear_object (&texture);

  /* After a second and a half it is gone. */
  widgets_iterate_for (1300);
  texture = render_view (fixture);
  g_assert_cmphex (widgets_texture_pixel (texture, cx, cy), ==, TEAL);
  g_assert_cmpuint (fixture->view->mark_tick, ==, 0);
}

/* An animating spinner in the same window keeps the frame clock busy at
 * redraw priority; gvnc emits its signals from default-priority idles, which
 * redraws used to starve, so the handshake never completed. */
static void
test_fd_spinner (Fixture       *fixture,
                 gconstpointer  data)
{
  GtkWidget *overlay = gtk_overlay_new ();
  GtkWidget *spinner = gtk_spinner_new ();

  g_object_ref (fixture->view);
  gtk_window_set_child (GTK_WINDOW (fixture->window), overlay);
  gtk_overlay_set_child (GTK_OVERLAY (overlay), GTK_WIDGET (fixture->view));
  g_object_unref (fixture->view);
  gtk_widget_set_halign (spinner, GTK_ALIGN_CENTER);
  gtk_widget_set_valign (spinner, GTK_ALIGN_CENTER);
  gtk_widget_set_size_request (spinner, 64, 64);
  gtk_overlay_add_overlay (GTK_OVERLAY (overlay), spinner);
  gtk_spinner_start (GTK_SPINNER (spinner));
  widgets_iterate_for (300);

  connect_fd (fixture);
  set_root_color (fixture->sandbox->display, "#ff8000");
  fixture->expected_pixel = ORANGE;
  widgets_wait (shows_expected_pixel, fixture, 30, "orange with a spinner animating");
  set_root_color (fixture->sandbox->display, "#008080");
  fixture->expected_pixel = TEAL;
  widgets_wait (shows_expected_pixel, fixture, 30, "teal with a spinner animating");
}

static gboolean
view_is_connected (gpointer data)
{
  return viv_display_view_get_state (data) == VIV_DISPLAY_STATE_CONNECTED;
}

/* Views closed while the server streams a full-screen animation. gvnc keeps
 * a shut-down connection, and the framebuffer it was given, until it has
 * emitted vnc-disconnected, and decodes what it already read into it: the
 * pixel memory must live as long as that framebuffer. */
static void
test_fd_close_streaming (Fixture       *fixture,
                         gconstpointer  data)
{
  g_auto (GStrv) envp = g_environ_setenv (g_get_environ (), "DISPLAY", fixture->sandbox->display, TRUE);
  const char *argv[] = { g_getenv ("VIV_ANIMATE"), NULL };
  GPid animation;

  g_assert_nonnull (argv[0]);
  animation = viv_test_spawn (argv, (const char * const *) envp, NULL);

  for (int i = 0; i < 30; i++)
    {
      VivDisplayView *view = VIV_DISPLAY_VIEW (viv_display_view_new ());
      GtkWidget *window = widgets_window_new (GTK_WIDGET (view), 640, 480);

      viv_display_view_open_fd (view, widgets_connect_unix (fixture->sandbox->vnc_socket));
      widgets_wait (view_is_connected, view, 30, "a view to connect");
      /* At a different point of the stream each time, mostly while the
       * first, full-screen update is decoded. */
      widgets_iterate_for ((i % 5) * 10);
      gtk_window_destroy (GTK_WINDOW (window));
      widgets_iterate_for (100);
    }

  viv_test_kill (animation);
}

int
main (int    argc,
      char **argv)
{
  widgets_test_init (&argc, &argv, 1024, 768);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/widgets/display/fd/pixels", test_fd_pixels);
  ADD ("/widgets/display/fd/spinner", test_fd_spinner);
  ADD ("/widgets/display/fd/resize", test_fd_resize);
  ADD ("/widgets/display/fd/mark", test_fd_mark);
  ADD ("/widgets/display/fd/input", test_fd_input);
  ADD ("/widgets/display/fd/view-only", test_fd_view_only);
  ADD ("/widgets/display/fd/focus-out", test_fd_focus_out);
  ADD ("/widgets/display/fd/grab", test_fd_grab);
  ADD ("/widgets/display/fd/lost", test_fd_lost);
  ADD ("/widgets/display/fd/close-streaming", test_fd_close_streaming);
  ADD ("/widgets/display/tcp/reconnect", test_tcp_reconnect);
  ADD ("/widgets/display/tcp/password", test_tcp_password);
#undef ADD

  return g_test_run ();
}
