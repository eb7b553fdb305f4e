/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>

#include "viv-guest-http.h"

G_DEFINE_QUARK (viv-http-error-quark, viv_http_error)

void
viv_http_reply_json (SoupServerMessage *msg,
                     guint              status,
                     JsonNode          *node)
{
  g_autofree char *text = NULL;
  gsize length = 0;

  text = json_to_string (node, FALSE);
  length = strlen (text);
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&text), length);
}

void
viv_http_reply_object (SoupServerMessage *msg,
                       guint              status,
                       JsonObject        *object)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  viv_http_reply_json (msg, status, node);
}

void
viv_http_reply_empty (SoupServerMessage *msg,
                      guint              status)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
}

static void
reply_error_message (SoupServerMessage *msg,
                     guint              status,
                     const char        *message)
{
  g_autoptr (JsonObject) object = json_object_new ();

  json_object_set_int_member (object, "code", status);
  json_object_set_string_member (object, "message", message);
  viv_http_reply_object (msg, status, object);
}

void
viv_http_reply_error (SoupServerMessage *msg,
                      guint              status,
                      const char        *format,
                      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  reply_error_message (msg, status, message);
}

guint
viv_http_status_for_error (const GError *error)
{
  if (error->domain == VIV_HTTP_ERROR)
    return error->code;

  if (error->domain == G_IO_ERROR)
    {
      switch (error->code)
        {
        case G_IO_ERROR_NOT_FOUND:
          return SOUP_STATUS_NOT_FOUND;
        case G_IO_ERROR_EXISTS:
          return SOUP_STATUS_CONFLICT;
        case G_IO_ERROR_NO_SPACE:
          return SOUP_STATUS_INSUFFICIENT_STORAGE;
        case G_IO_ERROR_PERMISSION_DENIED:
          return SOUP_STATUS_FORBIDDEN;
        case G_IO_ERROR_INVALID_ARGUMENT:
        case G_IO_ERROR_INVALID_DATA:
        case G_IO_ERROR_IS_DIRECTORY:
        case G_IO_ERROR_NOT_DIRECTORY:
        case G_IO_ERROR_FILENAME_TOO_LONG:
          return SOUP_STATUS_BAD_REQUEST;
        case G_IO_ERROR_TIMED_OUT:
          return SOUP_STATUS_GATEWAY_TIMEOUT;
        case G_IO_ERROR_CANCELLED:
          return SOUP_STATUS_SERVICE_UNAVAILABLE;
        default:
          break;
        }
    }

  if (error->domain == JSON_PARSER_ERROR)
    return SOUP_STATUS_BAD_REQUEST;

  return SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

void
viv_http_reply_gerror (SoupServerMessage *msg,
                       const GError      *error)
{
  reply_error_message (msg, viv_http_status_for_error (error), error->message);
}

JsonObject *
viv_http_read_json_object (SoupServerMessage  *msg,
                           GError            **error)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr (JsonParser) parser = json_parser_new_immutable ();
  g_autoptr (GError) local_error = NULL;
  gsize length = 0;
  const char *data = g_bytes_get_data (bytes, &length);
  JsonNode *root;

  if (length == 0)
    return json_object_new ();

  if (!g_utf8_validate (data, length, NULL))
    {
      g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                           "The request body is not valid UTF-8");
      return NULL;
    }

  if (!json_parser_load_from_data (parser, data, length, &local_error))
    {
      g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                   "The request body is not valid JSON: %s", local_error->message);
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                           "The request body must be a JSON object");
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

static JsonNode *
get_member (JsonObject  *object,
            const char  *name,
            gboolean     required,
            GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                     "Missing member “%s”", name);
      return NULL;
    }

  return node;
}

gboolean
viv_json_get_int (JsonObject  *object,
                  const char  *name,
                  gboolean     required,
                  gint64       min,
                  gint64       max,
                  gint64      *out,
                  GError     **error)
{
  JsonNode *node = get_member (object, name, required, error);
  gint64 value;

  if (node == NULL)
    return !required;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    {
      /* Integral doubles (1.0) are fine; anything else is not a whole number. */
      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_DOUBLE)
        {
          double d = json_node_get_double (node);

          if (d == (double) (gint64) d)
            {
              value = (gint64) d;
              goto check_range;
            }
        }

      g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                   "Member “%s” must be an integer", name);
      return FALSE;
    }

  value = json_node_get_int (node);

check_range:
  if (value < min || value > max)
    {
      g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                   "Member “%s” is %" G_GINT64_FORMAT ", outside %" G_GINT64_FORMAT
                   "..%" G_GINT64_FORMAT,
                   name, value, min, max);
      return FALSE;
    }

  *out = value;
  return TRUE;
}

gboolean
viv_json_get_string (JsonObject  *object,
                     const char  *name,
                     gboolean     required,
                     const char **out,
                     GError     **error)
{
  JsonNode *node = get_member (object, name, required, error);

  if (node == NULL)
    return !required;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    {
      g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                   "Member “%s” must be a string", name);
      return FALSE;
    }

  *out = json_node_get_string (node);
  return TRUE;
}

gboolean
viv_json_get_bool (JsonObject  *object,
                   const char  *name,
                   gboolean     required,
                   gboolean    *out,
                   GError     **error)
{
  JsonNode *node = get_member (object, name, required, error);

  if (node == NULL)
    return !required;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                   "Member “%s” must be true or false", name);
      return FALSE;
    }

  *out = json_node_get_boolean (node);
  return TRUE;
}

char *
viv_format_time (gint64 realtime_us)
{
  g_autoptr (GDateTime) utc = g_date_time_new_from_unix_utc (realtime_us / G_USEC_PER_SEC);
  g_autofree char *seconds = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%S");

  return g_strdup_printf ("%s.%03dZ", seconds, (int) ((realtime_us % G_USEC_PER_SEC) / 1000));
}
