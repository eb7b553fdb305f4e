/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "vivarium.h"
#include "viv-client-private.h"
#include "viv-desktop-private.h"
#include "viv-error-private.h"
#include "viv-json-private.h"
#include "viv-sandbox-private.h"

/* The guest's GET /desktop/events (server-sent events) as signals of
 * VivDesktop, reconnecting with Last-Event-ID when the connection drops, as
 * EventSource does (HTML Living Standard, §9.2 "Server-sent events"). */

#define READ_SIZE         (64 * 1024)
/* A line (one JSON event) longer than this is a broken stream. */
#define MAX_LINE          (4 * 1024 * 1024)
#define RETRY_FIRST_MS    500
#define RETRY_MAX_MS      10000

/* Parser */

void
_viv_sse_parser_init (VivSseParser *parser)
{
  memset (parser, 0, sizeof *parser);
  parser->data = g_string_new (NULL);
}

void
_viv_sse_parser_reset_event (VivSseParser *parser)
{
  g_string_truncate (parser->data, 0);
  parser->has_data = FALSE;
  g_clear_pointer (&parser->type, g_free);
  g_clear_pointer (&parser->id, g_free);
}

void
_viv_sse_parser_clear (VivSseParser *parser)
{
  _viv_sse_parser_reset_event (parser);
  g_string_free (g_steal_pointer (&parser->data), TRUE);
  g_clear_pointer (&parser->last_id, g_free);
}

static void
parse_line (VivSseParser    *parser,
            const char      *line,
            gsize            length,
            VivSseEventFunc  func,
            gpointer         user_data)
{
  g_autofree char *field = NULL;
  const char *colon;
  const char *value;
  gsize value_length;

  if (length == 0)
    {
      /* A blank line dispatches the event; its id is the stream's position
       * only once the whole event arrived. */
      if (parser->id != NULL)
        {
          g_free (parser->last_id);
          parser->last_id = g_strdup (parser->id);
        }
      if (parser->has_data)
        func (parser->type ? parser->type : "message", parser->data->str,
              parser->last_id, user_data);
      g_string_truncate (parser->data, 0);
      parser->has_data = FALSE;
      g_clear_pointer (&parser->type, g_free);
      return;
    }

  if (line[0] == ':')
    return;

  colon = memchr (line, ':', length);
  if (colon != NULL)
    {
      field = g_strndup (line, colon - line);
      value = colon + 1;
      if (value < line + length && *value == ' ')
        value++;
      value_length = line + length - value;
    }
  else
    {
      field = g_strndup (line, length);
      value = line + length;
      value_length = 0;
    }

  if (strcmp (field, "data") == 0)
    {
      if (parser->has_data)
        g_string_append_c (parser->data, '\n');
      g_string_append_len (parser->data, value, value_length);
      parser->has_data = TRUE;
    }
  else if (strcmp (field, "event") == 0)
    {
      g_free (parser->type);
      parser->type = g_strndup (value, value_length);
    }
  else if (strcmp (field, "id") == 0 && memchr (value, '\0', value_length) == NULL)
    {
      g_free (parser->id);
      parser->id = g_strndup (value, value_length);
    }
  /* "retry" and unknown fields are ignored: our back-off is our own. */
}

gboolean
_viv_sse_parser_feed (VivSseParser     *parser,
                      GByteArray       *buffer,
                      VivSseEventFunc   func,
                      gpointer          user_data,
                      GError          **error)
{
  gsize start = 0;

  for (gsize i = 0; i < buffer->len; i++)
    {
      guint8 c = buffer->data[i];
      gsize end = i;

      if (c != '\n' && c != '\r')
        continue;

      /* CRLF is one line end; a CR at the end may be followed by LF in the
       * next read, so wait for it. */
      if (c == '\r')
        {
          if (i + 1 == buffer->len)
            break;
          if (buffer->data[i + 1] == '\n')
            i++;
        }

      parse_line (parser, (const char *) buffer->data + start, end - start, func, user_data);
      start = i + 1;
    }

  g_byte_array_remove_range (buffer, 0, start);

  if (buffer->len > MAX_LINE)
    {
      g_set_error (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                   "The guest's event stream sent a line of more than %d bytes", MAX_LINE);
      return FALSE;
    }

  return TRUE;
}

/* Watching */

typedef struct
{
  SoupMessage  *msg;
  GInputStream *stream;
  GByteArray   *buffer;
  VivSseParser  parser;
  guint         retry_ms;
} WatchData;

static void
watch_data_free (WatchData *data)
{
  g_clear_object (&data->msg);
  g_clear_object (&data->stream);
  g_clear_pointer (&data->buffer, g_byte_array_unref);
  _viv_sse_parser_clear (&data->parser);
  g_free (data);
}

static void watch_connect (GTask *task);

static void
event_cb (const char *type,
          const char *data,
          const char *id,
          gpointer    user_data)
{
  VivDesktop *self = user_data;
  g_autoptr (GBytes) bytes = g_bytes_new_static (data, strlen (data));
  g_autoptr (JsonObject) event = NULL;
  g_autoptr (GError) error = NULL;

  if (!(event = _viv_json_parse_object (bytes, &error)))
    {
      g_debug ("Ignoring an event the guest sent that is not a JSON object: %s", error->message);
      return;
    }

  _viv_desktop_dispatch_event (self, type, event);
}

/* Whether the guest may come back: network errors, a proxy's 502/503/504,
 * 429. Anything else (401, 404, garbage) will not get better by retrying. */
static gboolean
is_transient (const GError *error)
{
  return g_error_matches (error, VIV_ERROR, VIV_ERROR_UNAVAILABLE) ||
         g_error_matches (error, VIV_ERROR, VIV_ERROR_TIMEOUT) ||
         g_error_matches (error, VIV_ERROR, VIV_ERROR_RATE_LIMITED);
}

/* Takes the task. */
static void
watch_fail (GTask  *task,
            GError *error)
{
  g_autoptr (GTask) owned = task;
  VivDesktop *self = g_task_get_source_object (task);

  _viv_desktop_set_events_connected (self, FALSE);
  g_task_return_error (task, error);
}

static gboolean
retry_cb (GCancellable *cancellable,
          gpointer      user_data)
{
  GTask *task = user_data;

  if (g_task_return_error_if_cancelled (task))
    return G_SOURCE_REMOVE;

  watch_connect (g_object_ref (task));
  return G_SOURCE_REMOVE;
}

/* The connection dropped or could not be made: try again after a while,
 * asking for what was missed (Last-Event-ID). Takes the task. */
static void
watch_retry (GTask  *task,
             GError *error)
{
  g_autoptr (GTask) owned = task;
  g_autoptr (GError) owned_error = error;
  VivDesktop *self = g_task_get_source_object (task);
  WatchData *data = g_task_get_task_data (task);
  GSource *source;

  if (g_task_return_error_if_cancelled (task))
    {
      _viv_desktop_set_events_connected (self, FALSE);
      return;
    }

  g_debug ("The desktop event stream dropped (%s); reconnecting in %u ms",
           error ? error->message : "end of stream", data->retry_ms);

  _viv_desktop_set_events_connected (self, FALSE);
  g_clear_object (&data->stream);
  g_clear_object (&data->msg);
  g_byte_array_set_size (data->buffer, 0);
  _viv_sse_parser_reset_event (&data->parser);

  /* A cancellable source with a ready time: whichever comes first, the
   * delay or the cancellation. */
  source = g_cancellable_source_new (g_task_get_cancellable (task));
  g_source_set_ready_time (source, g_get_monotonic_time () + (gint64) data->retry_ms * 1000);
  g_source_set_static_name (source, "[vivarium] desktop events retry");
  g_source_set_callback (source, G_SOURCE_FUNC (retry_cb), g_object_ref (task), g_object_unref);
  g_source_attach (source, g_task_get_context (task));
  g_source_unref (source);

  data->retry_ms = MIN (data->retry_ms * 2, RETRY_MAX_MS);
}

static void read_more (GTask *task);

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  VivDesktop *self = g_task_get_source_object (task);
  WatchData *data = g_task_get_task_data (task);
  g_autoptr (GBytes) bytes = NULL;
  GError *error = NULL;

  if (!(bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error)))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        watch_fail (g_steal_pointer (&task), error);
      else
        watch_retry (g_steal_pointer (&task), _viv_error_from_transport (error));
      return;
    }

  if (g_bytes_get_size (bytes) == 0)
    {
      watch_retry (g_steal_pointer (&task), NULL);
      return;
    }

  g_byte_array_append (data->buffer, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  if (!_viv_sse_parser_feed (&data->parser, data->buffer, event_cb, self, &error))
    {
      watch_fail (g_steal_pointer (&task), error);
      return;
    }

  read_more (g_steal_pointer (&task));
}

static void
read_more (GTask *task)
{
  WatchData *data = g_task_get_task_data (task);

  /* A signal handler may have cancelled the watch. */
  if (g_task_return_error_if_cancelled (task))
    {
      _viv_desktop_set_events_connected (g_task_get_source_object (task), FALSE);
      g_object_unref (task);
      return;
    }

  g_input_stream_read_bytes_async (data->stream, READ_SIZE, G_PRIORITY_DEFAULT,
                                   g_task_get_cancellable (task), read_cb, task);
}

static void
error_body_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  WatchData *data = g_task_get_task_data (task);
  g_autoptr (GBytes) body = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, NULL);
  const char *content_type =
    soup_message_headers_get_content_type (soup_message_get_response_headers (data->msg), NULL);
  GError *error = _viv_error_from_http (soup_message_get_status (data->msg), content_type, body);

  if (is_transient (error))
    watch_retry (g_steal_pointer (&task), error);
  else
    watch_fail (g_steal_pointer (&task), error);
}

static void
sent_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  VivDesktop *self = g_task_get_source_object (task);
  WatchData *data = g_task_get_task_data (task);
  const char *content_type;
  GError *error = NULL;

  if (!(data->stream = soup_session_send_finish (SOUP_SESSION (object), result, &error)))
    {
      error = _viv_error_from_transport (error);
      if (is_transient (error))
        watch_retry (g_steal_pointer (&task), error);
      else
        watch_fail (g_steal_pointer (&task), error);
      return;
    }

  if (soup_message_get_status (data->msg) != SOUP_STATUS_OK)
    {
      GCancellable *cancellable = g_task_get_cancellable (task);

      g_input_stream_read_bytes_async (data->stream, READ_SIZE, G_PRIORITY_DEFAULT,
                                       cancellable, error_body_cb, g_steal_pointer (&task));
      return;
    }

  content_type =
    soup_message_headers_get_content_type (soup_message_get_response_headers (data->msg), NULL);
  if (g_strcmp0 (content_type, "text/event-stream") != 0)
    {
      watch_fail (g_steal_pointer (&task),
                  g_error_new (VIV_ERROR, VIV_ERROR_PROTOCOL,
                               "The guest answered the event stream with “%s” instead of text/event-stream",
                               content_type ? content_type : "no content type"));
      return;
    }

  data->retry_ms = RETRY_FIRST_MS;
  _viv_desktop_set_events_connected (self, TRUE);
  read_more (g_steal_pointer (&task));
}

static void
ready_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  VivSandbox *sandbox = VIV_SANDBOX (object);
  g_autoptr (GTask) task = user_data;
  WatchData *data = g_task_get_task_data (task);
  SoupMessageHeaders *headers;
  GCancellable *cancellable;
  GError *error = NULL;

  if (!_viv_sandbox_ensure_envd_finish (sandbox, result, &error))
    {
      if (is_transient (error))
        watch_retry (g_steal_pointer (&task), error);
      else
        watch_fail (g_steal_pointer (&task), error);
      return;
    }

  if (!(data->msg = _viv_sandbox_new_message (sandbox, "GET", VIV_ENVD_PORT, "/desktop/events")))
    {
      watch_fail (g_steal_pointer (&task),
                  g_error_new_literal (VIV_ERROR, VIV_ERROR_INVALID_ARGUMENT,
                                       "The sandbox URL is not valid"));
      return;
    }

  headers = soup_message_get_request_headers (data->msg);
  soup_message_headers_replace (headers, "Accept", "text/event-stream");
  soup_message_headers_replace (headers, "Cache-Control", "no-cache");
  if (data->parser.last_id != NULL)
    soup_message_headers_replace (headers, "Last-Event-ID", data->parser.last_id);

  cancellable = g_task_get_cancellable (task);
  soup_session_send_async (_viv_client_get_session (viv_sandbox_get_client (sandbox)),
                           data->msg, G_PRIORITY_DEFAULT, cancellable,
                           sent_cb, g_steal_pointer (&task));
}

/* Takes the task. */
static void
watch_connect (GTask *task)
{
  VivDesktop *self = g_task_get_source_object (task);

  _viv_sandbox_ensure_envd_async (viv_desktop_get_sandbox (self), g_task_get_cancellable (task),
                                  ready_cb, task);
}

static void
watch_events (VivDesktop          *self,
              const char          *last_id,
              GCancellable        *cancellable,
              GAsyncReadyCallback  callback,
              gpointer             user_data)
{
  GTask *task;
  WatchData *data;

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_desktop_watch_events_async);
  data = g_new0 (WatchData, 1);
  data->buffer = g_byte_array_new ();
  data->retry_ms = RETRY_FIRST_MS;
  _viv_sse_parser_init (&data->parser);
  data->parser.last_id = g_strdup (last_id);
  g_task_set_task_data (task, data, (GDestroyNotify) watch_data_free);

  watch_connect (task);
}

/**
 * viv_desktop_watch_events_async:
 * @cancellable: (nullable): cancel to stop watching
 * @callback: (scope async): called when the watch ends
 * @user_data: data for @callback
 *
 * Follows the guest's event stream (`GET /desktop/events`) from now on,
 * emitting each event as signals on the main context this was called on.
 *
 * When the connection drops (the network, the guest restarting, a proxy
 * timing out), it connects again after a growing delay (0.5 s up to 10 s)
 * with `Last-Event-ID`, so that the events in between are delivered late
 * rather than lost; [property@Viv.Desktop:events-connected] says whether it
 * is connected right now. The watch ends only when @cancellable is cancelled
 * (%G_IO_ERROR_CANCELLED) or on an error that retrying cannot fix (a refused
 * token, a server that does not speak server-sent events).
 */
void
viv_desktop_watch_events_async (VivDesktop          *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_return_if_fail (VIV_IS_DESKTOP (self));

  watch_events (self, NULL, cancellable, callback, user_data);
}

/**
 * viv_desktop_watch_events_since_async:
 * @since: the id of the last event already known, 0 for none
 * @cancellable: (nullable): cancel to stop watching
 * @callback: (scope async): called when the watch ends
 * @user_data: data for @callback
 *
 * Like [method@Viv.Desktop.watch_events_async], but first delivers the
 * recent events the guest still keeps (its last 1,000) whose id is greater
 * than @since: with 0, the desktop's history, then what happens from now
 * on. End it with [method@Viv.Desktop.watch_events_finish].
 */
void
viv_desktop_watch_events_since_async (VivDesktop          *self,
                                      guint64              since,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autofree char *last_id = NULL;

  g_return_if_fail (VIV_IS_DESKTOP (self));

  /* The guest replays after the Last-Event-ID a reconnecting client sends. */
  last_id = g_strdup_printf ("%" G_GUINT64_FORMAT, since);
  watch_events (self, last_id, cancellable, callback, user_data);
}

/**
 * viv_desktop_watch_events_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: %FALSE with the reason the watch ended (it never ends by itself)
 */
gboolean
viv_desktop_watch_events_finish (VivDesktop    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
