/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-guest-http.h"
#include "viv-guest-modules.h"

/* GET /port/{port}: reaches a TCP port on the sandbox's loopback, so a host
 * outside the sandbox's network namespace can serve E2B's E2b-Sandbox-Port
 * routing without entering it.
 *
 * With "Upgrade: websocket" each binary (or text) message carries bytes of
 * the TCP stream, both ways. With any other Upgrade the answer is 101 and the
 * connection becomes the TCP stream itself.
 *
 * The WebSocket framing (RFC 6455 §5) is done here rather than with
 * SoupWebsocketConnection, which reads messages as fast as they come and has
 * no way to stop: a slow TCP peer would let the queue grow without bound.
 * Here each direction has one buffer, and the next read waits for the write
 * of the previous one. */

#define BUFFER_SIZE (64 * 1024)
/* Pongs and the close frame; past this a peer spamming pings gets no pongs. */
#define MAX_CONTROL_FRAMES 16

enum
{
  OPCODE_CONTINUATION = 0x0,
  OPCODE_TEXT = 0x1,
  OPCODE_BINARY = 0x2,
  OPCODE_CLOSE = 0x8,
  OPCODE_PING = 0x9,
  OPCODE_PONG = 0xa,
};

typedef struct
{
  gatomicrefcount  ref_count;
  GIOStream       *client;
  GIOStream       *tcp;
  GCancellable    *cancellable;
  gboolean         closed;

  /* client → tcp: a read buffer and the frame being parsed */
  guint8          *in_buffer;
  gsize            in_length;
  gsize            in_offset;
  gboolean         in_frame;      /* the header of the current frame is read */
  guint8           opcode;
  guint64          remaining;     /* payload bytes of the current frame left */
  guint8           mask[4];
  guint64          mask_offset;
  GByteArray      *control;       /* payload of a control frame */

  /* tcp → client, and control frames: one write at a time */
  GQueue           out_queue;     /* of GBytes */
  GBytes          *writing;       /* the frame being written */
  gboolean         tcp_reading;
  gboolean         close_sent;
} Bridge;

static Bridge *
bridge_ref (Bridge *bridge)
{
  g_atomic_ref_count_inc (&bridge->ref_count);
  return bridge;
}

static void
bridge_unref (Bridge *bridge)
{
  if (!g_atomic_ref_count_dec (&bridge->ref_count))
    return;

  g_clear_object (&bridge->client);
  g_clear_object (&bridge->tcp);
  g_clear_object (&bridge->cancellable);
  g_free (bridge->in_buffer);
  g_clear_pointer (&bridge->control, g_byte_array_unref);
  g_queue_clear_full (&bridge->out_queue, (GDestroyNotify) g_bytes_unref);
  g_clear_pointer (&bridge->writing, g_bytes_unref);
  g_free (bridge);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Bridge, bridge_unref)

static void
bridge_close (Bridge *bridge)
{
  if (bridge->closed)
    return;

  bridge->closed = TRUE;
  g_cancellable_cancel (bridge->cancellable);
  g_io_stream_close_async (bridge->client, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  g_io_stream_close_async (bridge->tcp, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
}

static GBytes *
make_frame (guint8        opcode,
            const guint8 *payload,
            gsize         length)
{
  GByteArray *frame = g_byte_array_sized_new (length + 10);
  guint8 header[10];
  gsize header_length;

  /* Server frames are never masked (RFC 6455 §5.1). */
  header[0] = 0x80 | opcode;
  if (length < 126)
    {
      header[1] = length;
      header_length = 2;
    }
  else if (length <= G_MAXUINT16)
    {
      header[1] = 126;
      header[2] = length >> 8;
      header[3] = length & 0xff;
      header_length = 4;
    }
  else
    {
      header[1] = 127;
      for (int i = 0; i < 8; i++)
        header[2 + i] = ((guint64) length >> (56 - 8 * i)) & 0xff;
      header_length = 10;
    }

  g_byte_array_append (frame, header, header_length);
  if (length > 0)
    g_byte_array_append (frame, payload, length);

  return g_byte_array_free_to_bytes (frame);
}

static void write_next (Bridge *bridge);
static void read_tcp (Bridge *bridge);
static void parse_client (Bridge *bridge);

static void
client_write_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (Bridge) bridge = user_data;
  g_autoptr (GError) error = NULL;

  g_clear_pointer (&bridge->writing, g_bytes_unref);
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error) ||
      bridge->closed)
    {
      bridge_close (bridge);
      return;
    }

  if (bridge->close_sent && g_queue_is_empty (&bridge->out_queue))
    {
      bridge_close (bridge);
      return;
    }

  write_next (bridge);
  read_tcp (bridge);
}

static void
write_next (Bridge *bridge)
{
  gsize length;
  const guint8 *data;

  if (bridge->writing != NULL || bridge->closed || g_queue_is_empty (&bridge->out_queue))
    return;

  bridge->writing = g_queue_pop_head (&bridge->out_queue);
  data = g_bytes_get_data (bridge->writing, &length);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (bridge->client),
                                   data, length, G_PRIORITY_DEFAULT, bridge->cancellable,
                                   client_write_cb, bridge_ref (bridge));
}

static void
send_close (Bridge  *bridge,
            guint16  code)
{
  guint8 payload[2] = { code >> 8, code & 0xff };

  if (bridge->close_sent)
    return;

  bridge->close_sent = TRUE;
  g_queue_push_tail (&bridge->out_queue, make_frame (OPCODE_CLOSE, payload, sizeof payload));
  write_next (bridge);
}

static void
tcp_read_cb (GObject      *source,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (Bridge) bridge = user_data;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (GError) error = NULL;
  gsize length;
  const guint8 *data;

  bridge->tcp_reading = FALSE;
  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &error);
  if (bridge->closed)
    return;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      /* The TCP side ended: say so, then close once the close frame is out. */
      send_close (bridge, bytes == NULL ? 1011 : 1000);
      return;
    }

  data = g_bytes_get_data (bytes, &length);
  g_queue_push_tail (&bridge->out_queue, make_frame (OPCODE_BINARY, data, length));
  write_next (bridge);
}

static void
read_tcp (Bridge *bridge)
{
  /* One frame in the queue at most: the next read waits for its write. */
  if (bridge->closed || bridge->close_sent || bridge->tcp_reading || bridge->writing != NULL ||
      !g_queue_is_empty (&bridge->out_queue))
    return;

  bridge->tcp_reading = TRUE;
  g_input_stream_read_bytes_async (g_io_stream_get_input_stream (bridge->tcp), BUFFER_SIZE,
                                   G_PRIORITY_DEFAULT, bridge->cancellable,
                                   tcp_read_cb, bridge_ref (bridge));
}

static void
client_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (Bridge) bridge = user_data;
  g_autoptr (GError) error = NULL;
  gssize n_read;

  n_read = g_input_stream_read_finish (G_INPUT_STREAM (source), result, &error);
  if (bridge->closed)
    return;

  if (n_read <= 0)
    {
      bridge_close (bridge);
      return;
    }

  bridge->in_length += n_read;
  parse_client (bridge);
}

/* Reads more from the client after what is left of the buffer (at most a
 * partial frame header), moved to its start. */
static void
read_client (Bridge *bridge)
{
  gsize left = bridge->in_length - bridge->in_offset;

  memmove (bridge->in_buffer, bridge->in_buffer + bridge->in_offset, left);
  bridge->in_length = left;
  bridge->in_offset = 0;
  g_input_stream_read_async (g_io_stream_get_input_stream (bridge->client),
                             bridge->in_buffer + left, BUFFER_SIZE - left, G_PRIORITY_DEFAULT,
                             bridge->cancellable, client_read_cb, bridge_ref (bridge));
}

static void
tcp_write_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (Bridge) bridge = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      if (!bridge->closed)
        {
          send_close (bridge, 1011);
          /* Stop reading the client; the close frame goes out, then all closes. */
        }
      return;
    }

  if (!bridge->closed)
    parse_client (bridge);
}

static void
handle_control (Bridge *bridge)
{
  switch (bridge->opcode)
    {
    case OPCODE_PING:
      if (g_queue_get_length (&bridge->out_queue) < MAX_CONTROL_FRAMES)
        {
          g_queue_push_tail (&bridge->out_queue,
                             make_frame (OPCODE_PONG, bridge->control->data,
                                         bridge->control->len));
          write_next (bridge);
        }
      break;

    case OPCODE_CLOSE:
      send_close (bridge, 1000);
      break;

    default:
      /* A pong needs nothing. */
      break;
    }
}

/* Reads the headers and payloads in the buffer; data payloads go to TCP, and
 * the parsing resumes when that write is done. */
static void
parse_client (Bridge *bridge)
{
  while (!bridge->closed && !bridge->close_sent)
    {
      guint8 *data = bridge->in_buffer + bridge->in_offset;
      gsize available = bridge->in_length - bridge->in_offset;

      if (!bridge->in_frame)
        {
          gsize header_length = 2;
          guint64 length;

          if (available < 2)
            break;
          if ((data[1] & 0x80) == 0)
            {
              /* Client frames must be masked (RFC 6455 §5.1). */
              send_close (bridge, 1002);
              return;
            }
          length = data[1] & 0x7f;
          if (length == 126)
            header_length += 2;
          else if (length == 127)
            header_length += 8;
          header_length += 4;
          if (available < header_length)
            break;

          if (length == 126)
            length = ((guint64) data[2] << 8) | data[3];
          else if (length == 127)
            {
              length = 0;
              for (int i = 0; i < 8; i++)
                length = (length << 8) | data[2 + i];
            }

          bridge->opcode = data[0] & 0x0f;
          if (bridge->opcode >= OPCODE_CLOSE && length > 125)
            {
              send_close (bridge, 1002);
              return;
            }
          memcpy (bridge->mask, data + header_length - 4, 4);
          bridge->mask_offset = 0;
          bridge->remaining = length;
          bridge->in_frame = TRUE;
          bridge->in_offset += header_length;
          g_byte_array_set_size (bridge->control, 0);
          continue;
        }

      if (bridge->remaining > 0 && available == 0)
        break;

      {
        gsize take = MIN ((guint64) available, bridge->remaining);

        for (gsize i = 0; i < take; i++)
          data[i] ^= bridge->mask[(bridge->mask_offset + i) % 4];
        bridge->mask_offset += take;
        bridge->remaining -= take;
        bridge->in_offset += take;
        if (bridge->remaining == 0)
          bridge->in_frame = FALSE;

        if (bridge->opcode >= OPCODE_CLOSE)
          {
            g_byte_array_append (bridge->control, data, take);
            if (!bridge->in_frame)
              handle_control (bridge);
            continue;
          }

        if (take > 0)
          {
            /* Text, binary and continuation frames all carry stream bytes. */
            g_output_stream_write_all_async (g_io_stream_get_output_stream (bridge->tcp),
                                             data, take, G_PRIORITY_DEFAULT,
                                             bridge->cancellable, tcp_write_cb,
                                             bridge_ref (bridge));
            return;
          }
      }
    }

  if (bridge->closed || bridge->close_sent)
    return;

  read_client (bridge);
}

static void
splice_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_io_stream_splice_finish (result, NULL);
}

typedef struct
{
  SoupServerMessage *msg;
  gboolean           websocket;
  GSocketConnection *tcp;
} Forward;

static void
forward_free (Forward *forward)
{
  g_clear_object (&forward->msg);
  g_clear_object (&forward->tcp);
  g_free (forward);
}

static void
wrote_informational_cb (SoupServerMessage *msg,
                        gpointer           user_data)
{
  Forward *forward = user_data;
  g_autoptr (GIOStream) client = NULL;

  if (soup_server_message_get_status (msg) != SOUP_STATUS_SWITCHING_PROTOCOLS)
    return;

  client = soup_server_message_steal_connection (msg);

  if (!forward->websocket)
    {
      /* Either side ending ends both, as a TCP proxy does. */
      g_io_stream_splice_async (client, G_IO_STREAM (forward->tcp),
                                G_IO_STREAM_SPLICE_CLOSE_STREAM1 |
                                G_IO_STREAM_SPLICE_CLOSE_STREAM2,
                                G_PRIORITY_DEFAULT, NULL, splice_cb, NULL);
    }
  else
    {
      Bridge *bridge = g_new0 (Bridge, 1);

      g_atomic_ref_count_init (&bridge->ref_count);
      bridge->client = g_steal_pointer (&client);
      bridge->tcp = G_IO_STREAM (g_object_ref (forward->tcp));
      bridge->cancellable = g_cancellable_new ();
      bridge->in_buffer = g_malloc (BUFFER_SIZE);
      bridge->control = g_byte_array_new ();
      g_queue_init (&bridge->out_queue);

      read_client (bridge);
      read_tcp (bridge);
      bridge_unref (bridge);
    }
}

static void
connect_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Forward *forward = user_data;
  /* Only the closure below keeps the forward once connected; a reference to
   * the message from it would keep the message alive forever. */
  g_autoptr (SoupServerMessage) msg = g_steal_pointer (&forward->msg);
  SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  g_autoptr (GError) error = NULL;

  forward->tcp = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result, &error);
  if (forward->tcp == NULL)
    {
      viv_http_reply_error (msg, SOUP_STATUS_BAD_GATEWAY,
                            "Cannot reach the port in the sandbox: %s", error->message);
      soup_server_message_unpause (msg);
      forward_free (forward);
      return;
    }

  if (forward->websocket)
    {
      const char *requested = soup_message_headers_get_list (request_headers,
                                                             "Sec-WebSocket-Protocol");
      g_auto (GStrv) protocols = NULL;

      /* Answer with the client's first subprotocol ("binary" for websockify
       * clients): a browser fails a handshake that drops the one it asked for. */
      if (requested != NULL)
        {
          g_auto (GStrv) offered = g_strsplit (requested, ",", 2);

          protocols = g_new0 (char *, 2);
          protocols[0] = g_strstrip (g_strdup (offered[0]));
        }

      /* No extensions: the framing here does not compress. */
      soup_websocket_server_process_handshake (msg, NULL, (char **) protocols, NULL, NULL);
    }
  else
    {
      soup_server_message_set_status (msg, SOUP_STATUS_SWITCHING_PROTOCOLS, NULL);
      soup_message_headers_replace (response_headers, "Connection", "Upgrade");
      soup_message_headers_replace (response_headers, "Upgrade",
                                    soup_message_headers_get_one (request_headers, "Upgrade"));
    }

  g_signal_connect_data (msg, "wrote-informational", G_CALLBACK (wrote_informational_cb),
                         forward, (GClosureNotify) (void (*) (void)) forward_free, 0);
  soup_server_message_unpause (msg);
}

static void
port_cb (VivGuest          *guest,
         SoupServerMessage *msg,
         const char        *tail,
         GHashTable        *query,
         gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  g_autoptr (GSocketClient) client = NULL;
  g_autoptr (GError) error = NULL;
  const char *upgrade = soup_message_headers_get_one (headers, "Upgrade");
  Forward *forward;
  guint64 port;

  if (!g_ascii_string_to_unsigned (tail, 10, 1, 65535, &port, NULL))
    {
      viv_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                            "“%s” is not a port number from 1 to 65535", tail);
      return;
    }

  if (upgrade == NULL || *upgrade == '\0')
    {
      viv_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                            "Port forwarding needs an Upgrade header: websocket, or any "
                            "other value for the raw stream");
      return;
    }

  forward = g_new0 (Forward, 1);
  forward->msg = g_object_ref (msg);
  forward->websocket = g_ascii_strcasecmp (upgrade, "websocket") == 0;

  if (forward->websocket &&
      !soup_websocket_server_check_handshake (msg, NULL, NULL, NULL, &error))
    {
      viv_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
      forward_free (forward);
      return;
    }

  client = g_socket_client_new ();
  g_socket_client_set_timeout (client, 10);
  soup_server_message_pause (msg);
  g_socket_client_connect_to_host_async (client, "127.0.0.1", port, NULL,
                                         connect_cb, forward);
}

void
viv_port_forward_register (VivGuest *guest)
{
  viv_guest_add_route (guest, "GET", "/port/", VIV_ROUTE_PREFIX, port_cb, NULL);
}
