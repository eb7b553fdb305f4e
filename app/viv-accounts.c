/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "viv-accounts.h"

/* The accounts the app knows: the local host, found by its discovery file
 * and followed as it comes and goes, and the accounts saved by
 * viv_account_save_all() (E2B cloud, custom URLs). Each account with a key
 * gets a VivClient in the one VivSandboxList the overview shows. */
struct _VivAccounts
{
  GObject         parent_instance;

  GListStore     *accounts;        /* VivAccount, the local host first */
  GHashTable     *clients;         /* VivAccount -> VivClient */
  VivSandboxList *sandboxes;
  VivAccount     *local_host;
  char           *discovery_file;
  guint64         discovery_stamp; /* mtime of the discovery file we read */
  guint           discovery_source;
  GCancellable   *cancellable;
  guint           pending;         /* key look-ups still running at start */
  gboolean        loaded;
};

enum {
  PROP_0,
  PROP_LOADED,
  PROP_LOCAL_HOST,
  N_PROPS
};

enum {
  ACCOUNT_FAILED,
  CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (VivAccounts, viv_accounts, G_TYPE_OBJECT)

/* How often the discovery file is looked at: a host started after the app
 * shows up within this time. */
#define DISCOVERY_INTERVAL_SECONDS 2

static void
set_loaded (VivAccounts *self)
{
  if (self->loaded)
    return;
  self->loaded = TRUE;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
}

static void
pending_done (VivAccounts *self)
{
  if (self->pending > 0 && --self->pending == 0)
    set_loaded (self);
}

static void
connect_client (VivAccounts *self,
                VivAccount  *account,
                const char  *api_key)
{
  g_autoptr (VivClient) client = viv_client_new (account, api_key);

  g_hash_table_insert (self->clients, g_object_ref (account), g_object_ref (client));
  viv_sandbox_list_add_client (self->sandboxes, client);
  viv_sandbox_list_refresh_async (self->sandboxes, self->cancellable, NULL, NULL);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
disconnect_client (VivAccounts *self,
                   VivAccount  *account)
{
  VivClient *client = g_hash_table_lookup (self->clients, account);

  if (client != NULL)
    {
      viv_sandbox_list_remove_client (self->sandboxes, client);
      g_hash_table_remove (self->clients, account);
    }
}

static void
key_looked_up_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  VivAccount *account = VIV_ACCOUNT (object);
  g_autoptr (VivAccounts) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *api_key = viv_account_lookup_api_key_finish (account, result, &error);
  guint position;

  /* Removed, or replaced by a newer discovery file, while we looked. */
  if (!g_list_store_find (self->accounts, account, &position))
    {
      pending_done (self);
      return;
    }

  if (api_key == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_signal_emit (self, signals[ACCOUNT_FAILED], 0, account, error);
    }
  else
    connect_client (self, account, api_key);

  pending_done (self);
}

static void
track_account (VivAccounts *self,
               VivAccount  *account,
               gboolean     first)
{
  if (first)
    g_list_store_insert (self->accounts, 0, account);
  else
    g_list_store_append (self->accounts, account);
  self->pending++;
  viv_account_lookup_api_key_async (account, self->cancellable, key_looked_up_cb,
                                    g_object_ref (self));
}

static void
forget_account (VivAccounts *self,
                VivAccount  *account)
{
  guint position;

  disconnect_client (self, account);
  if (g_list_store_find (self->accounts, account, &position))
    g_list_store_remove (self->accounts, position);
  g_signal_emit (self, signals[CHANGED], 0);
}

static void
drop_local_host (VivAccounts *self)
{
  g_autoptr (VivAccount) account = g_steal_pointer (&self->local_host);

  if (account == NULL)
    return;
  forget_account (self, account);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCAL_HOST]);
}

static void
discovery_info_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (VivAccounts) self = user_data;
  g_autoptr (GFileInfo) info = g_file_query_info_finish (G_FILE (object), result, NULL);
  g_autoptr (VivAccount) account = NULL;
  g_autoptr (GError) error = NULL;
  guint64 stamp;

  if (g_cancellable_is_cancelled (self->cancellable))
    return;

  if (info == NULL || g_file_info_get_size (info) == 0)
    {
      self->discovery_stamp = 0;
      drop_local_host (self);
      pending_done (self);
      return;
    }

  stamp = g_file_info_get_attribute_uint64 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED) * G_USEC_PER_SEC +
          g_file_info_get_attribute_uint32 (info, G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC);
  if (stamp == self->discovery_stamp)
    {
      pending_done (self);
      return;
    }

  /* A new or restarted host: its ports and key may have changed. The file is
   * a few hundred bytes on the runtime tmpfs, so reading it here is cheap. */
  self->discovery_stamp = stamp;
  drop_local_host (self);
  account = viv_account_new_for_local_host (self->discovery_file, &error);
  if (account == NULL)
    {
      g_debug ("No local host: %s", error->message);
      pending_done (self);
      return;
    }

  self->local_host = g_object_ref (account);
  track_account (self, account, TRUE);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCAL_HOST]);
  pending_done (self);
}

static gboolean
check_discovery_cb (gpointer user_data)
{
  VivAccounts *self = user_data;
  g_autoptr (GFile) file = g_file_new_for_path (self->discovery_file);

  self->pending++;
  g_file_query_info_async (file,
                           G_FILE_ATTRIBUTE_STANDARD_SIZE ","
                           G_FILE_ATTRIBUTE_TIME_MODIFIED ","
                           G_FILE_ATTRIBUTE_TIME_MODIFIED_USEC,
                           G_FILE_QUERY_INFO_NONE, G_PRIORITY_DEFAULT, self->cancellable,
                           discovery_info_cb, g_object_ref (self));
  return G_SOURCE_CONTINUE;
}

static void
refresh_failed_cb (VivSandboxList *list,
                   VivClient      *client,
                   const GError   *error,
                   VivAccounts    *self)
{
  g_signal_emit (self, signals[ACCOUNT_FAILED], 0, viv_client_get_account (client), error);
}

static void
load_saved_accounts (VivAccounts *self)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GListModel) saved = viv_account_load_all (NULL, &error);

  if (saved == NULL)
    {
      if (!g_error_matches (error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_warning ("%s", error->message);
      return;
    }

  for (guint i = 0; i < g_list_model_get_n_items (saved); i++)
    {
      g_autoptr (VivAccount) account = g_list_model_get_item (saved, i);

      if (viv_account_get_kind (account) != VIV_ACCOUNT_KIND_LOCAL_HOST)
        track_account (self, account, FALSE);
    }
}

static gboolean
save_accounts (VivAccounts  *self,
               GError      **error)
{
  g_autoptr (GListStore) saved = g_list_store_new (VIV_TYPE_ACCOUNT);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (self->accounts)); i++)
    {
      g_autoptr (VivAccount) account = g_list_model_get_item (G_LIST_MODEL (self->accounts), i);

      if (account != self->local_host)
        g_list_store_append (saved, account);
    }
  return viv_account_save_all (G_LIST_MODEL (saved), NULL, error);
}

static void
viv_accounts_dispose (GObject *object)
{
  VivAccounts *self = VIV_ACCOUNTS (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->discovery_source, g_source_remove);
  if (self->sandboxes != NULL)
    g_signal_handlers_disconnect_by_data (self->sandboxes, self);
  g_clear_object (&self->sandboxes);
  g_clear_pointer (&self->clients, g_hash_table_unref);
  g_clear_object (&self->accounts);
  g_clear_object (&self->local_host);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (viv_accounts_parent_class)->dispose (object);
}

static void
viv_accounts_finalize (GObject *object)
{
  VivAccounts *self = VIV_ACCOUNTS (object);

  g_free (self->discovery_file);

  G_OBJECT_CLASS (viv_accounts_parent_class)->finalize (object);
}

static void
viv_accounts_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  VivAccounts *self = VIV_ACCOUNTS (object);

  switch (prop_id)
    {
    case PROP_LOADED:
      g_value_set_boolean (value, self->loaded);
      break;
    case PROP_LOCAL_HOST:
      g_value_set_object (value, self->local_host);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_accounts_class_init (VivAccountsClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = viv_accounts_dispose;
  object_class->finalize = viv_accounts_finalize;
  object_class->get_property = viv_accounts_get_property;

  /* Whether the first look at every account is done, so "no sandboxes" can
   * be told from "not known yet". */
  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOCAL_HOST] =
    g_param_spec_object ("local-host", NULL, NULL, VIV_TYPE_ACCOUNT,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[ACCOUNT_FAILED] =
    g_signal_new ("account-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, VIV_TYPE_ACCOUNT, G_TYPE_ERROR);
  /* An account got or lost its client. */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
viv_accounts_init (VivAccounts *self)
{
  self->accounts = g_list_store_new (VIV_TYPE_ACCOUNT);
  self->clients = g_hash_table_new_full (NULL, NULL, g_object_unref, g_object_unref);
  self->sandboxes = viv_sandbox_list_new ();
  self->cancellable = g_cancellable_new ();
  self->discovery_file = viv_account_get_default_discovery_file ();
  g_signal_connect (self->sandboxes, "refresh-failed", G_CALLBACK (refresh_failed_cb), self);

  self->pending = 1;
  load_saved_accounts (self);
  check_discovery_cb (self);
  self->discovery_source = g_timeout_add_seconds (DISCOVERY_INTERVAL_SECONDS,
                                                  check_discovery_cb, self);
  pending_done (self);
}

VivAccounts *
viv_accounts_new (void)
{
  return g_object_new (VIV_TYPE_ACCOUNTS, NULL);
}

GListModel *
viv_accounts_get_accounts (VivAccounts *self)
{
  g_return_val_if_fail (VIV_IS_ACCOUNTS (self), NULL);

  return G_LIST_MODEL (self->accounts);
}

VivSandboxList *
viv_accounts_get_sandboxes (VivAccounts *self)
{
  g_return_val_if_fail (VIV_IS_ACCOUNTS (self), NULL);

  return self->sandboxes;
}

VivClient *
viv_accounts_get_client (VivAccounts *self,
                         VivAccount  *account)
{
  g_return_val_if_fail (VIV_IS_ACCOUNTS (self), NULL);
  g_return_val_if_fail (VIV_IS_ACCOUNT (account), NULL);

  return g_hash_table_lookup (self->clients, account);
}

VivAccount *
viv_accounts_get_local_host (VivAccounts *self)
{
  g_return_val_if_fail (VIV_IS_ACCOUNTS (self), NULL);

  return self->local_host;
}

gboolean
viv_accounts_get_loaded (VivAccounts *self)
{
  g_return_val_if_fail (VIV_IS_ACCOUNTS (self), FALSE);

  return self->loaded;
}

typedef struct
{
  VivAccount *account;
  char       *api_key;
} AddData;

static void
add_data_free (AddData *data)
{
  g_clear_object (&data->account);
  if (data->api_key != NULL)
    memset (data->api_key, 0, strlen (data->api_key));
  g_free (data->api_key);
  g_free (data);
}

static void
key_stored_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  VivAccounts *self = g_task_get_source_object (task);
  AddData *data = g_task_get_task_data (task);
  g_autoptr (GError) error = NULL;

  if (!viv_account_store_api_key_finish (VIV_ACCOUNT (object), result, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_list_store_append (self->accounts, data->account);
  if (!save_accounts (self, &error))
    {
      forget_account (self, data->account);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  connect_client (self, data->account, data->api_key);
  g_task_return_boolean (task, TRUE);
}

/**
 * viv_accounts_add_async:
 *
 * Stores @api_key in the keyring, saves the account and starts listing its
 * sandboxes.
 */
void
viv_accounts_add_async (VivAccounts         *self,
                        VivAccount          *account,
                        const char          *api_key,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  AddData *data;

  g_return_if_fail (VIV_IS_ACCOUNTS (self));
  g_return_if_fail (VIV_IS_ACCOUNT (account));
  g_return_if_fail (api_key != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_accounts_add_async);
  data = g_new0 (AddData, 1);
  data->account = g_object_ref (account);
  data->api_key = g_strdup (api_key);
  g_task_set_task_data (task, data, (GDestroyNotify) add_data_free);

  viv_account_store_api_key_async (account, api_key, cancellable, key_stored_cb,
                                   g_steal_pointer (&task));
}

gboolean
viv_accounts_add_finish (VivAccounts   *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

/**
 * viv_accounts_remove:
 *
 * Forgets a saved account and clears its key from the keyring. The local
 * host cannot be removed: it is there as long as it runs.
 */
void
viv_accounts_remove (VivAccounts *self,
                     VivAccount  *account)
{
  g_autoptr (GError) error = NULL;

  g_return_if_fail (VIV_IS_ACCOUNTS (self));
  g_return_if_fail (VIV_IS_ACCOUNT (account));
  g_return_if_fail (account != self->local_host);

  g_object_ref (account);
  forget_account (self, account);
  if (!save_accounts (self, &error))
    g_warning ("%s", error->message);
  viv_account_clear_api_key_async (account, NULL, NULL, NULL);
  g_object_unref (account);
}

static void
test_listed_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) sandboxes =
    viv_client_list_sandboxes_finish (VIV_CLIENT (object), result, &error);

  if (sandboxes == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_int (task, sandboxes->len);
}

static void
test_key_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GError) error = NULL;
  g_autofree char *api_key =
    viv_account_lookup_api_key_finish (VIV_ACCOUNT (object), result, &error);
  g_autoptr (VivClient) client = NULL;

  if (api_key == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  client = viv_client_new (VIV_ACCOUNT (object), api_key);
  viv_client_list_sandboxes_async (client, VIV_SANDBOX_STATE_FLAGS_ANY, NULL,
                                   g_task_get_cancellable (task), test_listed_cb,
                                   g_object_ref (task));
}

/**
 * viv_accounts_test_async:
 *
 * Lists the account's sandboxes once; the result is how many there are, or
 * the server's error.
 */
void
viv_accounts_test_async (VivAccounts         *self,
                         VivAccount          *account,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (VIV_IS_ACCOUNTS (self));
  g_return_if_fail (VIV_IS_ACCOUNT (account));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_accounts_test_async);
  viv_account_lookup_api_key_async (account, cancellable, test_key_cb, g_steal_pointer (&task));
}

guint
viv_accounts_test_finish (VivAccounts   *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), 0);

  return (guint) g_task_propagate_int (G_TASK (result), error);
}
