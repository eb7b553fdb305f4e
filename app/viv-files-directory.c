/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-files-directory.h"
#include "viv-files-item.h"
#include "viv-files-link.h"

/* A directory of a sandbox as a sorted GListStore of VivFilesItem, listed
 * once (depth 1) and kept current by the directory's watch.
 *
 * The store owns the directory, not the other way round: GtkTreeListModel
 * creates a child model for every row it asks "is this expandable?" and
 * drops it at once, and drops an expanded row's model when it collapses.
 * So nothing is listed until the main loop is idle again, and dropping the
 * store cancels the listing and the watch.
 *
 * Links are followed after they are shown, one at a time: a link found to
 * point to a folder is put back as one that sorts and expands as a folder. */
struct _VivFilesDirectory
{
  GObject       parent_instance;

  GListStore   *store;        /* not owned; NULL once released */
  VivFiles     *files;        /* our own: ::changed does not say which watch */
  char         *path;
  GCancellable *cancellable;
  GHashTable   *pending;      /* names changed since the last flush */
  GQueue        links;        /* items of links yet to be followed */
  VivFilesItem *following;    /* the link being followed */
  guint         start_source;
  guint         flush_source;
  gint64        created;
  gint64        list_started;
  guint         loaded : 1;
  guint         listing : 1;
};

enum {
  FAILED,
  LOADED,
  WATCH_STOPPED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

/* Past this many changed names at once, one new listing is cheaper than a
 * stat per name. */
#define MAX_STATS_PER_FLUSH 64

G_DEFINE_FINAL_TYPE (VivFilesDirectory, viv_files_directory, G_TYPE_OBJECT)

static void list (VivFilesDirectory *self);

static int
compare_items_indirect (gconstpointer a,
                        gconstpointer b)
{
  return viv_files_item_compare (*(VivFilesItem **) a, *(VivFilesItem **) b, NULL);
}

static gboolean
find_name (VivFilesDirectory *self,
           const char        *name,
           guint             *position)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (VivFilesItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      if (g_strcmp0 (viv_files_item_get_name (item), name) == 0)
        {
          *position = i;
          return TRUE;
        }
    }
  return FALSE;
}

static void follow_next_link (VivFilesDirectory *self);

static void
link_followed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (VivFilesDirectory) self = user_data;
  g_autoptr (VivFilesItem) link = g_steal_pointer (&self->following);
  g_autoptr (VivFileEntry) target = NULL;
  g_autoptr (GError) error = NULL;
  VivFileType type;
  guint position;

  target = viv_files_follow_link_finish (VIV_FILES (object), result, &error);
  if (self->store == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (target == NULL)
    /* Dangling or a loop: it stays a link, and says why when opened. */
    g_debug ("Files: %s: %s", viv_files_item_get_path (link), error->message);
  type = target != NULL ? viv_file_entry_get_file_type (target) : VIV_FILE_TYPE_UNKNOWN;
  if ((type == VIV_FILE_TYPE_DIRECTORY) !=
      (viv_files_item_get_target_type (link) == VIV_FILE_TYPE_DIRECTORY) &&
      g_list_store_find (self->store, link, &position))
    {
      g_autoptr (VivFilesItem) followed = viv_files_item_new_link (viv_files_item_get_entry (link), type);

      /* A new item, so that the tree asks again whether the row expands. */
      g_list_store_remove (self->store, position);
      g_list_store_insert_sorted (self->store, followed, viv_files_item_compare, NULL);
    }
  follow_next_link (self);
}

static void
follow_next_link (VivFilesDirectory *self)
{
  if (self->following != NULL || self->store == NULL)
    return;
  self->following = g_queue_pop_head (&self->links);
  if (self->following == NULL)
    return;
  viv_files_follow_link_async (self->files, viv_files_item_get_entry (self->following),
                               self->cancellable, link_followed_cb, g_object_ref (self));
}

/* Queues a link shown in the store to be followed. */
static void
follow_link_later (VivFilesDirectory *self,
                   VivFilesItem      *item)
{
  if (!viv_files_item_is_link (item))
    return;
  g_queue_push_tail (&self->links, g_object_ref (item));
  follow_next_link (self);
}

/* Whether @entry is what @before was: the same type and, for a link, the
 * same target, so it sorts and opens the same. */
static gboolean
same_kind (VivFileEntry *before,
           VivFileEntry *entry)
{
  return viv_file_entry_get_file_type (before) == viv_file_entry_get_file_type (entry) &&
         g_strcmp0 (viv_file_entry_get_symlink_target (before),
                    viv_file_entry_get_symlink_target (entry)) == 0;
}

static void
stat_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  VivFilesDirectory *self = g_task_get_source_object (task);
  const char *name = g_task_get_task_data (task);
  g_autoptr (VivFileEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  guint position;

  entry = viv_files_stat_finish (VIV_FILES (object), result, &error);
  if (self->store == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  if (entry == NULL && !g_error_matches (error, VIV_ERROR, VIV_ERROR_NOT_FOUND))
    {
      g_debug ("Files: could not look at %s/%s: %s", self->path, name, error->message);
      return;
    }

  if (find_name (self, name, &position))
    {
      g_autoptr (VivFilesItem) old = g_list_model_get_item (G_LIST_MODEL (self->store), position);

      if (entry != NULL && same_kind (viv_files_item_get_entry (old), entry))
        {
          /* Replaced in place: a changed size or time rebinds the row, and a
           * link to a folder stays one (and stays expanded). */
          g_autoptr (VivFilesItem) item = viv_files_item_new_link (entry,
                                                                   viv_files_item_get_target_type (old));

          g_list_store_splice (self->store, position, 1, (gpointer *) &item, 1);
          /* The old item may still be waiting to be followed. */
          if (viv_files_item_get_target_type (old) == VIV_FILE_TYPE_UNKNOWN)
            follow_link_later (self, item);
        }
      else
        {
          /* Now something else: it may sort elsewhere. */
          g_list_store_remove (self->store, position);
          if (entry != NULL)
            {
              g_autoptr (VivFilesItem) item = viv_files_item_new (entry);

              g_list_store_insert_sorted (self->store, item, viv_files_item_compare, NULL);
              follow_link_later (self, item);
            }
        }
    }
  else if (entry != NULL)
    {
      g_autoptr (VivFilesItem) item = viv_files_item_new (entry);

      g_list_store_insert_sorted (self->store, item, viv_files_item_compare, NULL);
      follow_link_later (self, item);
    }
}

static gboolean
flush_cb (gpointer user_data)
{
  VivFilesDirectory *self = user_data;
  g_autoptr (GHashTable) names = g_steal_pointer (&self->pending);
  GHashTableIter iter;
  const char *name;

  self->flush_source = 0;
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (g_hash_table_size (names) > MAX_STATS_PER_FLUSH)
    {
      list (self);
      return G_SOURCE_REMOVE;
    }

  g_hash_table_iter_init (&iter, names);
  while (g_hash_table_iter_next (&iter, (gpointer *) &name, NULL))
    {
      g_autofree char *path = g_build_filename (self->path, name, NULL);
      GTask *task = g_task_new (self, self->cancellable, NULL, NULL);

      g_task_set_task_data (task, g_strdup (name), g_free);
      viv_files_stat_async (self->files, path, self->cancellable, stat_cb, task);
    }

  return G_SOURCE_REMOVE;
}

static void
schedule_flush (VivFilesDirectory *self)
{
  /* Events come in bursts (a create and its writes); a short delay folds
   * them into one look per name. While listing, the listing's end flushes. */
  if (self->flush_source == 0 && !self->listing && g_hash_table_size (self->pending) > 0)
    self->flush_source = g_timeout_add_full (G_PRIORITY_DEFAULT, 150, flush_cb,
                                             g_object_ref (self), g_object_unref);
}

static void
changed_cb (VivFiles         *files,
            const char       *name,
            VivFileEventType  event,
            gpointer          user_data)
{
  VivFilesDirectory *self = user_data;
  const char *slash;

  if (self->store == NULL || name == NULL || *name == '\0')
    return;

  /* The watch is not recursive, but an absolute or nested name names its
   * first component here. */
  if (g_str_has_prefix (name, self->path) && name[strlen (self->path)] == '/')
    name += strlen (self->path) + 1;
  slash = strchr (name, '/');
  g_hash_table_add (self->pending, slash ? g_strndup (name, slash - name) : g_strdup (name));
  schedule_flush (self);
}

static void
watch_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (VivFilesDirectory) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!viv_files_watch_finish (VIV_FILES (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) && self->store != NULL)
    {
      g_debug ("Files: the watch of %s stopped: %s", self->path, error->message);
      g_signal_emit (self, signals[WATCH_STOPPED], 0, error);
    }
}

/* The shown links already followed, by name. */
static GHashTable *
known_link_targets (VivFilesDirectory *self)
{
  GHashTable *known = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->store));

  for (guint i = 0; i < n; i++)
    {
      VivFilesItem *item = g_list_model_get_item (G_LIST_MODEL (self->store), i);

      if (viv_files_item_is_link (item) && viv_files_item_get_target_type (item) != VIV_FILE_TYPE_UNKNOWN)
        g_hash_table_replace (known, (gpointer) viv_files_item_get_name (item), item);
      else
        g_object_unref (item);
    }
  return known;
}

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (VivFilesDirectory) self = user_data;
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GPtrArray) items = NULL;
  g_autoptr (GHashTable) known_links = NULL;
  g_autoptr (GError) error = NULL;
  gint64 listed;

  entries = viv_files_list_finish (VIV_FILES (object), result, &error);
  if (self->store == NULL || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->listing = FALSE;

  if (entries == NULL)
    {
      g_signal_emit (self, signals[FAILED], 0, error);
      return;
    }

  listed = g_get_monotonic_time ();
  known_links = known_link_targets (self);
  items = g_ptr_array_new_full (entries->len, g_object_unref);
  for (guint i = 0; i < entries->len; i++)
    {
      VivFileEntry *entry = g_ptr_array_index (entries, i);
      VivFilesItem *before = g_hash_table_lookup (known_links, viv_file_entry_get_name (entry));

      /* Some servers list the directory itself too. */
      if (g_strcmp0 (viv_file_entry_get_path (entry), self->path) == 0)
        continue;
      /* A link followed before sorts where it did until followed again. */
      if (before != NULL && same_kind (viv_files_item_get_entry (before), entry))
        g_ptr_array_add (items, viv_files_item_new_link (entry, viv_files_item_get_target_type (before)));
      else
        g_ptr_array_add (items, viv_files_item_new (entry));
    }
  /* Sorted here, spliced in one go: one items-changed for the whole list. */
  g_ptr_array_sort (items, compare_items_indirect);
  g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)),
                       items->pdata, items->len);
  self->loaded = TRUE;
  /* The links of an earlier listing are gone from the store. */
  g_queue_clear_full (&self->links, g_object_unref);
  for (guint i = 0; i < items->len; i++)
    follow_link_later (self, g_ptr_array_index (items, i));
  g_debug ("Files: %s: %u entries, listed in %.1f ms (%.1f ms after asking), sorted and shown in %.1f ms",
           self->path, items->len, (listed - self->list_started) / 1000.0,
           (listed - self->created) / 1000.0, (g_get_monotonic_time () - listed) / 1000.0);
  g_signal_emit (self, signals[LOADED], 0, items->len);

  schedule_flush (self);
}

static void
list (VivFilesDirectory *self)
{
  if (self->listing)
    return;
  self->listing = TRUE;
  self->list_started = g_get_monotonic_time ();
  viv_files_list_async (self->files, self->path, 1, self->cancellable, list_cb, g_object_ref (self));
}

static gboolean
start_cb (gpointer user_data)
{
  VivFilesDirectory *self = user_data;

  self->start_source = 0;
  if (self->store == NULL)
    return G_SOURCE_REMOVE;

  /* Watch first, so that nothing changed during the listing is missed:
   * its events wait until the listing is in. */
  g_signal_connect (self->files, "changed", G_CALLBACK (changed_cb), self);
  viv_files_watch_async (self->files, self->path, FALSE, self->cancellable, watch_cb,
                         g_object_ref (self));
  list (self);
  return G_SOURCE_REMOVE;
}

static void
release (gpointer data)
{
  VivFilesDirectory *self = data;

  self->store = NULL;
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->start_source, g_source_remove);
  g_clear_handle_id (&self->flush_source, g_source_remove);
  g_signal_handlers_disconnect_by_data (self->files, self);
  g_object_unref (self);
}

static void
viv_files_directory_finalize (GObject *object)
{
  VivFilesDirectory *self = VIV_FILES_DIRECTORY (object);

  g_queue_clear_full (&self->links, g_object_unref);
  g_clear_object (&self->following);
  g_clear_object (&self->files);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->pending, g_hash_table_unref);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (viv_files_directory_parent_class)->finalize (object);
}

static void
viv_files_directory_class_init (VivFilesDirectoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = viv_files_directory_finalize;

  signals[FAILED] =
    g_signal_new ("failed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
  signals[LOADED] =
    g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_UINT);
  signals[WATCH_STOPPED] =
    g_signal_new ("watch-stopped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
viv_files_directory_init (VivFilesDirectory *self)
{
  self->created = g_get_monotonic_time ();
  self->cancellable = g_cancellable_new ();
  self->pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * viv_files_directory_new_model:
 * @sandbox: the sandbox
 * @path: an absolute directory path in it
 * @directory: (out) (optional) (transfer none): the directory behind the model
 *
 * Returns: (transfer full): a model of the directory's files, filled once
 *   the main loop is idle; it lives as long as the model does.
 */
GListModel *
viv_files_directory_new_model (VivSandbox         *sandbox,
                               const char         *path,
                               VivFilesDirectory **directory)
{
  VivFilesDirectory *self;
  GListStore *store;

  g_return_val_if_fail (VIV_IS_SANDBOX (sandbox), NULL);
  g_return_val_if_fail (path != NULL, NULL);

  self = g_object_new (VIV_TYPE_FILES_DIRECTORY, NULL);
  self->files = viv_files_new (sandbox);
  self->path = g_strdup (path);
  store = g_list_store_new (VIV_TYPE_FILES_ITEM);
  self->store = store;
  g_object_set_data_full (G_OBJECT (store), "viv-files-directory", self, release);
  self->start_source = g_idle_add_full (G_PRIORITY_DEFAULT, start_cb, self, NULL);

  if (directory != NULL)
    *directory = self;
  return G_LIST_MODEL (store);
}

const char *
viv_files_directory_get_path (VivFilesDirectory *self)
{
  g_return_val_if_fail (VIV_IS_FILES_DIRECTORY (self), NULL);
  return self->path;
}

gboolean
viv_files_directory_get_loaded (VivFilesDirectory *self)
{
  g_return_val_if_fail (VIV_IS_FILES_DIRECTORY (self), FALSE);
  return self->loaded;
}

/* Lists the directory again (after an error, or on request). */
void
viv_files_directory_reload (VivFilesDirectory *self)
{
  g_return_if_fail (VIV_IS_FILES_DIRECTORY (self));

  if (self->store != NULL)
    list (self);
}
