/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-connect-client.h"

struct _RpcStream
{
  SoupSession  *session;
  SoupMessage  *msg;
  GInputStream *body;
  JsonObject   *end;
  gboolean      ended;
};

static SoupMessage *
new_message (VivTestGuest *guest,
             const char   *user,
             const char   *method)
{
  g_autofree char *uri = g_strconcat ("http://localhost/", method, NULL);
  SoupMessage *msg = soup_message_new ("POST", uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);

  soup_message_headers_replace (headers, "X-Access-Token", guest->token);
  soup_message_headers_replace (headers, "Connect-Protocol-Version", "1");
  if (user != NULL)
    {
      g_autofree char *pair = g_strconcat (user, ":", NULL);
      g_autofree char *encoded = g_base64_encode ((const guchar *) pair, strlen (pair));
      g_autofree char *value = g_strconcat ("Basic ", encoded, NULL);

      soup_message_headers_replace (headers, "Authorization", value);
    }

  return msg;
}

static JsonObject *
parse_object (const char *data,
              gsize       length)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;

  json_parser_load_from_data (parser, data, length, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)));
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

JsonObject *
rpc_unary (VivTestGuest *guest,
           const char   *user,
           const char   *method,
           const char   *json,
           guint        *status)
{
  g_autoptr (SoupMessage) msg = new_message (guest, user, method);
  g_autoptr (GBytes) request = g_bytes_new (json, strlen (json));
  g_autoptr (GBytes) response = NULL;
  g_autoptr (GError) error = NULL;
  const char *content_type;

  soup_message_set_request_body_from_bytes (msg, "application/json", request);
  response = soup_session_send_and_read (guest->session, msg, NULL, &error);
  g_assert_no_error (error);

  *status = soup_message_get_status (msg);
  content_type = soup_message_headers_get_content_type (soup_message_get_response_headers (msg),
                                                        NULL);
  g_assert_cmpstr (content_type, ==, "application/json");
  return parse_object (g_bytes_get_data (response, NULL), g_bytes_get_size (response));
}

void
rpc_assert_error (JsonObject *response,
                  guint       status,
                  guint       expected_status,
                  const char *expected_code)
{
  g_assert_cmpuint (status, ==, expected_status);
  g_assert_cmpstr (json_object_get_string_member_with_default (response, "code", NULL), ==,
                   expected_code);
  g_assert_nonnull (json_object_get_string_member_with_default (response, "message", NULL));
}

RpcStream *
rpc_stream_open (VivTestGuest *guest,
                 const char   *user,
                 const char   *method,
                 const char   *json,
                 guint64       timeout_ms)
{
  RpcStream *stream = g_new0 (RpcStream, 1);
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) request = NULL;
  gsize length = strlen (json);
  guint8 *envelope = g_malloc (5 + length);

  envelope[0] = 0;
  envelope[1] = (length >> 24) & 0xff;
  envelope[2] = (length >> 16) & 0xff;
  envelope[3] = (length >> 8) & 0xff;
  envelope[4] = length & 0xff;
  memcpy (envelope + 5, json, length);
  request = g_bytes_new_take (envelope, 5 + length);

  /* Its own session, so that dropping the stream drops its connection. */
  stream->session = viv_test_unix_session_new (guest->socket_path);
  stream->msg = new_message (guest, user, method);
  if (timeout_ms > 0)
    {
      g_autofree char *text = g_strdup_printf ("%" G_GUINT64_FORMAT, timeout_ms);

      soup_message_headers_replace (soup_message_get_request_headers (stream->msg),
                                    "Connect-Timeout-Ms", text);
    }
  soup_message_set_request_body_from_bytes (stream->msg, "application/connect+json", request);

  stream->body = soup_session_send (stream->session, stream->msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (stream->msg), ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (
                     soup_message_get_response_headers (stream->msg), NULL),
                   ==, "application/connect+json");
  return stream;
}

JsonObject *
rpc_stream_next (RpcStream *stream)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *payload = NULL;
  guint8 header[5];
  guint8 trailing[16];
  gsize read = 0;
  guint32 length;

  if (stream->ended)
    return NULL;

  g_input_stream_read_all (stream->body, header, sizeof header, &read, NULL, &error);
  g_assert_no_error (error);
  /* Connect clients fail a stream that stops without its end-stream envelope. */
  if (read != sizeof header)
    g_error ("The stream ended without an end-stream envelope");

  length = ((guint32) header[1] << 24) | ((guint32) header[2] << 16) |
           ((guint32) header[3] << 8) | header[4];
  payload = g_malloc (length + 1);
  g_input_stream_read_all (stream->body, payload, length, &read, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (read, ==, length);
  payload[length] = '\0';

  g_assert_cmpuint (header[0] & ~0x02, ==, 0);
  if (header[0] & 0x02)
    {
      stream->ended = TRUE;
      stream->end = parse_object (payload, length);
      /* Nothing may follow the end of the stream. (libsoup's chunked decoder
       * needs reads longer than its 2-byte chunk boundary.) */
      g_input_stream_read_all (stream->body, trailing, sizeof trailing, &read, NULL, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (read, ==, 0);
      return NULL;
    }

  return parse_object (payload, length);
}

JsonObject *
rpc_stream_end_error (RpcStream *stream)
{
  while (!stream->ended)
    {
      g_autoptr (JsonObject) message = rpc_stream_next (stream);
    }

  if (!json_object_has_member (stream->end, "error"))
    return NULL;

  return json_object_get_object_member (stream->end, "error");
}

void
rpc_stream_free (RpcStream *stream)
{
  g_clear_object (&stream->body);
  g_clear_object (&stream->msg);
  if (stream->session != NULL)
    soup_session_abort (stream->session);
  g_clear_object (&stream->session);
  g_clear_pointer (&stream->end, json_object_unref);
  g_free (stream);
}

const char *
rpc_process_event (JsonObject  *message,
                   JsonObject **body)
{
  JsonObject *event = json_object_get_object_member (message, "event");
  GList *members;
  const char *kind;

  g_assert_nonnull (event);
  members = json_object_get_members (event);
  g_assert_cmpuint (g_list_length (members), ==, 1);
  kind = members->data;
  g_list_free (members);

  *body = json_object_get_object_member (event, kind);
  return kind;
}

char *
rpc_decode (JsonObject *data,
            const char *member)
{
  const char *text = json_object_get_string_member_with_default (data, member, NULL);
  guchar *decoded;
  gsize length = 0;
  char *result;

  if (text == NULL)
    return NULL;

  decoded = g_base64_decode (text, &length);
  result = g_strndup ((const char *) decoded, length);
  g_free (decoded);
  return result;
}
