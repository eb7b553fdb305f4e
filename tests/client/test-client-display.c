/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <unistd.h>

#include <gio/gunixsocketaddress.h>
#include <glib-unix.h>

#include "vivarium.h"
#include "viv-client-private.h"
#include "viv-sandbox-private.h"

#include "test-client-common.h"
#include "viv-test-harness.h"

/* The display stream against a real guest on a real Xvnc: the WebSocket
 * bridged to a socketpair carries the RFB handshake. */

typedef struct
{
  VivTestXvnc  *xvnc;
  VivTestGuest *guest;
  VivClient    *client;
} Fixture;

static VivSandbox *
guest_sandbox (Fixture    *fixture,
               const char *token)
{
  return _viv_sandbox_new_for_testing (fixture->client, "guest0", token);
}

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr (VivAccount) account = NULL;
  g_autoptr (GSocketAddress) address = NULL;

  fixture->xvnc = viv_test_xvnc_start (640, 480);
  fixture->guest = viv_test_guest_start (fixture->xvnc, NULL);
  account = viv_account_new (VIV_ACCOUNT_KIND_CUSTOM, "guest", "Guest",
                             "http://localhost", "http://localhost", "localhost");
  fixture->client = viv_client_new (account, "unused");
  address = g_unix_socket_address_new (fixture->guest->socket_path);
  _viv_client_set_remote_connectable (fixture->client, G_SOCKET_CONNECTABLE (address));
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_object (&fixture->client);
  viv_test_guest_stop (fixture->guest);
  viv_test_xvnc_stop (fixture->xvnc);
}

static VivDisplayStream *
open_stream (VivSandbox  *sandbox,
             gboolean     view_only,
             GError     **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  viv_display_stream_new_async (sandbox, view_only, "tester", NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  return viv_display_stream_new_finish (result, error);
}

typedef struct
{
  gboolean closed;
  GError  *error;
} Closed;

static void
closed_cb (VivDisplayStream *stream,
           const GError     *error,
           Closed           *closed)
{
  closed->closed = TRUE;
  closed->error = error ? g_error_copy (error) : NULL;
}

static void
read_exactly (int    fd,
              char  *buffer,
              gsize  length)
{
  gsize done = 0;

  /* The pump runs on this thread's main context: read without blocking. */
  while (done < length)
    {
      gssize n = read (fd, buffer + done, length - done);

      if (n > 0)
        done += n;
      else if (n == 0)
        g_error ("display fd closed after %" G_GSIZE_FORMAT " bytes", done);
      else
        g_main_context_iteration (NULL, TRUE);
    }
}

static void
test_rfb_handshake (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr (VivSandbox) sandbox = guest_sandbox (fixture, fixture->guest->token);
  g_autoptr (VivDisplayStream) stream = NULL;
  g_autoptr (GError) error = NULL;
  Closed closed = { 0 };
  char version[13] = { 0 };
  guint8 security[64];
  int fd;

  stream = open_stream (sandbox, TRUE, &error);
  g_assert_no_error (error);
  g_signal_connect (stream, "closed", G_CALLBACK (closed_cb), &closed);
  fd = viv_display_stream_steal_fd (stream);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (viv_display_stream_steal_fd (stream), ==, -1);
  g_unix_set_fd_nonblocking (fd, TRUE, NULL);

  read_exactly (fd, version, 12);
  g_assert_cmpstr (version, ==, "RFB 003.008\n");

  /* Our answer goes the other way through the pump: the server then lists
   * its security types (at least one). */
  g_assert_cmpint (write (fd, "RFB 003.008\n", 12), ==, 12);
  read_exactly (fd, (char *) security, 1);
  g_assert_cmpuint (security[0], >, 0);
  read_exactly (fd, (char *) security + 1, security[0]);
  g_assert_cmpuint (viv_display_stream_get_bytes_sent (stream), ==, 12);
  g_assert_cmpuint (viv_display_stream_get_bytes_received (stream), >=, 12);

  /* The viewer hangs up: the stream ends cleanly. */
  close (fd);
  g_assert_true (viv_test_wait_flag (&closed.closed, 30000));
  g_assert_no_error (closed.error);
}

static void
test_wrong_token (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autoptr (VivSandbox) sandbox = guest_sandbox (fixture, "not-the-token");
  g_autoptr (VivDisplayStream) stream = NULL;
  g_autoptr (GError) error = NULL;

  stream = open_stream (sandbox, TRUE, &error);
  g_assert_null (stream);
  g_assert_error (error, VIV_ERROR, VIV_ERROR_UNAUTHENTICATED);
  g_test_message ("wrong token: %s", error->message);
}

static void
test_guest_goes_away (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr (VivSandbox) sandbox = guest_sandbox (fixture, fixture->guest->token);
  g_autoptr (VivDisplayStream) stream = NULL;
  g_autoptr (GError) error = NULL;
  Closed closed = { 0 };
  char version[13] = { 0 };
  int fd;

  stream = open_stream (sandbox, FALSE, &error);
  g_assert_no_error (error);
  g_signal_connect (stream, "closed", G_CALLBACK (closed_cb), &closed);
  fd = viv_display_stream_steal_fd (stream);
  g_unix_set_fd_nonblocking (fd, TRUE, NULL);
  read_exactly (fd, version, 12);

  /* The far end dies mid-stream: a clean error, and the viewer sees EOF. */
  viv_test_kill (fixture->guest->pid);
  fixture->guest->pid = 0;
  g_assert_true (viv_test_wait_flag (&closed.closed, 30000));
  g_assert_nonnull (closed.error);
  g_assert_true (closed.error->domain == VIV_ERROR);
  g_test_message ("guest killed: %s", closed.error->message);
  g_clear_error (&closed.error);
  close (fd);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/client/display/rfb-handshake", Fixture, NULL, fixture_setup, test_rfb_handshake, fixture_teardown);
  g_test_add ("/client/display/wrong-token", Fixture, NULL, fixture_setup, test_wrong_token, fixture_teardown);
  g_test_add ("/client/display/guest-goes-away", Fixture, NULL, fixture_setup, test_guest_goes_away, fixture_teardown);

  return g_test_run ();
}
