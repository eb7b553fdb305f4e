/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Sandbox traffic on one port (E2B_SANDBOX_URL, spec §3): a byte-level proxy.
 * We read the request head ourselves, pick the sandbox from E2b-Sandbox-Id
 * (and E2b-Sandbox-Port), connect to that guest's Unix socket and splice both
 * directions. Bodies are never buffered, so chunked uploads, server streams and
 * WebSocket upgrades pass as they are. Each client connection carries one
 * request: we ask the guest to close after it, so no later request on the same
 * connection can reach a sandbox its headers did not name. */
#define _GNU_SOURCE
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <gio/gunixsocketaddress.h>

#include "viv-host-private.h"

#define MAX_HEAD   (64 * 1024)
#define ENVD_PORT  49983

typedef struct
{
  guint              ref_count;  /* the main thread's async operations hold one each */
  VivHost           *host;
  GSocketConnection *client;
  GSocketConnection *guest;
  GByteArray        *buffer;     /* what the client sent so far */
  gsize              head_length; /* up to and including the blank line */
  GBytes            *out;        /* what goes to the guest first */
  VivSandbox        *sandbox;
  guint              port;
  GCancellable      *cancellable;
} Proxy;

static Proxy *
proxy_ref (Proxy *proxy)
{
  proxy->ref_count++;
  return proxy;
}

static void
proxy_unref (Proxy *proxy)
{
  if (--proxy->ref_count > 0)
    return;

  g_clear_object (&proxy->host);
  g_clear_object (&proxy->client);
  g_clear_object (&proxy->guest);
  g_clear_pointer (&proxy->buffer, g_byte_array_unref);
  g_clear_pointer (&proxy->out, g_bytes_unref);
  g_clear_object (&proxy->sandbox);
  g_clear_object (&proxy->cancellable);
  g_free (proxy);
}

/* The sockets themselves: a stream with an operation pending refuses to close. */
static void
close_both (Proxy *proxy)
{
  g_cancellable_cancel (proxy->cancellable);
  g_socket_close (g_socket_connection_get_socket (proxy->client), NULL);
  if (proxy->guest != NULL)
    g_socket_close (g_socket_connection_get_socket (proxy->guest), NULL);
}

static void
error_written_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Proxy *proxy = user_data;

  g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL);
  close_both (proxy);
  proxy_unref (proxy);
}

/* Answers the client ourselves, in the spec's error format, and closes. */
static void
proxy_fail (Proxy      *proxy,
            guint       status,
            const char *format,
            ...) G_GNUC_PRINTF (3, 4);

static void
proxy_fail (Proxy      *proxy,
            guint       status,
            const char *format,
            ...)
{
  g_autoptr (JsonObject) object = json_object_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autofree char *message = NULL;
  g_autofree char *body = NULL;
  GString *response;
  gsize length;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  /* Stop copying the request body, if that had started. */
  g_cancellable_cancel (proxy->cancellable);

  json_object_set_int_member (object, "code", status);
  json_object_set_string_member (object, "message", message);
  json_node_set_object (node, object);
  body = json_to_string (node, FALSE);

  response = g_string_new (NULL);
  g_string_append_printf (response,
                          "HTTP/1.1 %u %s\r\n"
                          "Content-Type: application/json\r\n"
                          "Content-Length: %zu\r\n"
                          "Access-Control-Allow-Origin: *\r\n"
                          "Connection: close\r\n\r\n%s",
                          status, soup_status_get_phrase (status), strlen (body), body);
  length = response->len;
  g_clear_pointer (&proxy->out, g_bytes_unref);
  proxy->out = g_bytes_new_take (g_string_free (response, FALSE), length);

  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (proxy->client)),
                                   g_bytes_get_data (proxy->out, NULL), length,
                                   G_PRIORITY_DEFAULT, NULL, error_written_cb, proxy);
}

/* The response is complete (the guest closed after it) or the client is gone:
 * end both connections. */
static void
downstream_done_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Proxy *proxy = user_data;

  g_output_stream_splice_finish (G_OUTPUT_STREAM (source), result, NULL);
  close_both (proxy);
  proxy_unref (proxy);
}

/* The request body (or a WebSocket's client half) is done. A clean end just
 * waits for the response; a client that went away takes the guest connection
 * with it, so streams it started (process output) see the disconnect. */
static void
upstream_done_cb (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  Proxy *proxy = user_data;
  g_autoptr (GError) error = NULL;

  if (g_output_stream_splice_finish (G_OUTPUT_STREAM (source), result, &error) < 0 &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    close_both (proxy);

  proxy_unref (proxy);
}

static void
first_bytes_written_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  Proxy *proxy = user_data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL))
    {
      close_both (proxy);
      proxy_unref (proxy);
      return;
    }

  g_output_stream_splice_async (g_io_stream_get_output_stream (G_IO_STREAM (proxy->client)),
                                g_io_stream_get_input_stream (G_IO_STREAM (proxy->guest)),
                                G_OUTPUT_STREAM_SPLICE_NONE, G_PRIORITY_DEFAULT, NULL,
                                downstream_done_cb, proxy);
}

static void
first_bytes_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Proxy *proxy = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                                               &error);

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      proxy_fail (proxy, SOUP_STATUS_BAD_GATEWAY,
                  "The guest of sandbox \"%s\" closed the connection without answering%s%s",
                  proxy->sandbox->id, error ? ": " : "", error ? error->message : "");
      return;
    }

  g_clear_pointer (&proxy->out, g_bytes_unref);
  proxy->out = g_steal_pointer (&bytes);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (proxy->client)),
                                   g_bytes_get_data (proxy->out, NULL),
                                   g_bytes_get_size (proxy->out), G_PRIORITY_DEFAULT, NULL,
                                   first_bytes_written_cb, proxy);
}

static void
head_written_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Proxy *proxy = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      proxy_fail (proxy, SOUP_STATUS_BAD_GATEWAY, "The sandbox's guest dropped the request: %s",
                  error->message);
      return;
    }

  /* The request body flows to the guest as it comes... */
  g_output_stream_splice_async (g_io_stream_get_output_stream (G_IO_STREAM (proxy->guest)),
                                g_io_stream_get_input_stream (G_IO_STREAM (proxy->client)),
                                G_OUTPUT_STREAM_SPLICE_NONE, G_PRIORITY_DEFAULT,
                                proxy->cancellable, upstream_done_cb, proxy_ref (proxy));

  /* ...while we wait for the guest's first bytes ourselves: a guest that dies between
   * accepting and answering must give the client a 502, not a dropped
   * connection. */
  g_input_stream_read_bytes_async (g_io_stream_get_input_stream (G_IO_STREAM (proxy->guest)),
                                   16384, G_PRIORITY_DEFAULT, NULL, first_bytes_cb, proxy);
}

static void
send_to_guest (Proxy *proxy)
{
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (proxy->guest)),
                                   g_bytes_get_data (proxy->out, NULL),
                                   g_bytes_get_size (proxy->out),
                                   G_PRIORITY_DEFAULT, NULL, head_written_cb, proxy);
}

/* Ports other than envd's: the guest's GET /port/{port} upgrade gives a raw
 * byte stream to that port on the sandbox's loopback; the client's request
 * goes through it untouched. */
typedef struct
{
  Proxy      *proxy;
  GByteArray *response;
} Tunnel;

static void tunnel_read (Tunnel *tunnel);

static void
tunnel_read_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  Tunnel *tunnel = user_data;
  Proxy *proxy = tunnel->proxy;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                                               &error);
  const guint8 *end;
  guint status = 0;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      proxy_fail (proxy, SOUP_STATUS_BAD_GATEWAY, "The sandbox's guest closed the port tunnel");
      goto out;
    }

  g_byte_array_append (tunnel->response, g_bytes_get_data (bytes, NULL),
                       g_bytes_get_size (bytes));
  end = memmem (tunnel->response->data, tunnel->response->len, "\r\n\r\n", 4);
  if (end == NULL)
    {
      if (tunnel->response->len > MAX_HEAD)
        proxy_fail (proxy, SOUP_STATUS_BAD_GATEWAY, "The guest's tunnel answer is too long");
      else
        {
          tunnel_read (tunnel);
          return;
        }
      goto out;
    }

  sscanf ((const char *) tunnel->response->data, "HTTP/1.%*d %u", &status);
  if (status != SOUP_STATUS_SWITCHING_PROTOCOLS)
    {
      proxy_fail (proxy, SOUP_STATUS_BAD_GATEWAY,
                  "The sandbox's guest refused port %u (HTTP %u): is anything listening there?",
                  proxy->port, status);
      goto out;
    }

  /* Anything after the blank line already came from the port. */
  {
    gsize head = (gsize) (end + 4 - tunnel->response->data);

    if (head < tunnel->response->len)
      {
        /* Rare: the server spoke first. Hand it to the client before splicing. */
        g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (proxy->client)),
                                   tunnel->response->data + head, tunnel->response->len - head,
                                   NULL, NULL, NULL);
      }
  }

  send_to_guest (proxy);

out:
  g_byte_array_unref (tunnel->response);
  g_free (tunnel);
}

static void
tunnel_read (Tunnel *tunnel)
{
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (tunnel->proxy->guest));

  g_input_stream_read_bytes_async (input, 4096, G_PRIORITY_DEFAULT, NULL, tunnel_read_cb, tunnel);
}

static void
tunnel_request_written_cb (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  Tunnel *tunnel = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error))
    {
      proxy_fail (tunnel->proxy, SOUP_STATUS_BAD_GATEWAY, "The sandbox's guest is gone: %s",
                  error->message);
      g_byte_array_unref (tunnel->response);
      g_free (tunnel);
      return;
    }

  tunnel_read (tunnel);
}

static void
open_tunnel (Proxy *proxy)
{
  Tunnel *tunnel = g_new0 (Tunnel, 1);
  g_autofree char *request = g_strdup_printf ("GET /port/%u HTTP/1.1\r\n"
                                              "Host: localhost\r\n"
                                              "Connection: Upgrade\r\n"
                                              "Upgrade: tcp\r\n"
                                              "X-Access-Token: %s\r\n\r\n",
                                              proxy->port, proxy->sandbox->access_token);

  tunnel->proxy = proxy;
  tunnel->response = g_byte_array_new ();
  g_object_set_data_full (G_OBJECT (proxy->guest), "viv-tunnel-request",
                          g_steal_pointer (&request), g_free);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (G_IO_STREAM (proxy->guest)),
                                   g_object_get_data (G_OBJECT (proxy->guest),
                                                      "viv-tunnel-request"),
                                   strlen (g_object_get_data (G_OBJECT (proxy->guest),
                                                              "viv-tunnel-request")),
                                   G_PRIORITY_DEFAULT, NULL, tunnel_request_written_cb, tunnel);
}

static void
guest_connected_cb (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  Proxy *proxy = user_data;
  g_autoptr (GError) error = NULL;

  proxy->guest = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, &error);
  if (proxy->guest == NULL)
    {
      proxy_fail (proxy, SOUP_STATUS_BAD_GATEWAY,
                  "The guest of sandbox \"%s\" is not answering: %s", proxy->sandbox->id,
                  error->message);
      return;
    }

  if (proxy->port == ENVD_PORT)
    send_to_guest (proxy);
  else
    open_tunnel (proxy);
}

/* A parsed request head: the request line and the headers, in order. */
typedef struct
{
  char      *request_line;
  char      *target;
  char      *method;
  GPtrArray *names;
  GPtrArray *values;
} Head;

static void
head_clear (Head *head)
{
  g_free (head->request_line);
  g_free (head->target);
  g_free (head->method);
  g_clear_pointer (&head->names, g_ptr_array_unref);
  g_clear_pointer (&head->values, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Head, head_clear)

static gboolean
parse_head (const char *text,
            gsize       length,
            Head       *head)
{
  g_autofree char *copy = g_strndup (text, length);
  g_auto (GStrv) lines = g_strsplit (copy, "\r\n", -1);
  g_auto (GStrv) words = NULL;

  if (lines[0] == NULL)
    return FALSE;

  words = g_strsplit (lines[0], " ", -1);
  if (g_strv_length (words) != 3 || !g_str_has_prefix (words[2], "HTTP/1."))
    return FALSE;

  head->request_line = g_strdup (lines[0]);
  head->method = g_strdup (words[0]);
  head->target = g_strdup (words[1]);
  head->names = g_ptr_array_new_with_free_func (g_free);
  head->values = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 1; lines[i] != NULL && *lines[i] != '\0'; i++)
    {
      const char *colon = strchr (lines[i], ':');

      if (colon == NULL || colon == lines[i])
        return FALSE;
      g_ptr_array_add (head->names, g_strndup (lines[i], colon - lines[i]));
      g_ptr_array_add (head->values, g_strstrip (g_strdup (colon + 1)));
    }

  return TRUE;
}

static const char *
head_get (Head       *head,
          const char *name)
{
  for (guint i = 0; i < head->names->len; i++)
    if (g_ascii_strcasecmp (g_ptr_array_index (head->names, i), name) == 0)
      return g_ptr_array_index (head->values, i);

  return NULL;
}

/* uploadUrl/downloadUrl carry no sandbox id (spec §3 caveat), only a
 * signature made with one sandbox's access token: find the sandbox whose
 * token makes that signature. */
static VivSandbox *
sandbox_from_signature (VivHost    *self,
                        Head       *head)
{
  g_autoptr (GHashTable) params = NULL;
  const char *query, *path, *signature, *expiration, *username;
  const char *operation = g_str_equal (head->method, "GET") ? "read" : "write";
  g_autofree char *given = NULL;
  GHashTableIter iter;
  gpointer value;

  if (!g_str_has_prefix (head->target, "/files?"))
    return NULL;
  query = head->target + strlen ("/files?");

  params = g_uri_parse_params (query, -1, "&", G_URI_PARAMS_WWW_FORM, NULL);
  if (params == NULL)
    return NULL;

  path = g_hash_table_lookup (params, "path");
  signature = g_hash_table_lookup (params, "signature");
  expiration = g_hash_table_lookup (params, "signature_expiration");
  username = g_hash_table_lookup (params, "username");
  if (path == NULL || signature == NULL || !g_str_has_prefix (signature, "v1_"))
    return NULL;

  /* The form decoding turned an unescaped '+' of the base64 into a space. */
  signature = given = g_strdelimit (g_strdup (signature), " ", '+');

  g_hash_table_iter_init (&iter, self->sandboxes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      VivSandbox *sandbox = value;
      g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
      g_autofree char *raw = NULL;
      g_autofree char *encoded = NULL;
      guint8 digest[32];
      gsize digest_length = sizeof digest;
      char *pad;

      raw = expiration != NULL
        ? g_strdup_printf ("%s:%s:%s:%s:%s", path, operation, username ? username : "",
                           sandbox->access_token, expiration)
        : g_strdup_printf ("%s:%s:%s:%s", path, operation, username ? username : "",
                           sandbox->access_token);
      g_checksum_update (checksum, (const guchar *) raw, -1);
      g_checksum_get_digest (checksum, digest, &digest_length);
      encoded = g_base64_encode (digest, digest_length);
      if ((pad = strchr (encoded, '=')) != NULL)
        *pad = '\0';

      if (viv_secret_equal (signature + 3, encoded))
        return sandbox;
    }

  return NULL;
}

/* E2B's proxy also accepts Host: <port>-<id>.<domain> (spec §3). */
static gboolean
parse_host (const char  *host,
            char       **id,
            guint       *port)
{
  g_autofree char *label = NULL;
  const char *dot, *dash;
  guint64 number;

  if (host == NULL || (dot = strchr (host, '.')) == NULL)
    return FALSE;

  label = g_strndup (host, dot - host);
  dash = strchr (label, '-');
  if (dash == NULL)
    return FALSE;

  {
    g_autofree char *port_text = g_strndup (label, dash - label);

    if (!g_ascii_string_to_unsigned (port_text, 10, 1, 65535, &number, NULL))
      return FALSE;
  }

  *port = (guint) number;
  *id = g_strdup (dash + 1);
  return TRUE;
}

static void auto_resumed_cb (GObject *source, GAsyncResult *result, gpointer user_data);

static void
connect_guest (Proxy *proxy)
{
  g_autoptr (GSocketClient) client = g_socket_client_new ();
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (proxy->sandbox->socket_path);

  g_socket_client_connect_async (client, G_SOCKET_CONNECTABLE (address), NULL,
                                 guest_connected_cb, proxy);
}

static void
route (Proxy *proxy)
{
  g_auto (Head) head = { 0 };
  g_autofree char *id = NULL;
  GString *out;
  const char *value;
  const char *upgrade;
  VivSandbox *sandbox = NULL;
  gsize length;

  if (!parse_head ((const char *) proxy->buffer->data, proxy->head_length, &head))
    {
      proxy_fail (proxy, SOUP_STATUS_BAD_REQUEST, "This is not an HTTP/1.x request");
      return;
    }

  proxy->port = ENVD_PORT;
  if ((value = head_get (&head, "E2b-Sandbox-Id")) != NULL)
    {
      guint64 port;

      id = g_strdup (value);
      value = head_get (&head, "E2b-Sandbox-Port");
      if (value != NULL)
        {
          if (!g_ascii_string_to_unsigned (value, 10, 1, 65535, &port, NULL))
            {
              proxy_fail (proxy, SOUP_STATUS_BAD_REQUEST,
                          "E2b-Sandbox-Port must be a port number");
              return;
            }
          proxy->port = (guint) port;
        }
    }
  else if (!parse_host (head_get (&head, "Host"), &id, &proxy->port))
    {
      sandbox = sandbox_from_signature (proxy->host, &head);
      if (sandbox == NULL)
        {
          proxy_fail (proxy, SOUP_STATUS_BAD_REQUEST,
                      "Which sandbox? Send the E2b-Sandbox-Id header (or a signed /files URL "
                      "of a running sandbox)");
          return;
        }
    }

  if (sandbox == NULL)
    sandbox = viv_host_lookup (proxy->host, id);
  if (sandbox == NULL)
    {
      proxy_fail (proxy, SOUP_STATUS_NOT_FOUND, "sandbox \"%s\" not found", id);
      return;
    }
  proxy->sandbox = g_object_ref (sandbox);

  /* One request per connection, except upgrades that become streams. */
  out = g_string_new (head.request_line);
  g_string_append (out, "\r\n");
  upgrade = head_get (&head, "Upgrade");
  for (guint i = 0; i < head.names->len; i++)
    {
      const char *name = g_ptr_array_index (head.names, i);

      if (upgrade == NULL && (g_ascii_strcasecmp (name, "Connection") == 0 ||
                              g_ascii_strcasecmp (name, "Keep-Alive") == 0))
        continue;
      g_string_append_printf (out, "%s: %s\r\n", name,
                              (const char *) g_ptr_array_index (head.values, i));
    }
  if (upgrade == NULL)
    g_string_append (out, "Connection: close\r\n");
  g_string_append (out, "\r\n");
  g_string_append_len (out, (const char *) proxy->buffer->data + proxy->head_length,
                       proxy->buffer->len - proxy->head_length);
  length = out->len;
  proxy->out = g_bytes_new_take (g_string_free (out, FALSE), length);

  if (sandbox->state == VIV_SANDBOX_PAUSED && sandbox->auto_resume && !sandbox->busy)
    {
      /* autoResume: inbound traffic wakes it (spec §5). */
      viv_host_set_paused_async (proxy->host, sandbox, FALSE, 300, auto_resumed_cb, proxy);
      return;
    }

  if (sandbox->state == VIV_SANDBOX_PAUSED || sandbox->busy)
    {
      /* A frozen guest would accept and never answer: say so now. E2B's proxy
       * answers 502 for a paused sandbox. */
      proxy_fail (proxy, SOUP_STATUS_BAD_GATEWAY, "sandbox \"%s\" is %s", sandbox->id,
                  sandbox->busy ? "changing state" : "paused");
      return;
    }

  connect_guest (proxy);
}

static void
auto_resumed_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Proxy *proxy = user_data;
  g_autoptr (GError) error = NULL;

  if (!viv_host_set_paused_finish (VIV_HOST (source), result, &error))
    {
      proxy_fail (proxy, SOUP_STATUS_BAD_GATEWAY, "Cannot resume sandbox \"%s\": %s",
                  proxy->sandbox->id, error->message);
      return;
    }

  connect_guest (proxy);
}

static void read_head (Proxy *proxy);

static void
head_read_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Proxy *proxy = user_data;
  g_autoptr (GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result,
                                                               NULL);
  gsize before = proxy->buffer->len;
  const guint8 *end;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      /* The client went away before finishing its request. */
      proxy_unref (proxy);
      return;
    }

  g_byte_array_append (proxy->buffer, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));

  /* Look again from a little before what just arrived: the blank line may straddle. */
  {
    gsize from = before > 3 ? before - 3 : 0;

    end = memmem (proxy->buffer->data + from, proxy->buffer->len - from, "\r\n\r\n", 4);
  }

  if (end != NULL)
    {
      proxy->head_length = (gsize) (end + 4 - proxy->buffer->data);
      route (proxy);
      return;
    }

  if (proxy->buffer->len > MAX_HEAD)
    {
      proxy_fail (proxy, 431,
                  "The request head is larger than %d bytes", MAX_HEAD);
      return;
    }

  read_head (proxy);
}

static void
read_head (Proxy *proxy)
{
  GInputStream *input = g_io_stream_get_input_stream (G_IO_STREAM (proxy->client));

  g_input_stream_read_bytes_async (input, 16384, G_PRIORITY_DEFAULT, proxy->cancellable,
                                   head_read_cb, proxy);
}

static gboolean
incoming_cb (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  VivHost *self = user_data;
  Proxy *proxy = g_new0 (Proxy, 1);

  proxy->ref_count = 1;
  proxy->host = g_object_ref (self);
  proxy->client = g_object_ref (connection);
  proxy->buffer = g_byte_array_new ();
  proxy->cancellable = g_cancellable_new ();
  g_socket_set_option (g_socket_connection_get_socket (connection), IPPROTO_TCP, TCP_NODELAY,
                       1, NULL);
  read_head (proxy);

  return TRUE;
}

void
_viv_host_proxy_init (VivHost *self)
{
  self->proxy_service = g_socket_service_new ();
  g_signal_connect_object (self->proxy_service, "incoming", G_CALLBACK (incoming_cb), self, 0);
}
