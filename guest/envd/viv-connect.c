/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>

#include "viv-connect.h"
#include "viv-guest-http.h"

/* envd's default when the client sends no Keepalive-Ping-Interval
 * ([infra] permissions/keepalive.go). */
#define DEFAULT_KEEPALIVE_SECONDS 90

#define ENVELOPE_COMPRESSED 0x01
#define ENVELOPE_END_STREAM 0x02

/* A stream's producers are told to go on once what libsoup has yet to write
 * to a slow client is down to this (see viv_connect_call_get_backlog). */
#define BACKLOG_DRAINED (256 * 1024)

typedef struct
{
  char              *path;
  VivConnectKind     kind;
  char              *keepalive_json;
  VivConnectHandler  handler;
  gpointer           user_data;
} VivConnectMethod;

struct _VivConnectCall
{
  int                     ref_count;
  VivGuest               *guest;
  SoupServerMessage      *msg;
  const VivConnectMethod *method;
  VivEnvdUser            *user;

  guint64                 timeout_ms;
  guint                   deadline_source;
  guint                   keepalive_source;
  GSource                *socket_source;

  VivConnectClosedFunc    closed_func;
  gpointer                closed_data;
  VivConnectDrainedFunc   drained_func;
  gpointer                drained_data;

  GQueue                  unwritten;        /* sizes of the envelopes libsoup has yet to write */
  gsize                   backlog;          /* their sum */

  guint                   finished : 1;     /* we sent the answer or the end of stream */
  guint                   msg_done : 1;     /* libsoup is done with the message */
  guint                   closed_notified : 1;
};

G_DEFINE_QUARK (viv-connect-error-quark, viv_connect_error)

static const char * const code_names[] = {
  [VIV_CONNECT_CANCELED] = "canceled",
  [VIV_CONNECT_UNKNOWN] = "unknown",
  [VIV_CONNECT_INVALID_ARGUMENT] = "invalid_argument",
  [VIV_CONNECT_DEADLINE_EXCEEDED] = "deadline_exceeded",
  [VIV_CONNECT_NOT_FOUND] = "not_found",
  [VIV_CONNECT_ALREADY_EXISTS] = "already_exists",
  [VIV_CONNECT_PERMISSION_DENIED] = "permission_denied",
  [VIV_CONNECT_RESOURCE_EXHAUSTED] = "resource_exhausted",
  [VIV_CONNECT_FAILED_PRECONDITION] = "failed_precondition",
  [VIV_CONNECT_ABORTED] = "aborted",
  [VIV_CONNECT_OUT_OF_RANGE] = "out_of_range",
  [VIV_CONNECT_UNIMPLEMENTED] = "unimplemented",
  [VIV_CONNECT_INTERNAL] = "internal",
  [VIV_CONNECT_UNAVAILABLE] = "unavailable",
  [VIV_CONNECT_DATA_LOSS] = "data_loss",
  [VIV_CONNECT_UNAUTHENTICATED] = "unauthenticated",
};

/* The Connect protocol's table, as revised in connectrpc.com#130 (canceled 499,
 * deadline_exceeded 504, unimplemented 501). */
static const guint code_statuses[] = {
  [VIV_CONNECT_CANCELED] = 499,
  [VIV_CONNECT_UNKNOWN] = 500,
  [VIV_CONNECT_INVALID_ARGUMENT] = 400,
  [VIV_CONNECT_DEADLINE_EXCEEDED] = 504,
  [VIV_CONNECT_NOT_FOUND] = 404,
  [VIV_CONNECT_ALREADY_EXISTS] = 409,
  [VIV_CONNECT_PERMISSION_DENIED] = 403,
  [VIV_CONNECT_RESOURCE_EXHAUSTED] = 429,
  [VIV_CONNECT_FAILED_PRECONDITION] = 400,
  [VIV_CONNECT_ABORTED] = 409,
  [VIV_CONNECT_OUT_OF_RANGE] = 400,
  [VIV_CONNECT_UNIMPLEMENTED] = 501,
  [VIV_CONNECT_INTERNAL] = 500,
  [VIV_CONNECT_UNAVAILABLE] = 503,
  [VIV_CONNECT_DATA_LOSS] = 500,
  [VIV_CONNECT_UNAUTHENTICATED] = 401,
};

static VivConnectCode
code_for_error (const GError *error)
{
  if (error->domain == VIV_CONNECT_ERROR &&
      error->code >= VIV_CONNECT_CANCELED && error->code <= VIV_CONNECT_UNAUTHENTICATED)
    return error->code;

  if (error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_NOT_FOUND:
          return VIV_CONNECT_NOT_FOUND;
        case G_IO_ERROR_EXISTS:
          return VIV_CONNECT_ALREADY_EXISTS;
        case G_IO_ERROR_PERMISSION_DENIED:
          return VIV_CONNECT_PERMISSION_DENIED;
        case G_IO_ERROR_INVALID_ARGUMENT:
        case G_IO_ERROR_INVALID_FILENAME:
        case G_IO_ERROR_INVALID_DATA:
        case G_IO_ERROR_NOT_DIRECTORY:
        case G_IO_ERROR_IS_DIRECTORY:
        case G_IO_ERROR_NOT_EMPTY:
        case G_IO_ERROR_FILENAME_TOO_LONG:
        case G_IO_ERROR_TOO_MANY_LINKS:
          return VIV_CONNECT_INVALID_ARGUMENT;
        case G_IO_ERROR_NO_SPACE:
          return VIV_CONNECT_RESOURCE_EXHAUSTED;
        case G_IO_ERROR_TIMED_OUT:
          return VIV_CONNECT_DEADLINE_EXCEEDED;
        case G_IO_ERROR_CANCELLED:
          return VIV_CONNECT_CANCELED;
        default:
          return VIV_CONNECT_INTERNAL;
        }
    }

  if (error->domain == JSON_PARSER_ERROR)
    return VIV_CONNECT_INVALID_ARGUMENT;

  if (error->domain == VIV_HTTP_ERROR)
    {
      switch (error->code)
        {
        case 400: return VIV_CONNECT_INVALID_ARGUMENT;
        case 401: return VIV_CONNECT_UNAUTHENTICATED;
        case 403: return VIV_CONNECT_PERMISSION_DENIED;
        case 404: return VIV_CONNECT_NOT_FOUND;
        case 409: return VIV_CONNECT_ALREADY_EXISTS;
        case 429: return VIV_CONNECT_RESOURCE_EXHAUSTED;
        default: return VIV_CONNECT_INTERNAL;
        }
    }

  return VIV_CONNECT_INTERNAL;
}

static JsonObject *
error_object (VivConnectCode  code,
              const char     *message)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "code", code_names[code]);
  json_object_set_string_member (object, "message", message);
  return object;
}

static char *
object_to_string (JsonObject *object)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return json_to_string (node, FALSE);
}

/* A reply before any streaming: Connect's unary error shape, as JSON. */
static void
reply_plain_error (SoupServerMessage *msg,
                   VivConnectCode     code,
                   const char        *message)
{
  g_autoptr (JsonObject) object = error_object (code, message);

  viv_http_reply_object (msg, code_statuses[code], object);
}

static void
remove_sources (VivConnectCall *call)
{
  g_clear_handle_id (&call->deadline_source, g_source_remove);
  g_clear_handle_id (&call->keepalive_source, g_source_remove);
  if (call->socket_source != NULL)
    {
      g_source_destroy (call->socket_source);
      g_clear_pointer (&call->socket_source, g_source_unref);
    }
}

static void
notify_closed (VivConnectCall *call)
{
  VivConnectClosedFunc func = call->closed_func;

  if (call->closed_notified)
    return;

  call->closed_notified = TRUE;
  call->closed_func = NULL;
  if (func != NULL)
    func (call, call->closed_data);
}

VivConnectCall *
viv_connect_call_ref (VivConnectCall *call)
{
  g_return_val_if_fail (call != NULL, NULL);

  call->ref_count++;
  return call;
}

void
viv_connect_call_unref (VivConnectCall *call)
{
  g_return_if_fail (call != NULL);

  if (--call->ref_count > 0)
    return;

  remove_sources (call);
  g_signal_handlers_disconnect_by_data (call->msg, call);
  g_queue_clear (&call->unwritten);
  g_clear_object (&call->msg);
  g_clear_object (&call->guest);
  g_clear_pointer (&call->user, viv_envd_user_free);
  g_free (call);
}

VivGuest *
viv_connect_call_get_guest (VivConnectCall *call)
{
  return call->guest;
}

const VivEnvdUser *
viv_connect_call_get_user (VivConnectCall *call)
{
  return call->user;
}

gboolean
viv_connect_call_is_finished (VivConnectCall *call)
{
  return call->finished || call->msg_done;
}

guint64
viv_connect_call_get_timeout_ms (VivConnectCall *call)
{
  return call->timeout_ms;
}

void
viv_connect_call_take_deadline (VivConnectCall *call)
{
  g_clear_handle_id (&call->deadline_source, g_source_remove);
}

gsize
viv_connect_call_get_backlog (VivConnectCall *call)
{
  return call->backlog;
}

void
viv_connect_call_set_drained_func (VivConnectCall        *call,
                                   VivConnectDrainedFunc  func,
                                   gpointer               user_data)
{
  call->drained_func = func;
  call->drained_data = user_data;
}

static void
notify_drained (VivConnectCall *call)
{
  if (call->drained_func != NULL)
    call->drained_func (call, call->drained_data);
}

/* libsoup writes the chunks of a chunked body one by one, in order, and says
 * so after each. */
static void
wrote_chunk_cb (SoupServerMessage *msg,
                VivConnectCall    *call)
{
  gsize size = GPOINTER_TO_SIZE (g_queue_pop_head (&call->unwritten));
  gboolean was_over = call->backlog > BACKLOG_DRAINED;

  call->backlog -= MIN (size, call->backlog);
  if (was_over && call->backlog <= BACKLOG_DRAINED)
    notify_drained (call);
}

void
viv_connect_call_set_closed_func (VivConnectCall       *call,
                                  VivConnectClosedFunc  func,
                                  gpointer              user_data)
{
  call->closed_func = func;
  call->closed_data = user_data;
}

static void
append_envelope (VivConnectCall *call,
                 guint8          flags,
                 const char     *json)
{
  SoupMessageBody *body = soup_server_message_get_response_body (call->msg);
  gsize length = strlen (json);
  guint8 *envelope = g_malloc (5 + length);

  envelope[0] = flags;
  envelope[1] = (length >> 24) & 0xff;
  envelope[2] = (length >> 16) & 0xff;
  envelope[3] = (length >> 8) & 0xff;
  envelope[4] = length & 0xff;
  memcpy (envelope + 5, json, length);
  g_queue_push_tail (&call->unwritten, GSIZE_TO_POINTER (5 + length));
  call->backlog += 5 + length;
  soup_message_body_append (body, SOUP_MEMORY_TAKE, envelope, 5 + length);
  soup_server_message_unpause (call->msg);
}

gboolean
viv_connect_call_send (VivConnectCall *call,
                       JsonObject     *message)
{
  g_autofree char *json = NULL;

  g_return_val_if_fail (call != NULL, FALSE);
  g_return_val_if_fail (message != NULL, FALSE);

  if (viv_connect_call_is_finished (call))
    return FALSE;

  if (call->method->kind == VIV_CONNECT_UNARY)
    {
      viv_http_reply_object (call->msg, SOUP_STATUS_OK, message);
      soup_server_message_unpause (call->msg);
      call->finished = TRUE;
      remove_sources (call);
      notify_closed (call);
      return TRUE;
    }

  json = object_to_string (message);
  append_envelope (call, 0, json);
  return TRUE;
}

void
viv_connect_call_finish (VivConnectCall *call,
                         const GError   *error)
{
  g_autoptr (JsonObject) end = NULL;
  g_autofree char *json = NULL;

  g_return_if_fail (call != NULL);

  if (viv_connect_call_is_finished (call))
    return;

  call->finished = TRUE;
  remove_sources (call);

  if (call->method->kind == VIV_CONNECT_UNARY)
    {
      if (error == NULL)
        reply_plain_error (call->msg, VIV_CONNECT_INTERNAL, "The method sent no response");
      else
        reply_plain_error (call->msg, code_for_error (error), error->message);
      soup_server_message_unpause (call->msg);
      notify_closed (call);
      return;
    }

  end = json_object_new ();
  if (error != NULL)
    {
      json_object_set_object_member (end, "error",
                                     error_object (code_for_error (error), error->message));
      json_object_set_object_member (end, "metadata", json_object_new ());
    }
  json = object_to_string (end);
  append_envelope (call, ENVELOPE_END_STREAM, json);
  soup_message_body_complete (soup_server_message_get_response_body (call->msg));
  soup_server_message_unpause (call->msg);
  notify_closed (call);
}

void
viv_connect_call_return_error (VivConnectCall *call,
                               VivConnectCode  code,
                               const char     *format,
                               ...)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  error = g_error_new_literal (VIV_CONNECT_ERROR, code, message);
  viv_connect_call_finish (call, error);
}

static void
message_finished_cb (SoupServerMessage *msg,
                     gpointer           user_data)
{
  VivConnectCall *call = user_data;

  call->msg_done = TRUE;
  remove_sources (call);
  /* Nothing more will be written: a producer waiting for it must not wait on. */
  g_queue_clear (&call->unwritten);
  call->backlog = 0;
  notify_closed (call);
  notify_drained (call);
  viv_connect_call_unref (call);
}

static gboolean
deadline_cb (gpointer user_data)
{
  VivConnectCall *call = user_data;

  call->deadline_source = 0;
  viv_connect_call_return_error (call, VIV_CONNECT_DEADLINE_EXCEEDED,
                                 "The deadline of %" G_GUINT64_FORMAT " ms elapsed",
                                 call->timeout_ms);
  return G_SOURCE_REMOVE;
}

static gboolean
keepalive_cb (gpointer user_data)
{
  VivConnectCall *call = user_data;
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_data (parser, call->method->keepalive_json, -1, NULL))
    g_assert_not_reached ();
  viv_connect_call_send (call, json_node_get_object (json_parser_get_root (parser)));
  return G_SOURCE_CONTINUE;
}

/* A paused streaming response does not read from the socket, so libsoup would
 * notice a client that went away only at the next write. Watching the socket
 * lets producers stop at once. */
static gboolean
socket_readable_cb (GSocket      *socket,
                    GIOCondition  condition,
                    gpointer      user_data)
{
  VivConnectCall *call = user_data;
  char byte;
  gssize received;

  received = recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (received < 0 && (errno == EAGAIN || errno == EINTR))
    return G_SOURCE_CONTINUE;

  g_clear_pointer (&call->socket_source, g_source_unref);

  /* Data (a pipelined request): the client is still there; stop watching. */
  if (received > 0)
    return G_SOURCE_REMOVE;

  /* End of file or an error: end the stream so that libsoup finishes it. */
  if (!viv_connect_call_is_finished (call))
    {
      call->finished = TRUE;
      remove_sources (call);
      soup_message_body_complete (soup_server_message_get_response_body (call->msg));
      soup_server_message_unpause (call->msg);
      notify_closed (call);
    }

  return G_SOURCE_REMOVE;
}

static gboolean
content_type_is (SoupServerMessage *msg,
                 const char        *expected)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *content_type = soup_message_headers_get_content_type (headers, NULL);

  return content_type != NULL && g_ascii_strcasecmp (content_type, expected) == 0;
}

static JsonObject *
parse_object (const char  *data,
              gsize        length,
              GError     **error)
{
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) local_error = NULL;
  JsonNode *root;

  if (length == 0)
    return json_object_new ();

  if (!g_utf8_validate (data, length, NULL) ||
      !json_parser_load_from_data (parser, data, length, &local_error))
    {
      g_set_error (error, VIV_CONNECT_ERROR, VIV_CONNECT_INVALID_ARGUMENT,
                   "The request is not valid JSON%s%s",
                   local_error ? ": " : "", local_error ? local_error->message : "");
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, VIV_CONNECT_ERROR, VIV_CONNECT_INVALID_ARGUMENT,
                           "The request must be a JSON object");
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

/* The one envelope of a server-streaming request (§2.3). */
static JsonObject *
parse_envelope (GBytes  *bytes,
                GError **error)
{
  gsize length = 0;
  const guint8 *data = g_bytes_get_data (bytes, &length);
  guint32 declared;

  if (length < 5)
    {
      g_set_error_literal (error, VIV_CONNECT_ERROR, VIV_CONNECT_INVALID_ARGUMENT,
                           "The request is not an enveloped message");
      return NULL;
    }

  if (data[0] & ENVELOPE_COMPRESSED)
    {
      g_set_error_literal (error, VIV_CONNECT_ERROR, VIV_CONNECT_INTERNAL,
                           "Compressed messages are not supported");
      return NULL;
    }

  declared = ((guint32) data[1] << 24) | ((guint32) data[2] << 16) |
             ((guint32) data[3] << 8) | data[4];
  if (declared != length - 5)
    {
      g_set_error (error, VIV_CONNECT_ERROR, VIV_CONNECT_INVALID_ARGUMENT,
                   "The envelope declares %u bytes but holds %" G_GSIZE_FORMAT,
                   declared, length - 5);
      return NULL;
    }

  return parse_object ((const char *) data + 5, declared, error);
}

static gboolean
check_protocol_headers (SoupServerMessage *msg,
                        VivConnectKind     kind,
                        GError           **error)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *version = soup_message_headers_get_one (headers, "Connect-Protocol-Version");
  const char *encoding;

  if (version != NULL && strcmp (version, "1") != 0)
    {
      g_set_error (error, VIV_CONNECT_ERROR, VIV_CONNECT_INVALID_ARGUMENT,
                   "Connect-Protocol-Version %s is not supported", version);
      return FALSE;
    }

  encoding = soup_message_headers_get_one (headers, kind == VIV_CONNECT_UNARY
                                                    ? "Content-Encoding"
                                                    : "Connect-Content-Encoding");
  if (encoding != NULL && g_ascii_strcasecmp (encoding, "identity") != 0)
    {
      g_set_error (error, VIV_CONNECT_ERROR, VIV_CONNECT_UNIMPLEMENTED,
                   "Compression “%s” is not supported", encoding);
      return FALSE;
    }

  return TRUE;
}

static guint64
parse_header_uint (SoupServerMessage *msg,
                   const char        *name,
                   guint64            max)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *text = soup_message_headers_get_one (headers, name);
  guint64 value = 0;

  if (text == NULL || !g_ascii_string_to_unsigned (text, 10, 0, max, &value, NULL))
    return 0;

  return value;
}

static void
method_cb (VivGuest          *guest,
           SoupServerMessage *msg,
           const char        *tail,
           GHashTable        *query,
           gpointer           user_data)
{
  const VivConnectMethod *method = user_data;
  SoupMessageHeaders *response_headers = soup_server_message_get_response_headers (msg);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (VivConnectCall) call = NULL;
  gboolean stream = method->kind == VIV_CONNECT_SERVER_STREAM;
  guint64 keepalive_seconds;

  if (!content_type_is (msg, stream ? "application/connect+json" : "application/json"))
    {
      reply_plain_error (msg, VIV_CONNECT_UNKNOWN, stream
                         ? "Server-streaming methods take application/connect+json"
                         : "Unary methods take application/json");
      soup_server_message_set_status (msg, SOUP_STATUS_UNSUPPORTED_MEDIA_TYPE, NULL);
      return;
    }

  call = g_new0 (VivConnectCall, 1);
  call->ref_count = 1;
  call->guest = g_object_ref (guest);
  call->msg = g_object_ref (msg);
  call->method = method;
  /* Connect allows at most 10 digits. */
  call->timeout_ms = parse_header_uint (msg, "Connect-Timeout-Ms", 9999999999);

  /* The framework's reference, dropped when libsoup is done with the message. */
  g_signal_connect (msg, "finished", G_CALLBACK (message_finished_cb),
                    viv_connect_call_ref (call));

  body = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  if (stream)
    {
      SoupMessageBody *response_body = soup_server_message_get_response_body (msg);
      GSocket *socket = soup_server_message_get_socket (msg);

      /* Streams always answer 200; errors travel in the end-stream envelope. */
      soup_server_message_set_status (msg, SOUP_STATUS_OK, NULL);
      soup_message_headers_set_content_type (response_headers, "application/connect+json", NULL);
      soup_message_headers_set_encoding (response_headers, SOUP_ENCODING_CHUNKED);
      soup_message_body_set_accumulate (response_body, FALSE);
      g_signal_connect (msg, "wrote-chunk", G_CALLBACK (wrote_chunk_cb), call);

      if (socket != NULL)
        {
          call->socket_source = g_socket_create_source (socket, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                                        NULL);
          g_source_set_callback (call->socket_source, G_SOURCE_FUNC (socket_readable_cb),
                                 call, NULL);
          g_source_attach (call->socket_source, NULL);
        }

      keepalive_seconds = parse_header_uint (msg, "Keepalive-Ping-Interval", 24 * 3600);
      if (keepalive_seconds == 0)
        keepalive_seconds = DEFAULT_KEEPALIVE_SECONDS;
      if (method->keepalive_json != NULL)
        call->keepalive_source = g_timeout_add_seconds (keepalive_seconds, keepalive_cb, call);
      if (call->timeout_ms > 0)
        call->deadline_source = g_timeout_add_full (G_PRIORITY_DEFAULT,
                                                    MIN (call->timeout_ms, G_MAXUINT),
                                                    deadline_cb, call, NULL);
    }
  else
    {
      /* Handlers may answer later, from a worker's result. */
      soup_server_message_pause (msg);
    }

  if (!check_protocol_headers (msg, method->kind, &error))
    {
      viv_connect_call_finish (call, error);
      return;
    }

  request = stream ? parse_envelope (body, &error)
                   : parse_object (g_bytes_get_data (body, NULL), g_bytes_get_size (body), &error);
  if (request == NULL)
    {
      viv_connect_call_finish (call, error);
      return;
    }

  call->user = viv_envd_user_from_request (guest, msg, &error);
  if (call->user == NULL)
    {
      viv_connect_call_return_error (call, VIV_CONNECT_UNAUTHENTICATED, "%s", error->message);
      return;
    }

  method->handler (call, request, method->user_data);
}

static void
unimplemented_cb (VivGuest          *guest,
                  SoupServerMessage *msg,
                  const char        *tail,
                  GHashTable        *query,
                  gpointer           user_data)
{
  g_autofree char *message = g_strdup_printf ("%s%s is not implemented",
                                              (const char *) user_data, tail);

  reply_plain_error (msg, VIV_CONNECT_UNIMPLEMENTED, message);
}

static void
method_free (gpointer data)
{
  VivConnectMethod *method = data;

  g_free (method->path);
  g_free (method->keepalive_json);
  g_free (method);
}

static GPtrArray *
get_registry (VivGuest *guest)
{
  GPtrArray *registry = g_object_get_data (G_OBJECT (guest), "viv-connect-methods");

  if (registry == NULL)
    {
      registry = g_ptr_array_new_with_free_func (method_free);
      g_object_set_data_full (G_OBJECT (guest), "viv-connect-methods", registry,
                              (GDestroyNotify) g_ptr_array_unref);
    }

  return registry;
}

void
viv_connect_add_method (VivGuest          *guest,
                        const char        *service,
                        const char        *name,
                        VivConnectKind     kind,
                        const char        *keepalive_json,
                        VivConnectHandler  handler,
                        gpointer           user_data)
{
  VivConnectMethod *method;

  g_return_if_fail (VIV_IS_GUEST (guest));
  g_return_if_fail (service != NULL && name != NULL && handler != NULL);

  method = g_new0 (VivConnectMethod, 1);
  method->path = g_strdup_printf ("/%s/%s", service, name);
  method->kind = kind;
  method->keepalive_json = g_strdup (keepalive_json);
  method->handler = handler;
  method->user_data = user_data;
  g_ptr_array_add (get_registry (guest), method);

  viv_guest_add_route (guest, "POST", method->path, 0, method_cb, method);
}

void
viv_connect_add_service (VivGuest   *guest,
                         const char *service)
{
  VivConnectMethod *method;

  g_return_if_fail (VIV_IS_GUEST (guest));

  /* Kept in the registry only to own the prefix string. */
  method = g_new0 (VivConnectMethod, 1);
  method->path = g_strdup_printf ("/%s/", service);
  g_ptr_array_add (get_registry (guest), method);

  viv_guest_add_route (guest, "POST", method->path, VIV_ROUTE_PREFIX, unimplemented_cb,
                       method->path);
}
