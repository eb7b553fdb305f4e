/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <glib/gstdio.h>
#include <glib-unix.h>

#include "viv-guest-modules.h"
#include "viv-guest.h"

static gboolean
parse_display (const char  *text,
               GError     **error)
{
  guint64 number;

  if (text[0] != ':' || !g_ascii_string_to_unsigned (text + 1, 10, 0, 65535, &number, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "“%s” is not an X display such as :0", text);
      return FALSE;
    }

  return TRUE;
}

static gboolean
parse_geometry (const char  *text,
                int         *width,
                int         *height,
                GError     **error)
{
  g_auto (GStrv) parts = g_strsplit (text, "x", 3);
  guint64 w, h;

  if (g_strv_length (parts) != 2 ||
      !g_ascii_string_to_unsigned (parts[0], 10, 64, 8192, &w, NULL) ||
      !g_ascii_string_to_unsigned (parts[1], 10, 64, 8192, &h, NULL))
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "“%s” is not a geometry such as 1280x800", text);
      return FALSE;
    }

  *width = (int) w;
  *height = (int) h;
  return TRUE;
}

static char *
read_access_token (const char  *token_file,
                   GError     **error)
{
  g_autofree char *contents = NULL;
  const char *from_env;

  if (token_file != NULL)
    {
      if (!g_file_get_contents (token_file, &contents, NULL, error))
        return NULL;

      g_strstrip (contents);
      if (*contents == '\0')
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       "The access token file %s is empty", token_file);
          return NULL;
        }

      return g_steal_pointer (&contents);
    }

  from_env = g_getenv ("VIVARIUM_ACCESS_TOKEN");
  if (from_env != NULL && *from_env != '\0')
    {
      char *token = g_strdup (from_env);

      /* Children we start must not inherit it. */
      g_unsetenv ("VIVARIUM_ACCESS_TOKEN");
      return token;
    }

  return NULL;
}

static gboolean
quit_cb (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr (GOptionContext) context = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (VivGuest) guest = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *listen = NULL;
  g_autofree char *token_file = NULL;
  g_autofree char *display = NULL;
  g_autofree char *attach = NULL;
  g_autofree char *session = NULL;
  g_autofree char *geometry = NULL;
  g_autofree char *vnc_socket = NULL;
  g_autofree char *run_dir = NULL;
  g_autofree char *token = NULL;
  gboolean version = FALSE;
  VivGuestDisplayConfig *config;
  const GOptionEntry entries[] = {
    { "listen", 'l', 0, G_OPTION_ARG_STRING, &listen,
      "Where to serve the API: unix:PATH or tcp:HOST:PORT", "ADDRESS" },
    { "access-token-file", 0, 0, G_OPTION_ARG_FILENAME, &token_file,
      "Read the access token from FILE (else $VIVARIUM_ACCESS_TOKEN)", "FILE" },
    { "display", 'd', 0, G_OPTION_ARG_STRING, &display,
      "Start Xvnc on display :N with a session", ":N" },
    { "attach", 'a', 0, G_OPTION_ARG_STRING, &attach,
      "Use the existing X display :N", ":N" },
    { "vnc-socket", 0, 0, G_OPTION_ARG_FILENAME, &vnc_socket,
      "With --attach: the display's VNC Unix socket", "PATH" },
    { "session", 's', 0, G_OPTION_ARG_STRING, &session,
      "With --display: openbox, xfce or none (default: openbox)", "SESSION" },
    { "geometry", 'g', 0, G_OPTION_ARG_STRING, &geometry,
      "With --display: the screen size (default: 1280x800)", "WxH" },
    { "run-dir", 0, 0, G_OPTION_ARG_FILENAME, &run_dir,
      "Directory for the sockets of what the guest starts", "DIR" },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL },
    { NULL }
  };

  setlocale (LC_ALL, "");

  context = g_option_context_new ("— the Vivarium sandbox agent");
  g_option_context_set_summary (context,
                                "Serves the desktop API and E2B's envd API inside a sandbox.");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    goto fail;

  if (version)
    {
      g_print ("vivarium-guest %s\n", PACKAGE_VERSION);
      return EXIT_SUCCESS;
    }

  if (listen == NULL)
    {
      g_set_error_literal (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           "--listen is required");
      goto fail;
    }

  if (display != NULL && attach != NULL)
    {
      g_set_error_literal (&error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED,
                           "--display and --attach exclude each other");
      goto fail;
    }

  guest = viv_guest_new ();
  config = viv_guest_get_display_config (guest);
  config->width = 1280;
  config->height = 800;

  if (display != NULL || attach != NULL)
    {
      if (!parse_display (display ? display : attach, &error))
        goto fail;
      config->display = g_strdup (display ? display : attach);
      config->attach = attach != NULL;
    }

  if (session != NULL && g_strv_contains ((const char *[]) { "openbox", "xfce", "none", NULL },
                                          session) == FALSE)
    {
      g_set_error (&error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   "Unknown session “%s”: use openbox, xfce or none", session);
      goto fail;
    }
  config->session = g_strdup (session ? session : "openbox");

  if (geometry != NULL && !parse_geometry (geometry, &config->width, &config->height, &error))
    goto fail;

  if (run_dir == NULL)
    run_dir = g_dir_make_tmp ("vivarium-guest-XXXXXX", &error);
  else if (g_mkdir_with_parents (run_dir, 0700) != 0)
    g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno),
                 "Cannot create %s: %s", run_dir, g_strerror (errno));
  if (error != NULL)
    goto fail;
  config->run_dir = g_strdup (run_dir);
  config->vnc_socket = g_strdup (vnc_socket);

  token = read_access_token (token_file, &error);
  if (error != NULL)
    goto fail;
  viv_guest_set_access_token (guest, token);

  viv_desktop_register (guest);
  viv_vnc_proxy_register (guest);
  viv_envd_http_register (guest);
  viv_envd_rpc_register (guest);
  viv_port_forward_register (guest);

  if (!viv_display_start (guest, &error))
    goto fail;

  if (!viv_guest_listen (guest, listen, &error))
    goto fail;

  loop = g_main_loop_new (NULL, FALSE);
  g_unix_signal_add (SIGTERM, quit_cb, loop);
  g_unix_signal_add (SIGINT, quit_cb, loop);
  g_main_loop_run (loop);

  viv_desktop_shutdown (guest);
  viv_display_stop (guest);
  return EXIT_SUCCESS;

fail:
  g_printerr ("vivarium-guest: %s\n", error->message);
  if (guest != NULL)
    {
      viv_desktop_shutdown (guest);
      viv_display_stop (guest);
    }
  return EXIT_FAILURE;
}
