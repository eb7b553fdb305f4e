/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-test-display.h"
#include "viv-test-viewer.h"

#define RED   0xff0000
#define BLUE  0x0000ff
#define GREEN 0x00ff00

typedef struct
{
  VivTestDisplayGuest *dg;
  SoupSession         *session;  /* for WebSockets, apart from the harness's sync one */
  Display             *x;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->dg = viv_test_display_guest_start ("none", "640x480");
  fixture->session = viv_test_unix_session_new (fixture->dg->guest->socket_path);
  fixture->x = viv_test_display_open_x (fixture->dg);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  XCloseDisplay (fixture->x);
  g_clear_object (&fixture->session);
  viv_test_display_guest_stop (fixture->dg);
}

static VivTestViewer *
open_viewer (Fixture    *fixture,
             const char *query)
{
  VivTestViewer *viewer;
  guint status = 0;

  viewer = viv_test_viewer_open_websocket (fixture->dg->guest, fixture->session, query, NULL,
                                           &status);
  g_assert_nonnull (viewer);
  g_assert_cmpuint (status, ==, 101);
  g_assert_true (viv_test_viewer_wait_ready (viewer));
  return viewer;
}

static void
query_pointer (Display      *x,
               int          *root_x,
               int          *root_y,
               unsigned int *mask)
{
  Window root, child;
  int window_x, window_y;
  unsigned int ignored_mask;

  XQueryPointer (x, DefaultRootWindow (x), &root, &child, root_x, root_y,
                 &window_x, &window_y, mask ? mask : &ignored_mask);
}

/* Sends a pointer event and waits until the server has handled it. */
static void
move_pointer (VivTestViewer *viewer,
              guint8         mask,
              int            x,
              int            y)
{
  g_assert_true (vnc_connection_pointer_event (viewer->connection, mask, x, y));
  viv_test_viewer_refresh (viewer);
}

static void
assert_pointer_at (Display *x,
                   int      expected_x,
                   int      expected_y)
{
  int root_x, root_y;

  query_pointer (x, &root_x, &root_y, NULL);
  g_assert_cmpint (root_x, ==, expected_x);
  g_assert_cmpint (root_y, ==, expected_y);
}

static void
test_framebuffer (Fixture       *fixture,
                  gconstpointer  data)
{
  VivTestViewer *viewer;

  viv_test_display_fill_root (fixture->x, RED);
  viewer = open_viewer (fixture, NULL);
  g_assert_cmpint (viewer->width, ==, 640);
  g_assert_cmpint (viewer->height, ==, 480);

  g_assert_true (viv_test_viewer_wait_pixel (viewer, 320, 240, RED));
  g_assert_true (viv_test_viewer_wait_pixel (viewer, 0, 0, RED));
  g_assert_true (viv_test_viewer_wait_pixel (viewer, 639, 479, RED));

  viv_test_display_fill_root (fixture->x, BLUE);
  g_assert_true (viv_test_viewer_wait_pixel (viewer, 10, 470, BLUE));

  viv_test_viewer_close (viewer);
}

static guint
count_fds (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/fd", pid);
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  guint count = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    count++;
  return count;
}

static void
test_several_viewers (Fixture       *fixture,
                      gconstpointer  data)
{
  VivTestViewer *viewers[3];
  guint fds_before;

  /* One plain request first, so the harness's HTTP connection is counted. */
  json_object_unref (viv_test_display_wait (fixture->dg, NULL, NULL));
  fds_before = count_fds (fixture->dg->guest->pid);

  viv_test_display_fill_root (fixture->x, RED);

  /* gvnc asks for exclusive access by default; the guest makes every viewer
   * shared, so none disconnects the others. */
  for (guint i = 0; i < G_N_ELEMENTS (viewers); i++)
    viewers[i] = open_viewer (fixture, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (viewers); i++)
    g_assert_true (viv_test_viewer_wait_pixel (viewers[i], 100, 100, RED));

  /* One leaves; the others go on. */
  viv_test_viewer_close (viewers[1]);
  viv_test_display_fill_root (fixture->x, GREEN);
  g_assert_true (viv_test_viewer_wait_pixel (viewers[0], 100, 100, GREEN));
  g_assert_true (viv_test_viewer_wait_pixel (viewers[2], 100, 100, GREEN));
  g_assert_false (viewers[0]->disconnected);
  g_assert_false (viewers[2]->disconnected);

  viv_test_viewer_close (viewers[0]);
  viv_test_viewer_close (viewers[2]);

  /* Every WebSocket and VNC connection of the guest is gone again. */
  VIV_TEST_WAIT_FOR (count_fds (fixture->dg->guest->pid) == fds_before, 30000);
}

static void
test_view_only (Fixture       *fixture,
                gconstpointer  data)
{
  VivTestViewer *normal = open_viewer (fixture, NULL);
  VivTestViewer *watcher = open_viewer (fixture, "?view_only=1");

  move_pointer (normal, 0, 100, 110);
  assert_pointer_at (fixture->x, 100, 110);

  move_pointer (watcher, 0, 300, 310);
  assert_pointer_at (fixture->x, 100, 110);

  /* A pressed button from a view-only viewer does not get through either. */
  move_pointer (watcher, 1, 300, 310);
  {
    int root_x, root_y;
    unsigned int mask;

    query_pointer (fixture->x, &root_x, &root_y, &mask);
    g_assert_cmpuint (mask & Button1Mask, ==, 0);
  }

  /* The view-only viewer still sees the screen. */
  viv_test_display_fill_root (fixture->x, BLUE);
  g_assert_true (viv_test_viewer_wait_pixel (watcher, 5, 5, BLUE));

  viv_test_viewer_close (watcher);
  viv_test_viewer_close (normal);
}

static void
takeover (Fixture    *fixture,
          const char *method,
          const char *body)
{
  g_autoptr (JsonNode) node = NULL;
  guint status = 0;

  node = viv_test_guest_json (fixture->dg->guest, method, "/desktop/takeover", body, &status);
  g_assert_cmpuint (status, ==, 200);
}

static gboolean
button1_down (Display *x)
{
  int root_x, root_y;
  unsigned int mask;

  query_pointer (x, &root_x, &root_y, &mask);
  return (mask & Button1Mask) != 0;
}

static void
test_takeover (Fixture       *fixture,
               gconstpointer  data)
{
  VivTestViewer *bob = open_viewer (fixture, "?holder=bob");
  VivTestViewer *alice = open_viewer (fixture, "?holder=alice");
  gint64 deadline;

  /* Bob holds the button down when Alice takes over: the guest lets it go. */
  move_pointer (bob, 1, 20, 30);
  g_assert_true (button1_down (fixture->x));

  takeover (fixture, "POST", "{\"holder\":\"alice\"}");
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (button1_down (fixture->x) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE);
  g_assert_false (button1_down (fixture->x));

  move_pointer (bob, 0, 50, 60);
  assert_pointer_at (fixture->x, 20, 30);
  move_pointer (bob, 1, 50, 60);
  g_assert_false (button1_down (fixture->x));

  move_pointer (alice, 0, 70, 80);
  assert_pointer_at (fixture->x, 70, 80);

  /* Handed back: Bob's input flows again. */
  takeover (fixture, "DELETE", NULL);
  move_pointer (bob, 0, 90, 100);
  assert_pointer_at (fixture->x, 90, 100);

  viv_test_viewer_close (alice);
  viv_test_viewer_close (bob);
}

static void
test_token_required (Fixture       *fixture,
                     gconstpointer  data)
{
  VivTestViewer *viewer;
  guint status = 0;

  viewer = viv_test_viewer_open_websocket (fixture->dg->guest, fixture->session, NULL, "",
                                           &status);
  g_assert_null (viewer);
  g_assert_cmpuint (status, ==, 401);

  viewer = viv_test_viewer_open_websocket (fixture->dg->guest, fixture->session, NULL,
                                           "wrong-token", &status);
  g_assert_null (viewer);
  g_assert_cmpuint (status, ==, 401);

  /* A plain GET is not a WebSocket. */
  {
    g_autoptr (GBytes) body = NULL;

    body = viv_test_guest_request (fixture->dg->guest, "GET", "/desktop/vnc", NULL, NULL, NULL,
                                   &status, NULL);
    g_assert_cmpuint (status, ==, 400);
    g_assert_nonnull (strstr (g_bytes_get_data (body, NULL), "\"code\":400"));
  }

  /* Refused from the headers, before any body is read. */
  {
    g_autoptr (GBytes) request = g_bytes_new_static ("{}", 2);
    g_autoptr (GBytes) body = NULL;

    body = viv_test_guest_request (fixture->dg->guest, "POST", "/desktop/vnc", NULL,
                                   "application/json", request, &status, NULL);
    g_assert_cmpuint (status, ==, 405);
  }
}

typedef struct
{
  GByteArray *received;
  gboolean    closed;
} RawClient;

static void
raw_message_cb (SoupWebsocketConnection *websocket,
                SoupWebsocketDataType    type,
                GBytes                  *message,
                gpointer                 user_data)
{
  RawClient *raw = user_data;

  g_byte_array_append (raw->received, g_bytes_get_data (message, NULL),
                       g_bytes_get_size (message));
}

static void
raw_closed_cb (SoupWebsocketConnection *websocket,
               gpointer                 user_data)
{
  RawClient *raw = user_data;

  raw->closed = TRUE;
}

static void
raw_connected_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  SoupWebsocketConnection **websocket = user_data;
  g_autoptr (GError) error = NULL;

  *websocket = soup_session_websocket_connect_finish (SOUP_SESSION (object), result, &error);
  g_assert_no_error (error);
}

static void
test_unknown_message_closes (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", "http://localhost/desktop/vnc");
  g_autoptr (SoupWebsocketConnection) websocket = NULL;
  RawClient raw = { g_byte_array_new (), FALSE };
  /* Version, security type None, ClientInit, then a message type nobody defines. */
  static const guint8 handshake[] = "RFB 003.008\n\001\001";
  static const guint8 unknown[] = { 77, 0, 0, 0 };

  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Access-Token",
                                fixture->dg->guest->token);
  /* No subprotocol at all is accepted too, as websockify does. */
  soup_session_websocket_connect_async (fixture->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        NULL, raw_connected_cb, &websocket);
  VIV_TEST_WAIT_FOR (websocket != NULL, 30000);
  g_signal_connect (websocket, "message", G_CALLBACK (raw_message_cb), &raw);
  g_signal_connect (websocket, "closed", G_CALLBACK (raw_closed_cb), &raw);

  /* The server's version first. */
  VIV_TEST_WAIT_FOR (raw.received->len >= 12, 30000);
  g_assert_cmpmem (raw.received->data, 4, "RFB ", 4);

  soup_websocket_connection_send_binary (websocket, handshake, sizeof handshake - 1);
  /* ServerInit: 24 bytes and the name, after the security result. */
  VIV_TEST_WAIT_FOR (raw.received->len >= 12 + 2 + 4 + 24, 30000);
  g_assert_false (raw.closed);

  soup_websocket_connection_send_binary (websocket, unknown, sizeof unknown);
  VIV_TEST_WAIT_FOR (raw.closed, 30000);
  g_assert_cmpuint (soup_websocket_connection_get_close_code (websocket), ==,
                    SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION);
  g_assert_nonnull (strstr (soup_websocket_connection_get_close_data (websocket), "77"));

  g_byte_array_unref (raw.received);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  /* gvnc and libsoup debug output per frame would drown the TAP log. */
  g_log_set_debug_enabled (FALSE);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/vnc/framebuffer", test_framebuffer);
  ADD ("/vnc/several-viewers", test_several_viewers);
  ADD ("/vnc/view-only", test_view_only);
  ADD ("/vnc/takeover", test_takeover);
  ADD ("/vnc/token-required", test_token_required);
  ADD ("/vnc/unknown-message-closes", test_unknown_message_closes);

  return g_test_run ();
}
