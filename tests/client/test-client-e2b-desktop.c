/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include "vivarium.h"

#include "test-client-common.h"
#include "viv-test-host.h"

/* The display stream of a sandbox laid out like E2B's `desktop` template: an
 * X server on :0 that vivarium-guest knows nothing about (its /desktop/vnc
 * answers 404), x11vnc and websockify installed. The stream starts them
 * through envd's process API and reaches noVNC's port through the host's
 * E2b-Sandbox-Port routing, as on E2B cloud. */

typedef struct
{
  VivTestHost *host;
  VivAccount  *account;
  VivClient   *client;
  VivSandbox  *sandbox;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *discovery = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *slot = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  fixture->host = viv_test_host_start (NULL, NULL);
  discovery = g_build_filename (fixture->host->runtime_dir, "vivarium", "host.json", NULL);
  fixture->account = viv_account_new_for_local_host (discovery, &error);
  g_assert_no_error (error);
  fixture->client = viv_client_new (fixture->account, fixture->host->api_key);

  viv_client_create_sandbox_async (fixture->client, "base", 300, NULL, NULL, FALSE, NULL,
                                   viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  fixture->sandbox = viv_client_create_sandbox_finish (fixture->client, result, &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_object (&fixture->sandbox);
  g_clear_object (&fixture->client);
  g_clear_object (&fixture->account);
  viv_test_host_stop (fixture->host);
}

/* Runs a shell command in the sandbox and returns its exit status. */
static int
sandbox_run (Fixture    *fixture,
             const char *script)
{
  const char * const argv[] = { "/bin/sh", "-c", script, NULL };
  g_autoptr (VivProcesses) processes = viv_processes_new (fixture->sandbox);
  g_autoptr (VivProcess) process = viv_processes_start (processes, argv, NULL, NULL, NULL,
                                                        FALSE);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *slot = NULL;
  int exit_code = -1;

  viv_process_wait_async (process, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  g_assert_true (viv_process_wait_finish (process, result, &exit_code, &error));
  g_assert_no_error (error);
  return exit_code;
}

/* The X server E2B's desktop template starts itself, on :0. */
static void
start_x_server (Fixture *fixture)
{
  g_assert_cmpint (sandbox_run (fixture,
                                "(setsid Xvfb :0 -screen 0 800x600x24 -nolisten tcp "
                                "</dev/null >/tmp/xvfb.log 2>&1 &); "
                                "i=0; until [ -S /tmp/.X11-unix/X0 ]; do "
                                "i=$((i + 1)); [ $i -le 100 ] || exit 1; sleep 0.1; done"),
                   ==, 0);
}

static VivDisplayStream *
open_stream (Fixture  *fixture,
             GError  **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  viv_display_stream_new_async (fixture->sandbox, TRUE, NULL, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  return viv_display_stream_new_finish (result, error);
}

/* Reads the server's RFB greeting and the 800x600 of ServerInit. */
static void
check_rfb (VivDisplayStream *stream)
{
  int fd = viv_display_stream_steal_fd (stream);
  char buffer[64];
  gsize done = 0;
  guint8 security_types[32];
  gssize n;

  g_assert_cmpint (fd, >=, 0);
  /* The pump runs on this thread's main context: read without blocking. */
  g_assert_true (g_unix_set_fd_nonblocking (fd, TRUE, NULL));
  while (done < 12)
    {
      n = read (fd, buffer + done, 12 - done);
      if (n > 0)
        done += n;
      else if (n == 0)
        g_error ("the stream closed after %" G_GSIZE_FORMAT " bytes", done);
      else if (errno == EAGAIN || errno == EINTR)
        g_main_context_iteration (NULL, TRUE);
      else
        g_error ("read: %s", g_strerror (errno));
    }
  buffer[12] = '\0';
  g_assert_true (g_str_has_prefix (buffer, "RFB 003."));

  /* Answer 3.8 and expect "None" (1) among the security types: -nopw. */
  g_assert_cmpint (write (fd, "RFB 003.008\n", 12), ==, 12);
  done = 0;
  while (done < 1 || done < 1u + security_types[0])
    {
      n = read (fd, security_types + done, sizeof security_types - done);
      if (n > 0)
        done += n;
      else if (n == 0)
        g_error ("the stream closed during the security handshake");
      else if (errno == EAGAIN || errno == EINTR)
        g_main_context_iteration (NULL, TRUE);
      else
        g_error ("read: %s", g_strerror (errno));
    }
  g_assert_cmpuint (security_types[0], >, 0);
  g_assert_nonnull (memchr (security_types + 1, 1, security_types[0]));
  close (fd);
}

static void
test_starts_novnc (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VivDisplayStream) first = NULL;
  g_autoptr (VivDisplayStream) second = NULL;

  start_x_server (fixture);

  first = open_stream (fixture, &error);
  g_assert_no_error (error);
  check_rfb (first);
  /* The way E2B's SDK would find them: x11vnc runs, noVNC listens. */
  g_assert_cmpint (sandbox_run (fixture, "pgrep -x x11vnc >/dev/null && "
                                         "ss -ltn | grep -q ':6080 '"), ==, 0);

  /* A second viewer shares what runs. */
  second = open_stream (fixture, &error);
  g_assert_no_error (error);
  check_rfb (second);
  g_assert_cmpint (sandbox_run (fixture, "test \"$(pgrep -cx x11vnc)\" = 1"), ==, 0);
}

static void
test_no_desktop (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VivDisplayStream) stream = open_stream (fixture, &error);

  g_assert_null (stream);
  g_assert_error (error, VIV_ERROR, VIV_ERROR_NOT_SUPPORTED);
  g_assert_nonnull (strstr (error->message, "no X server"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  if (g_find_program_in_path ("Xvfb") == NULL || g_find_program_in_path ("x11vnc") == NULL ||
      g_find_program_in_path ("websockify") == NULL)
    {
      g_printerr ("Xvfb, x11vnc and websockify are needed (build-aux/install-deps)\n");
      return 1;
    }

  g_test_add ("/client/e2b-desktop/starts-novnc", Fixture, NULL, fixture_setup,
              test_starts_novnc, fixture_teardown);
  g_test_add ("/client/e2b-desktop/no-desktop", Fixture, NULL, fixture_setup,
              test_no_desktop, fixture_teardown);
  return g_test_run ();
}
