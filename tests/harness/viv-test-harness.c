/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "viv-test-harness.h"

const char *
viv_test_guest_binary (void)
{
  const char *path = g_getenv ("VIVARIUM_GUEST");

  g_assert_nonnull (path);
  return path;
}

static void
die_with_parent_cb (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
  /* Our own process group, so that a kill reaches what the child starts. */
  setpgid (0, 0);
}

GPid
viv_test_spawn (const char * const *argv,
                const char * const *envp,
                int                *stdout_fd)
{
  g_autoptr (GError) error = NULL;
  GPid pid = 0;

  g_spawn_async_with_pipes (NULL, (char **) argv, (char **) envp,
                            G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH,
                            die_with_parent_cb, NULL, &pid,
                            NULL, stdout_fd, NULL, &error);
  g_assert_no_error (error);
  return pid;
}

guint64
viv_test_peak_rss (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;
  const char *line;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  line = strstr (contents, "VmHWM:");
  g_assert_nonnull (line);

  return g_ascii_strtoull (line + strlen ("VmHWM:"), NULL, 10) * 1024;
}

void
viv_test_kill (GPid pid)
{
  int status;

  if (pid <= 0)
    return;

  kill (-pid, SIGTERM);
  kill (pid, SIGTERM);
  for (int i = 0; i < 200; i++)
    {
      if (waitpid (pid, &status, WNOHANG) == pid)
        {
          kill (-pid, SIGKILL);
          return;
        }
      g_usleep (10 * 1000);
    }

  kill (-pid, SIGKILL);
  kill (pid, SIGKILL);
  waitpid (pid, &status, 0);
}

gboolean
viv_test_wait_for_path (const char *path,
                        guint       timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (5 * 1000);
    }

  return TRUE;
}

static gboolean
display_is_free (int number)
{
  g_autofree char *lock = g_strdup_printf ("/tmp/.X%d-lock", number);
  g_autofree char *socket = g_strdup_printf ("/tmp/.X11-unix/X%d", number);

  return !g_file_test (lock, G_FILE_TEST_EXISTS) && !g_file_test (socket, G_FILE_TEST_EXISTS);
}

static gboolean
child_exited (GPid pid)
{
  int status;

  return waitpid (pid, &status, WNOHANG) == pid;
}

VivTestXvnc *
viv_test_xvnc_start (int width,
                     int height)
{
  g_autoptr (GError) error = NULL;
  VivTestXvnc *xvnc = g_new0 (VivTestXvnc, 1);
  /* Spread concurrent test programs over the display numbers, and never
   * take the number a previous server of this program just gave up: a
   * client of the old server that is still going away (the guest reconnects
   * to its display by itself) must not end up on the new one. */
  static int started = 0;
  int first = 100 + (getpid () % 400) + (started++ % 50) * 8;

  xvnc->tmpdir = g_dir_make_tmp ("viv-xvnc-XXXXXX", &error);
  g_assert_no_error (error);
  xvnc->vnc_socket = g_build_filename (xvnc->tmpdir, "vnc.sock", NULL);
  xvnc->width = width;
  xvnc->height = height;

  for (int number = first; number < first + 100; number++)
    {
      g_autofree char *display = g_strdup_printf (":%d", number);
      g_autofree char *geometry = g_strdup_printf ("%dx%d", width, height);
      g_autofree char *x_socket = g_strdup_printf ("/tmp/.X11-unix/X%d", number);
      g_autofree char *log = g_build_filename (xvnc->tmpdir, "Xvnc.log", NULL);
      const char *argv[] = {
        "Xvnc", display, "-geometry", geometry, "-depth", "24",
        "-rfbport", "-1", "-rfbunixpath", xvnc->vnc_socket, "-rfbunixmode", "0600",
        "-SecurityTypes", "None", "-AlwaysShared", "-nolisten", "tcp", "-ac",
        /* A reset when the last client leaves drops whoever connects then. */
        "-noreset", NULL
      };
      gint64 deadline;

      if (!display_is_free (number))
        continue;

      xvnc->pid = viv_test_spawn (argv, NULL, NULL);

      deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
      while (g_get_monotonic_time () < deadline)
        {
          if (child_exited (xvnc->pid))
            break;
          if (g_file_test (x_socket, G_FILE_TEST_EXISTS) &&
              g_file_test (xvnc->vnc_socket, G_FILE_TEST_EXISTS))
            {
              xvnc->number = number;
              xvnc->display = g_steal_pointer (&display);
              g_test_message ("Xvnc on %s, VNC on %s", xvnc->display, xvnc->vnc_socket);
              return xvnc;
            }
          g_usleep (10 * 1000);
        }

      /* Someone else took the number between our check and the start. */
      viv_test_kill (xvnc->pid);
      xvnc->pid = 0;
    }

  g_error ("Could not start Xvnc on any display from :%d", first);
  return NULL;
}

void
viv_test_xvnc_stop (VivTestXvnc *xvnc)
{
  if (xvnc == NULL)
    return;

  viv_test_kill (xvnc->pid);
  g_unlink (xvnc->vnc_socket);
  {
    g_autofree char *log = g_build_filename (xvnc->tmpdir, "Xvnc.log", NULL);
    g_unlink (log);
  }
  g_rmdir (xvnc->tmpdir);
  g_free (xvnc->tmpdir);
  g_free (xvnc->display);
  g_free (xvnc->vnc_socket);
  g_free (xvnc);
}

SoupSession *
viv_test_unix_session_new (const char *socket_path)
{
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (socket_path);

  return soup_session_new_with_options ("remote-connectable", address,
                                        "timeout", 60,
                                        NULL);
}

VivTestGuest *
viv_test_guest_start (VivTestXvnc        *xvnc,
                      const char * const *extra_args)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  VivTestGuest *guest = g_new0 (VivTestGuest, 1);
  g_autofree char *token_file = NULL;
  g_autofree char *listen = NULL;
  guint8 random_bytes[16];

  guest->tmpdir = g_dir_make_tmp ("viv-guest-XXXXXX", &error);
  g_assert_no_error (error);
  guest->socket_path = g_build_filename (guest->tmpdir, "guest.sock", NULL);

  for (guint i = 0; i < G_N_ELEMENTS (random_bytes); i++)
    random_bytes[i] = g_random_int_range (0, 256);
  guest->token = g_compute_checksum_for_data (G_CHECKSUM_SHA256, random_bytes,
                                              sizeof random_bytes);
  token_file = g_build_filename (guest->tmpdir, "token", NULL);
  g_file_set_contents_full (token_file, guest->token, -1, G_FILE_SET_CONTENTS_NONE,
                            0600, &error);
  g_assert_no_error (error);

  listen = g_strdup_printf ("unix:%s", guest->socket_path);
  g_ptr_array_add (argv, g_strdup (viv_test_guest_binary ()));
  g_ptr_array_add (argv, g_strdup ("--listen"));
  g_ptr_array_add (argv, g_strdup (listen));
  g_ptr_array_add (argv, g_strdup ("--access-token-file"));
  g_ptr_array_add (argv, g_strdup (token_file));
  g_ptr_array_add (argv, g_strdup ("--run-dir"));
  g_ptr_array_add (argv, g_build_filename (guest->tmpdir, "run", NULL));
  if (xvnc != NULL)
    {
      g_ptr_array_add (argv, g_strdup ("--attach"));
      g_ptr_array_add (argv, g_strdup (xvnc->display));
      g_ptr_array_add (argv, g_strdup ("--vnc-socket"));
      g_ptr_array_add (argv, g_strdup (xvnc->vnc_socket));
    }
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra_args[i]));
  g_ptr_array_add (argv, NULL);

  guest->pid = viv_test_spawn ((const char * const *) argv->pdata, NULL, NULL);
  if (!viv_test_wait_for_path (guest->socket_path, 20000))
    g_error ("vivarium-guest did not create %s", guest->socket_path);

  guest->session = viv_test_unix_session_new (guest->socket_path);
  return guest;
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
              !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
    }

  g_rmdir (path);
}

void
viv_test_guest_stop (VivTestGuest *guest)
{
  if (guest == NULL)
    return;

  g_clear_object (&guest->session);
  viv_test_kill (guest->pid);
  remove_tree (guest->tmpdir);
  g_free (guest->tmpdir);
  g_free (guest->socket_path);
  g_free (guest->token);
  g_free (guest);
}

GBytes *
viv_test_guest_request (VivTestGuest        *guest,
                        const char          *method,
                        const char          *path,
                        const char          *token,
                        const char          *content_type,
                        GBytes              *body,
                        guint               *status,
                        SoupMessageHeaders **response_headers)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autofree char *uri = g_strconcat ("http://localhost", path, NULL);
  GBytes *response;

  msg = soup_message_new (method, uri);
  g_assert_nonnull (msg);

  if (token == NULL)
    token = guest->token;
  if (*token != '\0')
    soup_message_headers_replace (soup_message_get_request_headers (msg),
                                  "X-Access-Token", token);
  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, content_type, body);

  response = soup_session_send_and_read (guest->session, msg, NULL, &error);
  g_assert_no_error (error);

  if (status != NULL)
    *status = soup_message_get_status (msg);
  if (response_headers != NULL)
    *response_headers = soup_message_headers_ref (soup_message_get_response_headers (msg));

  return response;
}

JsonNode *
viv_test_guest_json (VivTestGuest *guest,
                     const char   *method,
                     const char   *path,
                     const char   *json_body,
                     guint        *status)
{
  g_autoptr (GBytes) request = NULL;
  g_autoptr (GBytes) response = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  gsize length;
  const char *data;

  if (json_body != NULL)
    request = g_bytes_new (json_body, strlen (json_body));

  response = viv_test_guest_request (guest, method, path, NULL,
                                     request ? "application/json" : NULL, request,
                                     status, NULL);
  data = g_bytes_get_data (response, &length);
  if (length == 0)
    return NULL;

  json_parser_load_from_data (parser, data, length, &error);
  g_assert_no_error (error);
  return json_node_ref (json_parser_get_root (parser));
}
