/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "vivarium.h"
#include "viv-client-private.h"
#include "viv-error-private.h"
#include "viv-json-private.h"
#include "viv-sandbox-private.h"

/**
 * VivSandbox:
 *
 * A sandbox of an account. Its properties follow the server's answers and
 * notify only when a value really changes, so a view can bind to them.
 *
 * The facets [class@Viv.Files], [class@Viv.Processes], [class@Viv.Desktop]
 * and [class@Viv.DisplayStream] talk to the sandbox itself.
 */

struct _VivSandbox
{
  GObject          parent_instance;
  VivClient       *client;
  char            *id;
  char            *template_id;
  char            *alias;
  char            *client_id;
  VivSandboxState  state;
  GHashTable      *metadata;
  GDateTime       *started_at;
  GDateTime       *end_at;
  guint            cpu_count;
  guint            memory_mb;
  guint            disk_size_mb;
  char            *envd_version;
  char            *domain;
  char            *access_token;
  gboolean         auto_pause;
  /* Whether the details (with the access token) were read at least once. */
  guint            has_details : 1;
};

enum {
  PROP_0,
  PROP_CLIENT,
  PROP_ID,
  PROP_TEMPLATE_ID,
  PROP_ALIAS,
  PROP_STATE,
  PROP_METADATA,
  PROP_STARTED_AT,
  PROP_END_AT,
  PROP_CPU_COUNT,
  PROP_MEMORY_MB,
  PROP_DISK_SIZE_MB,
  PROP_ENVD_VERSION,
  PROP_DOMAIN,
  PROP_AUTO_PAUSE,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (VivSandbox, viv_sandbox, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static void
notify (VivSandbox *self,
        guint       prop)
{
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop]);
}

static void
update_string (VivSandbox  *self,
               char       **field,
               const char  *value,
               guint        prop)
{
  if (g_strcmp0 (*field, value) == 0)
    return;

  g_free (*field);
  *field = g_strdup (value);
  if (prop != PROP_0)
    notify (self, prop);
}

static void
update_time (VivSandbox  *self,
             GDateTime  **field,
             GDateTime   *value,
             guint        prop)
{
  if (*field == value || (*field && value && g_date_time_equal (*field, value)))
    return;

  g_clear_pointer (field, g_date_time_unref);
  *field = value ? g_date_time_ref (value) : NULL;
  notify (self, prop);
}

static void
update_uint (VivSandbox *self,
             guint      *field,
             guint       value,
             guint       prop)
{
  if (*field == value)
    return;

  *field = value;
  notify (self, prop);
}

static gboolean
maps_equal (GHashTable *a,
            GHashTable *b)
{
  GHashTableIter iter;
  gpointer key, value;

  if (g_hash_table_size (a) != g_hash_table_size (b))
    return FALSE;

  g_hash_table_iter_init (&iter, a);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if (g_strcmp0 (value, g_hash_table_lookup (b, key)) != 0)
      return FALSE;

  return TRUE;
}

static void
update_metadata (VivSandbox *self,
                 GHashTable *metadata)
{
  if (maps_equal (self->metadata, metadata))
    return;

  g_hash_table_unref (self->metadata);
  self->metadata = g_hash_table_ref (metadata);
  notify (self, PROP_METADATA);
}

static VivSandboxState
parse_state (const char *text)
{
  if (g_strcmp0 (text, "running") == 0)
    return VIV_SANDBOX_STATE_RUNNING;
  if (g_strcmp0 (text, "paused") == 0)
    return VIV_SANDBOX_STATE_PAUSED;
  if (g_strcmp0 (text, "killed") == 0)
    return VIV_SANDBOX_STATE_KILLED;
  return VIV_SANDBOX_STATE_UNKNOWN;
}

static guint
to_uint (gint64 value)
{
  return (guint) CLAMP (value, 0, G_MAXUINT);
}

gboolean
_viv_sandbox_update_from_json (VivSandbox  *self,
                               JsonObject  *object,
                               GError     **error)
{
  const char *id = NULL;
  const char *template_id = NULL;
  const char *alias = NULL;
  const char *client_id = NULL;
  const char *state = NULL;
  const char *envd_version = NULL;
  const char *domain = NULL;
  const char *access_token = NULL;
  g_autoptr (GHashTable) metadata = NULL;
  g_autoptr (GDateTime) started_at = NULL;
  g_autoptr (GDateTime) end_at = NULL;
  JsonObject *lifecycle = NULL;
  const char *on_timeout = NULL;
  gint64 cpu_count = -1;
  gint64 memory_mb = -1;
  gint64 disk_size_mb = -1;

  g_return_val_if_fail (VIV_IS_SANDBOX (self), FALSE);

  /* Only what every answer (Sandbox, SandboxDetail, ListedSandbox) carries is
   * required; the rest is kept as it was when absent. */
  if (!_viv_json_get_string (object, "sandboxID", TRUE, &id, error) ||
      !_viv_json_get_string (object, "templateID", TRUE, &template_id, error) ||
      !_viv_json_get_string (object, "alias", FALSE, &alias, error) ||
      !_viv_json_get_string (object, "clientID", FALSE, &client_id, error) ||
      !_viv_json_get_string (object, "state", FALSE, &state, error) ||
      !_viv_json_get_string (object, "envdVersion", FALSE, &envd_version, error) ||
      !_viv_json_get_string (object, "domain", FALSE, &domain, error) ||
      !_viv_json_get_string (object, "envdAccessToken", FALSE, &access_token, error) ||
      !_viv_json_get_time (object, "startedAt", FALSE, &started_at, error) ||
      !_viv_json_get_time (object, "endAt", FALSE, &end_at, error) ||
      !_viv_json_get_int (object, "cpuCount", FALSE, &cpu_count, error) ||
      !_viv_json_get_int (object, "memoryMB", FALSE, &memory_mb, error) ||
      !_viv_json_get_int (object, "diskSizeMB", FALSE, &disk_size_mb, error) ||
      !_viv_json_get_object (object, "lifecycle", FALSE, &lifecycle, error) ||
      (lifecycle != NULL &&
       !_viv_json_get_string (lifecycle, "onTimeout", FALSE, &on_timeout, error)))
    return FALSE;

  if (json_object_has_member (object, "metadata") &&
      !_viv_json_get_string_map (object, "metadata", FALSE, &metadata, error))
    return FALSE;

  if (*id == '\0')
    {
      g_set_error_literal (error, VIV_ERROR, VIV_ERROR_PROTOCOL, "The sandbox's id is empty");
      return FALSE;
    }

  if (self->id != NULL && strcmp (self->id, id) != 0)
    {
      g_set_error (error, VIV_ERROR, VIV_ERROR_PROTOCOL,
                   "Asked about sandbox %s, the server answered about %s", self->id, id);
      return FALSE;
    }

  g_object_freeze_notify (G_OBJECT (self));

  update_string (self, &self->id, id, PROP_ID);
  update_string (self, &self->template_id, template_id, PROP_TEMPLATE_ID);
  if (alias != NULL)
    update_string (self, &self->alias, alias, PROP_ALIAS);
  if (client_id != NULL)
    update_string (self, &self->client_id, client_id, PROP_0);
  if (state != NULL)
    _viv_sandbox_set_state (self, parse_state (state));
  if (envd_version != NULL)
    update_string (self, &self->envd_version, envd_version, PROP_ENVD_VERSION);
  if (domain != NULL && *domain != '\0')
    update_string (self, &self->domain, domain, PROP_DOMAIN);
  if (access_token != NULL)
    update_string (self, &self->access_token, access_token, PROP_0);
  if (started_at != NULL)
    update_time (self, &self->started_at, started_at, PROP_STARTED_AT);
  if (end_at != NULL)
    update_time (self, &self->end_at, end_at, PROP_END_AT);
  if (cpu_count >= 0)
    update_uint (self, &self->cpu_count, to_uint (cpu_count), PROP_CPU_COUNT);
  if (memory_mb >= 0)
    update_uint (self, &self->memory_mb, to_uint (memory_mb), PROP_MEMORY_MB);
  if (disk_size_mb >= 0)
    update_uint (self, &self->disk_size_mb, to_uint (disk_size_mb), PROP_DISK_SIZE_MB);
  if (metadata != NULL)
    update_metadata (self, metadata);
  if (on_timeout != NULL && self->auto_pause != (strcmp (on_timeout, "pause") == 0))
    {
      self->auto_pause = !self->auto_pause;
      notify (self, PROP_AUTO_PAUSE);
    }

  g_object_thaw_notify (G_OBJECT (self));

  return TRUE;
}

void
_viv_sandbox_update_from (VivSandbox *self,
                          VivSandbox *other)
{
  g_return_if_fail (VIV_IS_SANDBOX (self));
  g_return_if_fail (VIV_IS_SANDBOX (other));

  g_object_freeze_notify (G_OBJECT (self));

  update_string (self, &self->template_id, other->template_id, PROP_TEMPLATE_ID);
  update_string (self, &self->alias, other->alias, PROP_ALIAS);
  _viv_sandbox_set_state (self, other->state);
  update_metadata (self, other->metadata);
  update_time (self, &self->started_at, other->started_at, PROP_STARTED_AT);
  update_time (self, &self->end_at, other->end_at, PROP_END_AT);
  update_uint (self, &self->cpu_count, other->cpu_count, PROP_CPU_COUNT);
  update_uint (self, &self->memory_mb, other->memory_mb, PROP_MEMORY_MB);
  update_uint (self, &self->disk_size_mb, other->disk_size_mb, PROP_DISK_SIZE_MB);
  if (other->envd_version != NULL)
    update_string (self, &self->envd_version, other->envd_version, PROP_ENVD_VERSION);
  if (other->domain != NULL)
    update_string (self, &self->domain, other->domain, PROP_DOMAIN);
  if (other->access_token != NULL)
    update_string (self, &self->access_token, other->access_token, PROP_0);

  g_object_thaw_notify (G_OBJECT (self));
}

void
_viv_sandbox_set_state (VivSandbox      *self,
                        VivSandboxState  state)
{
  g_return_if_fail (VIV_IS_SANDBOX (self));

  if (self->state == state)
    return;

  self->state = state;
  notify (self, PROP_STATE);
}

VivSandbox *
_viv_sandbox_new_from_json (VivClient   *client,
                            JsonObject  *object,
                            GError     **error)
{
  g_autoptr (VivSandbox) self = g_object_new (VIV_TYPE_SANDBOX, "client", client, NULL);

  if (!_viv_sandbox_update_from_json (self, object, error))
    return NULL;

  self->has_details = self->access_token != NULL || json_object_has_member (object, "domain");
  return g_steal_pointer (&self);
}

VivSandbox *
_viv_sandbox_new_for_testing (VivClient  *client,
                              const char *id,
                              const char *access_token)
{
  VivSandbox *self = g_object_new (VIV_TYPE_SANDBOX, "client", client, NULL);

  self->id = g_strdup (id);
  self->template_id = g_strdup ("base");
  self->access_token = g_strdup (access_token);
  self->state = VIV_SANDBOX_STATE_RUNNING;
  self->has_details = TRUE;
  return self;
}

const char *
_viv_sandbox_get_access_token (VivSandbox *self)
{
  return self->access_token;
}

const char *
_viv_sandbox_get_client_id (VivSandbox *self)
{
  return self->client_id;
}

char *
_viv_sandbox_dup_base_url (VivSandbox *self,
                           guint       port)
{
  VivAccount *account = viv_client_get_account (self->client);
  const char *sandbox_url = viv_account_get_sandbox_url (account);
  const char *domain = self->domain ? self->domain : viv_account_get_domain (account);

  if (sandbox_url != NULL && *sandbox_url != '\0')
    {
      if (g_str_has_suffix (sandbox_url, "/"))
        return g_strndup (sandbox_url, strlen (sandbox_url) - 1);
      return g_strdup (sandbox_url);
    }

  return g_strdup_printf ("https://%u-%s.%s", port, self->id,
                          domain ? domain : VIV_E2B_CLOUD_DOMAIN);
}

void
_viv_sandbox_add_headers (VivSandbox         *self,
                          SoupMessageHeaders *headers,
                          guint               port)
{
  g_autofree char *port_text = g_strdup_printf ("%u", port);

  soup_message_headers_replace (headers, "E2b-Sandbox-Id", self->id);
  soup_message_headers_replace (headers, "E2b-Sandbox-Port", port_text);
  /* envd's token is for envd, not for whatever else listens in the sandbox. */
  if (self->access_token != NULL && port == VIV_ENVD_PORT)
    soup_message_headers_replace (headers, "X-Access-Token", self->access_token);
}

SoupMessage *
_viv_sandbox_new_message (VivSandbox *self,
                          const char *method,
                          guint       port,
                          const char *path_and_query)
{
  g_autofree char *base = _viv_sandbox_dup_base_url (self, port);
  g_autofree char *url = g_strconcat (base, path_and_query, NULL);
  SoupMessage *msg;

  if (!(msg = soup_message_new (method, url)))
    return NULL;

  _viv_sandbox_add_headers (self, soup_message_get_request_headers (msg), port);
  return msg;
}

static void
ensure_envd_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  VivSandbox *self = VIV_SANDBOX (object);
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (!viv_sandbox_refresh_finish (self, result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

void
_viv_sandbox_ensure_envd_async (VivSandbox          *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, _viv_sandbox_ensure_envd_async);

  if (self->has_details)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  viv_sandbox_refresh_async (self, cancellable, ensure_envd_cb, g_steal_pointer (&task));
}

gboolean
_viv_sandbox_ensure_envd_finish (VivSandbox    *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
viv_sandbox_dispose (GObject *object)
{
  VivSandbox *self = (VivSandbox *)object;

  g_clear_object (&self->client);

  G_OBJECT_CLASS (viv_sandbox_parent_class)->dispose (object);
}

static void
viv_sandbox_finalize (GObject *object)
{
  VivSandbox *self = (VivSandbox *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->template_id, g_free);
  g_clear_pointer (&self->alias, g_free);
  g_clear_pointer (&self->client_id, g_free);
  g_clear_pointer (&self->metadata, g_hash_table_unref);
  g_clear_pointer (&self->started_at, g_date_time_unref);
  g_clear_pointer (&self->end_at, g_date_time_unref);
  g_clear_pointer (&self->envd_version, g_free);
  g_clear_pointer (&self->domain, g_free);
  g_clear_pointer (&self->access_token, g_free);

  G_OBJECT_CLASS (viv_sandbox_parent_class)->finalize (object);
}

static void
viv_sandbox_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  VivSandbox *self = VIV_SANDBOX (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_TEMPLATE_ID:
      g_value_set_string (value, self->template_id);
      break;
    case PROP_ALIAS:
      g_value_set_string (value, self->alias);
      break;
    case PROP_STATE:
      g_value_set_enum (value, self->state);
      break;
    case PROP_METADATA:
      g_value_set_boxed (value, self->metadata);
      break;
    case PROP_STARTED_AT:
      g_value_set_boxed (value, self->started_at);
      break;
    case PROP_END_AT:
      g_value_set_boxed (value, self->end_at);
      break;
    case PROP_CPU_COUNT:
      g_value_set_uint (value, self->cpu_count);
      break;
    case PROP_MEMORY_MB:
      g_value_set_uint (value, self->memory_mb);
      break;
    case PROP_DISK_SIZE_MB:
      g_value_set_uint (value, self->disk_size_mb);
      break;
    case PROP_ENVD_VERSION:
      g_value_set_string (value, self->envd_version);
      break;
    case PROP_DOMAIN:
      g_value_set_string (value, self->domain);
      break;
    case PROP_AUTO_PAUSE:
      g_value_set_boolean (value, self->auto_pause);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_sandbox_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  VivSandbox *self = VIV_SANDBOX (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      self->client = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_sandbox_class_init (VivSandboxClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS;

  object_class->dispose = viv_sandbox_dispose;
  object_class->finalize = viv_sandbox_finalize;
  object_class->get_property = viv_sandbox_get_property;
  object_class->set_property = viv_sandbox_set_property;

  /**
   * VivSandbox:client:
   *
   * The client of the sandbox's account.
   */
  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, VIV_TYPE_CLIENT,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * VivSandbox:id:
   *
   * The sandbox's id.
   */
  properties[PROP_ID] = g_param_spec_string ("id", NULL, NULL, NULL, ro);
  /**
   * VivSandbox:template-id:
   *
   * The template it was created from.
   */
  properties[PROP_TEMPLATE_ID] = g_param_spec_string ("template-id", NULL, NULL, NULL, ro);
  /**
   * VivSandbox:alias:
   *
   * The template's alias, if any.
   */
  properties[PROP_ALIAS] = g_param_spec_string ("alias", NULL, NULL, NULL, ro);
  /**
   * VivSandbox:state:
   *
   * Whether it runs, is paused or was killed.
   */
  properties[PROP_STATE] = g_param_spec_enum ("state", NULL, NULL, VIV_TYPE_SANDBOX_STATE,
                                              VIV_SANDBOX_STATE_UNKNOWN, ro);
  /**
   * VivSandbox:metadata: (type GLib.HashTable(utf8,utf8))
   *
   * The metadata attached at creation.
   */
  properties[PROP_METADATA] = g_param_spec_boxed ("metadata", NULL, NULL, G_TYPE_HASH_TABLE, ro);
  /**
   * VivSandbox:started-at:
   *
   * When it started.
   */
  properties[PROP_STARTED_AT] = g_param_spec_boxed ("started-at", NULL, NULL, G_TYPE_DATE_TIME, ro);
  /**
   * VivSandbox:end-at:
   *
   * When its timeout ends it (or pauses it, with [property@Viv.Sandbox:auto-pause]).
   */
  properties[PROP_END_AT] = g_param_spec_boxed ("end-at", NULL, NULL, G_TYPE_DATE_TIME, ro);
  /**
   * VivSandbox:cpu-count:
   *
   * Its number of CPUs.
   */
  properties[PROP_CPU_COUNT] = g_param_spec_uint ("cpu-count", NULL, NULL, 0, G_MAXUINT, 0, ro);
  /**
   * VivSandbox:memory-mb:
   *
   * Its memory in MiB.
   */
  properties[PROP_MEMORY_MB] = g_param_spec_uint ("memory-mb", NULL, NULL, 0, G_MAXUINT, 0, ro);
  /**
   * VivSandbox:disk-size-mb:
   *
   * Its disk size in MiB.
   */
  properties[PROP_DISK_SIZE_MB] = g_param_spec_uint ("disk-size-mb", NULL, NULL, 0, G_MAXUINT, 0, ro);
  /**
   * VivSandbox:envd-version:
   *
   * The version of the envd API inside.
   */
  properties[PROP_ENVD_VERSION] = g_param_spec_string ("envd-version", NULL, NULL, NULL, ro);
  /**
   * VivSandbox:domain:
   *
   * Its domain, for per-sandbox host names.
   */
  properties[PROP_DOMAIN] = g_param_spec_string ("domain", NULL, NULL, NULL, ro);
  /**
   * VivSandbox:auto-pause:
   *
   * Whether the end of its timeout pauses it rather than killing it.
   */
  properties[PROP_AUTO_PAUSE] = g_param_spec_boolean ("auto-pause", NULL, NULL, FALSE, ro);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
viv_sandbox_init (VivSandbox *self)
{
  self->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

/**
 * viv_sandbox_get_client:
 *
 * Returns: (transfer none): the client
 */
VivClient *
viv_sandbox_get_client (VivSandbox *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX (self), NULL);
  return self->client;
}

/**
 * viv_sandbox_get_id:
 *
 * Returns: the id
 */
const char *
viv_sandbox_get_id (VivSandbox *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX (self), NULL);
  return self->id;
}

/**
 * viv_sandbox_get_template_id:
 *
 * Returns: the template's id
 */
const char *
viv_sandbox_get_template_id (VivSandbox *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX (self), NULL);
  return self->template_id;
}

/**
 * viv_sandbox_get_alias:
 *
 * Returns: (nullable): the template's alias
 */
const char *
viv_sandbox_get_alias (VivSandbox *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX (self), NULL);
  return self->alias;
}

/**
 * viv_sandbox_get_state:
 *
 * Returns: the state
 */
VivSandboxState
viv_sandbox_get_state (VivSandbox *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX (self), VIV_SANDBOX_STATE_UNKNOWN);
  return self->state;
}

/**
 * viv_sandbox_get_metadata:
 *
 * Returns: (transfer none) (element-type utf8 utf8): the metadata
 */
GHashTable *
viv_sandbox_get_metadata (VivSandbox *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX (self), NULL);
  return self->metadata;
}

/**
 * viv_sandbox_get_metadata_value:
 * @key: a metadata key
 *
 * Returns: (nullable): the value of @key in the metadata
 */
const char *
viv_sandbox_get_metadata_value (VivSandbox *self,
                                const char *key)
{
  g_return_val_if_fail (VIV_IS_SANDBOX (self), NULL);
  g_return_val_if_fail (key != NULL, NULL);
  return g_hash_table_lookup (self->metadata, key);
}

/**
 * viv_sandbox_get_started_at:
 *
 * Returns: (nullable) (transfer none): when it started
 */
GDateTime *
viv_sandbox_get_started_at (VivSandbox *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX (self), NULL);
  return self->started_at;
}

/**
 * viv_sandbox_get_end_at:
 *
 * Returns: (nullable) (transfer none): when its timeout ends
 */
GDateTime *
viv_sandbox_get_end_at (VivSandbox *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX (self), NULL);
  return self->end_at;
}

/**
 * viv_sandbox_get_cpu_count:
 *
 * Returns: the number of CPUs, 0 when not known
 */
guint
viv_sandbox_get_cpu_count (VivSandbox *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX (self), 0);
  return self->cpu_count;
}

/**
 * viv_sandbox_get_memory_mb:
 *
 * Returns: the memory in MiB, 0 when not known
 */
guint
viv_sandbox_get_memory_mb (VivSandbox *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX (self), 0);
  return self->memory_mb;
}

/**
 * viv_sandbox_get_disk_size_mb:
 *
 * Returns: the disk size in MiB, 0 when not known
 */
guint
viv_sandbox_get_disk_size_mb (VivSandbox *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX (self), 0);
  return self->disk_size_mb;
}

/**
 * viv_sandbox_get_envd_version:
 *
 * Returns: (nullable): the envd version inside
 */
const char *
viv_sandbox_get_envd_version (VivSandbox *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX (self), NULL);
  return self->envd_version;
}

/**
 * viv_sandbox_get_domain:
 *
 * Returns: (nullable): the sandbox's domain
 */
const char *
viv_sandbox_get_domain (VivSandbox *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX (self), NULL);
  return self->domain;
}

/**
 * viv_sandbox_get_auto_pause:
 *
 * Returns: whether the end of its timeout pauses it
 */
gboolean
viv_sandbox_get_auto_pause (VivSandbox *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX (self), FALSE);
  return self->auto_pause;
}

/* Lifecycle operations: the client's, then the local state */

static void
refresh_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  VivSandbox *self = g_task_get_source_object (task);
  g_autoptr (VivSandbox) fresh = NULL;
  GError *error = NULL;

  if (!(fresh = viv_client_get_sandbox_finish (VIV_CLIENT (object), result, &error)))
    {
      if (g_error_matches (error, VIV_ERROR, VIV_ERROR_NOT_FOUND))
        _viv_sandbox_set_state (self, VIV_SANDBOX_STATE_KILLED);
      g_task_return_error (task, error);
      return;
    }

  _viv_sandbox_update_from (self, fresh);
  self->has_details = TRUE;
  g_task_return_boolean (task, TRUE);
}

/**
 * viv_sandbox_refresh_async:
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when done
 * @user_data: data for @callback
 *
 * Reads the sandbox's details again and updates its properties. A sandbox
 * that is gone becomes %VIV_SANDBOX_STATE_KILLED and the call fails with
 * %VIV_ERROR_NOT_FOUND.
 */
void
viv_sandbox_refresh_async (VivSandbox          *self,
                           GCancellable        *cancellable,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (VIV_IS_SANDBOX (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_sandbox_refresh_async);
  viv_client_get_sandbox_async (self->client, self->id, cancellable, refresh_cb, task);
}

/**
 * viv_sandbox_refresh_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the details were read
 */
gboolean
viv_sandbox_refresh_finish (VivSandbox    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
state_change_cb (GObject      *object,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  VivSandbox *self = g_task_get_source_object (task);
  VivClient *client = VIV_CLIENT (object);
  gpointer tag = g_task_get_source_tag (task);
  GError *error = NULL;
  gboolean ok;

  if (tag == viv_sandbox_pause_async)
    ok = viv_client_pause_sandbox_finish (client, result, &error);
  else if (tag == viv_sandbox_kill_async)
    ok = viv_client_kill_sandbox_finish (client, result, &error);
  else
    ok = viv_client_set_sandbox_timeout_finish (client, result, &error);

  if (!ok)
    {
      if (g_error_matches (error, VIV_ERROR, VIV_ERROR_ALREADY_PAUSED))
        _viv_sandbox_set_state (self, VIV_SANDBOX_STATE_PAUSED);
      else if (g_error_matches (error, VIV_ERROR, VIV_ERROR_NOT_FOUND))
        _viv_sandbox_set_state (self, VIV_SANDBOX_STATE_KILLED);
      g_task_return_error (task, error);
      return;
    }

  if (tag == viv_sandbox_pause_async)
    _viv_sandbox_set_state (self, VIV_SANDBOX_STATE_PAUSED);
  else if (tag == viv_sandbox_kill_async)
    _viv_sandbox_set_state (self, VIV_SANDBOX_STATE_KILLED);
  else
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
      g_autoptr (GDateTime) end = g_date_time_add_seconds (now, GPOINTER_TO_UINT (g_task_get_task_data (task)));

      /* The server restarts the TTL from now (spec §1); the next refresh
       * brings its exact value. */
      update_time (self, &self->end_at, end, PROP_END_AT);
    }

  g_task_return_boolean (task, TRUE);
}

/**
 * viv_sandbox_pause_async:
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when paused
 * @user_data: data for @callback
 *
 * Pauses the sandbox. Pausing a paused one fails with
 * %VIV_ERROR_ALREADY_PAUSED.
 */
void
viv_sandbox_pause_async (VivSandbox          *self,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (VIV_IS_SANDBOX (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_sandbox_pause_async);
  viv_client_pause_sandbox_async (self->client, self->id, cancellable, state_change_cb, task);
}

/**
 * viv_sandbox_pause_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether it was paused
 */
gboolean
viv_sandbox_pause_finish (VivSandbox    *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
resume_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  VivSandbox *self = g_task_get_source_object (task);
  g_autoptr (VivSandbox) fresh = NULL;
  GError *error = NULL;

  if (!(fresh = viv_client_connect_sandbox_finish (VIV_CLIENT (object), result, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  _viv_sandbox_update_from (self, fresh);
  g_task_return_boolean (task, TRUE);
}

/**
 * viv_sandbox_resume_async:
 * @timeout_seconds: the time it has to live from now, or 0 for the server's default
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when it runs
 * @user_data: data for @callback
 *
 * Resumes a paused sandbox; for a running one this only extends its time.
 */
void
viv_sandbox_resume_async (VivSandbox          *self,
                          guint                timeout_seconds,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (VIV_IS_SANDBOX (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_sandbox_resume_async);
  viv_client_connect_sandbox_async (self->client, self->id, timeout_seconds, cancellable,
                                    resume_cb, task);
}

/**
 * viv_sandbox_resume_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether it runs
 */
gboolean
viv_sandbox_resume_finish (VivSandbox    *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * viv_sandbox_kill_async:
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when it is gone
 * @user_data: data for @callback
 *
 * Kills the sandbox.
 */
void
viv_sandbox_kill_async (VivSandbox          *self,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (VIV_IS_SANDBOX (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_sandbox_kill_async);
  viv_client_kill_sandbox_async (self->client, self->id, cancellable, state_change_cb, task);
}

/**
 * viv_sandbox_kill_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether it was killed
 */
gboolean
viv_sandbox_kill_finish (VivSandbox    *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * viv_sandbox_set_timeout_async:
 * @timeout_seconds: the time it has to live, from now
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when set
 * @user_data: data for @callback
 *
 * Sets how long the sandbox lives from now, and moves
 * [property@Viv.Sandbox:end-at] accordingly.
 */
void
viv_sandbox_set_timeout_async (VivSandbox          *self,
                               guint                timeout_seconds,
                               GCancellable        *cancellable,
                               GAsyncReadyCallback  callback,
                               gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (VIV_IS_SANDBOX (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_sandbox_set_timeout_async);
  g_task_set_task_data (task, GUINT_TO_POINTER (timeout_seconds), NULL);
  viv_client_set_sandbox_timeout_async (self->client, self->id, timeout_seconds, cancellable,
                                        state_change_cb, task);
}

/**
 * viv_sandbox_set_timeout_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether it was set
 */
gboolean
viv_sandbox_set_timeout_finish (VivSandbox    *self,
                                GAsyncResult  *result,
                                GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
