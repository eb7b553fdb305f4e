/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The control plane: E2B's REST API (shared/spec/e2b-wire.md §1), plus
 * GET /templates and POST /templates/from-sandbox/{id} of our own. */
#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "viv-host-private.h"

#define DEFAULT_TIMEOUT_V2  300
#define DEFAULT_TIMEOUT_V1  15
#define DEFAULT_RESUME      15
#define MAX_TIMEOUT         (24 * 3600)

/* Error bodies are {"code","message"} (spec §1). */
static void
reply_error (SoupServerMessage *msg,
             guint              status,
             const char        *format,
             ...) G_GNUC_PRINTF (3, 4);

static void
reply_json (SoupServerMessage *msg,
            guint              status,
            JsonNode          *node)
{
  g_autofree char *text = json_to_string (node, FALSE);
  gsize length = strlen (text);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_TAKE,
                                    g_steal_pointer (&text), length);
}

static void
reply_object (SoupServerMessage *msg,
              guint              status,
              JsonObject        *object)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_take_object (node, object);
  reply_json (msg, status, node);
}

static void
reply_array (SoupServerMessage *msg,
             guint              status,
             JsonArray         *array)
{
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_ARRAY);

  json_node_take_array (node, array);
  reply_json (msg, status, node);
}

static void
reply_empty (SoupServerMessage *msg,
             guint              status)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
}

static void
reply_error (SoupServerMessage *msg,
             guint              status,
             const char        *format,
             ...)
{
  JsonObject *object = json_object_new ();
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  json_object_set_int_member (object, "code", status);
  json_object_set_string_member (object, "message", message);
  reply_object (msg, status, object);
}

static void
reply_gerror (SoupServerMessage *msg,
              const GError      *error)
{
  guint status = error->domain == VIV_HOST_ERROR ? (guint) error->code
                                                 : SOUP_STATUS_INTERNAL_SERVER_ERROR;

  reply_error (msg, status, "%s", error->message);
}

static void
reply_not_found (SoupServerMessage *msg,
                 const char        *id)
{
  reply_error (msg, SOUP_STATUS_NOT_FOUND, "sandbox \"%s\" not found", id);
}

/* Bodies arrive chunked (spec §1); SoupServer has them whole by now. An empty
 * body is an empty object. */
static JsonObject *
read_body (SoupServerMessage  *msg,
           GError            **error)
{
  SoupMessageBody *body = soup_server_message_get_request_body (msg);
  g_autoptr (GBytes) bytes = soup_message_body_flatten (body);
  g_autoptr (JsonParser) parser = json_parser_new ();
  gsize length = 0;
  const char *data = g_bytes_get_data (bytes, &length);
  JsonNode *root;

  if (length == 0)
    return json_object_new ();

  if (!json_parser_load_from_data (parser, data, (gssize) length, error))
    {
      g_prefix_error (error, "The body is not JSON: ");
      return NULL;
    }

  root = json_parser_get_root (parser);
  if (root == NULL || JSON_NODE_HOLDS_NULL (root))
    return json_object_new ();
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "The body must be a JSON object");
      return NULL;
    }

  return json_object_ref (json_node_get_object (root));
}

static gboolean
get_int (JsonObject  *object,
         const char  *name,
         gint64       min,
         gint64       max,
         gint64      *out,
         GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_INT64 &&
       json_node_get_value_type (node) != G_TYPE_DOUBLE) ||
      json_node_get_double (node) < min || json_node_get_double (node) > max)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” must be a number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT,
                   name, min, max);
      return FALSE;
    }

  *out = json_node_get_value_type (node) == G_TYPE_INT64 ? json_node_get_int (node)
                                                         : (gint64) json_node_get_double (node);
  return TRUE;
}

static gboolean
get_bool (JsonObject  *object,
          const char  *name,
          gboolean    *out,
          GError     **error)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” must be true or false", name);
      return FALSE;
    }

  *out = json_node_get_boolean (node);
  return TRUE;
}

/* A string -> string map such as metadata and envVars, or NULL when absent. */
static gboolean
get_string_map (JsonObject   *object,
                const char   *name,
                gboolean      env_names,
                JsonObject  **out,
                GError      **error)
{
  JsonNode *node = json_object_get_member (object, name);
  g_autoptr (GList) members = NULL;
  JsonObject *map;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    goto invalid;

  map = json_node_get_object (node);
  members = json_object_get_members (map);
  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *value = json_object_get_member (map, l->data);
      const char *key = l->data;

      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        goto invalid;
      if (env_names && (*key == '\0' || strchr (key, '=') != NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "“%s” is not an environment variable name", key);
          return FALSE;
        }
    }

  *out = json_object_ref (map);
  return TRUE;

invalid:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "“%s” must be an object of strings", name);
  return FALSE;
}

/* Async handlers pause the message and keep it alive until they reply. */
typedef struct
{
  VivHost           *host;
  SoupServerMessage *msg;
  VivSandbox        *sandbox;
  gboolean           v2;
  gint64             timeout_s;
  guint              success_status;
} Request;

static Request *
request_new (VivHost           *host,
             SoupServerMessage *msg,
             VivSandbox        *sandbox)
{
  Request *request = g_new0 (Request, 1);

  request->host = g_object_ref (host);
  request->msg = g_object_ref (msg);
  request->sandbox = sandbox ? g_object_ref (sandbox) : NULL;
  soup_server_message_pause (msg);
  return request;
}

static void
request_finish (Request *request)
{
  soup_server_message_unpause (request->msg);
  g_object_unref (request->msg);
  g_object_unref (request->host);
  g_clear_object (&request->sandbox);
  g_free (request);
}

/* POST /sandboxes and POST /v2/sandboxes */
static void
created_cb (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  Request *request = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (VivSandbox) sandbox = viv_host_create_finish (VIV_HOST (source), result, &error);

  if (sandbox == NULL)
    reply_gerror (request->msg, error);
  else
    reply_object (request->msg, SOUP_STATUS_CREATED,
                  viv_sandbox_to_sandbox_json (sandbox, request->host->domain));

  request_finish (request);
}

static void
create_sandbox (VivHost           *self,
                SoupServerMessage *msg,
                gboolean           v2)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = read_body (msg, &error);
  g_autoptr (JsonObject) metadata = NULL;
  g_autoptr (JsonObject) env_vars = NULL;
  VivCreateOptions options = { 0 };
  const char *template_id = NULL;
  JsonNode *node;

  if (body == NULL)
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
      return;
    }

  node = json_object_get_member (body, "templateID");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    template_id = json_node_get_string (node);
  if (template_id == NULL)
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "“templateID” is required");
      return;
    }

  options.template = g_hash_table_lookup (self->templates, template_id);
  if (options.template == NULL)
    {
      reply_error (msg, SOUP_STATUS_NOT_FOUND, "template \"%s\" not found", template_id);
      return;
    }

  options.timeout_s = v2 ? DEFAULT_TIMEOUT_V2 : DEFAULT_TIMEOUT_V1;
  if (!get_int (body, "timeout", 0, MAX_TIMEOUT, &options.timeout_s, &error) ||
      !get_string_map (body, "metadata", FALSE, &metadata, &error) ||
      !get_string_map (body, "envVars", TRUE, &env_vars, &error) ||
      !get_bool (body, "autoPause", &options.auto_pause, &error))
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
      return;
    }

  node = json_object_get_member (body, "autoResume");
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node) &&
      !get_bool (json_node_get_object (node), "enabled", &options.auto_resume, &error))
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "autoResume: %s", error->message);
      return;
    }

  options.metadata = metadata;
  options.env_vars = env_vars;
  viv_host_create_async (self, &options, created_cb, request_new (self, msg, NULL));
}

/* Listing: filters (spec §1), ordered by start time, paginated by a cursor. */

/* Go's url.QueryUnescape: %XX and '+' as a space. */
static char *
query_unescape (const char *text)
{
  GString *out = g_string_new (NULL);

  for (const char *p = text; *p; p++)
    {
      if (*p == '+')
        g_string_append_c (out, ' ');
      else if (*p == '%')
        {
          int high = g_ascii_xdigit_value (p[1]);
          int low = high >= 0 ? g_ascii_xdigit_value (p[2]) : -1;

          if (high < 0 || low < 0)
            {
              g_string_free (out, TRUE);
              return NULL;
            }
          g_string_append_c (out, (char) (high * 16 + low));
          p += 2;
        }
      else
        g_string_append_c (out, *p);
    }

  return g_string_free (out, FALSE);
}

/* The metadata filter arrives encoded three times ({k:"v w"} becomes
 * metadata=k%3Dv%252520w); SoupServer undid the first layer. Decode as E2B's
 * parseFilters does (spec §1). */
static GHashTable *
parse_metadata_filter (const char  *value,
                       GError     **error)
{
  g_autoptr (GHashTable) filter = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *decoded = query_unescape (value);
  g_auto (GStrv) pairs = NULL;

  if (decoded == NULL)
    goto invalid;

  pairs = g_strsplit (decoded, "&", -1);
  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_auto (GStrv) kv = NULL;
      char *key, *val;

      if (*pairs[i] == '\0')
        continue;

      kv = g_strsplit (pairs[i], "=", 2);
      if (g_strv_length (kv) != 2)
        goto invalid;

      key = query_unescape (kv[0]);
      val = query_unescape (kv[1]);
      if (key == NULL || val == NULL)
        {
          g_free (key);
          g_free (val);
          goto invalid;
        }
      g_hash_table_replace (filter, key, val);
    }

  return g_steal_pointer (&filter);

invalid:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
               "“metadata” must be key=value pairs joined by &");
  return NULL;
}

static gboolean
matches_metadata (VivSandbox *sandbox,
                  GHashTable *filter)
{
  GHashTableIter iter;
  gpointer key, value;

  if (filter == NULL)
    return TRUE;

  g_hash_table_iter_init (&iter, filter);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (!json_object_has_member (sandbox->metadata, key) ||
          g_strcmp0 (json_object_get_string_member (sandbox->metadata, key), value) != 0)
        return FALSE;
    }

  return TRUE;
}

static int
compare_started (gconstpointer a,
                 gconstpointer b)
{
  const VivSandbox *x = *(VivSandbox * const *) a;
  const VivSandbox *y = *(VivSandbox * const *) b;

  if (x->started_at != y->started_at)
    return x->started_at < y->started_at ? -1 : 1;
  return strcmp (x->id, y->id);
}

static char *
cursor_for (VivSandbox *sandbox)
{
  g_autofree char *raw = g_strdup_printf ("%" G_GINT64_FORMAT ":%s", sandbox->started_at,
                                          sandbox->id);

  return g_base64_encode ((const guchar *) raw, strlen (raw));
}

/* Whether @sandbox comes after the cursor in the listing's order. */
static gboolean
after_cursor (VivSandbox *sandbox,
              gint64      cursor_time,
              const char *cursor_id,
              gboolean    descending)
{
  int order;

  if (sandbox->started_at != cursor_time)
    order = sandbox->started_at < cursor_time ? -1 : 1;
  else
    order = strcmp (sandbox->id, cursor_id);

  return descending ? order < 0 : order > 0;
}

static void
list_sandboxes (VivHost           *self,
                SoupServerMessage *msg,
                GHashTable        *query,
                gboolean           v2)
{
  g_autoptr (GPtrArray) all = viv_host_list_sandboxes (self);
  g_autoptr (GHashTable) filter = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDateTime) started_after = NULL;
  g_autofree char *cursor_id = NULL;
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
  JsonArray *result = json_array_new ();
  gboolean want_running = TRUE, want_paused = !v2 ? FALSE : TRUE;
  gboolean descending = FALSE;
  const char *template = NULL;
  const char *value;
  gint64 cursor_time = 0;
  guint64 limit = v2 ? 100 : G_MAXUINT;
  guint running = 0, emitted = 0;
  VivSandbox *last = NULL;
  gboolean more = FALSE;

  if (query != NULL && (value = g_hash_table_lookup (query, "metadata")) != NULL &&
      (filter = parse_metadata_filter (value, &error)) == NULL)
    goto bad_request;

  if (v2 && query != NULL)
    {
      if ((value = g_hash_table_lookup (query, "state")) != NULL)
        {
          g_auto (GStrv) states = g_strsplit (value, ",", -1);

          want_running = want_paused = FALSE;
          for (guint i = 0; states[i] != NULL; i++)
            {
              if (g_str_equal (states[i], "running"))
                want_running = TRUE;
              else if (g_str_equal (states[i], "paused"))
                want_paused = TRUE;
              else
                {
                  g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "Unknown state “%s”: use running or paused", states[i]);
                  goto bad_request;
                }
            }
        }

      if ((value = g_hash_table_lookup (query, "order")) != NULL)
        {
          if (g_str_equal (value, "desc"))
            descending = TRUE;
          else if (!g_str_equal (value, "asc"))
            {
              g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                   "“order” must be asc or desc");
              goto bad_request;
            }
        }

      if ((value = g_hash_table_lookup (query, "limit")) != NULL &&
          !g_ascii_string_to_unsigned (value, 10, 1, 100, &limit, NULL))
        {
          g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "“limit” must be a number from 1 to 100");
          goto bad_request;
        }

      if ((value = g_hash_table_lookup (query, "startedAfter")) != NULL &&
          (started_after = g_date_time_new_from_iso8601 (value, NULL)) == NULL)
        {
          g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                               "“startedAfter” must be an RFC 3339 time");
          goto bad_request;
        }

      template = g_hash_table_lookup (query, "template");

      if ((value = g_hash_table_lookup (query, "nextToken")) != NULL && *value != '\0')
        {
          gsize length = 0;
          g_autofree guchar *raw = g_base64_decode (value, &length);
          g_autofree char *text = g_strndup ((const char *) raw, length);
          char *colon = strchr (text, ':');

          if (colon != NULL)
            {
              *colon = '\0';
              if (g_ascii_string_to_signed (text, 10, 0, G_MAXINT64, &cursor_time, NULL))
                cursor_id = g_strdup (colon + 1);
            }
          if (cursor_id == NULL)
            {
              g_set_error_literal (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                   "“nextToken” is not a token this host gave out");
              goto bad_request;
            }
        }
    }

  g_ptr_array_sort (all, compare_started);
  if (descending)
    {
      for (guint i = 0, j = all->len ? all->len - 1 : 0; i < j; i++, j--)
        {
          gpointer tmp = all->pdata[i];
          all->pdata[i] = all->pdata[j];
          all->pdata[j] = tmp;
        }
    }

  for (guint i = 0; i < all->len; i++)
    {
      VivSandbox *sandbox = g_ptr_array_index (all, i);

      if (sandbox->state == VIV_SANDBOX_RUNNING)
        running++;

      if ((sandbox->state == VIV_SANDBOX_RUNNING && !want_running) ||
          (sandbox->state == VIV_SANDBOX_PAUSED && !want_paused) ||
          !matches_metadata (sandbox, filter) ||
          (template != NULL && !g_str_equal (template, sandbox->template_id)) ||
          (started_after != NULL &&
           sandbox->started_at <= g_date_time_to_unix (started_after) * G_USEC_PER_SEC) ||
          (cursor_id != NULL && !after_cursor (sandbox, cursor_time, cursor_id, descending)))
        continue;

      if (emitted == limit)
        {
          more = TRUE;
          continue;
        }

      json_array_add_object_element (result, viv_sandbox_to_listed_json (sandbox, FALSE,
                                                                         self->domain));
      last = sandbox;
      emitted++;
    }

  if (v2)
    {
      g_autofree char *total = g_strdup_printf ("%u", running);

      soup_message_headers_replace (headers, "X-Total-Running", total);
      if (more && last != NULL)
        {
          g_autofree char *token = cursor_for (last);
          soup_message_headers_replace (headers, "X-Next-Token", token);
        }
    }

  reply_array (msg, SOUP_STATUS_OK, result);
  return;

bad_request:
  json_array_unref (result);
  reply_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
}

/* pause, resume, connect */
static void
paused_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Request *request = user_data;
  g_autoptr (GError) error = NULL;

  if (!viv_host_set_paused_finish (VIV_HOST (source), result, &error))
    reply_gerror (request->msg, error);
  else if (request->success_status == SOUP_STATUS_NO_CONTENT)
    reply_empty (request->msg, SOUP_STATUS_NO_CONTENT);
  else
    reply_object (request->msg, request->success_status,
                  viv_sandbox_to_sandbox_json (request->sandbox, request->host->domain));

  request_finish (request);
}

static void
pause_sandbox (VivHost           *self,
               SoupServerMessage *msg,
               VivSandbox        *sandbox)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = read_body (msg, &error);
  Request *request;

  if (body == NULL)
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
      return;
    }

  if (sandbox->busy)
    {
      reply_error (msg, SOUP_STATUS_CONFLICT, "sandbox \"%s\" is changing state", sandbox->id);
      return;
    }
  if (sandbox->state == VIV_SANDBOX_PAUSED)
    {
      reply_error (msg, SOUP_STATUS_CONFLICT, "sandbox \"%s\" is already paused", sandbox->id);
      return;
    }

  request = request_new (self, msg, sandbox);
  request->success_status = SOUP_STATUS_NO_CONTENT;
  viv_host_set_paused_async (self, sandbox, TRUE, 0, paused_cb, request);
}

typedef enum { RESUME, CONNECT_V1, CONNECT_V2 } ResumeKind;

static void
resume_sandbox (VivHost           *self,
                SoupServerMessage *msg,
                VivSandbox        *sandbox,
                ResumeKind         kind)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = read_body (msg, &error);
  gint64 timeout_s = kind == RESUME ? DEFAULT_RESUME : DEFAULT_TIMEOUT_V2;
  Request *request;

  if (body == NULL || !get_int (body, "timeout", 0, MAX_TIMEOUT, &timeout_s, &error))
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
      return;
    }
  if (kind == CONNECT_V1 && !json_object_has_member (body, "timeout"))
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "“timeout” is required");
      return;
    }

  if (sandbox->busy)
    {
      reply_error (msg, SOUP_STATUS_CONFLICT, "sandbox \"%s\" is changing state", sandbox->id);
      return;
    }

  if (sandbox->state == VIV_SANDBOX_RUNNING)
    {
      gint64 end_at = g_get_real_time () + timeout_s * G_USEC_PER_SEC;

      if (kind == RESUME)
        {
          reply_error (msg, SOUP_STATUS_CONFLICT, "sandbox \"%s\" is already running",
                       sandbox->id);
          return;
        }

      /* Connecting to a running sandbox only ever extends its TTL (spec §1). */
      if (end_at > sandbox->end_at)
        viv_host_set_end_at (self, sandbox, end_at);
      reply_object (msg, SOUP_STATUS_OK, viv_sandbox_to_sandbox_json (sandbox, self->domain));
      return;
    }

  request = request_new (self, msg, sandbox);
  request->success_status = SOUP_STATUS_CREATED;
  viv_host_set_paused_async (self, sandbox, FALSE, timeout_s, paused_cb, request);
}

static void
set_timeout (VivHost           *self,
             SoupServerMessage *msg,
             VivSandbox        *sandbox,
             gboolean           refresh)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = read_body (msg, &error);
  const char *name = refresh ? "duration" : "timeout";
  gint64 seconds = refresh ? DEFAULT_TIMEOUT_V1 : -1;
  gint64 end_at;

  if (body == NULL ||
      !get_int (body, name, 0, refresh ? 3600 : MAX_TIMEOUT, &seconds, &error))
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
      return;
    }
  if (seconds < 0)
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "“timeout” is required");
      return;
    }

  /* setTimeout restarts the TTL from now; a refresh only extends it. */
  end_at = g_get_real_time () + seconds * G_USEC_PER_SEC;
  if (!refresh || end_at > sandbox->end_at)
    viv_host_set_end_at (self, sandbox, end_at);
  reply_empty (msg, SOUP_STATUS_NO_CONTENT);
}

static void
killed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Request *request = user_data;
  g_autoptr (GError) error = NULL;

  if (!viv_host_kill_finish (VIV_HOST (source), result, &error))
    reply_gerror (request->msg, error);
  else
    reply_empty (request->msg, SOUP_STATUS_NO_CONTENT);
  request_finish (request);
}

/* Metrics: cgroup and disk reads, in a worker thread. */
static void
metrics_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  GPtrArray *sandboxes = task_data;
  JsonArray *metrics = json_array_new ();

  for (guint i = 0; i < sandboxes->len; i++)
    json_array_add_object_element (metrics,
                                   viv_sandbox_sample_metric (g_ptr_array_index (sandboxes, i)));

  g_task_return_pointer (task, metrics, (GDestroyNotify) json_array_unref);
}

typedef struct
{
  Request   *request;
  GPtrArray *sandboxes;
  gboolean   by_id;       /* GET /sandboxes/metrics: {"sandboxes":{id: metric}} */
  gint64     start;
  gint64     end;
} MetricsRequest;

static void
metrics_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  MetricsRequest *data = user_data;
  g_autoptr (JsonArray) metrics = g_task_propagate_pointer (G_TASK (result), NULL);
  SoupServerMessage *msg = data->request->msg;

  if (data->by_id)
    {
      JsonObject *object = json_object_new ();
      JsonObject *map = json_object_new ();

      for (guint i = 0; i < data->sandboxes->len; i++)
        {
          VivSandbox *sandbox = g_ptr_array_index (data->sandboxes, i);

          json_object_set_object_member (map, sandbox->id,
                                         json_object_ref (json_array_get_object_element (metrics,
                                                                                         i)));
        }
      json_object_set_object_member (object, "sandboxes", map);
      reply_object (msg, SOUP_STATUS_OK, object);
    }
  else
    {
      JsonArray *array = json_array_new ();

      /* We measure now; a window that excludes now has no samples. */
      for (guint i = 0; i < json_array_get_length (metrics); i++)
        {
          JsonObject *metric = json_array_get_object_element (metrics, i);
          gint64 t = json_object_get_int_member (metric, "timestampUnix");

          if ((data->start == 0 || t >= data->start) && (data->end == 0 || t <= data->end))
            json_array_add_object_element (array, json_object_ref (metric));
        }
      reply_array (msg, SOUP_STATUS_OK, array);
    }

  request_finish (data->request);
  g_ptr_array_unref (data->sandboxes);
  g_free (data);
}

static gboolean
parse_unix_param (GHashTable  *query,
                  const char  *name,
                  gint64      *out,
                  GError     **error)
{
  const char *value = query ? g_hash_table_lookup (query, name) : NULL;

  if (value == NULL)
    return TRUE;

  if (!g_ascii_string_to_signed (value, 10, 0, G_MAXINT64, out, NULL))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” must be a Unix time in seconds", name);
      return FALSE;
    }

  return TRUE;
}

static void
start_metrics (VivHost           *self,
               SoupServerMessage *msg,
               GPtrArray         *sandboxes,
               gboolean           by_id,
               gint64             start,
               gint64             end)
{
  MetricsRequest *data = g_new0 (MetricsRequest, 1);
  g_autoptr (GTask) task = NULL;

  data->request = request_new (self, msg, NULL);
  data->sandboxes = g_ptr_array_ref (sandboxes);
  data->by_id = by_id;
  data->start = start;
  data->end = end;
  task = g_task_new (self, NULL, metrics_done_cb, data);
  g_task_set_task_data (task, g_ptr_array_ref (sandboxes), (GDestroyNotify) g_ptr_array_unref);
  g_task_run_in_thread (task, metrics_thread);
}

static void
get_metrics (VivHost           *self,
             SoupServerMessage *msg,
             GHashTable        *query,
             VivSandbox        *sandbox)
{
  g_autoptr (GPtrArray) sandboxes = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (GError) error = NULL;
  gint64 start = 0, end = 0;

  if (!parse_unix_param (query, "start", &start, &error) ||
      !parse_unix_param (query, "end", &end, &error))
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
      return;
    }

  if (sandbox != NULL)
    {
      g_ptr_array_add (sandboxes, g_object_ref (sandbox));
    }
  else
    {
      const char *ids = query ? g_hash_table_lookup (query, "sandbox_ids") : NULL;
      g_auto (GStrv) list = g_strsplit (ids ? ids : "", ",", -1);

      for (guint i = 0; list[i] != NULL; i++)
        {
          VivSandbox *found = viv_host_lookup (self, list[i]);

          if (found != NULL)
            g_ptr_array_add (sandboxes, g_object_ref (found));
        }
    }

  start_metrics (self, msg, sandboxes, sandbox == NULL, start, end);
}

static void
get_logs (VivHost           *self,
          SoupServerMessage *msg,
          GHashTable        *query,
          VivSandbox        *sandbox,
          gboolean           v2)
{
  const char *limit_text = query ? g_hash_table_lookup (query, "limit") : NULL;
  guint64 limit = 1000;
  g_autoptr (JsonArray) logs = NULL;
  JsonObject *object = json_object_new ();

  if (limit_text != NULL && !g_ascii_string_to_unsigned (limit_text, 10, 1, 10000, &limit, NULL))
    {
      json_object_unref (object);
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "“limit” must be a number from 1 to 10000");
      return;
    }

  logs = viv_sandbox_read_logs (sandbox, (guint) limit);
  if (v2)
    {
      json_object_set_array_member (object, "logs", json_array_ref (logs));
    }
  else
    {
      JsonArray *lines = json_array_new ();

      for (guint i = 0; i < json_array_get_length (logs); i++)
        {
          JsonObject *entry = json_array_get_object_element (logs, i);
          JsonObject *line = json_object_new ();

          json_object_set_string_member (line, "timestamp",
                                         json_object_get_string_member (entry, "timestamp"));
          json_object_set_string_member (line, "line",
                                         json_object_get_string_member (entry, "message"));
          json_array_add_object_element (lines, line);
        }
      json_object_set_array_member (object, "logs", lines);
      json_object_set_array_member (object, "logEntries", json_array_ref (logs));
    }

  reply_object (msg, SOUP_STATUS_OK, object);
}

/* Templates (ours). */
static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static void
list_templates (VivHost           *self,
                SoupServerMessage *msg)
{
  g_autoptr (GPtrArray) names = g_ptr_array_new ();
  JsonArray *array = json_array_new ();
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, self->templates);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (names, key);

  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    {
      VivTemplate *template = g_hash_table_lookup (self->templates, g_ptr_array_index (names, i));
      JsonObject *object = json_object_new ();
      JsonArray *aliases = json_array_new ();
      g_autofree char *resolution = g_strdup_printf ("%dx%d", template->width, template->height);

      json_array_add_string_element (aliases, template->name);
      json_object_set_string_member (object, "templateID", template->name);
      json_object_set_array_member (object, "aliases", aliases);
      json_object_set_int_member (object, "cpuCount", template->cpu_count);
      json_object_set_int_member (object, "memoryMB", template->memory_mb);
      json_object_set_int_member (object, "diskSizeMB", template->disk_mb);
      if (template->session != NULL)
        {
          json_object_set_string_member (object, "session", template->session);
          json_object_set_string_member (object, "resolution", resolution);
        }
      json_array_add_object_element (array, object);
    }

  reply_array (msg, SOUP_STATUS_OK, array);
}

typedef struct
{
  char        *layer_source;
  VivTemplate *template;
  char        *templates_dir;
} SaveTemplate;

static void
save_template_free (SaveTemplate *data)
{
  g_free (data->layer_source);
  viv_template_free (data->template);
  g_free (data->templates_dir);
  g_free (data);
}

static void
save_template_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  SaveTemplate *data = task_data;
  g_autofree char *staging = g_strconcat (data->template->layer_dir, ".new", NULL);
  g_autofree char *errors = NULL;
  GError *error = NULL;
  int status = 0;
  /* The writable layer without run/: sockets and runtime state of that boot. */
  const char *argv[] = { "sh", "-c",
                         "set -e; rm -rf \"$2\"; mkdir -p \"$2\"; cd \"$1\"; "
                         "for d in *; do [ \"$d\" = run ] || cp -a -- \"$d\" \"$2/\"; done; "
                         "mkdir -p \"$2/run\"",
                         "sh", data->layer_source, staging, NULL };

  if (g_mkdir_with_parents (data->templates_dir, 0700) != 0)
    {
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (errno),
                               "Cannot create %s: %s", data->templates_dir, g_strerror (errno));
      return;
    }

  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH |
                     G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &errors, &status, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               "Copying the sandbox's files failed: %s", g_strstrip (errors));
      return;
    }

  /* Replace an older layer of the same name only once the copy is complete. */
  {
    const char *swap[] = { "sh", "-c", "rm -rf -- \"$1\" && mv -- \"$2\" \"$1\"", "sh",
                           data->template->layer_dir, staging, NULL };

    if (!g_spawn_sync (NULL, (char **) swap, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL,
                       NULL, &status, &error) ||
        !g_spawn_check_wait_status (status, &error))
      {
        g_task_return_error (task, error);
        return;
      }
  }

  if (!viv_template_save (data->template, data->templates_dir, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
template_saved_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  Request *request = user_data;
  SaveTemplate *data = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      reply_error (request->msg, SOUP_STATUS_INTERNAL_SERVER_ERROR, "%s", error->message);
    }
  else
    {
      JsonObject *object = json_object_new ();
      VivTemplate *copy = viv_template_load (data->templates_dir, data->template->name, &error);

      if (copy != NULL)
        g_hash_table_replace (request->host->templates, copy->name, copy);
      json_object_set_string_member (object, "templateID", data->template->name);
      json_object_set_string_member (object, "fromSandboxID", request->sandbox->id);
      reply_object (request->msg, SOUP_STATUS_CREATED, object);
    }

  request_finish (request);
}

static void
template_from_sandbox (VivHost           *self,
                       SoupServerMessage *msg,
                       VivSandbox        *sandbox)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) body = read_body (msg, &error);
  g_autoptr (GTask) task = NULL;
  VivTemplate *source;
  SaveTemplate *data;
  const char *name = NULL;
  JsonNode *node;

  if (body == NULL)
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
      return;
    }

  node = json_object_get_member (body, "name");
  if (node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
      json_node_get_value_type (node) == G_TYPE_STRING)
    name = json_node_get_string (node);
  if (!viv_template_name_is_valid (name))
    {
      reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                   "“name” is required: letters, digits, - and _, up to 64");
      return;
    }
  if (g_str_equal (name, "base") || g_str_equal (name, "desktop"))
    {
      reply_error (msg, SOUP_STATUS_CONFLICT, "template \"%s\" is built in", name);
      return;
    }

  data = g_new0 (SaveTemplate, 1);
  source = g_hash_table_lookup (self->templates, sandbox->template_id);
  data->template = viv_template_new_builtin (source && source->session ? "desktop" : "base");
  if (source != NULL)
    {
      g_free (data->template->session);
      data->template->session = g_strdup (source->session);
      data->template->width = source->width;
      data->template->height = source->height;
      g_strfreev (data->template->env);
      data->template->env = g_strdupv (source->env);
    }
  data->template->cpu_count = sandbox->cpu_count;
  data->template->memory_mb = sandbox->memory_mb;
  data->template->disk_mb = sandbox->disk_mb;
  g_free (data->template->name);
  data->template->name = g_strdup (name);
  data->template->layer_dir = g_build_filename (self->templates_dir, name, NULL);
  data->templates_dir = g_strdup (self->templates_dir);
  data->layer_source = g_build_filename (sandbox->dir, "fs", NULL);

  task = g_task_new (self, NULL, template_saved_cb, request_new (self, msg, sandbox));
  g_task_set_task_data (task, data, (GDestroyNotify) save_template_free);
  g_task_run_in_thread (task, save_template_thread);
}

/* Routing. */
static gboolean
check_api_key (VivHost           *self,
               SoupServerMessage *msg)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *key = soup_message_headers_get_one (headers, "X-API-Key");
  const char *authorization = soup_message_headers_get_one (headers, "Authorization");

  /* The deprecated bearer form carries the same key. */
  if (key == NULL && authorization != NULL && g_str_has_prefix (authorization, "Bearer "))
    key = authorization + strlen ("Bearer ");

  return viv_secret_equal (key, self->api_key);
}

static void
sandbox_route (VivHost           *self,
               SoupServerMessage *msg,
               const char        *method,
               GHashTable        *query,
               gboolean           v2,
               char             **parts)
{
  VivSandbox *sandbox;
  const char *action = parts[1];

  sandbox = viv_host_lookup (self, parts[0]);
  if (sandbox == NULL)
    {
      reply_not_found (msg, parts[0]);
      return;
    }

  if (action == NULL)
    {
      if (v2)
        goto unknown;
      if (g_str_equal (method, "GET"))
        reply_object (msg, SOUP_STATUS_OK,
                      viv_sandbox_to_listed_json (sandbox, TRUE, self->domain));
      else if (g_str_equal (method, "DELETE"))
        {
          if (sandbox->busy)
            reply_error (msg, SOUP_STATUS_CONFLICT, "sandbox \"%s\" is changing state",
                         sandbox->id);
          else
            viv_host_kill_async (self, sandbox, killed_cb, request_new (self, msg, sandbox));
        }
      else
        reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "%s is not allowed here", method);
      return;
    }

  if (parts[2] != NULL)
    goto unknown;

  if (g_str_equal (method, "POST"))
    {
      if (v2 && g_str_equal (action, "connect"))
        return resume_sandbox (self, msg, sandbox, CONNECT_V2);
      if (v2)
        goto unknown;
      if (g_str_equal (action, "pause"))
        return pause_sandbox (self, msg, sandbox);
      if (g_str_equal (action, "resume"))
        return resume_sandbox (self, msg, sandbox, RESUME);
      if (g_str_equal (action, "connect"))
        return resume_sandbox (self, msg, sandbox, CONNECT_V1);
      if (g_str_equal (action, "timeout"))
        return set_timeout (self, msg, sandbox, FALSE);
      if (g_str_equal (action, "refreshes"))
        return set_timeout (self, msg, sandbox, TRUE);
    }
  else if (g_str_equal (method, "GET"))
    {
      if (g_str_equal (action, "logs"))
        return get_logs (self, msg, query, sandbox, v2);
      if (!v2 && g_str_equal (action, "metrics"))
        return get_metrics (self, msg, query, sandbox);
    }

unknown:
  reply_error (msg, SOUP_STATUS_NOT_FOUND, "No such endpoint: %s %s", method,
               g_uri_get_path (soup_server_message_get_uri (msg)));
}

static void
handler_cb (SoupServer        *server,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  VivHost *self = user_data;
  const char *method = soup_server_message_get_method (msg);
  g_auto (GStrv) parts = NULL;
  gboolean v2 = FALSE;
  char **rest;

  if (!check_api_key (self, msg))
    {
      reply_error (msg, SOUP_STATUS_UNAUTHORIZED, "Invalid API key");
      return;
    }

  parts = g_strsplit (path + (path[0] == '/'), "/", -1);
  rest = parts;
  if (rest[0] != NULL && g_str_equal (rest[0], "v2"))
    {
      v2 = TRUE;
      rest++;
    }

  if (rest[0] != NULL && g_str_equal (rest[0], "sandboxes"))
    {
      if (rest[1] == NULL || *rest[1] == '\0')
        {
          if (g_str_equal (method, "POST"))
            return create_sandbox (self, msg, v2);
          if (g_str_equal (method, "GET"))
            return list_sandboxes (self, msg, query, v2);
        }
      else if (!v2 && g_str_equal (rest[1], "metrics") && rest[2] == NULL &&
               g_str_equal (method, "GET"))
        return get_metrics (self, msg, query, NULL);
      else
        return sandbox_route (self, msg, method, query, v2, rest + 1);
    }
  else if (!v2 && rest[0] != NULL && g_str_equal (rest[0], "templates"))
    {
      if (rest[1] == NULL && g_str_equal (method, "GET"))
        return list_templates (self, msg);
      if (rest[1] != NULL && g_str_equal (rest[1], "from-sandbox") && rest[2] != NULL &&
          rest[3] == NULL && g_str_equal (method, "POST"))
        {
          VivSandbox *sandbox = viv_host_lookup (self, rest[2]);

          if (sandbox == NULL)
            return reply_not_found (msg, rest[2]);
          return template_from_sandbox (self, msg, sandbox);
        }
    }

  reply_error (msg, SOUP_STATUS_NOT_FOUND, "No such endpoint: %s %s", method, path);
}

void
_viv_host_api_init (VivHost *self)
{
  self->api_server = soup_server_new ("server-header", "vivarium-host/" PACKAGE_VERSION " ",
                                      NULL);
  soup_server_add_handler (self->api_server, NULL, handler_cb, self, NULL);
}
