/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libsoup/soup.h>

#include "vivarium.h"
#include "viv-client-private.h"
#include "viv-error-private.h"
#include "viv-sandbox-private.h"

/**
 * VivDisplayStream:
 *
 * A sandbox's VNC stream as a connected file descriptor, ready for
 * `vnc_connection_open_fd()`.
 *
 * The guest serves VNC only as a WebSocket (`GET /desktop/vnc`, `binary`
 * subprotocol). This object opens it and bridges it to one end of a
 * socketpair; [method@Viv.DisplayStream.steal_fd] hands out the other end.
 * The pump is asynchronous and back-pressured both ways: it does not read
 * from one side while its write to the other side is pending, so a slow
 * viewer slows the guest down instead of filling memory.
 *
 * A sandbox without vivarium-guest, such as one of E2B's `desktop` template,
 * answers 404 there. The stream then does what E2B's Desktop SDK does to show
 * a desktop: through envd's process API it starts x11vnc on the sandbox's X
 * display (port 5900) and noVNC's WebSocket proxy (port 6080) unless they run
 * already, and opens `/websockify` on port 6080 instead.
 *
 * The WebSocket client is written here over GIO rather than with
 * `SoupWebsocketConnection`, which reads and emits messages without any way
 * to pause, so it cannot apply back-pressure.
 */

#define READ_SIZE      (128 * 1024)
#define MAX_HEADERS    (64 * 1024)
#define MAX_FRAME      (16 * 1024 * 1024)
#define WS_GUID        "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

/* E2B Desktop's ports: x11vnc and noVNC's websockify in front of it. */
#define E2B_VNC_PORT   5900
#define E2B_NOVNC_PORT 6080

/* Exit status 3: this sandbox has no desktop to show. Runs as the sandbox's
 * default user, with its environment (E2B Desktop sets DISPLAY). x11vnc gets
 * a random password from a file only the user can read (not its command
 * line); the script prints it for the viewer. */
static const char e2b_stream_script[] =
  "display=${DISPLAY:-:0}\n"
  "n=${display#*:}; n=${n%%.*}\n"
  "password_file=$HOME/.vnc/vivarium-password\n"
  "listening () { (ss -ltn 2>/dev/null || netstat -tln 2>/dev/null) | grep -q \":$1 \"; }\n"
  "if ! listening 6080; then\n"
  "  [ -S /tmp/.X11-unix/X$n ] || { echo \"no X server on $display\" >&2; exit 3; }\n"
  "  command -v x11vnc >/dev/null || { echo 'x11vnc is not installed' >&2; exit 3; }\n"
  "  if ! listening 5900; then\n"
  "    umask 077; mkdir -p \"$HOME/.vnc\"\n"
  "    head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | cut -c 1-8 > \"$password_file\"\n"
  "    x11vnc -bg -quiet -display \"$display\" -forever -wait 50 -shared -rfbport 5900 \\\n"
  "      -passwdfile \"$password_file\" </dev/null >/dev/null 2>/tmp/x11vnc_stderr.log \\\n"
  "      || { tail -n 3 /tmp/x11vnc_stderr.log >&2; exit 1; }\n"
  "  fi\n"
  "  if [ -x /opt/noVNC/utils/novnc_proxy ]; then\n"
  "    (cd /opt/noVNC/utils && setsid ./novnc_proxy --vnc localhost:5900 --listen 6080 --web /opt/noVNC \\\n"
  "      </dev/null >/tmp/novnc.log 2>&1 &)\n"
  "  elif command -v websockify >/dev/null; then\n"
  "    (setsid websockify 6080 localhost:5900 </dev/null >/tmp/novnc.log 2>&1 &)\n"
  "  else\n"
  "    echo 'neither noVNC nor websockify is installed' >&2; exit 3\n"
  "  fi\n"
  "fi\n"
  "i=0\n"
  "until listening 6080; do\n"
  "  i=$((i + 1))\n"
  "  [ $i -le 100 ] || { echo \"noVNC did not start: $(tail -n 3 /tmp/novnc.log)\" >&2; exit 1; }\n"
  "  sleep 0.1\n"
  "done\n"
  "if pgrep -f -- \"-passwdfile $password_file\" >/dev/null; then cat \"$password_file\"; fi\n";

enum {
  OP_CONTINUATION = 0x0,
  OP_TEXT         = 0x1,
  OP_BINARY       = 0x2,
  OP_CLOSE        = 0x8,
  OP_PING         = 0x9,
  OP_PONG         = 0xA,
};

struct _VivDisplayStream
{
  GObject        parent_instance;

  GIOStream     *ws;
  GByteArray    *ws_buffer;     /* received, not yet parsed */
  guint8        *ws_read_buffer;
  gboolean       ws_reading;
  GByteArray    *local_out;     /* payloads being written to the viewer */
  gboolean       local_writing;
  GQueue         ws_out;        /* GBytes frames waiting for the WebSocket */
  gboolean       ws_writing;
  gboolean       close_sent;
  gboolean       local_reading;

  GSocketConnection *local;
  guint8        *local_read_buffer;
  int            peer_fd;

  GCancellable  *cancellable;
  guint64        received;
  guint64        sent;
  gboolean       closed;
  char          *vnc_password;
};

enum {
  CLOSED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (VivDisplayStream, viv_display_stream, G_TYPE_OBJECT)

static guint signals[N_SIGNALS];

static void ws_to_local (VivDisplayStream *self);
static void local_to_ws (VivDisplayStream *self);

static void
finish (VivDisplayStream *self,
        GError           *error)
{
  g_autoptr (GError) owned = error;

  if (self->closed)
    return;

  self->closed = TRUE;
  g_cancellable_cancel (self->cancellable);
  /* Closing our end tells the viewer (gvnc) the stream is over. */
  if (self->local != NULL)
    g_io_stream_close (G_IO_STREAM (self->local), NULL, NULL);
  if (self->ws != NULL)
    g_io_stream_close (self->ws, NULL, NULL);

  if (owned != NULL && g_error_matches (owned, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_clear_error (&owned);

  g_signal_emit (self, signals[CLOSED], 0, owned);
}

/* Frames */

static GBytes *
build_frame (guint8        opcode,
             const guint8 *payload,
             gsize         length)
{
  /* Client frames are masked (RFC 6455 §5.3). */
  GByteArray *frame = g_byte_array_sized_new (length + 14);
  guint32 mask_value = g_random_int ();
  guint8 mask[4];
  guint8 header[10];
  gsize header_len;

  memcpy (mask, &mask_value, 4);
  header[0] = 0x80 | opcode;
  if (length < 126)
    {
      header[1] = 0x80 | length;
      header_len = 2;
    }
  else if (length <= G_MAXUINT16)
    {
      header[1] = 0x80 | 126;
      header[2] = length >> 8;
      header[3] = length & 0xff;
      header_len = 4;
    }
  else
    {
      header[1] = 0x80 | 127;
      for (int i = 0; i < 8; i++)
        header[2 + i] = ((guint64) length >> (56 - 8 * i)) & 0xff;
      header_len = 10;
    }

  g_byte_array_append (frame, header, header_len);
  g_byte_array_append (frame, mask, 4);
  g_byte_array_set_size (frame, header_len + 4 + length);
  for (gsize i = 0; i < length; i++)
    frame->data[header_len + 4 + i] = payload[i] ^ mask[i & 3];

  return g_byte_array_free_to_bytes (frame);
}

static void ws_write_next (VivDisplayStream *self);

static void
ws_write_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (VivDisplayStream) self = user_data;
  g_autoptr (GBytes) frame = NULL;
  GError *error = NULL;

  frame = g_queue_pop_head (&self->ws_out);
  self->ws_writing = FALSE;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error))
    {
      finish (self, _viv_error_from_transport (error));
      return;
    }

  if (self->closed)
    return;

  ws_write_next (self);
  /* The viewer's bytes went out: read more from it. */
  if (g_queue_is_empty (&self->ws_out))
    local_to_ws (self);
}

static void
ws_write_next (VivDisplayStream *self)
{
  GBytes *frame;
  gsize size;
  gconstpointer data;

  if (self->ws_writing || self->closed || !(frame = g_queue_peek_head (&self->ws_out)))
    return;

  self->ws_writing = TRUE;
  data = g_bytes_get_data (frame, &size);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (self->ws), data, size,
                                   G_PRIORITY_DEFAULT, self->cancellable, ws_write_cb,
                                   g_object_ref (self));
}

static void
ws_send (VivDisplayStream *self,
         guint8            opcode,
         const guint8     *payload,
         gsize             length)
{
  if (self->close_sent)
    return;
  if (opcode == OP_CLOSE)
    self->close_sent = TRUE;

  g_queue_push_tail (&self->ws_out, build_frame (opcode, payload, length));
  ws_write_next (self);
}

/* WebSocket → local */

static void
local_write_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (VivDisplayStream) self = user_data;
  GError *error = NULL;
  gsize written = 0;

  self->local_writing = FALSE;
  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, &written, &error))
    {
      finish (self, error);
      return;
    }

  self->received += written;
  g_byte_array_set_size (self->local_out, 0);
  ws_to_local (self);
}

static void
ws_read_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (VivDisplayStream) self = user_data;
  GError *error = NULL;
  gssize n_read;

  self->ws_reading = FALSE;
  n_read = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  if (n_read < 0)
    {
      finish (self, _viv_error_from_transport (error));
      return;
    }
  if (n_read == 0)
    {
      finish (self, g_error_new_literal (VIV_ERROR, VIV_ERROR_UNAVAILABLE,
                                         "The display connection was dropped"));
      return;
    }

  g_byte_array_append (self->ws_buffer, self->ws_read_buffer, n_read);
  ws_to_local (self);
}

/* Parses one frame out of the buffer: returns FALSE when more bytes are
 * needed, sets @error on a broken frame. */
static gboolean
parse_frame (GByteArray  *buffer,
             guint8      *opcode,
             GBytes     **payload,
             GError     **error)
{
  const guint8 *data = buffer->data;
  gsize header = 2;
  guint64 length;
  gboolean masked;
  guint8 mask[4] = { 0 };
  guint8 *copy;

  if (buffer->len < 2)
    return FALSE;

  *opcode = data[0] & 0x0f;
  masked = (data[1] & 0x80) != 0;
  length = data[1] & 0x7f;
  if (length == 126)
    {
      if (buffer->len < 4)
        return FALSE;
      length = ((guint64) data[2] << 8) | data[3];
      header = 4;
    }
  else if (length == 127)
    {
      if (buffer->len < 10)
        return FALSE;
      length = 0;
      for (int i = 0; i < 8; i++)
        length = (length << 8) | data[2 + i];
      header = 10;
    }

  if (length > MAX_FRAME)
    {
      g_set_error (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                   "The display sent a WebSocket frame of %" G_GUINT64_FORMAT " bytes", length);
      return FALSE;
    }

  if (masked)
    {
      if (buffer->len < header + 4)
        return FALSE;
      memcpy (mask, data + header, 4);
      header += 4;
    }

  if (buffer->len < header + length)
    return FALSE;

  copy = g_memdup2 (data + header, length);
  if (masked)
    for (gsize i = 0; i < length; i++)
      copy[i] ^= mask[i & 3];

  *payload = g_bytes_new_take (copy, length);
  g_byte_array_remove_range (buffer, 0, header + length);
  return TRUE;
}

/* Moves every complete frame's payload into one write to the viewer, and
 * keeps reading the WebSocket while that write is pending, but no further
 * than one read ahead: the viewer still paces the guest (back-pressure),
 * and a fast viewer gets one write per read rather than one per frame. */
static void
ws_to_local (VivDisplayStream *self)
{
  GError *error = NULL;

  while (!self->closed && !self->local_writing)
    {
      g_autoptr (GBytes) payload = NULL;
      guint8 opcode = 0;
      gsize size;
      const guint8 *data;

      if (!parse_frame (self->ws_buffer, &opcode, &payload, &error))
        {
          if (error != NULL)
            {
              finish (self, error);
              return;
            }
          break;
        }

      data = g_bytes_get_data (payload, &size);
      switch (opcode)
        {
        case OP_BINARY:
        case OP_CONTINUATION:
          g_byte_array_append (self->local_out, data, size);
          /* Bounded: a viewer that reads slowly gets at most this much
           * queued before the next frame waits. */
          if (self->local_out->len >= READ_SIZE)
            goto write;
          break;

        case OP_PING:
          ws_send (self, OP_PONG, data, size);
          break;

        case OP_PONG:
          break;

        case OP_CLOSE:
          {
            guint code = size >= 2 ? ((guint) data[0] << 8) | data[1] : 1005;
            g_autofree char *reason = size > 2 ? g_strndup ((const char *) data + 2, size - 2) : NULL;

            ws_send (self, OP_CLOSE, data, MIN (size, 2));
            if (code == 1000 || code == 1005)
              finish (self, NULL);
            else
              finish (self, g_error_new (VIV_ERROR, code == 1008 ? VIV_ERROR_PERMISSION_DENIED
                                                                  : VIV_ERROR_UNAVAILABLE,
                                         "The sandbox closed the display (%u%s%s)", code,
                                         reason ? ": " : "", reason ? reason : ""));
            return;
          }

        default:
          finish (self, g_error_new (VIV_ERROR, VIV_ERROR_PROTOCOL,
                                     "The display sent an unexpected WebSocket frame (opcode %u)",
                                     opcode));
          return;
        }
    }

write:
  if (self->closed)
    return;

  if (!self->local_writing && self->local_out->len > 0)
    {
      self->local_writing = TRUE;
      g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (self->local)),
                                       self->local_out->data, self->local_out->len,
                                       G_PRIORITY_DEFAULT, self->cancellable,
                                       local_write_cb, g_object_ref (self));
    }

  /* Read while nothing is being written (a frame is incomplete), or one
   * read ahead of the pending write. */
  if (!self->ws_reading && (!self->local_writing || self->ws_buffer->len < READ_SIZE))
    {
      self->ws_reading = TRUE;
      g_input_stream_read_async (g_io_stream_get_input_stream (self->ws), self->ws_read_buffer,
                                 READ_SIZE, G_PRIORITY_DEFAULT, self->cancellable,
                                 ws_read_cb, g_object_ref (self));
    }
}

/* local → WebSocket */

static void
local_read_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (VivDisplayStream) self = user_data;
  GError *error = NULL;
  gssize n_read;

  self->local_reading = FALSE;
  n_read = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  if (n_read < 0)
    {
      finish (self, error);
      return;
    }
  if (self->closed)
    return;
  if (n_read == 0)
    {
      static const guint8 normal[] = { 0x03, 0xe8 };

      /* The viewer hung up: say goodbye properly. */
      ws_send (self, OP_CLOSE, normal, sizeof normal);
      return;
    }

  self->sent += n_read;
  ws_send (self, OP_BINARY, self->local_read_buffer, n_read);
}

static void
local_to_ws (VivDisplayStream *self)
{
  /* One read at a time, and none while a frame waits for the WebSocket. */
  if (self->closed || self->close_sent || self->local_reading || !g_queue_is_empty (&self->ws_out))
    return;

  self->local_reading = TRUE;
  g_input_stream_read_async (g_io_stream_get_input_stream (G_IO_STREAM (self->local)),
                             self->local_read_buffer, READ_SIZE, G_PRIORITY_DEFAULT,
                             self->cancellable, local_read_cb, g_object_ref (self));
}

/* Opening */

typedef struct
{
  VivSandbox       *sandbox;
  char             *path;
  guint             port;           /* envd's, or noVNC's after the fallback */
  GString          *script_errors;  /* what the E2B stream script said */
  GString          *script_output;  /* the VNC password it printed */
  char             *host_header;
  char             *key;
  GIOStream        *ws;
  GByteArray       *headers;
  guint8           *buffer;
} OpenData;

static void
open_data_free (OpenData *data)
{
  g_clear_object (&data->sandbox);
  g_clear_object (&data->ws);
  g_clear_pointer (&data->headers, g_byte_array_unref);
  if (data->script_errors != NULL)
    g_string_free (data->script_errors, TRUE);
  if (data->script_output != NULL)
    {
      memset (data->script_output->str, 0, data->script_output->allocated_len);
      g_string_free (data->script_output, TRUE);
    }
  g_free (data->path);
  g_free (data->host_header);
  g_free (data->key);
  g_free (data->buffer);
  g_free (data);
}

static gboolean
check_accept (const char *key,
              const char *accept)
{
  g_autofree char *concatenated = g_strconcat (key, WS_GUID, NULL);
  g_autoptr (GChecksum) sha1 = g_checksum_new (G_CHECKSUM_SHA1);
  guint8 digest[20];
  gsize digest_len = sizeof digest;
  g_autofree char *expected = NULL;

  g_checksum_update (sha1, (const guchar *) concatenated, -1);
  g_checksum_get_digest (sha1, digest, &digest_len);
  expected = g_base64_encode (digest, digest_len);
  return g_strcmp0 (expected, accept) == 0;
}

static void
start_pump (GTask *task)
{
  OpenData *data = g_task_get_task_data (task);
  g_autoptr (VivDisplayStream) self = g_object_new (VIV_TYPE_DISPLAY_STREAM, NULL);
  g_autoptr (GSocket) socket = NULL;
  GError *error = NULL;
  int fds[2];
  guint8 *end;
  gsize leftover;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
    {
      g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_FAILED, "socketpair: %s", g_strerror (errno));
      return;
    }
  if (!(socket = g_socket_new_from_fd (fds[0], &error)))
    {
      close (fds[0]);
      close (fds[1]);
      g_task_return_error (task, error);
      return;
    }

  self->local = g_socket_connection_factory_create_connection (socket);
  self->peer_fd = fds[1];
  if (data->script_output != NULL && data->script_output->len > 0)
    self->vnc_password = g_strstrip (g_strdup (data->script_output->str));
  self->ws = g_steal_pointer (&data->ws);

  /* Bytes after the handshake's headers are already WebSocket frames. */
  end = (guint8 *) g_strstr_len ((const char *) data->headers->data, data->headers->len, "\r\n\r\n") + 4;
  leftover = data->headers->len - (end - data->headers->data);
  g_byte_array_append (self->ws_buffer, end, leftover);

  ws_to_local (self);
  local_to_ws (self);
  g_task_return_pointer (task, g_steal_pointer (&self), g_object_unref);
}

static void start_e2b_stream (GTask *task);

static void
handshake_read_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  OpenData *data = g_task_get_task_data (task);
  g_autoptr (SoupMessageHeaders) headers = NULL;
  const char *end;
  GError *error = NULL;
  gssize n_read;
  guint status = 0;
  g_autofree char *reason = NULL;
  GCancellable *cancellable;

  n_read = g_input_stream_read_finish (G_INPUT_STREAM (object), result, &error);
  if (n_read < 0)
    {
      g_task_return_error (task, _viv_error_from_transport (error));
      return;
    }
  if (n_read == 0)
    {
      g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_UNAVAILABLE,
                               "The display connection closed during the handshake");
      return;
    }

  g_byte_array_append (data->headers, data->buffer, n_read);
  end = g_strstr_len ((const char *) data->headers->data, data->headers->len, "\r\n\r\n");
  if (end == NULL)
    {
      if (data->headers->len > MAX_HEADERS)
        {
          g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_PROTOCOL,
                                   "The display's handshake answer is too long");
          return;
        }
      cancellable = g_task_get_cancellable (task);
      g_input_stream_read_async (G_INPUT_STREAM (object), data->buffer, READ_SIZE,
                                 G_PRIORITY_DEFAULT, cancellable, handshake_read_cb,
                                 g_steal_pointer (&task));
      return;
    }

  headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_RESPONSE);
  if (!soup_headers_parse_response ((const char *) data->headers->data,
                                    (end - (const char *) data->headers->data) + 4,
                                    headers, NULL, &status, &reason))
    {
      g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_PROTOCOL,
                               "The display answered something that is not HTTP");
      return;
    }

  if (status == SOUP_STATUS_NOT_FOUND && data->port == VIV_ENVD_PORT)
    {
      start_e2b_stream (g_steal_pointer (&task));
      return;
    }

  if (status != SOUP_STATUS_SWITCHING_PROTOCOLS)
    {
      g_autoptr (GBytes) body = g_bytes_new (end + 4, data->headers->len - ((const guint8 *) end + 4 - data->headers->data));

      g_task_return_error (task, _viv_error_from_http (status,
                                                       soup_message_headers_get_content_type (headers, NULL),
                                                       body));
      return;
    }

  if (!check_accept (data->key, soup_message_headers_get_one (headers, "Sec-WebSocket-Accept")))
    {
      g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_PROTOCOL,
                               "The display's WebSocket handshake has a wrong Sec-WebSocket-Accept");
      return;
    }

  start_pump (task);
}

static void
handshake_written_cb (GObject      *object,
                      GAsyncResult *result,
                      gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  OpenData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, NULL, &error))
    {
      g_task_return_error (task, _viv_error_from_transport (error));
      return;
    }

  data->headers = g_byte_array_new ();
  data->buffer = g_malloc (READ_SIZE);
  g_input_stream_read_async (g_io_stream_get_input_stream (data->ws), data->buffer, READ_SIZE,
                             G_PRIORITY_DEFAULT, cancellable, handshake_read_cb,
                             g_steal_pointer (&task));
}

static void
connect_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  OpenData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autoptr (SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autoptr (GString) request = g_string_new (NULL);
  SoupMessageHeadersIter iter;
  const char *name, *value;
  guint8 nonce[16];
  GError *error = NULL;
  char *text;
  gsize length;

  if (!(data->ws = G_IO_STREAM (g_socket_client_connect_finish (G_SOCKET_CLIENT (object), result, &error))))
    {
      g_task_return_error (task, _viv_error_from_transport (error));
      return;
    }

  for (guint i = 0; i < sizeof nonce; i++)
    nonce[i] = g_random_int_range (0, 256);
  data->key = g_base64_encode (nonce, sizeof nonce);

  _viv_sandbox_add_headers (data->sandbox, headers, data->port);
  g_string_append_printf (request,
                          "GET %s HTTP/1.1\r\n"
                          "Host: %s\r\n"
                          "User-Agent: vivarium/" PACKAGE_VERSION "\r\n"
                          "Upgrade: websocket\r\n"
                          "Connection: Upgrade\r\n"
                          "Sec-WebSocket-Key: %s\r\n"
                          "Sec-WebSocket-Version: 13\r\n"
                          "Sec-WebSocket-Protocol: binary\r\n",
                          data->path, data->host_header, data->key);
  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &name, &value))
    g_string_append_printf (request, "%s: %s\r\n", name, value);
  g_string_append (request, "\r\n");

  length = request->len;
  text = g_string_free (g_steal_pointer (&request), FALSE);
  /* The task keeps the text alive until the write is done. */
  g_object_set_data_full (G_OBJECT (task), "viv-request", text, g_free);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (data->ws), text, length,
                                   G_PRIORITY_DEFAULT, cancellable, handshake_written_cb,
                                   g_steal_pointer (&task));
}

/* Opens the WebSocket at data->path on data->port of the sandbox. */
static void
connect_display (GTask *task)
{
  OpenData *data = g_task_get_task_data (task);
  VivSandbox *sandbox = data->sandbox;
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autofree char *base = NULL;
  g_autoptr (GUri) uri = NULL;
  g_autoptr (GSocketClient) socket_client = g_socket_client_new ();
  g_autoptr (GSocketConnectable) connectable = NULL;
  GSocketConnectable *override;
  gboolean tls;
  int port;
  GError *error = NULL;

  base = _viv_sandbox_dup_base_url (sandbox, data->port);
  if (!(uri = g_uri_parse (base, G_URI_FLAGS_NONE, &error)))
    {
      g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_INVALID_ARGUMENT,
                               "The sandbox URL is not valid: %s", error->message);
      g_error_free (error);
      return;
    }

  tls = g_strcmp0 (g_uri_get_scheme (uri), "https") == 0;
  port = g_uri_get_port (uri) > 0 ? g_uri_get_port (uri) : (tls ? 443 : 80);
  data->host_header = g_uri_get_port (uri) > 0
    ? g_strdup_printf ("%s:%d", g_uri_get_host (uri), port)
    : g_strdup (g_uri_get_host (uri));

  override = _viv_client_get_remote_connectable (viv_sandbox_get_client (sandbox));
  connectable = override ? g_object_ref (override)
                         : g_network_address_new (g_uri_get_host (uri), port);
  g_socket_client_set_tls (socket_client, tls);
  g_socket_client_connect_async (socket_client, connectable, cancellable, connect_cb, task);
}

static void
e2b_script_output_cb (VivProcess *process,
                      GBytes     *bytes,
                      GString    *errors)
{
  if (errors->len < 4096)
    g_string_append_len (errors, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
e2b_stream_started_cb (GObject      *object,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  OpenData *data = g_task_get_task_data (task);
  GError *error = NULL;
  int exit_code = -1;

  g_signal_handlers_disconnect_by_data (object, data->script_errors);
  g_signal_handlers_disconnect_by_data (object, data->script_output);
  if (!viv_process_wait_finish (VIV_PROCESS (object), result, &exit_code, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_strstrip (data->script_errors->str);
  data->script_errors->len = strlen (data->script_errors->str);
  if (exit_code == 3)
    {
      g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_NOT_SUPPORTED,
                               "This sandbox has no desktop to show: %s",
                               data->script_errors->str);
      return;
    }
  if (exit_code != 0)
    {
      g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_FAILED,
                               "Could not start the sandbox's VNC server (exit status %d): %s",
                               exit_code, data->script_errors->str);
      return;
    }

  g_clear_object (&data->ws);
  g_clear_pointer (&data->headers, g_byte_array_unref);
  g_clear_pointer (&data->host_header, g_free);
  g_clear_pointer (&data->key, g_free);
  g_clear_pointer (&data->buffer, g_free);
  g_free (data->path);
  data->path = g_strdup ("/websockify");
  data->port = E2B_NOVNC_PORT;
  connect_display (g_steal_pointer (&task));
}

/* No vivarium-guest: stream the way E2B Desktop does (see the type's docs). */
static void
start_e2b_stream (GTask *task)
{
  OpenData *data = g_task_get_task_data (task);
  const char * const argv[] = { "/bin/sh", "-c", e2b_stream_script, NULL };
  g_autoptr (VivProcesses) processes = viv_processes_new (data->sandbox);
  g_autoptr (VivProcess) process = NULL;

  data->script_errors = g_string_new (NULL);
  data->script_output = g_string_new (NULL);
  process = viv_processes_start (processes, argv, NULL, NULL, NULL, FALSE);
  g_signal_connect (process, "stderr", G_CALLBACK (e2b_script_output_cb), data->script_errors);
  g_signal_connect (process, "stdout", G_CALLBACK (e2b_script_output_cb), data->script_output);
  viv_process_wait_async (process, g_task_get_cancellable (task), e2b_stream_started_cb, task);
}

static void
ready_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  GTask *task = user_data;
  GError *error = NULL;

  if (!_viv_sandbox_ensure_envd_finish (VIV_SANDBOX (object), result, &error))
    {
      g_task_return_error (task, error);
      g_object_unref (task);
      return;
    }

  connect_display (task);
}

/**
 * viv_display_stream_new_async:
 * @sandbox: a sandbox running vivarium-guest
 * @view_only: whether the guest should drop this viewer's input
 * @holder: (nullable): the viewer's name for the takeover lock: while that
 *   name holds the desktop, this viewer's input flows
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the stream
 * @user_data: data for @callback
 *
 * Opens the sandbox's display (`GET /desktop/vnc` as a WebSocket, through
 * the account's sandbox routing) and starts bridging it to a socketpair.
 * Without vivarium-guest in the sandbox, starts and opens E2B Desktop's
 * noVNC stream instead; @view_only and @holder then only describe this
 * viewer, the sandbox enforces neither.
 */
void
viv_display_stream_new_async (VivSandbox          *sandbox,
                              gboolean             view_only,
                              const char          *holder,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GString) path = g_string_new ("/desktop/vnc");
  OpenData *data;

  g_return_if_fail (VIV_IS_SANDBOX (sandbox));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_display_stream_new_async);

  if (view_only)
    g_string_append (path, "?view_only=1");
  if (holder != NULL)
    {
      g_autofree char *escaped = g_uri_escape_string (holder, NULL, FALSE);

      g_string_append_printf (path, "%sholder=%s", view_only ? "&" : "?", escaped);
    }

  data = g_new0 (OpenData, 1);
  data->sandbox = g_object_ref (sandbox);
  data->path = g_string_free (g_steal_pointer (&path), FALSE);
  data->port = VIV_ENVD_PORT;
  g_task_set_task_data (task, data, (GDestroyNotify) open_data_free);

  _viv_sandbox_ensure_envd_async (sandbox, cancellable, ready_cb, g_steal_pointer (&task));
}

/**
 * viv_display_stream_new_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full): the running stream
 */
VivDisplayStream *
viv_display_stream_new_finish (GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
viv_display_stream_dispose (GObject *object)
{
  VivDisplayStream *self = VIV_DISPLAY_STREAM (object);

  self->closed = TRUE;
  g_cancellable_cancel (self->cancellable);
  if (self->local != NULL)
    g_io_stream_close (G_IO_STREAM (self->local), NULL, NULL);
  g_clear_object (&self->local);
  g_clear_object (&self->ws);

  G_OBJECT_CLASS (viv_display_stream_parent_class)->dispose (object);
}

static void
viv_display_stream_finalize (GObject *object)
{
  VivDisplayStream *self = VIV_DISPLAY_STREAM (object);

  if (self->peer_fd >= 0)
    close (self->peer_fd);
  if (self->vnc_password != NULL)
    {
      memset (self->vnc_password, 0, strlen (self->vnc_password));
      g_free (self->vnc_password);
    }
  g_queue_clear_full (&self->ws_out, (GDestroyNotify) g_bytes_unref);
  g_clear_pointer (&self->ws_buffer, g_byte_array_unref);
  g_free (self->ws_read_buffer);
  g_clear_pointer (&self->local_out, g_byte_array_unref);
  g_free (self->local_read_buffer);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (viv_display_stream_parent_class)->finalize (object);
}

static void
viv_display_stream_class_init (VivDisplayStreamClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = viv_display_stream_dispose;
  object_class->finalize = viv_display_stream_finalize;

  /**
   * VivDisplayStream::closed:
   * @self: the stream
   * @error: (nullable): why, or %NULL for a normal end
   *
   * The stream ended: the sandbox closed it, the connection dropped, or the
   * viewer closed its file descriptor.
   */
  signals[CLOSED] =
    g_signal_new ("closed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
viv_display_stream_init (VivDisplayStream *self)
{
  self->peer_fd = -1;
  self->cancellable = g_cancellable_new ();
  self->ws_buffer = g_byte_array_new ();
  self->ws_read_buffer = g_malloc (READ_SIZE);
  self->local_out = g_byte_array_sized_new (2 * READ_SIZE);
  self->local_read_buffer = g_malloc (READ_SIZE);
  g_queue_init (&self->ws_out);
}

/**
 * viv_display_stream_steal_fd:
 *
 * Takes the viewer's end of the socketpair, to pass to
 * `vnc_connection_open_fd()`. The caller owns it (and closes it to end the
 * stream). Only the first call returns it.
 *
 * Returns: a file descriptor, or -1 if it was taken already
 */
int
viv_display_stream_steal_fd (VivDisplayStream *self)
{
  int fd;

  g_return_val_if_fail (VIV_IS_DISPLAY_STREAM (self), -1);

  fd = self->peer_fd;
  self->peer_fd = -1;
  return fd;
}

/**
 * viv_display_stream_get_bytes_received:
 *
 * Returns: bytes passed from the sandbox to the viewer
 */
guint64
viv_display_stream_get_bytes_received (VivDisplayStream *self)
{
  g_return_val_if_fail (VIV_IS_DISPLAY_STREAM (self), 0);
  return self->received;
}

/**
 * viv_display_stream_get_bytes_sent:
 *
 * Returns: bytes passed from the viewer to the sandbox
 */
guint64
viv_display_stream_get_bytes_sent (VivDisplayStream *self)
{
  g_return_val_if_fail (VIV_IS_DISPLAY_STREAM (self), 0);
  return self->sent;
}

/**
 * viv_display_stream_get_closed:
 *
 * Returns: whether the stream ended
 */
gboolean
viv_display_stream_get_closed (VivDisplayStream *self)
{
  g_return_val_if_fail (VIV_IS_DISPLAY_STREAM (self), TRUE);
  return self->closed;
}

/**
 * viv_display_stream_get_vnc_password:
 *
 * The password of the VNC server behind the stream, for the viewer's VNC
 * authentication: on E2B's desktop template path, the one Vivarium gave
 * x11vnc when it started it. The guest's own stream needs none.
 *
 * Returns: (nullable): the password, or %NULL when none is known
 */
const char *
viv_display_stream_get_vnc_password (VivDisplayStream *self)
{
  g_return_val_if_fail (VIV_IS_DISPLAY_STREAM (self), NULL);

  return self->vnc_password;
}

/**
 * viv_display_stream_close:
 *
 * Ends the stream; [signal@Viv.DisplayStream::closed] is emitted without
 * an error.
 */
void
viv_display_stream_close (VivDisplayStream *self)
{
  g_return_if_fail (VIV_IS_DISPLAY_STREAM (self));
  finish (self, NULL);
}
