/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <glib-unix.h>

#include <gvnc.h>

#include "vivarium.h"

#include "test-client-common.h"
#include "viv-test-host.h"

/* The display stream of a sandbox laid out like E2B's `desktop` template: an
 * X server on :0 that vivarium-guest knows nothing about (its /desktop/vnc
 * answers 404), x11vnc and websockify installed. The stream starts them
 * through envd's process API and reaches noVNC's port through the host's
 * E2b-Sandbox-Port routing, as on E2B cloud; a real VNC client (gvnc)
 * authenticates with the password the stream hands out. */

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
                                "(setsid Xvfb :0 -screen 0 800x600x24 -nolisten tcp -noreset "
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

/* A real VNC client (gvnc) on the stream's fd, answering VNC authentication
 * with @password; returns whether it got through to ServerInit. */
typedef struct
{
  const char *password;
  gboolean    done;
  gboolean    initialized;
  int         width, height;
} Viewer;

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
static void
viewer_choose_type_cb (VncConnection *connection,
                       GValueArray   *types,
                       Viewer        *viewer)
{
  vnc_connection_set_auth_type (connection, VNC_CONNECTION_AUTH_VNC);
}

static void
viewer_credential_cb (VncConnection *connection,
                      GValueArray   *credentials,
                      Viewer        *viewer)
{
  for (guint i = 0; i < credentials->n_values; i++)
    {
      int credential = g_value_get_enum (g_value_array_get_nth (credentials, i));

      if (credential == VNC_CONNECTION_CREDENTIAL_PASSWORD)
        vnc_connection_set_credential (connection, credential, viewer->password);
      else
        vnc_connection_set_credential (connection, credential, "test");
    }
}
G_GNUC_END_IGNORE_DEPRECATIONS

static void
viewer_initialized_cb (VncConnection *connection,
                       Viewer        *viewer)
{
  viewer->initialized = TRUE;
  viewer->width = vnc_connection_get_width (connection);
  viewer->height = vnc_connection_get_height (connection);
  viewer->done = TRUE;
}

static void
viewer_failed_cb (VncConnection *connection,
                  Viewer        *viewer)
{
  viewer->done = TRUE;
}

static gboolean
view (VivDisplayStream *stream,
      const char       *password,
      int              *width,
      int              *height)
{
  VncConnection *connection = vnc_connection_new ();
  Viewer viewer = { .password = password };

  g_signal_connect (connection, "vnc-auth-choose-type", G_CALLBACK (viewer_choose_type_cb), &viewer);
  g_signal_connect (connection, "vnc-auth-credential", G_CALLBACK (viewer_credential_cb), &viewer);
  g_signal_connect (connection, "vnc-initialized", G_CALLBACK (viewer_initialized_cb), &viewer);
  g_signal_connect (connection, "vnc-auth-failure", G_CALLBACK (viewer_failed_cb), &viewer);
  g_signal_connect (connection, "vnc-disconnected", G_CALLBACK (viewer_failed_cb), &viewer);
  g_assert_true (vnc_connection_open_fd (connection, viv_display_stream_steal_fd (stream)));
  g_assert_true (viv_test_wait_flag (&viewer.done, 30000));
  g_signal_handlers_disconnect_by_data (connection, &viewer);
  vnc_connection_shutdown (connection);
  g_object_unref (connection);
  *width = viewer.width;
  *height = viewer.height;
  return viewer.initialized;
}

static void
test_starts_novnc (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (VivDisplayStream) first = NULL;
  g_autoptr (VivDisplayStream) second = NULL;
  const char *password;
  int width = 0, height = 0;

  start_x_server (fixture);

  first = open_stream (fixture, &error);
  g_assert_no_error (error);
  /* x11vnc asks for the password Vivarium gave it, and only that one. */
  password = viv_display_stream_get_vnc_password (first);
  g_assert_nonnull (password);
  g_assert_cmpuint (strlen (password), ==, 8);
  g_assert_true (view (first, password, &width, &height));
  g_assert_cmpint (width, ==, 800);
  g_assert_cmpint (height, ==, 600);
  /* Nor is it on x11vnc's command line. */
  g_assert_cmpint (sandbox_run (fixture, "pgrep -fa x11vnc | grep -q -- -passwdfile && "
                                         "! pgrep -fa x11vnc | grep -q -- -passwd\\ "), ==, 0);
  /* The way E2B's SDK would find them: x11vnc runs, noVNC listens. */
  g_assert_cmpint (sandbox_run (fixture, "pgrep -x x11vnc >/dev/null && "
                                         "ss -ltn | grep -q ':6080 '"), ==, 0);

  /* A second viewer shares what runs. */
  second = open_stream (fixture, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (viv_display_stream_get_vnc_password (second), ==, password);
  g_assert_false (view (second, "wrong-pw", &width, &height));
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
  const char *needed[] = { "Xvfb", "x11vnc", "websockify" };

  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (needed); i++)
    {
      g_autofree char *path = g_find_program_in_path (needed[i]);

      if (path != NULL)
        continue;
      g_printerr ("%s is needed (build-aux/install-deps installs it)\n", needed[i]);
      return 1;
    }

  g_test_add ("/client/e2b-desktop/starts-novnc", Fixture, NULL, fixture_setup,
              test_starts_novnc, fixture_teardown);
  g_test_add ("/client/e2b-desktop/no-desktop", Fixture, NULL, fixture_setup,
              test_no_desktop, fixture_teardown);
  return g_test_run ();
}
