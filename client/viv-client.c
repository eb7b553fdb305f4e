/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "vivarium.h"
#include "viv-client-private.h"
#include "viv-error-private.h"
#include "viv-json-private.h"
#include "viv-sandbox-private.h"

/**
 * VivClient:
 *
 * Talks to one account's control plane (E2B's REST API) to create, list,
 * pause, resume and kill sandboxes. Every operation is asynchronous; errors
 * are in the %VIV_ERROR domain and carry the server's message.
 */

/* Listing follows X-Next-Token; a server that never stops is a protocol error. */
#define MAX_LIST_PAGES 1000

struct _VivClient
{
  GObject             parent_instance;
  VivAccount         *account;
  char               *api_key;
  SoupSession        *session;
  GSocketConnectable *remote_connectable;
};

enum {
  PROP_0,
  PROP_ACCOUNT,
  PROP_API_KEY,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (VivClient, viv_client, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static SoupSession *
new_session (GSocketConnectable *connectable)
{
  return g_object_new (SOUP_TYPE_SESSION,
                       "user-agent", "vivarium/" PACKAGE_VERSION " ",
                       "remote-connectable", connectable,
                       /* E2B's SDK waits 60 s for a request (spec §3 requestTimeoutMs);
                        * idle streams (events, process output) are read without it. */
                       "idle-timeout", 60,
                       /* libsoup's defaults (2 per host, 10 in all) would queue every
                        * request behind two long-lived streams (desktop events, process
                        * output, directory watches), and every sandbox of an account
                        * shares one host (the sandbox URL). */
                       "max-conns-per-host", 64,
                       "max-conns", 128,
                       NULL);
}

static void
viv_client_dispose (GObject *object)
{
  VivClient *self = (VivClient *)object;

  g_clear_object (&self->session);
  g_clear_object (&self->remote_connectable);
  g_clear_object (&self->account);

  G_OBJECT_CLASS (viv_client_parent_class)->dispose (object);
}

static void
viv_client_finalize (GObject *object)
{
  VivClient *self = (VivClient *)object;

  g_clear_pointer (&self->api_key, g_free);

  G_OBJECT_CLASS (viv_client_parent_class)->finalize (object);
}

static void
viv_client_get_property (GObject    *object,
                         guint       prop_id,
                         GValue     *value,
                         GParamSpec *pspec)
{
  VivClient *self = VIV_CLIENT (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      g_value_set_object (value, self->account);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_client_set_property (GObject      *object,
                         guint         prop_id,
                         const GValue *value,
                         GParamSpec   *pspec)
{
  VivClient *self = VIV_CLIENT (object);

  switch (prop_id)
    {
    case PROP_ACCOUNT:
      self->account = g_value_dup_object (value);
      break;
    case PROP_API_KEY:
      self->api_key = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_client_class_init (VivClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = viv_client_dispose;
  object_class->finalize = viv_client_finalize;
  object_class->get_property = viv_client_get_property;
  object_class->set_property = viv_client_set_property;

  /**
   * VivClient:account:
   *
   * The account this client talks to.
   */
  properties[PROP_ACCOUNT] =
    g_param_spec_object ("account", NULL, NULL, VIV_TYPE_ACCOUNT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * VivClient:api-key:
   *
   * The API key sent as `X-API-KEY`. It can be set, never read back, so it
   * does not leak into property dumps or logs.
   */
  properties[PROP_API_KEY] =
    g_param_spec_string ("api-key", NULL, NULL, NULL,
                         G_PARAM_WRITABLE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
viv_client_init (VivClient *self)
{
  self->session = new_session (NULL);
}

/**
 * viv_client_new:
 * @account: the account
 * @api_key: (nullable): its API key, from [method@Viv.Account.lookup_api_key_async]
 *
 * Creates a client for @account.
 *
 * Returns: (transfer full): a new client
 */
VivClient *
viv_client_new (VivAccount *account,
                const char *api_key)
{
  g_return_val_if_fail (VIV_IS_ACCOUNT (account), NULL);

  return g_object_new (VIV_TYPE_CLIENT,
                       "account", account,
                       "api-key", api_key,
                       NULL);
}

/**
 * viv_client_get_account:
 *
 * Returns: (transfer none): the account
 */
VivAccount *
viv_client_get_account (VivClient *self)
{
  g_return_val_if_fail (VIV_IS_CLIENT (self), NULL);
  return self->account;
}

SoupSession *
_viv_client_get_session (VivClient *self)
{
  g_return_val_if_fail (VIV_IS_CLIENT (self), NULL);
  return self->session;
}

void
_viv_client_set_remote_connectable (VivClient          *self,
                                    GSocketConnectable *connectable)
{
  g_return_if_fail (VIV_IS_CLIENT (self));

  g_set_object (&self->remote_connectable, connectable);
  g_clear_object (&self->session);
  self->session = new_session (connectable);
}

GSocketConnectable *
_viv_client_get_remote_connectable (VivClient *self)
{
  g_return_val_if_fail (VIV_IS_CLIENT (self), NULL);
  return self->remote_connectable;
}

static void
send_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  SoupSession *session = SOUP_SESSION (object);
  g_autoptr (GTask) task = user_data;
  SoupMessage *msg = g_task_get_task_data (task);
  g_autoptr (GBytes) body = NULL;
  GError *error = NULL;
  guint status;

  if (!(body = soup_session_send_and_read_finish (session, result, &error)))
    {
      g_task_return_error (task, _viv_error_from_transport (error));
      return;
    }

  status = soup_message_get_status (msg);
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      const char *content_type =
        soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL);

      g_task_return_error (task, _viv_error_from_http (status, content_type, body));
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&body), (GDestroyNotify) g_bytes_unref);
}

void
_viv_client_send_async (VivClient           *self,
                        SoupMessage         *msg,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (VIV_IS_CLIENT (self));
  g_return_if_fail (SOUP_IS_MESSAGE (msg));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, _viv_client_send_async);
  g_task_set_task_data (task, g_object_ref (msg), g_object_unref);

  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, cancellable,
                                    send_cb, g_steal_pointer (&task));
}

GBytes *
_viv_client_send_finish (VivClient     *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* A control-plane request; @body, when given, is sent as JSON. */
static SoupMessage *
new_api_message (VivClient   *self,
                 const char  *method,
                 const char  *path_and_query,
                 JsonObject  *body,
                 GError     **error)
{
  const char *base = viv_account_get_api_url (self->account);
  g_autofree char *url = NULL;
  SoupMessage *msg;

  if (base == NULL || *base == '\0')
    {
      g_set_error_literal (error, VIV_ERROR, VIV_ERROR_INVALID_ARGUMENT,
                           "The account has no API URL");
      return NULL;
    }

  url = g_str_has_suffix (base, "/")
    ? g_strconcat (base, path_and_query + 1, NULL)
    : g_strconcat (base, path_and_query, NULL);

  if (!(msg = soup_message_new (method, url)))
    {
      g_set_error (error, VIV_ERROR, VIV_ERROR_INVALID_ARGUMENT,
                   "The account's API URL is not valid: %s", base);
      return NULL;
    }

  if (self->api_key != NULL)
    soup_message_headers_replace (soup_message_get_request_headers (msg),
                                  "X-API-KEY", self->api_key);

  if (body != NULL)
    {
      g_autofree char *json = _viv_json_object_to_string (body);
      g_autoptr (GBytes) bytes = g_bytes_new_take (g_steal_pointer (&json), strlen (json));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }

  return msg;
}

/* Starts a control-plane request whose answer @callback gets with
 * _viv_client_send_finish(); failures to build it go to @task. */
static gboolean
start_api_call (VivClient   *self,
                GTask       *task,
                const char  *method,
                const char  *path_and_query,
                JsonObject  *body,
                GAsyncReadyCallback callback)
{
  g_autoptr (SoupMessage) msg = NULL;
  GError *error = NULL;

  if (!(msg = new_api_message (self, method, path_and_query, body, &error)))
    {
      g_task_return_error (task, error);
      return FALSE;
    }

  /* Kept for the callbacks that read response headers (X-Next-Token). */
  g_object_set_data_full (G_OBJECT (task), "viv-message", g_object_ref (msg), g_object_unref);
  _viv_client_send_async (self, msg, g_task_get_cancellable (task), callback, g_object_ref (task));
  return TRUE;
}

static char *
escape (const char *text)
{
  return g_uri_escape_string (text, NULL, FALSE);
}

static char *
sandbox_path (const char *sandbox_id,
              const char *format)
{
  g_autofree char *escaped = escape (sandbox_id);
  const char *mark = strstr (format, "%s");

  g_assert (mark != NULL);
  return g_strdup_printf ("%.*s%s%s", (int) (mark - format), format, escaped, mark + 2);
}

/* Parsing */

GPtrArray *
_viv_client_parse_sandboxes (VivClient  *self,
                             GBytes     *body,
                             GError    **error)
{
  g_autoptr (JsonArray) array = NULL;
  g_autoptr (GPtrArray) sandboxes = g_ptr_array_new_with_free_func (g_object_unref);

  if (!(array = _viv_json_parse_array (body, error)))
    return NULL;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      VivSandbox *sandbox;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_set_error (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                       "Sandbox %u of the listing is not a JSON object", i);
          return NULL;
        }

      if (!(sandbox = _viv_sandbox_new_from_json (self, json_node_get_object (element), error)))
        {
          g_prefix_error (error, "Sandbox %u of the listing: ", i);
          return NULL;
        }

      g_ptr_array_add (sandboxes, sandbox);
    }

  return g_steal_pointer (&sandboxes);
}

GPtrArray *
_viv_client_parse_metrics (GBytes  *body,
                           GError **error)
{
  g_autoptr (JsonArray) array = NULL;
  g_autoptr (GPtrArray) metrics = g_ptr_array_new_with_free_func ((GDestroyNotify) viv_metric_free);

  if (!(array = _viv_json_parse_array (body, error)))
    return NULL;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      VivMetric *metric;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_set_error (error, VIV_ERROR, VIV_ERROR_PROTOCOL, "Metric %u is not a JSON object", i);
          return NULL;
        }
      if (!(metric = _viv_metric_new_from_json (json_node_get_object (element), error)))
        return NULL;
      g_ptr_array_add (metrics, metric);
    }

  return g_steal_pointer (&metrics);
}

GPtrArray *
_viv_client_parse_logs (GBytes  *body,
                        GError **error)
{
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (GPtrArray) logs = g_ptr_array_new_with_free_func ((GDestroyNotify) viv_log_entry_free);
  JsonArray *array = NULL;

  if (!(object = _viv_json_parse_object (body, error)) ||
      !_viv_json_get_array (object, "logs", TRUE, &array, error))
    return NULL;

  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);
      VivLogEntry *entry;

      if (!JSON_NODE_HOLDS_OBJECT (element))
        {
          g_set_error (error, VIV_ERROR, VIV_ERROR_PROTOCOL, "Log entry %u is not a JSON object", i);
          return NULL;
        }
      if (!(entry = _viv_log_entry_new_from_json (json_node_get_object (element), error)))
        return NULL;
      g_ptr_array_add (logs, entry);
    }

  return g_steal_pointer (&logs);
}

static int
compare_keys (gconstpointer a,
              gconstpointer b)
{
  return strcmp (*(const char **) a, *(const char **) b);
}

/* The metadata filter has three layers of encoding (spec §1): each key and
 * value escaped, the "k=v&k=v" string escaped, and that escaped once more as a
 * query value. The result goes into the query as it is. */
char *
_viv_client_encode_metadata_filter (GHashTable *metadata)
{
  g_autoptr (GString) pairs = g_string_new (NULL);
  g_autofree const char **keys = NULL;
  g_autofree char *once = NULL;
  guint n_keys = 0;

  if (metadata == NULL || g_hash_table_size (metadata) == 0)
    return NULL;

  keys = (const char **) g_hash_table_get_keys_as_array (metadata, &n_keys);
  qsort (keys, n_keys, sizeof (char *), compare_keys);
  for (guint i = 0; i < n_keys; i++)
    {
      g_autofree char *key = escape (keys[i]);
      g_autofree char *value = escape (g_hash_table_lookup (metadata, keys[i]));

      if (pairs->len > 0)
        g_string_append_c (pairs, '&');
      g_string_append_printf (pairs, "%s=%s", key, value);
    }

  once = escape (pairs->str);
  return escape (once);
}

/* Create */

static void
create_get_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  VivSandbox *sandbox = VIV_SANDBOX (object);
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;

  /* The details (start and end time, resources) are a bonus: the sandbox
   * exists either way, so a failure here does not fail the creation. */
  if (!viv_sandbox_refresh_finish (sandbox, result, &error))
    g_debug ("Could not read the new sandbox's details: %s", error->message);

  g_task_return_pointer (task, g_object_ref (sandbox), g_object_unref);
}

static void
create_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  VivClient *self = VIV_CLIENT (object);
  g_autoptr (GTask) task = user_data;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonObject) json = NULL;
  g_autoptr (VivSandbox) sandbox = NULL;
  GCancellable *cancellable;
  GError *error = NULL;

  if (!(body = _viv_client_send_finish (self, result, &error)) ||
      !(json = _viv_json_parse_object (body, &error)) ||
      !(sandbox = _viv_sandbox_new_from_json (self, json, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  _viv_sandbox_set_state (sandbox, VIV_SANDBOX_STATE_RUNNING);
  cancellable = g_task_get_cancellable (task);
  viv_sandbox_refresh_async (sandbox, cancellable, create_get_cb, g_steal_pointer (&task));
}

/**
 * viv_client_create_sandbox_async:
 * @template_id: the template (`base`, `desktop`, ...)
 * @timeout_seconds: how long it lives, or 0 for the server's default
 * @metadata: (nullable) (element-type utf8 utf8): metadata to attach
 * @env_vars: (nullable) (element-type utf8 utf8): environment variables
 * @auto_pause: whether it is paused instead of killed at the end of its timeout
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the sandbox
 * @user_data: data for @callback
 *
 * Creates a sandbox (`POST /v2/sandboxes`).
 */
void
viv_client_create_sandbox_async (VivClient           *self,
                                 const char          *template_id,
                                 guint                timeout_seconds,
                                 GHashTable          *metadata,
                                 GHashTable          *env_vars,
                                 gboolean             auto_pause,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (JsonObject) body = json_object_new ();

  g_return_if_fail (VIV_IS_CLIENT (self));
  g_return_if_fail (template_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_client_create_sandbox_async);

  json_object_set_string_member (body, "templateID", template_id);
  if (timeout_seconds > 0)
    json_object_set_int_member (body, "timeout", timeout_seconds);
  if (metadata != NULL)
    json_object_set_object_member (body, "metadata", _viv_json_object_from_map (metadata));
  if (env_vars != NULL)
    json_object_set_object_member (body, "envVars", _viv_json_object_from_map (env_vars));
  if (auto_pause)
    json_object_set_boolean_member (body, "autoPause", TRUE);

  start_api_call (self, task, "POST", "/v2/sandboxes", body, create_cb);
}

/**
 * viv_client_create_sandbox_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full): the new, running sandbox
 */
VivSandbox *
viv_client_create_sandbox_finish (VivClient     *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Get and connect: one sandbox in the answer */

static void
sandbox_answer_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  VivClient *self = VIV_CLIENT (object);
  g_autoptr (GTask) task = user_data;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (JsonObject) json = NULL;
  g_autoptr (VivSandbox) sandbox = NULL;
  GError *error = NULL;

  if (!(body = _viv_client_send_finish (self, result, &error)) ||
      !(json = _viv_json_parse_object (body, &error)) ||
      !(sandbox = _viv_sandbox_new_from_json (self, json, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  /* Connect answers with a `Sandbox`, which has no state: it is running now. */
  if (g_task_get_source_tag (task) == viv_client_connect_sandbox_async)
    _viv_sandbox_set_state (sandbox, VIV_SANDBOX_STATE_RUNNING);

  g_task_return_pointer (task, g_steal_pointer (&sandbox), g_object_unref);
}

/**
 * viv_client_get_sandbox_async:
 * @sandbox_id: the sandbox's id
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the sandbox
 * @user_data: data for @callback
 *
 * Reads a sandbox's details (`GET /sandboxes/{id}`). An unknown id is
 * %VIV_ERROR_NOT_FOUND.
 */
void
viv_client_get_sandbox_async (VivClient           *self,
                              const char          *sandbox_id,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (VIV_IS_CLIENT (self));
  g_return_if_fail (sandbox_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_client_get_sandbox_async);
  path = sandbox_path (sandbox_id, "/sandboxes/%s");
  start_api_call (self, task, "GET", path, NULL, sandbox_answer_cb);
}

/**
 * viv_client_get_sandbox_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full): the sandbox
 */
VivSandbox *
viv_client_get_sandbox_finish (VivClient     *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * viv_client_connect_sandbox_async:
 * @sandbox_id: the sandbox's id
 * @timeout_seconds: the time it has to live from now, or 0 for the server's default
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the sandbox
 * @user_data: data for @callback
 *
 * Resumes a paused sandbox, or attaches to a running one, extending its
 * time to live (`POST /v2/sandboxes/{id}/connect`).
 */
void
viv_client_connect_sandbox_async (VivClient           *self,
                                  const char          *sandbox_id,
                                  guint                timeout_seconds,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (JsonObject) body = json_object_new ();
  g_autofree char *path = NULL;

  g_return_if_fail (VIV_IS_CLIENT (self));
  g_return_if_fail (sandbox_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_client_connect_sandbox_async);
  if (timeout_seconds > 0)
    json_object_set_int_member (body, "timeout", timeout_seconds);
  path = sandbox_path (sandbox_id, "/v2/sandboxes/%s/connect");
  start_api_call (self, task, "POST", path, body, sandbox_answer_cb);
}

/**
 * viv_client_connect_sandbox_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full): the running sandbox
 */
VivSandbox *
viv_client_connect_sandbox_finish (VivClient     *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* List */

typedef struct
{
  char       *query;      /* without nextToken */
  GPtrArray  *sandboxes;
  GHashTable *seen_tokens;
  guint       pages;
} ListData;

static void
list_data_free (ListData *data)
{
  g_free (data->query);
  g_ptr_array_unref (data->sandboxes);
  g_hash_table_unref (data->seen_tokens);
  g_free (data);
}

static void list_page (VivClient  *self,
                       GTask      *task,
                       const char *next_token);

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  VivClient *self = VIV_CLIENT (object);
  g_autoptr (GTask) task = user_data;
  ListData *data = g_task_get_task_data (task);
  SoupMessage *msg = g_object_get_data (G_OBJECT (task), "viv-message");
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GPtrArray) page = NULL;
  const char *next_token;
  GError *error = NULL;

  if (!(body = _viv_client_send_finish (self, result, &error)) ||
      !(page = _viv_client_parse_sandboxes (self, body, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  for (guint i = 0; i < page->len; i++)
    g_ptr_array_add (data->sandboxes, g_object_ref (g_ptr_array_index (page, i)));

  next_token = soup_message_headers_get_one (soup_message_get_response_headers (msg),
                                             "X-Next-Token");
  if (next_token == NULL || *next_token == '\0')
    {
      g_task_return_pointer (task, g_ptr_array_ref (data->sandboxes),
                             (GDestroyNotify) g_ptr_array_unref);
      return;
    }

  if (++data->pages >= MAX_LIST_PAGES ||
      !g_hash_table_add (data->seen_tokens, g_strdup (next_token)))
    {
      g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_PROTOCOL,
                               "The server's listing does not end (X-Next-Token repeats)");
      return;
    }

  list_page (self, task, next_token);
}

static void
list_page (VivClient  *self,
           GTask      *task,
           const char *next_token)
{
  ListData *data = g_task_get_task_data (task);
  g_autoptr (GString) path = g_string_new ("/v2/sandboxes?limit=100");

  if (data->query != NULL)
    g_string_append (path, data->query);
  if (next_token != NULL)
    {
      g_autofree char *escaped = escape (next_token);

      g_string_append_printf (path, "&nextToken=%s", escaped);
    }

  start_api_call (self, task, "GET", path->str, NULL, list_cb);
}

/**
 * viv_client_list_sandboxes_async:
 * @states: which states to list; %VIV_SANDBOX_STATE_FLAGS_ANY for running and paused
 * @metadata: (nullable) (element-type utf8 utf8): only sandboxes with these metadata values
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the sandboxes
 * @user_data: data for @callback
 *
 * Lists sandboxes (`GET /v2/sandboxes`), following the pagination to the end.
 */
void
viv_client_list_sandboxes_async (VivClient            *self,
                                 VivSandboxStateFlags  states,
                                 GHashTable           *metadata,
                                 GCancellable         *cancellable,
                                 GAsyncReadyCallback   callback,
                                 gpointer              user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autoptr (GString) query = g_string_new (NULL);
  g_autofree char *filter = _viv_client_encode_metadata_filter (metadata);
  ListData *data;

  g_return_if_fail (VIV_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_client_list_sandboxes_async);

  if (states == VIV_SANDBOX_STATE_FLAGS_ANY)
    states = VIV_SANDBOX_STATE_FLAGS_RUNNING | VIV_SANDBOX_STATE_FLAGS_PAUSED;
  /* Arrays go comma-separated (spec §1, "state=running,paused"). */
  g_string_append (query, "&state=");
  if (states & VIV_SANDBOX_STATE_FLAGS_RUNNING)
    g_string_append (query, "running");
  if (states == (VIV_SANDBOX_STATE_FLAGS_RUNNING | VIV_SANDBOX_STATE_FLAGS_PAUSED))
    g_string_append (query, "%2C");
  if (states & VIV_SANDBOX_STATE_FLAGS_PAUSED)
    g_string_append (query, "paused");
  if (filter != NULL)
    g_string_append_printf (query, "&metadata=%s", filter);

  data = g_new0 (ListData, 1);
  data->query = g_string_free (g_steal_pointer (&query), FALSE);
  data->sandboxes = g_ptr_array_new_with_free_func (g_object_unref);
  data->seen_tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) list_data_free);

  list_page (self, task, NULL);
}

/**
 * viv_client_list_sandboxes_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer container) (element-type VivSandbox): the sandboxes
 */
GPtrArray *
viv_client_list_sandboxes_finish (VivClient     *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Kill, pause, set timeout: no answer body */

static void
empty_answer_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  VivClient *self = VIV_CLIENT (object);
  g_autoptr (GTask) task = user_data;
  g_autoptr (GBytes) body = NULL;
  GError *error = NULL;

  if (!(body = _viv_client_send_finish (self, result, &error)))
    {
      /* 409 on pause means it is paused already (spec §1). */
      if (g_task_get_source_tag (task) == viv_client_pause_sandbox_async &&
          g_error_matches (error, VIV_ERROR, VIV_ERROR_CONFLICT))
        error->code = VIV_ERROR_ALREADY_PAUSED;
      g_task_return_error (task, error);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
simple_call (VivClient           *self,
             gpointer             source_tag,
             const char          *method,
             const char          *path_format,
             const char          *sandbox_id,
             JsonObject          *body,
             GCancellable        *cancellable,
             GAsyncReadyCallback  callback,
             gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);
  g_autofree char *path = sandbox_path (sandbox_id, path_format);

  g_task_set_source_tag (task, source_tag);
  start_api_call (self, task, method, path, body, empty_answer_cb);
}

/**
 * viv_client_kill_sandbox_async:
 * @sandbox_id: the sandbox's id
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when it is gone
 * @user_data: data for @callback
 *
 * Kills a sandbox (`DELETE /sandboxes/{id}`).
 */
void
viv_client_kill_sandbox_async (VivClient           *self,
                               const char          *sandbox_id,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  g_return_if_fail (VIV_IS_CLIENT (self));
  g_return_if_fail (sandbox_id != NULL);

  simple_call (self, viv_client_kill_sandbox_async, "DELETE", "/sandboxes/%s", sandbox_id,
               NULL, cancellable, callback, user_data);
}

/**
 * viv_client_kill_sandbox_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether it was killed; an unknown id is %VIV_ERROR_NOT_FOUND
 */
gboolean
viv_client_kill_sandbox_finish (VivClient     *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * viv_client_pause_sandbox_async:
 * @sandbox_id: the sandbox's id
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when it is paused
 * @user_data: data for @callback
 *
 * Pauses a sandbox (`POST /sandboxes/{id}/pause`).
 */
void
viv_client_pause_sandbox_async (VivClient           *self,
                                const char          *sandbox_id,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr (JsonObject) body = json_object_new ();

  g_return_if_fail (VIV_IS_CLIENT (self));
  g_return_if_fail (sandbox_id != NULL);

  simple_call (self, viv_client_pause_sandbox_async, "POST", "/sandboxes/%s/pause", sandbox_id,
               body, cancellable, callback, user_data);
}

/**
 * viv_client_pause_sandbox_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether it was paused; one paused already is %VIV_ERROR_ALREADY_PAUSED
 */
gboolean
viv_client_pause_sandbox_finish (VivClient     *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * viv_client_set_sandbox_timeout_async:
 * @sandbox_id: the sandbox's id
 * @timeout_seconds: the time it has to live, from now
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when it is set
 * @user_data: data for @callback
 *
 * Sets how long a sandbox lives from now (`POST /sandboxes/{id}/timeout`).
 */
void
viv_client_set_sandbox_timeout_async (VivClient           *self,
                                      const char          *sandbox_id,
                                      guint                timeout_seconds,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr (JsonObject) body = json_object_new ();

  g_return_if_fail (VIV_IS_CLIENT (self));
  g_return_if_fail (sandbox_id != NULL);

  json_object_set_int_member (body, "timeout", timeout_seconds);
  simple_call (self, viv_client_set_sandbox_timeout_async, "POST", "/sandboxes/%s/timeout",
               sandbox_id, body, cancellable, callback, user_data);
}

/**
 * viv_client_set_sandbox_timeout_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the timeout was set
 */
gboolean
viv_client_set_sandbox_timeout_finish (VivClient     *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Metrics and logs */

static void
metrics_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  VivClient *self = VIV_CLIENT (object);
  g_autoptr (GTask) task = user_data;
  g_autoptr (GBytes) body = NULL;
  GPtrArray *parsed;
  GError *error = NULL;

  if (!(body = _viv_client_send_finish (self, result, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  if (g_task_get_source_tag (task) == viv_client_get_sandbox_metrics_async)
    parsed = _viv_client_parse_metrics (body, &error);
  else
    parsed = _viv_client_parse_logs (body, &error);

  if (parsed == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, parsed, (GDestroyNotify) g_ptr_array_unref);
}

/**
 * viv_client_get_sandbox_metrics_async:
 * @sandbox_id: the sandbox's id
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the samples
 * @user_data: data for @callback
 *
 * Reads a sandbox's recent resource use (`GET /sandboxes/{id}/metrics`).
 */
void
viv_client_get_sandbox_metrics_async (VivClient           *self,
                                      const char          *sandbox_id,
                                      GCancellable        *cancellable,
                                      GAsyncReadyCallback  callback,
                                      gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (VIV_IS_CLIENT (self));
  g_return_if_fail (sandbox_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_client_get_sandbox_metrics_async);
  path = sandbox_path (sandbox_id, "/sandboxes/%s/metrics");
  start_api_call (self, task, "GET", path, NULL, metrics_cb);
}

/**
 * viv_client_get_sandbox_metrics_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer container) (element-type VivMetric): the samples, oldest first
 */
GPtrArray *
viv_client_get_sandbox_metrics_finish (VivClient     *self,
                                       GAsyncResult  *result,
                                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * viv_client_get_sandbox_logs_async:
 * @sandbox_id: the sandbox's id
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the log
 * @user_data: data for @callback
 *
 * Reads a sandbox's log (`GET /v2/sandboxes/{id}/logs`).
 */
void
viv_client_get_sandbox_logs_async (VivClient           *self,
                                   const char          *sandbox_id,
                                   GCancellable        *cancellable,
                                   GAsyncReadyCallback  callback,
                                   gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autofree char *path = NULL;

  g_return_if_fail (VIV_IS_CLIENT (self));
  g_return_if_fail (sandbox_id != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_client_get_sandbox_logs_async);
  path = sandbox_path (sandbox_id, "/v2/sandboxes/%s/logs");
  start_api_call (self, task, "GET", path, NULL, metrics_cb);
}

/**
 * viv_client_get_sandbox_logs_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer container) (element-type VivLogEntry): the log entries
 */
GPtrArray *
viv_client_get_sandbox_logs_finish (VivClient     *self,
                                    GAsyncResult  *result,
                                    GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}
