/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sys/socket.h>

#include <gio/gunixsocketaddress.h>

#include "viv-test-viewer.h"

#define WAIT_MS 30000

static void
auth_choose_type_cb (VncConnection *connection,
                     GValueArray   *types,
                     gpointer       user_data)
{
  vnc_connection_set_auth_type (connection, VNC_CONNECTION_AUTH_NONE);
}

static void
initialized_cb (VncConnection *connection,
                gpointer       user_data)
{
  VivTestViewer *viewer = user_data;
  const VncPixelFormat *remote = vnc_connection_get_pixel_format (connection);
  VncPixelFormat local = {
    .bits_per_pixel = 32, .depth = 24, .byte_order = G_BYTE_ORDER, .true_color_flag = 1,
    .red_max = 255, .green_max = 255, .blue_max = 255,
    .red_shift = 16, .green_shift = 8, .blue_shift = 0,
  };
  gint32 encodings[] = { VNC_CONNECTION_ENCODING_RAW };
  VncBaseFramebuffer *framebuffer;

  viewer->width = vnc_connection_get_width (connection);
  viewer->height = vnc_connection_get_height (connection);
  viewer->pixels = g_new0 (guint32, (gsize) viewer->width * viewer->height);

  /* Raw only: no pseudo-encodings, so gvnc sends no requests of its own. */
  vnc_connection_set_pixel_format (connection, &local);
  framebuffer = vnc_base_framebuffer_new ((guint8 *) viewer->pixels, viewer->width,
                                          viewer->height, viewer->width * 4, &local, remote);
  vnc_connection_set_framebuffer (connection, VNC_FRAMEBUFFER (framebuffer));
  g_object_unref (framebuffer);
  vnc_connection_set_encodings (connection, G_N_ELEMENTS (encodings), encodings);
  viewer->initialized = TRUE;
}

static void
framebuffer_update_cb (VncConnection *connection,
                       int x, int y, int w, int h,
                       gpointer       user_data)
{
  VivTestViewer *viewer = user_data;

  viewer->updates++;
  viewer->area += (guint64) w * h;
}

static void
disconnected_cb (VncConnection *connection,
                 gpointer       user_data)
{
  VivTestViewer *viewer = user_data;

  viewer->disconnected = TRUE;
}

static VivTestViewer *
viewer_new (void)
{
  VivTestViewer *viewer = g_new0 (VivTestViewer, 1);

  viewer->connection = vnc_connection_new ();
  viewer->cancellable = g_cancellable_new ();
  g_queue_init (&viewer->to_bridge);
  g_signal_connect (viewer->connection, "vnc-auth-choose-type",
                    G_CALLBACK (auth_choose_type_cb), viewer);
  g_signal_connect (viewer->connection, "vnc-initialized", G_CALLBACK (initialized_cb), viewer);
  g_signal_connect (viewer->connection, "vnc-framebuffer-update",
                    G_CALLBACK (framebuffer_update_cb), viewer);
  g_signal_connect (viewer->connection, "vnc-disconnected", G_CALLBACK (disconnected_cb), viewer);
  return viewer;
}

/* The bridge: WebSocket messages go into the socketpair, in order. */
static void bridge_write_next (VivTestViewer *viewer);

static void
bridge_write_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  VivTestViewer *viewer = user_data;
  g_autoptr (GError) error = NULL;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  viewer->writing = FALSE;
  g_bytes_unref (g_queue_pop_head (&viewer->to_bridge));
  if (error == NULL)
    bridge_write_next (viewer);
}

static void
bridge_write_next (VivTestViewer *viewer)
{
  GBytes *bytes = g_queue_peek_head (&viewer->to_bridge);

  if (viewer->writing || bytes == NULL)
    return;

  viewer->writing = TRUE;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (viewer->bridge)),
                                   g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                   G_PRIORITY_DEFAULT, viewer->cancellable,
                                   bridge_write_cb, viewer);
}

static void
websocket_message_cb (SoupWebsocketConnection *websocket,
                      SoupWebsocketDataType    type,
                      GBytes                  *message,
                      gpointer                 user_data)
{
  VivTestViewer *viewer = user_data;

  viewer->ws_bytes += g_bytes_get_size (message);
  g_queue_push_tail (&viewer->to_bridge, g_bytes_ref (message));
  bridge_write_next (viewer);
}

static void
websocket_closed_cb (SoupWebsocketConnection *websocket,
                     gpointer                 user_data)
{
  VivTestViewer *viewer = user_data;

  /* gvnc sees the end of its stream and disconnects. */
  if (viewer->bridge != NULL)
    g_socket_shutdown (g_socket_connection_get_socket (viewer->bridge), FALSE, TRUE, NULL);
}

static void
bridge_read_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  VivTestViewer *viewer = user_data;
  g_autoptr (GBytes) bytes = NULL;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, NULL);
  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    return;

  if (soup_websocket_connection_get_state (viewer->websocket) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_send_binary (viewer->websocket, g_bytes_get_data (bytes, NULL),
                                           g_bytes_get_size (bytes));
  g_input_stream_read_bytes_async (G_INPUT_STREAM (object), 65536, G_PRIORITY_DEFAULT,
                                   viewer->cancellable, bridge_read_cb, viewer);
}

static void
websocket_connected_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;
  SoupWebsocketConnection *websocket;

  websocket = soup_session_websocket_connect_finish (SOUP_SESSION (object), result, &error);
  if (websocket == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, websocket, g_object_unref);
  g_object_unref (task);
}

VivTestViewer *
viv_test_viewer_open_websocket (VivTestGuest *guest,
                                SoupSession  *session,
                                const char   *query,
                                const char   *token,
                                guint        *status)
{
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = g_task_new (NULL, NULL, NULL, NULL);
  g_autofree char *uri = g_strconcat ("http://localhost/desktop/vnc", query ? query : "", NULL);
  g_autoptr (GSocket) ours = NULL;
  g_autoptr (GSocket) theirs = NULL;
  VivTestViewer *viewer;
  int pair[2];

  msg = soup_message_new ("GET", uri);
  if (token == NULL)
    token = guest->token;
  if (*token != '\0')
    soup_message_headers_replace (soup_message_get_request_headers (msg),
                                  "X-Access-Token", token);

  soup_session_websocket_connect_async (session, msg, NULL, (char *[]) { "binary", NULL },
                                        G_PRIORITY_DEFAULT, NULL, websocket_connected_cb,
                                        g_object_ref (task));
  VIV_TEST_WAIT_FOR (g_task_get_completed (task), WAIT_MS);

  if (status != NULL)
    *status = soup_message_get_status (msg);

  viewer = viewer_new ();
  viewer->websocket = g_task_propagate_pointer (task, &error);
  if (viewer->websocket == NULL)
    {
      g_test_message ("WebSocket refused: %s", error->message);
      viv_test_viewer_close (viewer);
      return NULL;
    }

  g_assert_cmpstr (soup_websocket_connection_get_protocol (viewer->websocket), ==, "binary");
  /* Framebuffer updates arrive in chunks of at most 64 KiB. */
  soup_websocket_connection_set_max_incoming_payload_size (viewer->websocket, 64 * 1024);

  g_assert_cmpint (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), ==, 0);
  theirs = g_socket_new_from_fd (pair[1], &error);
  g_assert_no_error (error);
  viewer->bridge = g_socket_connection_factory_create_connection (theirs);

  g_signal_connect (viewer->websocket, "message", G_CALLBACK (websocket_message_cb), viewer);
  g_signal_connect (viewer->websocket, "closed", G_CALLBACK (websocket_closed_cb), viewer);
  g_input_stream_read_bytes_async (g_io_stream_get_input_stream (G_IO_STREAM (viewer->bridge)),
                                   65536, G_PRIORITY_DEFAULT, viewer->cancellable,
                                   bridge_read_cb, viewer);

  /* gvnc owns pair[0] from here. */
  g_assert_true (vnc_connection_open_fd (viewer->connection, pair[0]));
  return viewer;
}

VivTestViewer *
viv_test_viewer_open_socket (const char *vnc_socket)
{
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (vnc_socket);
  VivTestViewer *viewer = viewer_new ();

  g_assert_true (vnc_connection_open_addr (viewer->connection, address, "localhost"));
  return viewer;
}

void
viv_test_viewer_close (VivTestViewer *viewer)
{
  if (viewer == NULL)
    return;

  g_cancellable_cancel (viewer->cancellable);
  if (viewer->websocket != NULL &&
      soup_websocket_connection_get_state (viewer->websocket) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (viewer->websocket, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  if (vnc_connection_is_open (viewer->connection))
    {
      vnc_connection_shutdown (viewer->connection);
      VIV_TEST_WAIT_FOR (viewer->disconnected, WAIT_MS);
    }
  if (viewer->websocket != NULL)
    {
      g_signal_handlers_disconnect_by_data (viewer->websocket, viewer);
      VIV_TEST_WAIT_FOR (soup_websocket_connection_get_state (viewer->websocket) ==
                         SOUP_WEBSOCKET_STATE_CLOSED, WAIT_MS);
    }
  /* Let cancelled operations finish before their data goes. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_signal_handlers_disconnect_by_data (viewer->connection, viewer);
  g_clear_object (&viewer->connection);
  g_clear_object (&viewer->websocket);
  g_clear_object (&viewer->bridge);
  g_clear_object (&viewer->cancellable);
  g_queue_clear_full (&viewer->to_bridge, (GDestroyNotify) g_bytes_unref);
  g_free (viewer->pixels);
  g_free (viewer);
}

gboolean
viv_test_viewer_wait_ready (VivTestViewer *viewer)
{
  VIV_TEST_WAIT_FOR (viewer->initialized || viewer->disconnected, WAIT_MS);
  return viewer->initialized && !viewer->disconnected;
}

void
viv_test_viewer_refresh (VivTestViewer *viewer)
{
  /* The server clips its answer to what was asked, and the test asks again
   * only once an answer is complete: so the answer is whole once the rects
   * cover the screen. */
  guint64 expected = viewer->area + (guint64) viewer->width * viewer->height;

  g_assert_true (vnc_connection_framebuffer_update_request (viewer->connection, FALSE, 0, 0,
                                                            viewer->width, viewer->height));
  VIV_TEST_WAIT_FOR (viewer->area >= expected || viewer->disconnected, WAIT_MS);
  g_assert_false (viewer->disconnected);
}

guint32
viv_test_viewer_pixel (VivTestViewer *viewer,
                       int            x,
                       int            y)
{
  g_assert_true (x >= 0 && x < viewer->width && y >= 0 && y < viewer->height);
  return viewer->pixels[y * viewer->width + x] & 0xffffff;
}

gboolean
viv_test_viewer_wait_pixel (VivTestViewer *viewer,
                            int            x,
                            int            y,
                            guint32        rgb)
{
  gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;

  while (g_get_monotonic_time () < deadline)
    {
      viv_test_viewer_refresh (viewer);
      if (viv_test_viewer_pixel (viewer, x, y) == rgb)
        return TRUE;
      g_usleep (10 * 1000);
    }

  return FALSE;
}
