/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gdk/x11/gdkx.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <X11/Xutil.h>

#include "widgets-test-util.h"

static VivTestXvnc *viewer;

static void
stop_viewer (void)
{
  viv_test_xvnc_stop (g_steal_pointer (&viewer));
}

VivTestXvnc *
widgets_test_init (int    *argc,
                   char ***argv,
                   int     viewer_width,
                   int     viewer_height)
{
  g_test_init (argc, argv, NULL);

  /* GTK needs an X server of its own; the sandbox displays are separate. */
  viewer = viv_test_xvnc_start (viewer_width, viewer_height);
  g_setenv ("DISPLAY", viewer->display, TRUE);
  g_setenv ("GDK_BACKEND", "x11", TRUE);
  g_unsetenv ("WAYLAND_DISPLAY");
  gtk_init ();
  atexit (stop_viewer);
  return viewer;
}

const char *
widgets_test_viewer_display (void)
{
  return viewer->display;
}

void
widgets_iterate_for (guint ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) ms * 1000;

  while (g_get_monotonic_time () < end)
    if (!g_main_context_iteration (NULL, FALSE))
      g_usleep (2000);
}

void
widgets_wait (WidgetsCondition condition,
              gpointer         user_data,
              guint            timeout_s,
              const char      *what)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_s * G_USEC_PER_SEC;

  while (!condition (user_data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out after %u s waiting for %s", timeout_s, what);
      if (!g_main_context_iteration (NULL, FALSE))
        g_usleep (2000);
    }
}

void
widgets_run (const char         *display,
             const char * const *argv)
{
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) envp = g_environ_setenv (g_get_environ (), "DISPLAY", display, TRUE);
  g_autofree char *err = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, envp, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                NULL, NULL, NULL, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("%s failed: %s", argv[0], err);
}

int
widgets_connect_unix (const char *path)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  g_strlcpy (address.sun_path, path, sizeof address.sun_path);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  return fd;
}

static guint16
free_tcp_port (void)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM,
                                             G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, any, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static gboolean
tcp_port_open (guint16 port)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketConnection) connection =
    g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, NULL);

  return connection != NULL;
}

static gboolean
tcp_xvnc_spawn (WidgetsTcpXvnc *xvnc,
                int             width,
                int             height)
{
  g_autofree char *geometry = g_strdup_printf ("%dx%d", width, height);
  g_autofree char *port = g_strdup_printf ("%u", xvnc->port);
  g_autofree char *x_socket = g_strdup_printf ("/tmp/.X11-unix/X%d", xvnc->number);
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  gint64 deadline;
  int status;

  g_ptr_array_add (argv, (char *) "Xvnc");
  g_ptr_array_add (argv, xvnc->display);
  g_ptr_array_add (argv, (char *) "-geometry");
  g_ptr_array_add (argv, geometry);
  g_ptr_array_add (argv, (char *) "-depth");
  g_ptr_array_add (argv, (char *) "24");
  g_ptr_array_add (argv, (char *) "-rfbport");
  g_ptr_array_add (argv, port);
  g_ptr_array_add (argv, (char *) "-interface");
  g_ptr_array_add (argv, (char *) "127.0.0.1");
  g_ptr_array_add (argv, (char *) "-SecurityTypes");
  if (xvnc->password_file != NULL)
    {
      g_ptr_array_add (argv, (char *) "VncAuth");
      g_ptr_array_add (argv, (char *) "-PasswordFile");
      g_ptr_array_add (argv, xvnc->password_file);
    }
  else
    g_ptr_array_add (argv, (char *) "None");
  g_ptr_array_add (argv, (char *) "-AlwaysShared");
  g_ptr_array_add (argv, (char *) "-nolisten");
  g_ptr_array_add (argv, (char *) "tcp");
  g_ptr_array_add (argv, (char *) "-ac");
  g_ptr_array_add (argv, NULL);

  xvnc->pid = viv_test_spawn ((const char * const *) argv->pdata, NULL, NULL);
  deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      if (waitpid (xvnc->pid, &status, WNOHANG) == xvnc->pid)
        {
          xvnc->pid = 0;
          return FALSE;
        }
      if (g_file_test (x_socket, G_FILE_TEST_EXISTS) && tcp_port_open (xvnc->port))
        return TRUE;
      g_usleep (20 * 1000);
    }
  viv_test_kill (xvnc->pid);
  xvnc->pid = 0;
  return FALSE;
}

WidgetsTcpXvnc *
widgets_tcp_xvnc_start (int         width,
                        int         height,
                        const char *password)
{
  WidgetsTcpXvnc *xvnc = g_new0 (WidgetsTcpXvnc, 1);
  g_autoptr (GError) error = NULL;
  int first = 600 + (getpid () % 300);

  xvnc->tmpdir = g_dir_make_tmp ("viv-widgets-XXXXXX", &error);
  g_assert_no_error (error);

  if (password != NULL)
    {
      /* vncpasswd -f reads the password on stdin: never on a command line. */
      g_autoptr (GSubprocess) process = NULL;
      char *line = g_strdup_printf ("%s\n", password);
      g_autoptr (GBytes) input = g_bytes_new_take (line, strlen (line));
      g_autoptr (GBytes) output = NULL;

      process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE,
                                  &error, "vncpasswd", "-f", NULL);
      g_assert_no_error (error);
      g_subprocess_communicate (process, input, NULL, &output, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (g_bytes_get_size (output), >, 0);
      xvnc->password_file = g_build_filename (xvnc->tmpdir, "passwd", NULL);
      g_file_set_contents_full (xvnc->password_file, g_bytes_get_data (output, NULL),
                                g_bytes_get_size (output), G_FILE_SET_CONTENTS_NONE, 0600, &error);
      g_assert_no_error (error);
    }

  for (int number = first; number < first + 100; number++)
    {
      g_autofree char *lock = g_strdup_printf ("/tmp/.X%d-lock", number);

      if (g_file_test (lock, G_FILE_TEST_EXISTS))
        continue;
      xvnc->number = number;
      g_free (xvnc->display);
      xvnc->display = g_strdup_printf (":%d", number);
      xvnc->port = free_tcp_port ();
      if (tcp_xvnc_spawn (xvnc, width, height))
        {
          g_test_message ("TCP Xvnc on %s, port %u", xvnc->display, xvnc->port);
          return xvnc;
        }
    }

  g_error ("Could not start a TCP Xvnc");
  return NULL;
}

void
widgets_tcp_xvnc_kill (WidgetsTcpXvnc *xvnc)
{
  viv_test_kill (xvnc->pid);
  xvnc->pid = 0;
}

void
widgets_tcp_xvnc_restart (WidgetsTcpXvnc *xvnc)
{
  /* Same display and port, so that a reconnecting view finds it again. */
  for (int attempt = 0; attempt < 20; attempt++)
    {
      if (tcp_xvnc_spawn (xvnc, 640, 480))
        return;
      g_usleep (250 * 1000);
    }
  g_error ("Could not restart Xvnc on %s port %u", xvnc->display, xvnc->port);
}

void
widgets_tcp_xvnc_stop (WidgetsTcpXvnc *xvnc)
{
  if (xvnc == NULL)
    return;
  widgets_tcp_xvnc_kill (xvnc);
  if (xvnc->password_file != NULL)
    g_unlink (xvnc->password_file);
  g_rmdir (xvnc->tmpdir);
  g_free (xvnc->password_file);
  g_free (xvnc->display);
  g_free (xvnc->tmpdir);
  g_free (xvnc);
}

guint32
widgets_texture_pixel (GdkTexture *texture,
                       int         x,
                       int         y)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  g_autofree guint32 *data = g_new (guint32, (gsize) width * height);

  g_assert_cmpint (x, <, width);
  g_assert_cmpint (y, <, height);
  /* gdk_texture_download gives CAIRO_FORMAT_ARGB32: native-endian 0xAARRGGBB. */
  gdk_texture_download (texture, (guint8 *) data, (gsize) width * 4);
  return data[y * width + x];
}

gboolean
widgets_texture_all_opaque (GdkTexture *texture)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  g_autofree guint32 *data = g_new (guint32, (gsize) width * height);

  gdk_texture_download (texture, (guint8 *) data, (gsize) width * 4);
  for (gsize i = 0; i < (gsize) width * height; i++)
    if ((data[i] >> 24) != 0xff)
      return FALSE;
  return TRUE;
}

WidgetsXClient *
widgets_x_client_new (const char *display_name)
{
  WidgetsXClient *client = g_new0 (WidgetsXClient, 1);
  XSetWindowAttributes attributes = {
    .override_redirect = True,
    .background_pixel = 0x202020,
    .event_mask = KeyPressMask | ButtonPressMask | StructureNotifyMask,
  };
  XEvent event;
  Display *display;
  int screen;

  display = client->display = XOpenDisplay (display_name);
  g_assert_nonnull (display);
  screen = DefaultScreen (display);
  client->window = XCreateWindow (display, RootWindow (display, screen), 0, 0,
                                  DisplayWidth (display, screen), DisplayHeight (display, screen),
                                  0, CopyFromParent, InputOutput, CopyFromParent,
                                  CWOverrideRedirect | CWBackPixel | CWEventMask, &attributes);
  XMapRaised (display, client->window);
  do
    XWindowEvent (display, client->window, StructureNotifyMask, &event);
  while (event.type != MapNotify);
  XSetInputFocus (display, client->window, RevertToParent, CurrentTime);
  XSync (display, False);

  client->text = g_string_new (NULL);
  client->buttons = g_array_new (FALSE, FALSE, sizeof (guint));
  return client;
}

void
widgets_x_client_process (WidgetsXClient *client)
{
  while (XPending (client->display) > 0)
    {
      XEvent event;

      XNextEvent (client->display, &event);
      if (event.type == KeyPress)
        {
          char buffer[16];
          KeySym keysym = NoSymbol;
          gunichar c;

          /* The keysym, not the string: XLookupString's bytes follow the
           * locale, and the keysym is what the VNC client sent. */
          XLookupString (&event.xkey, buffer, sizeof buffer, &keysym, NULL);
          client->last_keysym = keysym;
          client->last_state = event.xkey.state;
          c = gdk_keyval_to_unicode (keysym);
          if (c != 0)
            g_string_append_unichar (client->text, c);
        }
      else if (event.type == ButtonPress)
        {
          guint button = event.xbutton.button;

          g_array_append_val (client->buttons, button);
          client->last_x = event.xbutton.x;
          client->last_y = event.xbutton.y;
        }
    }
}

gboolean
widgets_x_client_key_down (WidgetsXClient *client,
                           KeySym          keysym)
{
  char keys[32];
  KeyCode keycode = XKeysymToKeycode (client->display, keysym);

  if (keycode == 0)
    return FALSE;
  XQueryKeymap (client->display, keys);
  return (keys[keycode / 8] & (1 << (keycode % 8))) != 0;
}

void
widgets_x_client_free (WidgetsXClient *client)
{
  if (client == NULL)
    return;
  XDestroyWindow (client->display, client->window);
  XCloseDisplay (client->display);
  g_string_free (client->text, TRUE);
  g_array_unref (client->buttons);
  g_free (client);
}

GtkWidget *
widgets_window_new (GtkWidget *child,
                    int        width,
                    int        height)
{
  GtkWidget *window = gtk_window_new ();

  gtk_window_set_decorated (GTK_WINDOW (window), FALSE);
  gtk_window_set_default_size (GTK_WINDOW (window), width, height);
  gtk_window_set_child (GTK_WINDOW (window), child);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

gulong
widgets_window_xid (GtkWidget *window)
{
  GdkSurface *surface = gtk_native_get_surface (GTK_NATIVE (window));

  return gdk_x11_surface_get_xid (surface);
}

void
widgets_focus_window (GtkWidget *window)
{
  g_autofree char *xid = g_strdup_printf ("%lu", widgets_window_xid (window));

  /* No window manager on the viewer display: give the X focus directly. */
  widgets_run (widgets_test_viewer_display (),
               (const char * const[]) { "xdotool", "windowfocus", "--sync", xid, NULL });
}
