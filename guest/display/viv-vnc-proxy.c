/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gunixsocketaddress.h>

#include "viv-guest-http.h"
#include "viv-guest-modules.h"
#include "viv-rfb-filter.h"

#define VNC_PATH "/desktop/vnc"
/* Server-to-client chunks: some WebSocket clients cap messages at 128 KiB. */
#define READ_CHUNK (64 * 1024)
/* Client messages are small but for clipboard text (capped by the filter). */
#define MAX_INCOMING_PAYLOAD (9 * 1024 * 1024)
/* A client that sends faster than the VNC server reads is cut off here. */
#define MAX_QUEUED_TO_SERVER (16 * 1024 * 1024)
#define KEEPALIVE_SECONDS 30

typedef struct
{
  VivGuest *guest;
  GList    *clients; /* of VivVncClient */
} VivVncProxy;

/* One viewer: its WebSocket and its own connection to the VNC socket. */
typedef struct
{
  VivVncProxy             *proxy;
  SoupWebsocketConnection *websocket;
  GSocketConnection       *vnc;
  GCancellable            *cancellable;
  VivRfbFilter            *filter;
  char                    *holder;
  gboolean                 view_only;
  gboolean                 input_allowed;

  GQueue                   to_server;     /* of GBytes, waiting for the VNC socket */
  gsize                    to_server_size;
  gboolean                 writing;
  gboolean                 reading;
  gboolean                 connecting;
  GSource                  *drain_source; /* waiting for the WebSocket to drain */
  gboolean                 finished;
} VivVncClient;

static void read_from_server (VivVncClient *client);
static void write_to_server  (VivVncClient *client);

static gboolean
client_input_allowed (VivVncClient *client)
{
  return !client->view_only && viv_guest_takeover_allows (client->proxy->guest, client->holder);
}

static void
emit_viewer_event (VivVncClient *client,
                   const char   *state)
{
  g_autoptr (JsonObject) data = json_object_new ();

  json_object_set_string_member (data, "state", state);
  json_object_set_int_member (data, "viewers", g_list_length (client->proxy->clients));
  json_object_set_boolean_member (data, "view_only", client->view_only);
  if (client->holder != NULL)
    json_object_set_string_member (data, "holder", client->holder);
  viv_guest_emit_event (client->proxy->guest, "viewer", data);
}

static void
close_websocket (VivVncClient *client,
                 gushort       code,
                 const char   *reason)
{
  if (soup_websocket_connection_get_state (client->websocket) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (client->websocket, code, reason);
}

static void
client_free (VivVncClient *client)
{
  g_clear_object (&client->websocket);
  g_clear_object (&client->vnc);
  g_clear_object (&client->cancellable);
  g_clear_pointer (&client->filter, viv_rfb_filter_free);
  g_clear_pointer (&client->holder, g_free);
  g_queue_clear_full (&client->to_server, (GDestroyNotify) g_bytes_unref);
  g_free (client);
}

/* Ends the viewer: the VNC connection is closed, and the client is freed once
 * no operation holds it (each pending operation owns a reference through the
 * cancellable it was given). */
static void
client_finish (VivVncClient *client)
{
  if (client->finished)
    return;

  client->finished = TRUE;
  g_cancellable_cancel (client->cancellable);
  if (client->drain_source != NULL)
    {
      g_source_destroy (client->drain_source);
      g_clear_pointer (&client->drain_source, g_source_unref);
    }
  client->proxy->clients = g_list_remove (client->proxy->clients, client);
  emit_viewer_event (client, "disconnected");
  g_signal_handlers_disconnect_by_data (client->websocket, client);
}

static void
client_unref_when_idle (VivVncClient *client)
{
  /* Pending reads and writes complete (cancelled) on later iterations; the
   * client, and with it the VNC connection, lives until they did. */
  if (client->finished && !client->writing && !client->reading && !client->connecting &&
      client->drain_source == NULL)
    client_free (client);
}

static void
queue_to_server (VivVncClient *client,
                 GByteArray   *bytes)
{
  if (bytes->len == 0)
    return;

  client->to_server_size += bytes->len;
  g_queue_push_tail (&client->to_server, g_bytes_new (bytes->data, bytes->len));
  g_byte_array_set_size (bytes, 0);

  if (client->to_server_size > MAX_QUEUED_TO_SERVER)
    {
      close_websocket (client, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                       "Too much input queued for the display");
      client_finish (client);
      return;
    }

  write_to_server (client);
}

static void
write_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  VivVncClient *client = user_data;
  g_autoptr (GError) error = NULL;
  GBytes *bytes;

  client->writing = FALSE;
  bytes = g_queue_pop_head (&client->to_server);
  client->to_server_size -= g_bytes_get_size (bytes);
  g_bytes_unref (bytes);

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error))
    {
      if (!client->finished)
        {
          close_websocket (client, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                           "The display's VNC server closed the connection");
          client_finish (client);
        }
      client_unref_when_idle (client);
      return;
    }

  if (client->finished)
    {
      client_unref_when_idle (client);
      return;
    }

  write_to_server (client);
}

static void
write_to_server (VivVncClient *client)
{
  GBytes *bytes;

  if (client->writing || client->vnc == NULL || client->finished)
    return;

  bytes = g_queue_peek_head (&client->to_server);
  if (bytes == NULL)
    return;

  client->writing = TRUE;
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (client->vnc)),
                                   g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes),
                                   G_PRIORITY_DEFAULT, client->cancellable, write_cb, client);
}

static void
websocket_message_cb (SoupWebsocketConnection *websocket,
                      SoupWebsocketDataType    type,
                      GBytes                  *message,
                      gpointer                 user_data)
{
  VivVncClient *client = user_data;
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GError) error = NULL;
  gsize length;
  const guint8 *data = g_bytes_get_data (message, &length);

  if (type != SOUP_WEBSOCKET_DATA_BINARY)
    {
      close_websocket (client, SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA,
                       "Only binary messages carry RFB");
      client_finish (client);
      return;
    }

  if (!viv_rfb_filter_feed (client->filter, data, length, client_input_allowed (client),
                            out, &error))
    {
      /* Past a message we cannot measure, nothing can be told apart any more. */
      close_websocket (client, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, error->message);
      client_finish (client);
      return;
    }

  queue_to_server (client, out);
}

static void
websocket_closed_cb (SoupWebsocketConnection *websocket,
                     gpointer                 user_data)
{
  VivVncClient *client = user_data;

  client_finish (client);
  client_unref_when_idle (client);
}

static gboolean
websocket_drained_cb (GObject  *stream,
                      gpointer  user_data)
{
  VivVncClient *client = user_data;

  g_clear_pointer (&client->drain_source, g_source_unref);
  if (client->finished)
    client_unref_when_idle (client);
  else
    read_from_server (client);
  return G_SOURCE_REMOVE;
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  VivVncClient *client = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  GOutputStream *websocket_output;

  client->reading = FALSE;
  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);

  if (client->finished)
    {
      client_unref_when_idle (client);
      return;
    }

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      close_websocket (client, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                       "The display's VNC server closed the connection");
      client_finish (client);
      client_unref_when_idle (client);
      return;
    }

  soup_websocket_connection_send_binary (client->websocket, g_bytes_get_data (bytes, NULL),
                                         g_bytes_get_size (bytes));

  /* libsoup 3.2 tells nothing about its send queue, but it writes at once while
   * the socket takes data, so a socket that takes no more means a queue is
   * growing: read more from the VNC server only once it drains. */
  websocket_output = g_io_stream_get_output_stream (
    soup_websocket_connection_get_io_stream (client->websocket));
  if (G_IS_POLLABLE_OUTPUT_STREAM (websocket_output) &&
      g_pollable_output_stream_can_poll (G_POLLABLE_OUTPUT_STREAM (websocket_output)) &&
      !g_pollable_output_stream_is_writable (G_POLLABLE_OUTPUT_STREAM (websocket_output)))
    {
      client->drain_source = g_pollable_output_stream_create_source (
        G_POLLABLE_OUTPUT_STREAM (websocket_output), NULL);
      g_source_set_callback (client->drain_source, G_SOURCE_FUNC (websocket_drained_cb),
                             client, NULL);
      g_source_attach (client->drain_source, NULL);
      return;
    }

  read_from_server (client);
}

static void
read_from_server (VivVncClient *client)
{
  client->reading = TRUE;
  g_input_stream_read_bytes_async (g_io_stream_get_input_stream (G_IO_STREAM (client->vnc)),
                                   READ_CHUNK, G_PRIORITY_DEFAULT, client->cancellable,
                                   read_cb, client);
}

static void
connect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  VivVncClient *client = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GSocketConnection) connection = NULL;

  client->connecting = FALSE;
  connection = g_socket_client_connect_finish (G_SOCKET_CLIENT (object), result, &error);

  if (client->finished)
    {
      client_unref_when_idle (client);
      return;
    }

  if (connection == NULL)
    {
      g_autofree char *reason = g_strdup_printf ("The display is not reachable: %s",
                                                 error->message);

      close_websocket (client, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR, reason);
      client_finish (client);
      client_unref_when_idle (client);
      return;
    }

  client->vnc = g_steal_pointer (&connection);
  read_from_server (client);
  write_to_server (client);
}

static void
takeover_changed_cb (VivGuest *guest,
                     gpointer  user_data)
{
  VivVncProxy *proxy = user_data;

  for (GList *l = proxy->clients; l != NULL; l = l->next)
    {
      VivVncClient *client = l->data;
      gboolean allowed = client_input_allowed (client);

      /* A viewer that loses input must not leave a button or key held down. */
      if (client->input_allowed && !allowed)
        {
          g_autoptr (GByteArray) out = g_byte_array_new ();

          viv_rfb_filter_release_all (client->filter, out);
          queue_to_server (client, out);
        }
      client->input_allowed = allowed;
    }
}

static gboolean
query_flag (GHashTable *query,
            const char *name)
{
  const char *value = query ? g_hash_table_lookup (query, name) : NULL;

  return value != NULL && (strcmp (value, "1") == 0 || strcmp (value, "true") == 0);
}

static void
websocket_cb (SoupServer              *server,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *websocket,
              gpointer                 user_data)
{
  VivVncProxy *proxy = user_data;
  VivGuestDisplayConfig *config = viv_guest_get_display_config (proxy->guest);
  const char *query_string = g_uri_get_query (soup_server_message_get_uri (msg));
  g_autoptr (GHashTable) query = query_string ? soup_form_decode (query_string) : NULL;
  g_autoptr (GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr (GSocketAddress) address = NULL;
  VivVncClient *client;

  client = g_new0 (VivVncClient, 1);
  client->proxy = proxy;
  client->websocket = g_object_ref (websocket);
  client->cancellable = g_cancellable_new ();
  client->filter = viv_rfb_filter_new ();
  client->view_only = query_flag (query, "view_only");
  client->holder = g_strdup (query ? g_hash_table_lookup (query, "holder") : NULL);
  client->input_allowed = client_input_allowed (client);
  g_queue_init (&client->to_server);

  soup_websocket_connection_set_max_incoming_payload_size (websocket, MAX_INCOMING_PAYLOAD);
  soup_websocket_connection_set_keepalive_interval (websocket, KEEPALIVE_SECONDS);
  g_signal_connect (websocket, "message", G_CALLBACK (websocket_message_cb), client);
  g_signal_connect (websocket, "closed", G_CALLBACK (websocket_closed_cb), client);

  proxy->clients = g_list_prepend (proxy->clients, client);
  emit_viewer_event (client, "connected");

  /* Each viewer gets its own VNC connection, so viewers never share state. */
  address = g_unix_socket_address_new (config->vnc_socket);
  client->connecting = TRUE;
  g_socket_client_connect_async (socket_client, G_SOCKET_CONNECTABLE (address),
                                 client->cancellable, connect_cb, client);
}

/* An early handler runs once the headers are in, before any body is read and
 * before the upgrade; a status set here refuses the upgrade. */
static void
check_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  VivVncProxy *proxy = user_data;
  VivGuestDisplayConfig *config = viv_guest_get_display_config (proxy->guest);
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);

  /* The token comes in a header only, never in the URL, where it would end up
   * in logs and browser history. */
  if (!viv_guest_check_access_token (proxy->guest, msg))
    viv_http_reply_error (msg, SOUP_STATUS_UNAUTHORIZED,
                          "A valid X-Access-Token header is required");
  else if (strcmp (soup_server_message_get_method (msg), "GET") != 0)
    viv_http_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED,
                          "%s is not allowed on %s", soup_server_message_get_method (msg),
                          VNC_PATH);
  else if (encoding != SOUP_ENCODING_NONE &&
           !(encoding == SOUP_ENCODING_CONTENT_LENGTH &&
             soup_message_headers_get_content_length (headers) == 0))
    viv_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                          "A WebSocket upgrade has no request body");
  else if (config->vnc_socket == NULL)
    viv_http_reply_error (msg, SOUP_STATUS_NOT_FOUND,
                          "This guest has no VNC server (start it with --display, or "
                          "give --vnc-socket with --attach)");
  else if (!soup_websocket_server_check_handshake (msg, NULL, (char *[]) { "binary", NULL },
                                                   NULL, NULL))
    viv_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                          "%s is a WebSocket (subprotocol “binary”)", VNC_PATH);
}

static void
viv_vnc_proxy_free (VivVncProxy *proxy)
{
  g_list_free (proxy->clients);
  g_free (proxy);
}

/**
 * viv_vnc_proxy_register:
 *
 * Serves GET /desktop/vnc: a WebSocket (noVNC/websockify compatible) carrying
 * the display's RFB stream, with view-only and takeover enforced by the guest.
 */
void
viv_vnc_proxy_register (VivGuest *guest)
{
  SoupServer *server = viv_guest_get_server (guest);
  VivVncProxy *proxy = g_new0 (VivVncProxy, 1);

  proxy->guest = guest;
  g_object_set_data_full (G_OBJECT (guest), "viv-vnc-proxy", proxy,
                          (GDestroyNotify) viv_vnc_proxy_free);
  g_signal_connect (guest, "takeover-changed", G_CALLBACK (takeover_changed_cb), proxy);

  /* On this path these handlers take precedence over the guest's catch-all. */
  soup_server_add_early_handler (server, VNC_PATH, check_cb, proxy, NULL);
  soup_server_add_websocket_handler (server, VNC_PATH, NULL, (char *[]) { "binary", NULL },
                                     websocket_cb, proxy, NULL);
}
