/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-client-private.h"
#include "viv-connect-private.h"
#include "viv-error-private.h"
#include "viv-json-private.h"
#include "viv-sandbox-private.h"

/* Envelopes bigger than this are refused rather than buffered. */
#define MAX_ENVELOPE (16 * 1024 * 1024)
#define READ_SIZE    (64 * 1024)

enum {
  FLAG_COMPRESSED = 0x01,
  FLAG_END_STREAM = 0x02,
};

static SoupMessage *
new_rpc_message (VivSandbox  *sandbox,
                 const char  *method,
                 const char  *content_type,
                 GBytes      *body,
                 guint        timeout_ms,
                 GError     **error)
{
  g_autofree char *path = g_strconcat ("/", method, NULL);
  SoupMessage *msg = _viv_sandbox_new_message (sandbox, "POST", VIV_ENVD_PORT, path);
  SoupMessageHeaders *headers;

  if (msg == NULL)
    {
      g_set_error (error, VIV_ERROR, VIV_ERROR_INVALID_ARGUMENT,
                   "The account's sandbox URL is not valid");
      return NULL;
    }

  headers = soup_message_get_request_headers (msg);
  soup_message_headers_replace (headers, "Connect-Protocol-Version", "1");
  if (timeout_ms > 0)
    {
      g_autofree char *text = g_strdup_printf ("%u", timeout_ms);

      soup_message_headers_replace (headers, "Connect-Timeout-Ms", text);
    }
  soup_message_set_request_body_from_bytes (msg, content_type, body);
  return msg;
}

/* A Connect error body ({"code":"not_found","message":...}), else the HTTP
 * status's meaning. */
static GError *
error_from_answer (SoupMessage *msg,
                   GBytes      *body)
{
  g_autoptr (JsonObject) object = NULL;
  const char *code = NULL;
  const char *message = NULL;
  const char *content_type =
    soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);

  if (body != NULL && (object = _viv_json_parse_object (body, NULL)) != NULL &&
      _viv_json_get_string (object, "code", TRUE, &code, NULL) &&
      _viv_json_get_string (object, "message", FALSE, &message, NULL))
    return _viv_error_from_connect (code, message);

  return _viv_error_from_http (soup_message_get_status (msg), content_type, body);
}

typedef struct
{
  SoupMessage *msg;
  JsonObject  *request;
  char        *method;
  guint        timeout_ms;
  /* streams */
  VivConnectMessageFunc message_func;
  gpointer     message_data;
  GInputStream *stream;
  GByteArray  *buffer;
} CallData;

static void
call_data_free (CallData *data)
{
  g_clear_object (&data->msg);
  g_clear_pointer (&data->request, json_object_unref);
  g_clear_object (&data->stream);
  g_clear_pointer (&data->buffer, g_byte_array_unref);
  g_free (data->method);
  g_free (data);
}

static void
unary_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  CallData *data = g_task_get_task_data (task);
  g_autoptr (GBytes) body = NULL;
  JsonObject *answer;
  GError *error = NULL;

  if (!(body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error)))
    {
      g_task_return_error (task, _viv_error_from_transport (error));
      return;
    }

  if (soup_message_get_status (data->msg) != SOUP_STATUS_OK)
    {
      g_task_return_error (task, error_from_answer (data->msg, body));
      return;
    }

  if (!(answer = _viv_json_parse_object (body, &error)))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, answer, (GDestroyNotify) json_object_unref);
}

static void
unary_ready_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  VivSandbox *sandbox = VIV_SANDBOX (object);
  g_autoptr (GTask) task = user_data;
  CallData *data = g_task_get_task_data (task);
  g_autofree char *json = NULL;
  g_autoptr (GBytes) body = NULL;
  GCancellable *cancellable;
  SoupSession *session;
  GError *error = NULL;

  if (!_viv_sandbox_ensure_envd_finish (sandbox, result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  json = _viv_json_object_to_string (data->request);
  body = g_bytes_new_take (g_steal_pointer (&json), strlen (json));
  if (!(data->msg = new_rpc_message (sandbox, data->method, "application/json", body, 0, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  session = _viv_client_get_session (viv_sandbox_get_client (sandbox));
  cancellable = g_task_get_cancellable (task);
  soup_session_send_and_read_async (session, data->msg, G_PRIORITY_DEFAULT, cancellable,
                                    unary_cb, g_steal_pointer (&task));
}

void
_viv_connect_call_async (VivSandbox          *sandbox,
                         const char          *method,
                         JsonObject          *request,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (sandbox, cancellable, callback, user_data);
  CallData *data = g_new0 (CallData, 1);

  g_task_set_source_tag (task, _viv_connect_call_async);
  data->method = g_strdup (method);
  data->request = json_object_ref (request);
  g_task_set_task_data (task, data, (GDestroyNotify) call_data_free);

  _viv_sandbox_ensure_envd_async (sandbox, cancellable, unary_ready_cb, g_steal_pointer (&task));
}

JsonObject *
_viv_connect_call_finish (VivSandbox    *sandbox,
                          GAsyncResult  *result,
                          GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Streams */

gboolean
_viv_connect_parse_envelopes (GByteArray            *buffer,
                              VivConnectMessageFunc  message_func,
                              gpointer               message_data,
                              gboolean              *ended,
                              GError               **error)
{
  while (!*ended && buffer->len >= 5)
    {
      guint8 flags = buffer->data[0];
      guint32 length = ((guint32) buffer->data[1] << 24) | ((guint32) buffer->data[2] << 16) |
                       ((guint32) buffer->data[3] << 8) | buffer->data[4];
      g_autoptr (GBytes) payload = NULL;
      g_autoptr (JsonObject) object = NULL;

      if (flags & FLAG_COMPRESSED)
        {
          g_set_error_literal (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                               "The sandbox sent a compressed stream message, which was not asked for");
          return FALSE;
        }
      if (length > MAX_ENVELOPE)
        {
          g_set_error (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                       "The sandbox sent a stream message of %u bytes, more than allowed", length);
          return FALSE;
        }
      if (buffer->len < 5 + (gsize) length)
        return TRUE;

      payload = g_bytes_new (buffer->data + 5, length);
      g_byte_array_remove_range (buffer, 0, 5 + length);

      if (!(object = _viv_json_parse_object (payload, error)))
        return FALSE;

      if (flags & FLAG_END_STREAM)
        {
          JsonObject *end_error = NULL;
          const char *code = NULL;
          const char *message = NULL;

          *ended = TRUE;
          if (!_viv_json_get_object (object, "error", FALSE, &end_error, error))
            return FALSE;
          if (end_error != NULL)
            {
              if (!_viv_json_get_string (end_error, "code", TRUE, &code, error) ||
                  !_viv_json_get_string (end_error, "message", FALSE, &message, error))
                return FALSE;
              g_propagate_error (error, _viv_error_from_connect (code, message));
              return FALSE;
            }
          return TRUE;
        }

      message_func (object, message_data);
    }

  return TRUE;
}

static void read_more (GTask *task);

static void
stream_read_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  CallData *data = g_task_get_task_data (task);
  g_autoptr (GBytes) bytes = NULL;
  GError *error = NULL;
  gboolean ended = FALSE;

  if (!(bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error)))
    {
      g_task_return_error (task, _viv_error_from_transport (error));
      return;
    }

  if (g_bytes_get_size (bytes) == 0)
    {
      g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_PROTOCOL,
                               data->buffer->len > 0
                                 ? "The sandbox's stream broke off in the middle of a message"
                                 : "The sandbox's stream ended without its end-of-stream message");
      return;
    }

  g_byte_array_append (data->buffer, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  if (!_viv_connect_parse_envelopes (data->buffer, data->message_func, data->message_data,
                                     &ended, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (ended)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  read_more (g_steal_pointer (&task));
}

static void
read_more (GTask *task)
{
  CallData *data = g_task_get_task_data (task);

  if (g_task_return_error_if_cancelled (task))
    {
      g_object_unref (task);
      return;
    }

  g_input_stream_read_bytes_async (data->stream, READ_SIZE, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), stream_read_cb, task);
}

static void
error_body_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  CallData *data = g_task_get_task_data (task);
  g_autoptr (GBytes) body = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, NULL);

  g_task_return_error (task, error_from_answer (data->msg, body));
}

static void
stream_send_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  CallData *data = g_task_get_task_data (task);
  const char *content_type;
  GError *error = NULL;

  if (!(data->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error)))
    {
      g_task_return_error (task, _viv_error_from_transport (error));
      return;
    }

  if (soup_message_get_status (data->msg) != SOUP_STATUS_OK)
    {
      GCancellable *cancellable = g_task_get_cancellable (task);

      g_input_stream_read_bytes_async (data->stream, READ_SIZE, G_PRIORITY_DEFAULT,
                                       cancellable, error_body_cb, g_steal_pointer (&task));
      return;
    }

  /* connect-web rejects any other content type (spec §2.3). */
  content_type = soup_message_headers_get_content_type (soup_message_get_response_headers (data->msg), NULL);
  if (g_strcmp0 (content_type, "application/connect+json") != 0)
    {
      g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_PROTOCOL,
                               "The sandbox answered a stream with “%s” instead of application/connect+json",
                               content_type ? content_type : "no content type");
      return;
    }

  data->buffer = g_byte_array_new ();
  read_more (g_steal_pointer (&task));
}

static void
stream_ready_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  VivSandbox *sandbox = VIV_SANDBOX (object);
  g_autoptr (GTask) task = user_data;
  CallData *data = g_task_get_task_data (task);
  g_autofree char *json = NULL;
  g_autoptr (GBytes) body = NULL;
  guint8 *envelope;
  gsize length;
  GCancellable *cancellable;
  SoupSession *session;
  GError *error = NULL;

  if (!_viv_sandbox_ensure_envd_finish (sandbox, result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  /* The request is one envelope: flags 0, big-endian length, JSON. */
  json = _viv_json_object_to_string (data->request);
  length = strlen (json);
  envelope = g_malloc (5 + length);
  envelope[0] = 0;
  envelope[1] = (length >> 24) & 0xff;
  envelope[2] = (length >> 16) & 0xff;
  envelope[3] = (length >> 8) & 0xff;
  envelope[4] = length & 0xff;
  memcpy (envelope + 5, json, length);
  body = g_bytes_new_take (envelope, 5 + length);

  if (!(data->msg = new_rpc_message (sandbox, data->method, "application/connect+json", body,
                                     data->timeout_ms, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  soup_message_headers_replace (soup_message_get_request_headers (data->msg),
                                "Keepalive-Ping-Interval", "50");

  session = _viv_client_get_session (viv_sandbox_get_client (sandbox));
  cancellable = g_task_get_cancellable (task);
  soup_session_send_async (session, data->msg, G_PRIORITY_DEFAULT, cancellable,
                           stream_send_cb, g_steal_pointer (&task));
}

void
_viv_connect_stream_async (VivSandbox            *sandbox,
                           const char            *method,
                           JsonObject            *request,
                           guint                  timeout_ms,
                           VivConnectMessageFunc  message_func,
                           gpointer               message_data,
                           GCancellable          *cancellable,
                           GAsyncReadyCallback    callback,
                           gpointer               user_data)
{
  g_autoptr (GTask) task = g_task_new (sandbox, cancellable, callback, user_data);
  CallData *data = g_new0 (CallData, 1);

  g_task_set_source_tag (task, _viv_connect_stream_async);
  data->method = g_strdup (method);
  data->request = json_object_ref (request);
  data->timeout_ms = timeout_ms;
  data->message_func = message_func;
  data->message_data = message_data;
  g_task_set_task_data (task, data, (GDestroyNotify) call_data_free);

  _viv_sandbox_ensure_envd_async (sandbox, cancellable, stream_ready_cb, g_steal_pointer (&task));
}

gboolean
_viv_connect_stream_finish (VivSandbox    *sandbox,
                            GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
