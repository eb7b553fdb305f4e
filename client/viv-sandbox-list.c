/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "vivarium.h"
#include "viv-sandbox-list-private.h"
#include "viv-sandbox-private.h"

/**
 * VivSandboxList:
 *
 * A [iface@Gio.ListModel] of the [class@Viv.Sandbox]es of one or more
 * clients, refreshed by polling every [property@Viv.SandboxList:interval]
 * seconds.
 *
 * A refresh changes the model as little as possible: a sandbox that is
 * still there keeps its object (whose properties notify their changes), gone
 * sandboxes are removed where they are, new ones are appended, and nothing
 * is emitted when nothing changed. Sort and filter it with
 * `GtkSortListModel` and `GtkFilterListModel`.
 */

struct _VivSandboxList
{
  GObject       parent_instance;
  GPtrArray    *clients;
  GPtrArray    *items;
  GCancellable *cancellable;
  guint         interval;
  guint         poll_source;
  guint         refreshing;
};

enum {
  PROP_0,
  PROP_INTERVAL,
  PROP_N_ITEMS,
  N_PROPS
};

enum {
  REFRESH_FAILED,
  N_SIGNALS
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (VivSandboxList, viv_sandbox_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

static GType
get_item_type (GListModel *model)
{
  return VIV_TYPE_SANDBOX;
}

static guint
get_n_items (GListModel *model)
{
  return VIV_SANDBOX_LIST (model)->items->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  VivSandboxList *self = VIV_SANDBOX_LIST (model);

  if (position >= self->items->len)
    return NULL;

  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
items_changed (VivSandboxList *self,
               guint           position,
               guint           removed,
               guint           added)
{
  g_list_model_items_changed (G_LIST_MODEL (self), position, removed, added);
  if (removed != added)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

/* Removes items [start, end) in one signal. */
static void
remove_run (VivSandboxList *self,
            guint           start,
            guint           end)
{
  if (end <= start)
    return;

  g_ptr_array_remove_range (self->items, start, end - start);
  items_changed (self, start, end - start, 0);
}

void
_viv_sandbox_list_apply (VivSandboxList *self,
                         VivClient      *client,
                         GPtrArray      *sandboxes)
{
  g_autoptr (GHashTable) fresh = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) known = g_hash_table_new (g_str_hash, g_str_equal);
  guint run_end = 0;
  guint old_len;

  g_return_if_fail (VIV_IS_SANDBOX_LIST (self));
  g_return_if_fail (VIV_IS_CLIENT (client));

  for (guint i = 0; i < sandboxes->len; i++)
    {
      VivSandbox *sandbox = g_ptr_array_index (sandboxes, i);

      g_hash_table_insert (fresh, (gpointer) viv_sandbox_get_id (sandbox), sandbox);
    }

  /* Backwards, so positions of what is left to visit do not move; gone items
   * next to each other go in one signal. */
  for (guint i = self->items->len; i > 0; i--)
    {
      VivSandbox *item = g_ptr_array_index (self->items, i - 1);
      VivSandbox *update;

      if (viv_sandbox_get_client (item) != client)
        {
          remove_run (self, i, run_end);
          run_end = 0;
          continue;
        }

      update = g_hash_table_lookup (fresh, viv_sandbox_get_id (item));
      if (update == NULL)
        {
          if (run_end == 0)
            run_end = i;
          continue;
        }

      remove_run (self, i, run_end);
      run_end = 0;
      if (update != item)
        _viv_sandbox_update_from (item, update);
      g_hash_table_add (known, (gpointer) viv_sandbox_get_id (item));
    }
  remove_run (self, 0, run_end);

  old_len = self->items->len;
  for (guint i = 0; i < sandboxes->len; i++)
    {
      VivSandbox *sandbox = g_ptr_array_index (sandboxes, i);

      if (!g_hash_table_contains (known, viv_sandbox_get_id (sandbox)))
        {
          g_ptr_array_add (self->items, g_object_ref (sandbox));
          g_hash_table_add (known, (gpointer) viv_sandbox_get_id (sandbox));
        }
    }

  if (self->items->len > old_len)
    items_changed (self, old_len, 0, self->items->len - old_len);
}

static void
remove_client_items (VivSandboxList *self,
                     VivClient      *client)
{
  g_autoptr (GPtrArray) none = g_ptr_array_new ();

  _viv_sandbox_list_apply (self, client, none);
}

typedef struct
{
  guint   pending;
  GError *error;
} RefreshData;

static void
refresh_data_free (RefreshData *data)
{
  g_clear_error (&data->error);
  g_free (data);
}

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  VivClient *client = VIV_CLIENT (object);
  g_autoptr (GTask) task = user_data;
  VivSandboxList *self = g_task_get_source_object (task);
  RefreshData *data = g_task_get_task_data (task);
  g_autoptr (GPtrArray) sandboxes = NULL;
  g_autoptr (GError) error = NULL;

  sandboxes = viv_client_list_sandboxes_finish (client, result, &error);

  /* A client removed while its listing was on the way is left alone. */
  if (sandboxes != NULL && g_ptr_array_find (self->clients, client, NULL))
    _viv_sandbox_list_apply (self, client, sandboxes);
  else if (error != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_signal_emit (self, signals[REFRESH_FAILED], 0, client, error);
      if (data->error == NULL)
        data->error = g_error_copy (error);
    }

  if (--data->pending > 0)
    return;

  self->refreshing--;
  if (data->error != NULL)
    g_task_return_error (task, g_steal_pointer (&data->error));
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * viv_sandbox_list_refresh_async:
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when every client answered
 * @user_data: data for @callback
 *
 * Lists the sandboxes of every client now and updates the model. The model
 * is updated for each client that answers; the first failure is reported
 * (and each one is emitted as [signal@Viv.SandboxList::refresh-failed]).
 */
void
viv_sandbox_list_refresh_async (VivSandboxList      *self,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  RefreshData *data;

  g_return_if_fail (VIV_IS_SANDBOX_LIST (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_sandbox_list_refresh_async);

  if (self->clients->len == 0)
    {
      g_task_return_boolean (task, TRUE);
      return;
    }

  data = g_new0 (RefreshData, 1);
  data->pending = self->clients->len;
  g_task_set_task_data (task, data, (GDestroyNotify) refresh_data_free);
  self->refreshing++;

  for (guint i = 0; i < self->clients->len; i++)
    viv_client_list_sandboxes_async (g_ptr_array_index (self->clients, i),
                                     VIV_SANDBOX_STATE_FLAGS_ANY, NULL,
                                     cancellable ? cancellable : self->cancellable,
                                     list_cb, g_object_ref (task));
}

/**
 * viv_sandbox_list_refresh_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether every client answered
 */
gboolean
viv_sandbox_list_refresh_finish (VivSandboxList  *self,
                                 GAsyncResult    *result,
                                 GError         **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static gboolean
poll_cb (gpointer user_data)
{
  VivSandboxList *self = user_data;

  /* A slow server must not pile refreshes up. */
  if (self->refreshing == 0)
    viv_sandbox_list_refresh_async (self, NULL, NULL, NULL);

  return G_SOURCE_CONTINUE;
}

static void
restart_polling (VivSandboxList *self)
{
  g_clear_handle_id (&self->poll_source, g_source_remove);
  if (self->interval > 0 && self->clients->len > 0)
    self->poll_source = g_timeout_add_seconds (self->interval, poll_cb, self);
}

static void
viv_sandbox_list_dispose (GObject *object)
{
  VivSandboxList *self = (VivSandboxList *)object;

  g_clear_handle_id (&self->poll_source, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->items, g_ptr_array_unref);
  g_clear_pointer (&self->clients, g_ptr_array_unref);

  G_OBJECT_CLASS (viv_sandbox_list_parent_class)->dispose (object);
}

static void
viv_sandbox_list_get_property (GObject    *object,
                               guint       prop_id,
                               GValue     *value,
                               GParamSpec *pspec)
{
  VivSandboxList *self = VIV_SANDBOX_LIST (object);

  switch (prop_id)
    {
    case PROP_INTERVAL:
      g_value_set_uint (value, self->interval);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items ? self->items->len : 0);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_sandbox_list_set_property (GObject      *object,
                               guint         prop_id,
                               const GValue *value,
                               GParamSpec   *pspec)
{
  VivSandboxList *self = VIV_SANDBOX_LIST (object);

  switch (prop_id)
    {
    case PROP_INTERVAL:
      viv_sandbox_list_set_interval (self, g_value_get_uint (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_sandbox_list_class_init (VivSandboxListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = viv_sandbox_list_dispose;
  object_class->get_property = viv_sandbox_list_get_property;
  object_class->set_property = viv_sandbox_list_set_property;

  /**
   * VivSandboxList:interval:
   *
   * Seconds between refreshes; 0 stops polling.
   */
  properties[PROP_INTERVAL] =
    g_param_spec_uint ("interval", NULL, NULL, 0, G_MAXUINT, 5,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /**
   * VivSandboxList:n-items:
   *
   * The number of sandboxes.
   */
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * VivSandboxList::refresh-failed:
   * @self: the list
   * @client: the client whose listing failed
   * @error: what went wrong
   *
   * A client's listing failed; its sandboxes stay as they were.
   */
  signals[REFRESH_FAILED] =
    g_signal_new ("refresh-failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, VIV_TYPE_CLIENT, G_TYPE_ERROR);
}

static void
viv_sandbox_list_init (VivSandboxList *self)
{
  self->clients = g_ptr_array_new_with_free_func (g_object_unref);
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->cancellable = g_cancellable_new ();
  self->interval = 5;
}

/**
 * viv_sandbox_list_new:
 *
 * Creates an empty list; add clients with [method@Viv.SandboxList.add_client].
 *
 * Returns: (transfer full): a new list
 */
VivSandboxList *
viv_sandbox_list_new (void)
{
  return g_object_new (VIV_TYPE_SANDBOX_LIST, NULL);
}

/**
 * viv_sandbox_list_add_client:
 * @client: a client
 *
 * Adds @client's sandboxes to the list, from the next refresh on (one starts
 * at once).
 */
void
viv_sandbox_list_add_client (VivSandboxList *self,
                             VivClient      *client)
{
  g_return_if_fail (VIV_IS_SANDBOX_LIST (self));
  g_return_if_fail (VIV_IS_CLIENT (client));

  if (g_ptr_array_find (self->clients, client, NULL))
    return;

  g_ptr_array_add (self->clients, g_object_ref (client));
  restart_polling (self);
  viv_sandbox_list_refresh_async (self, NULL, NULL, NULL);
}

/**
 * viv_sandbox_list_remove_client:
 * @client: a client
 *
 * Removes @client and its sandboxes from the list.
 */
void
viv_sandbox_list_remove_client (VivSandboxList *self,
                                VivClient      *client)
{
  g_autoptr (VivClient) hold = NULL;

  g_return_if_fail (VIV_IS_SANDBOX_LIST (self));
  g_return_if_fail (VIV_IS_CLIENT (client));

  hold = g_object_ref (client);
  if (!g_ptr_array_remove (self->clients, client))
    return;

  remove_client_items (self, client);
  restart_polling (self);
}

/**
 * viv_sandbox_list_get_interval:
 *
 * Returns: seconds between refreshes, 0 when not polling
 */
guint
viv_sandbox_list_get_interval (VivSandboxList *self)
{
  g_return_val_if_fail (VIV_IS_SANDBOX_LIST (self), 0);
  return self->interval;
}

/**
 * viv_sandbox_list_set_interval:
 * @seconds: seconds between refreshes; 0 stops polling
 *
 * Sets how often the list refreshes itself.
 */
void
viv_sandbox_list_set_interval (VivSandboxList *self,
                               guint           seconds)
{
  g_return_if_fail (VIV_IS_SANDBOX_LIST (self));

  if (self->interval == seconds)
    return;

  self->interval = seconds;
  restart_polling (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_INTERVAL]);
}
