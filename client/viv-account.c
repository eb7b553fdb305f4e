/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>

#include <json-glib/json-glib.h>
#include <libsecret/secret.h>

#include "vivarium.h"
#include "viv-json-private.h"

/**
 * VivAccount:
 *
 * A backend that speaks E2B's protocol: E2B's cloud, a self-hosted or other
 * compatible service, or the local `vivarium-host`.
 *
 * The non-secret parts persist with [func@Viv.Account.save_all] in a key
 * file under the user's configuration directory. The API key never goes
 * there: it lives in the Secret Service (libsecret, schema
 * `io.github.vivarium.ApiKey`), except for the local host, whose key is read
 * from the file its discovery file names.
 *
 * Persistence uses a key file rather than GSettings on purpose: a GSettings
 * schema must be installed and compiled before [ctor@Gio.Settings.new]
 * works, and aborts the process otherwise, which a library loaded from GJS,
 * tests or an uninstalled build cannot promise.
 */

struct _VivAccount
{
  GObject         parent_instance;
  VivAccountKind  kind;
  char           *id;
  char           *display_name;
  char           *api_url;
  char           *sandbox_url;
  char           *domain;
  char           *api_key_file;
};

enum {
  PROP_0,
  PROP_ID,
  PROP_KIND,
  PROP_DISPLAY_NAME,
  PROP_API_URL,
  PROP_SANDBOX_URL,
  PROP_DOMAIN,
  N_PROPS
};

G_DEFINE_FINAL_TYPE (VivAccount, viv_account, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];

static const SecretSchema *
api_key_schema (void)
{
  static const SecretSchema schema = {
    "io.github.vivarium.ApiKey", SECRET_SCHEMA_NONE,
    {
      { "account-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
  };

  return &schema;
}

static gboolean
set_string (char       **field,
            const char  *value)
{
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;

  g_free (*field);
  *field = g_strdup (value);
  return TRUE;
}

static void
viv_account_finalize (GObject *object)
{
  VivAccount *self = (VivAccount *)object;

  g_clear_pointer (&self->id, g_free);
  g_clear_pointer (&self->display_name, g_free);
  g_clear_pointer (&self->api_url, g_free);
  g_clear_pointer (&self->sandbox_url, g_free);
  g_clear_pointer (&self->domain, g_free);
  g_clear_pointer (&self->api_key_file, g_free);

  G_OBJECT_CLASS (viv_account_parent_class)->finalize (object);
}

static void
viv_account_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  VivAccount *self = VIV_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_KIND:
      g_value_set_enum (value, self->kind);
      break;
    case PROP_DISPLAY_NAME:
      g_value_set_string (value, self->display_name);
      break;
    case PROP_API_URL:
      g_value_set_string (value, self->api_url);
      break;
    case PROP_SANDBOX_URL:
      g_value_set_string (value, self->sandbox_url);
      break;
    case PROP_DOMAIN:
      g_value_set_string (value, self->domain);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_account_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  VivAccount *self = VIV_ACCOUNT (object);

  switch (prop_id)
    {
    case PROP_ID:
      self->id = g_value_dup_string (value);
      break;
    case PROP_KIND:
      self->kind = g_value_get_enum (value);
      break;
    case PROP_DISPLAY_NAME:
      viv_account_set_display_name (self, g_value_get_string (value));
      break;
    case PROP_API_URL:
      viv_account_set_api_url (self, g_value_get_string (value));
      break;
    case PROP_SANDBOX_URL:
      viv_account_set_sandbox_url (self, g_value_get_string (value));
      break;
    case PROP_DOMAIN:
      viv_account_set_domain (self, g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_account_constructed (GObject *object)
{
  VivAccount *self = VIV_ACCOUNT (object);

  G_OBJECT_CLASS (viv_account_parent_class)->constructed (object);

  if (self->id == NULL || *self->id == '\0')
    {
      g_free (self->id);
      self->id = g_uuid_string_random ();
    }

  /* E2B cloud's envd is one shared host routing by E2b-Sandbox-Id (spec §3). */
  if (self->kind == VIV_ACCOUNT_KIND_E2B_CLOUD)
    {
      if (self->api_url == NULL)
        self->api_url = g_strdup (VIV_E2B_CLOUD_API_URL);
      if (self->sandbox_url == NULL)
        self->sandbox_url = g_strdup (VIV_E2B_CLOUD_SANDBOX_URL);
      if (self->domain == NULL)
        self->domain = g_strdup (VIV_E2B_CLOUD_DOMAIN);
      if (self->display_name == NULL)
        self->display_name = g_strdup ("E2B");
    }

  if (self->display_name == NULL)
    self->display_name = g_strdup (self->api_url ? self->api_url : self->id);
}

static void
viv_account_class_init (VivAccountClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->constructed = viv_account_constructed;
  object_class->finalize = viv_account_finalize;
  object_class->get_property = viv_account_get_property;
  object_class->set_property = viv_account_set_property;

  /**
   * VivAccount:id:
   *
   * A stable identifier, which also names the API key in the keyring.
   */
  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * VivAccount:kind:
   *
   * The kind of backend.
   */
  properties[PROP_KIND] =
    g_param_spec_enum ("kind", NULL, NULL,
                       VIV_TYPE_ACCOUNT_KIND, VIV_ACCOUNT_KIND_E2B_CLOUD,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  /**
   * VivAccount:display-name:
   *
   * The name shown to people.
   */
  properties[PROP_DISPLAY_NAME] =
    g_param_spec_string ("display-name", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * VivAccount:api-url:
   *
   * The control plane's base URL.
   */
  properties[PROP_API_URL] =
    g_param_spec_string ("api-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * VivAccount:sandbox-url:
   *
   * One base URL for the envd traffic of every sandbox, routed by the
   * `E2b-Sandbox-Id` header, or %NULL to address each sandbox as
   * `https://49983-<id>.<domain>`.
   */
  properties[PROP_SANDBOX_URL] =
    g_param_spec_string ("sandbox-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * VivAccount:domain:
   *
   * The sandbox domain, used when a sandbox's own answer names none.
   */
  properties[PROP_DOMAIN] =
    g_param_spec_string ("domain", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
viv_account_init (VivAccount *self)
{
}

/**
 * viv_account_new:
 * @kind: the kind of backend
 * @id: (nullable): a stable identifier, or %NULL for a new random one
 * @display_name: (nullable): the name shown to people
 * @api_url: (nullable): the control-plane URL; %NULL for E2B cloud's default
 * @sandbox_url: (nullable): the shared envd URL; %NULL for E2B cloud's default
 *   or per-sandbox host names
 * @domain: (nullable): the sandbox domain; %NULL for E2B cloud's default
 *
 * Creates an account. For %VIV_ACCOUNT_KIND_E2B_CLOUD the URLs left %NULL
 * take E2B cloud's defaults.
 *
 * Returns: (transfer full): a new account
 */
VivAccount *
viv_account_new (VivAccountKind  kind,
                 const char     *id,
                 const char     *display_name,
                 const char     *api_url,
                 const char     *sandbox_url,
                 const char     *domain)
{
  return g_object_new (VIV_TYPE_ACCOUNT,
                       "kind", kind,
                       "id", id,
                       "display-name", display_name,
                       "api-url", api_url,
                       "sandbox-url", sandbox_url,
                       "domain", domain,
                       NULL);
}

/**
 * viv_account_get_default_discovery_file:
 *
 * Where a running `vivarium-host` describes itself:
 * `$XDG_RUNTIME_DIR/vivarium/host.json`.
 *
 * Returns: (transfer full) (type filename): the path
 */
char *
viv_account_get_default_discovery_file (void)
{
  return g_build_filename (g_get_user_runtime_dir (), "vivarium", "host.json", NULL);
}

/**
 * viv_account_new_for_local_host:
 * @discovery_file: (nullable) (type filename): the host's discovery file, or
 *   %NULL for [func@Viv.Account.get_default_discovery_file]
 * @error: return location for an error
 *
 * Reads the local host's discovery file (`{api_url, sandbox_url, domain,
 * api_key_file, pid}`) and makes an account for it. The API key is read from
 * `api_key_file` by [method@Viv.Account.lookup_api_key_async].
 *
 * The file is small and on the runtime directory (a tmpfs), so it is read
 * synchronously. A missing file is %VIV_ERROR_NOT_FOUND: no host runs.
 *
 * Returns: (transfer full): the account, or %NULL with @error set
 */
VivAccount *
viv_account_new_for_local_host (const char  *discovery_file,
                                GError     **error)
{
  g_autofree char *default_path = NULL;
  g_autofree char *contents = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (JsonObject) object = NULL;
  g_autoptr (GError) local_error = NULL;
  g_autoptr (VivAccount) self = NULL;
  const char *api_url = NULL;
  const char *sandbox_url = NULL;
  const char *domain = NULL;
  const char *api_key_file = NULL;
  gsize length = 0;

  if (discovery_file == NULL)
    discovery_file = default_path = viv_account_get_default_discovery_file ();

  if (!g_file_get_contents (discovery_file, &contents, &length, &local_error))
    {
      g_set_error (error, VIV_ERROR,
                   g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
                     ? VIV_ERROR_NOT_FOUND : VIV_ERROR_FAILED,
                   "No local host found: %s", local_error->message);
      return NULL;
    }

  bytes = g_bytes_new_take (g_steal_pointer (&contents), length);
  if (!(object = _viv_json_parse_object (bytes, error)) ||
      !_viv_json_get_string (object, "api_url", TRUE, &api_url, error) ||
      !_viv_json_get_string (object, "sandbox_url", TRUE, &sandbox_url, error) ||
      !_viv_json_get_string (object, "domain", FALSE, &domain, error) ||
      !_viv_json_get_string (object, "api_key_file", TRUE, &api_key_file, error))
    {
      g_prefix_error (error, "Reading %s: ", discovery_file);
      return NULL;
    }

  self = g_object_new (VIV_TYPE_ACCOUNT,
                       "kind", VIV_ACCOUNT_KIND_LOCAL_HOST,
                       "id", "local-host",
                       /* Translators: the account of sandboxes on this computer */
                       "display-name", "This Computer",
                       "api-url", api_url,
                       "sandbox-url", sandbox_url,
                       "domain", domain,
                       NULL);
  self->api_key_file = g_strdup (api_key_file);

  return g_steal_pointer (&self);
}

/**
 * viv_account_get_id:
 *
 * Returns: the account's identifier
 */
const char *
viv_account_get_id (VivAccount *self)
{
  g_return_val_if_fail (VIV_IS_ACCOUNT (self), NULL);
  return self->id;
}

/**
 * viv_account_get_kind:
 *
 * Returns: the kind of backend
 */
VivAccountKind
viv_account_get_kind (VivAccount *self)
{
  g_return_val_if_fail (VIV_IS_ACCOUNT (self), 0);
  return self->kind;
}

/**
 * viv_account_get_display_name:
 *
 * Returns: the name shown to people
 */
const char *
viv_account_get_display_name (VivAccount *self)
{
  g_return_val_if_fail (VIV_IS_ACCOUNT (self), NULL);
  return self->display_name;
}

/**
 * viv_account_set_display_name:
 * @display_name: (nullable): the new name
 *
 * Renames the account.
 */
void
viv_account_set_display_name (VivAccount *self,
                              const char *display_name)
{
  g_return_if_fail (VIV_IS_ACCOUNT (self));
  if (set_string (&self->display_name, display_name))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DISPLAY_NAME]);
}

/**
 * viv_account_get_api_url:
 *
 * Returns: (nullable): the control-plane URL
 */
const char *
viv_account_get_api_url (VivAccount *self)
{
  g_return_val_if_fail (VIV_IS_ACCOUNT (self), NULL);
  return self->api_url;
}

/**
 * viv_account_set_api_url:
 * @api_url: (nullable): the control-plane URL
 *
 * Sets the control-plane URL.
 */
void
viv_account_set_api_url (VivAccount *self,
                         const char *api_url)
{
  g_return_if_fail (VIV_IS_ACCOUNT (self));
  if (set_string (&self->api_url, api_url))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_API_URL]);
}

/**
 * viv_account_get_sandbox_url:
 *
 * Returns: (nullable): the shared envd URL, or %NULL when every sandbox has
 *   its own host name
 */
const char *
viv_account_get_sandbox_url (VivAccount *self)
{
  g_return_val_if_fail (VIV_IS_ACCOUNT (self), NULL);
  return self->sandbox_url;
}

/**
 * viv_account_set_sandbox_url:
 * @sandbox_url: (nullable): the shared envd URL
 *
 * Sets the shared envd URL.
 */
void
viv_account_set_sandbox_url (VivAccount *self,
                             const char *sandbox_url)
{
  g_return_if_fail (VIV_IS_ACCOUNT (self));
  if (set_string (&self->sandbox_url, sandbox_url))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SANDBOX_URL]);
}

/**
 * viv_account_get_domain:
 *
 * Returns: (nullable): the sandbox domain
 */
const char *
viv_account_get_domain (VivAccount *self)
{
  g_return_val_if_fail (VIV_IS_ACCOUNT (self), NULL);
  return self->domain;
}

/**
 * viv_account_set_domain:
 * @domain: (nullable): the sandbox domain
 *
 * Sets the sandbox domain.
 */
void
viv_account_set_domain (VivAccount *self,
                        const char *domain)
{
  g_return_if_fail (VIV_IS_ACCOUNT (self));
  if (set_string (&self->domain, domain))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DOMAIN]);
}

/**
 * viv_account_get_api_key_file:
 *
 * Returns: (nullable) (type filename): the file holding a local host's API
 *   key, or %NULL for accounts whose key is in the keyring
 */
const char *
viv_account_get_api_key_file (VivAccount *self)
{
  g_return_val_if_fail (VIV_IS_ACCOUNT (self), NULL);
  return self->api_key_file;
}

static void
store_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;

  if (!secret_password_store_finish (result, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * viv_account_store_api_key_async:
 * @api_key: the API key
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when the key is stored
 * @user_data: data for @callback
 *
 * Stores the account's API key in the keyring (the Secret Service's default
 * collection), replacing any previous one.
 */
void
viv_account_store_api_key_async (VivAccount          *self,
                                 const char          *api_key,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  g_autofree char *label = NULL;

  g_return_if_fail (VIV_IS_ACCOUNT (self));
  g_return_if_fail (api_key != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_account_store_api_key_async);

  /* Translators: the label of the API key in the keyring; %s is the account */
  label = g_strdup_printf ("Vivarium API key for %s", self->display_name);
  secret_password_store (api_key_schema (), SECRET_COLLECTION_DEFAULT, label, api_key,
                         cancellable, store_cb, g_steal_pointer (&task),
                         "account-id", self->id,
                         NULL);
}

/**
 * viv_account_store_api_key_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the key was stored
 */
gboolean
viv_account_store_api_key_finish (VivAccount    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
lookup_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  char *password;

  password = secret_password_lookup_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else if (password == NULL)
    g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_NOT_FOUND,
                             "No API key is stored for this account");
  else
    {
      char *copy = g_strdup (password);

      secret_password_free (password);
      g_task_return_pointer (task, copy, g_free);
    }
}

static void
read_key_file_thread (GTask        *task,
                      gpointer      source_object,
                      gpointer      task_data,
                      GCancellable *cancellable)
{
  const char *path = task_data;
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;

  if (!g_file_get_contents (path, &contents, NULL, &error))
    {
      g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_UNAUTHENTICATED,
                               "Cannot read the local host's API key: %s", error->message);
      return;
    }

  g_strstrip (contents);
  if (*contents == '\0')
    {
      g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_UNAUTHENTICATED,
                               "The local host's API key file is empty");
      return;
    }

  g_task_return_pointer (task, g_steal_pointer (&contents), g_free);
}

/**
 * viv_account_lookup_api_key_async:
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the key
 * @user_data: data for @callback
 *
 * Looks the account's API key up: in the keyring, or for the local host in
 * the key file its discovery file names. No stored key is
 * %VIV_ERROR_NOT_FOUND.
 */
void
viv_account_lookup_api_key_async (VivAccount          *self,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (VIV_IS_ACCOUNT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_account_lookup_api_key_async);

  if (self->api_key_file != NULL)
    {
      g_task_set_task_data (task, g_strdup (self->api_key_file), g_free);
      g_task_run_in_thread (task, read_key_file_thread);
      return;
    }

  secret_password_lookup (api_key_schema (), cancellable, lookup_cb, g_steal_pointer (&task),
                          "account-id", self->id,
                          NULL);
}

/**
 * viv_account_lookup_api_key_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full): the API key, or %NULL with @error set
 */
char *
viv_account_lookup_api_key_finish (VivAccount    *self,
                                   GAsyncResult  *result,
                                   GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
clear_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;

  /* FALSE without an error means there was nothing to remove: fine. */
  secret_password_clear_finish (result, &error);
  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * viv_account_clear_api_key_async:
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when the key is gone
 * @user_data: data for @callback
 *
 * Removes the account's API key from the keyring, as when the account is
 * deleted. Removing a key that is not there succeeds.
 */
void
viv_account_clear_api_key_async (VivAccount          *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (VIV_IS_ACCOUNT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_account_clear_api_key_async);
  secret_password_clear (api_key_schema (), cancellable, clear_cb, g_steal_pointer (&task),
                         "account-id", self->id,
                         NULL);
}

/**
 * viv_account_clear_api_key_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the keyring could be asked
 */
gboolean
viv_account_clear_api_key_finish (VivAccount    *self,
                                  GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static char *
default_accounts_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "vivarium", "accounts.ini", NULL);
}

static char *
dup_key (GKeyFile   *keyfile,
         const char *group,
         const char *key)
{
  return g_key_file_get_string (keyfile, group, key, NULL);
}

/**
 * viv_account_load_all:
 * @path: (nullable) (type filename): the file, or %NULL for
 *   `$XDG_CONFIG_HOME/vivarium/accounts.ini`
 * @error: return location for an error
 *
 * Loads the saved accounts (not the local host, which is discovered). A
 * missing file is no accounts, not an error.
 *
 * Returns: (transfer full): a list of [class@Viv.Account]
 */
GListModel *
viv_account_load_all (const char  *path,
                      GError     **error)
{
  g_autoptr (GKeyFile) keyfile = g_key_file_new ();
  g_autoptr (GListStore) store = g_list_store_new (VIV_TYPE_ACCOUNT);
  g_autoptr (GError) local_error = NULL;
  g_autofree char *default_path = NULL;
  g_auto (GStrv) groups = NULL;

  if (path == NULL)
    path = default_path = default_accounts_path ();

  if (!g_key_file_load_from_file (keyfile, path, G_KEY_FILE_NONE, &local_error))
    {
      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        return G_LIST_MODEL (g_steal_pointer (&store));
      g_set_error (error, VIV_ERROR, VIV_ERROR_FAILED,
                   "Cannot read the accounts from %s: %s", path, local_error->message);
      return NULL;
    }

  groups = g_key_file_get_groups (keyfile, NULL);
  for (guint i = 0; groups[i] != NULL; i++)
    {
      const char *group = groups[i];
      g_autofree char *kind_name = NULL;
      g_autofree char *name = NULL;
      g_autofree char *api_url = NULL;
      g_autofree char *sandbox_url = NULL;
      g_autofree char *domain = NULL;
      g_autoptr (VivAccount) account = NULL;
      VivAccountKind kind;

      if (!g_str_has_prefix (group, "account "))
        continue;

      kind_name = dup_key (keyfile, group, "kind");
      if (g_strcmp0 (kind_name, "e2b-cloud") == 0)
        kind = VIV_ACCOUNT_KIND_E2B_CLOUD;
      else if (g_strcmp0 (kind_name, "custom") == 0)
        kind = VIV_ACCOUNT_KIND_CUSTOM;
      else
        continue;

      name = dup_key (keyfile, group, "display-name");
      api_url = dup_key (keyfile, group, "api-url");
      sandbox_url = dup_key (keyfile, group, "sandbox-url");
      domain = dup_key (keyfile, group, "domain");
      account = viv_account_new (kind, group + strlen ("account "), name, api_url,
                                 sandbox_url, domain);
      g_list_store_append (store, account);
    }

  return G_LIST_MODEL (g_steal_pointer (&store));
}

/**
 * viv_account_save_all:
 * @accounts: a list of [class@Viv.Account]
 * @path: (nullable) (type filename): the file, or %NULL for
 *   `$XDG_CONFIG_HOME/vivarium/accounts.ini`
 * @error: return location for an error
 *
 * Saves the non-secret parts of @accounts, replacing the file atomically.
 * Local-host accounts are skipped: they are discovered at each start.
 *
 * Returns: whether the file was written
 */
gboolean
viv_account_save_all (GListModel  *accounts,
                      const char  *path,
                      GError     **error)
{
  g_autoptr (GKeyFile) keyfile = g_key_file_new ();
  g_autofree char *default_path = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *data = NULL;
  g_autoptr (GError) local_error = NULL;
  gsize length;

  g_return_val_if_fail (G_IS_LIST_MODEL (accounts), FALSE);

  if (path == NULL)
    path = default_path = default_accounts_path ();

  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr (VivAccount) account = g_list_model_get_item (accounts, i);
      g_autofree char *group = NULL;

      if (account->kind == VIV_ACCOUNT_KIND_LOCAL_HOST)
        continue;

      group = g_strconcat ("account ", account->id, NULL);
      g_key_file_set_string (keyfile, group, "kind",
                             account->kind == VIV_ACCOUNT_KIND_E2B_CLOUD ? "e2b-cloud" : "custom");
      if (account->display_name != NULL)
        g_key_file_set_string (keyfile, group, "display-name", account->display_name);
      if (account->api_url != NULL)
        g_key_file_set_string (keyfile, group, "api-url", account->api_url);
      if (account->sandbox_url != NULL)
        g_key_file_set_string (keyfile, group, "sandbox-url", account->sandbox_url);
      if (account->domain != NULL)
        g_key_file_set_string (keyfile, group, "domain", account->domain);
    }

  data = g_key_file_to_data (keyfile, &length, NULL);
  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      !g_file_set_contents_full (path, data, length, G_FILE_SET_CONTENTS_CONSISTENT,
                                 0600, &local_error))
    {
      g_set_error (error, VIV_ERROR, VIV_ERROR_FAILED, "Cannot save the accounts to %s: %s",
                   path, local_error ? local_error->message : g_strerror (errno));
      return FALSE;
    }

  return TRUE;
}
