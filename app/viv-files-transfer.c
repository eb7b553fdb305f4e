/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "viv-files-transfer.h"

/* One download or upload the user asked for: a file, or a folder with
 * everything in it. It is planned first (a recursive listing of the sandbox,
 * or a walk of the local folders in a worker thread), then run one step at a
 * time, each file streamed with progress; cancelling stops the current step
 * and removes a half-written local file. */

typedef enum
{
  STEP_LOCAL_DIRECTORY,
  STEP_DOWNLOAD,
  STEP_REMOTE_DIRECTORY,
  STEP_UPLOAD,
} StepKind;

typedef struct
{
  StepKind  kind;
  GFile    *local;
  char     *remote;
  gint64    size;
} Step;

/* How often a running transfer's progress is shown. */
#define PROGRESS_INTERVAL_US (100 * 1000)

struct _VivFilesTransfer
{
  GObject       parent_instance;

  VivFiles     *files;
  GCancellable *cancellable;
  char         *title;
  char         *status;

  /* What to plan from */
  VivFileEntry *entry;
  GFile        *destination;
  GListModel   *sources;
  char         *directory;

  GPtrArray    *steps;
  guint         next_step;
  guint         n_files;
  guint         files_done;
  gint64        total;
  gint64        done;
  gint64        current;
  gint64        shown_at;   /* monotonic time progress was last shown */
  GOutputStream *output;
  GFile         *partial;

  guint         finished : 1;
  guint         started : 1;
};

enum {
  PROP_0,
  PROP_TITLE,
  PROP_STATUS,
  PROP_FRACTION,
  PROP_FINISHED,
  N_PROPS
};

enum {
  DONE,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (VivFilesTransfer, viv_files_transfer, G_TYPE_OBJECT)

static void run_next (VivFilesTransfer *self);

static void
step_free (gpointer data)
{
  Step *step = data;

  g_clear_object (&step->local);
  g_free (step->remote);
  g_free (step);
}

static Step *
step_new (StepKind    kind,
          GFile      *local,
          const char *remote,
          gint64      size)
{
  Step *step = g_new0 (Step, 1);

  step->kind = kind;
  step->local = local ? g_object_ref (local) : NULL;
  step->remote = g_strdup (remote);
  step->size = MAX (size, 0);
  return step;
}

static void
set_status (VivFilesTransfer *self,
            char             *status)
{
  g_free (self->status);
  self->status = status;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
}

static void
update_progress (VivFilesTransfer *self)
{
  g_autofree char *done = g_format_size (self->done + self->current);
  g_autofree char *total = g_format_size (self->total);

  if (self->n_files > 1)
    /* Translators: progress of a transfer: bytes done, bytes in all, then files */
    set_status (self, g_strdup_printf (_("%s of %s, file %u of %u"), done, total,
                                       MIN (self->files_done + 1, self->n_files), self->n_files));
  else
    /* Translators: progress of a transfer: bytes done of bytes in all */
    set_status (self, g_strdup_printf (_("%s of %s"), done, total));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
}

static void
finish (VivFilesTransfer *self,
        const GError     *error)
{
  if (self->finished)
    return;
  self->finished = TRUE;

  /* A half-written local file is worse than none. */
  if (error != NULL && self->partial != NULL)
    g_file_delete_async (self->partial, G_PRIORITY_DEFAULT, NULL, NULL, NULL);
  g_clear_object (&self->partial);
  g_clear_object (&self->output);

  if (error == NULL)
    {
      g_autofree char *total = g_format_size (self->total);

      self->current = 0;
      self->done = self->total;
      /* Translators: a finished transfer: bytes, then the number of files */
      set_status (self, g_strdup_printf (ngettext ("Done: %s, %u file", "Done: %s, %u files",
                                                   self->n_files), total, self->n_files));
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FRACTION]);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    set_status (self, g_strdup (_("Cancelled")));
  else
    set_status (self, g_strdup (error->message));

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FINISHED]);
  g_signal_emit (self, signals[DONE], 0, error);
}

static void
step_done (VivFilesTransfer *self,
           const Step       *step)
{
  if (step->kind == STEP_DOWNLOAD || step->kind == STEP_UPLOAD)
    {
      self->files_done++;
      self->done += step->size;
    }
  self->current = 0;
  update_progress (self);
  run_next (self);
}

static void
progress_cb (goffset  current,
             goffset  total,
             gpointer user_data)
{
  VivFilesTransfer *self = user_data;
  gint64 now = g_get_monotonic_time ();

  self->current = current;
  /* A chunk arrives many hundred times a second; the row (and whoever
   * listens to it through accessibility) needs a few updates a second. The
   * end of each step shows the exact count anyway. */
  if (now - self->shown_at < PROGRESS_INTERVAL_US)
    return;
  self->shown_at = now;
  update_progress (self);
}

/* Steps */

static void
local_directory_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr (VivFilesTransfer) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_file_make_directory_finish (G_FILE (object), result, &error) &&
      !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_EXISTS))
    finish (self, error);
  else
    step_done (self, g_ptr_array_index (self->steps, self->next_step - 1));
}

static void
output_closed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (VivFilesTransfer) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!g_output_stream_close_finish (G_OUTPUT_STREAM (object), result, &error))
    {
      finish (self, error);
      return;
    }
  g_clear_object (&self->output);
  g_clear_object (&self->partial);
  step_done (self, g_ptr_array_index (self->steps, self->next_step - 1));
}

static void
downloaded_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (VivFilesTransfer) self = user_data;
  g_autoptr (GError) error = NULL;

  if (viv_files_download_finish (VIV_FILES (object), result, &error) < 0)
    {
      g_autoptr (GCancellable) discard = g_cancellable_new ();

      /* A cancelled close drops the replacement's temporary file; a new
       * file is then deleted by finish (). */
      g_cancellable_cancel (discard);
      g_output_stream_close (self->output, discard, NULL);
      finish (self, error);
      return;
    }
  g_output_stream_close_async (self->output, G_PRIORITY_DEFAULT, self->cancellable,
                               output_closed_cb, g_object_ref (self));
}

static void
replaced_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (VivFilesTransfer) self = user_data;
  g_autoptr (GError) error = NULL;
  Step *step = g_ptr_array_index (self->steps, self->next_step - 1);

  if (!(self->output = G_OUTPUT_STREAM (g_file_replace_finish (G_FILE (object), result, &error))))
    {
      finish (self, error);
      return;
    }
  self->partial = g_object_ref (step->local);
  viv_files_download_async (self->files, step->remote, self->output,
                            progress_cb, self, NULL, self->cancellable,
                            downloaded_cb, g_object_ref (self));
}

static void
remote_directory_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr (VivFilesTransfer) self = user_data;
  g_autoptr (VivFileEntry) entry = NULL;
  g_autoptr (GError) error = NULL;

  entry = viv_files_make_directory_finish (VIV_FILES (object), result, &error);
  if (entry == NULL && !g_error_matches (error, VIV_ERROR, VIV_ERROR_ALREADY_EXISTS))
    finish (self, error);
  else
    step_done (self, g_ptr_array_index (self->steps, self->next_step - 1));
}

static void
uploaded_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (VivFilesTransfer) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!viv_files_upload_finish (VIV_FILES (object), result, &error))
    finish (self, error);
  else
    step_done (self, g_ptr_array_index (self->steps, self->next_step - 1));
}

static void
read_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (VivFilesTransfer) self = user_data;
  g_autoptr (GFileInputStream) input = NULL;
  g_autoptr (GError) error = NULL;
  Step *step = g_ptr_array_index (self->steps, self->next_step - 1);

  if (!(input = g_file_read_finish (G_FILE (object), result, &error)))
    {
      finish (self, error);
      return;
    }
  viv_files_upload_async (self->files, step->remote, G_INPUT_STREAM (input), step->size,
                          progress_cb, self, NULL, self->cancellable,
                          uploaded_cb, g_object_ref (self));
}

static void
run_next (VivFilesTransfer *self)
{
  Step *step;

  if (self->finished)
    return;
  if (self->next_step >= self->steps->len)
    {
      finish (self, NULL);
      return;
    }

  step = g_ptr_array_index (self->steps, self->next_step++);
  switch (step->kind)
    {
    case STEP_LOCAL_DIRECTORY:
      g_file_make_directory_async (step->local, G_PRIORITY_DEFAULT, self->cancellable,
                                   local_directory_cb, g_object_ref (self));
      break;
    case STEP_DOWNLOAD:
      g_file_replace_async (step->local, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                            G_PRIORITY_DEFAULT, self->cancellable, replaced_cb, g_object_ref (self));
      break;
    case STEP_REMOTE_DIRECTORY:
      viv_files_make_directory_async (self->files, step->remote, self->cancellable,
                                      remote_directory_cb, g_object_ref (self));
      break;
    case STEP_UPLOAD:
      g_file_read_async (step->local, G_PRIORITY_DEFAULT, self->cancellable, read_cb,
                         g_object_ref (self));
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
add_step (VivFilesTransfer *self,
          Step             *step)
{
  g_ptr_array_add (self->steps, step);
  if (step->kind == STEP_DOWNLOAD || step->kind == STEP_UPLOAD)
    {
      self->n_files++;
      self->total += step->size;
    }
}

/* Planning a download: the folder's whole tree in one listing. */

static int
compare_entry_paths (gconstpointer a,
                     gconstpointer b)
{
  return g_strcmp0 (viv_file_entry_get_path (*(VivFileEntry **) a),
                    viv_file_entry_get_path (*(VivFileEntry **) b));
}

static void
tree_listed_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (VivFilesTransfer) self = user_data;
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GError) error = NULL;
  const char *root = viv_file_entry_get_path (self->entry);
  gsize root_length = strlen (root);

  if (!(entries = viv_files_list_finish (VIV_FILES (object), result, &error)))
    {
      finish (self, error);
      return;
    }

  /* Sorted by path, a folder comes before everything in it. */
  g_ptr_array_sort (entries, compare_entry_paths);
  for (guint i = 0; i < entries->len; i++)
    {
      VivFileEntry *entry = g_ptr_array_index (entries, i);
      const char *path = viv_file_entry_get_path (entry);
      g_autoptr (GFile) local = NULL;

      if (!g_str_has_prefix (path, root) || path[root_length] != '/')
        continue;
      local = g_file_resolve_relative_path (self->destination, path + root_length + 1);
      switch (viv_file_entry_get_file_type (entry))
        {
        case VIV_FILE_TYPE_DIRECTORY:
          add_step (self, step_new (STEP_LOCAL_DIRECTORY, local, NULL, 0));
          break;
        case VIV_FILE_TYPE_FILE:
          add_step (self, step_new (STEP_DOWNLOAD, local, path, viv_file_entry_get_size (entry)));
          break;
        case VIV_FILE_TYPE_SYMLINK:
        case VIV_FILE_TYPE_UNKNOWN:
        default:
          /* Links may point outside the folder or in circles: not followed. */
          break;
        }
    }

  update_progress (self);
  run_next (self);
}

/* Planning an upload: local folders walked in a thread. */

static gboolean
plan_local (GPtrArray     *steps,
            GFile         *file,
            const char    *remote,
            GCancellable  *cancellable,
            GError       **error)
{
  g_autoptr (GFileInfo) info = NULL;
  g_autoptr (GFileEnumerator) children = NULL;

  info = g_file_query_info (file, G_FILE_ATTRIBUTE_STANDARD_TYPE "," G_FILE_ATTRIBUTE_STANDARD_SIZE,
                            G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, cancellable, error);
  if (info == NULL)
    return FALSE;

  switch (g_file_info_get_file_type (info))
    {
    case G_FILE_TYPE_REGULAR:
      g_ptr_array_add (steps, step_new (STEP_UPLOAD, file, remote, g_file_info_get_size (info)));
      return TRUE;
    case G_FILE_TYPE_DIRECTORY:
      break;
    default:
      /* Links, devices, sockets: nothing to upload. */
      return TRUE;
    }

  g_ptr_array_add (steps, step_new (STEP_REMOTE_DIRECTORY, NULL, remote, 0));
  if (!(children = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME,
                                              G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS,
                                              cancellable, error)))
    return FALSE;
  for (;;)
    {
      GFileInfo *child_info;
      GFile *child;
      g_autofree char *child_remote = NULL;

      if (!g_file_enumerator_iterate (children, &child_info, &child, cancellable, error))
        return FALSE;
      if (child_info == NULL)
        return TRUE;
      child_remote = g_build_filename (remote, g_file_info_get_name (child_info), NULL);
      if (!plan_local (steps, child, child_remote, cancellable, error))
        return FALSE;
    }
}

static void
plan_upload_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  VivFilesTransfer *self = source_object;
  g_autoptr (GPtrArray) steps = g_ptr_array_new_with_free_func (step_free);
  GError *error = NULL;
  guint n = g_list_model_get_n_items (self->sources);

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GFile) file = g_list_model_get_item (self->sources, i);
      g_autofree char *name = g_file_get_basename (file);
      g_autofree char *remote = g_build_filename (self->directory, name, NULL);

      if (!plan_local (steps, file, remote, cancellable, &error))
        {
          g_task_return_error (task, error);
          return;
        }
    }
  g_task_return_pointer (task, g_steal_pointer (&steps), (GDestroyNotify) g_ptr_array_unref);
}

static void
upload_planned_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  VivFilesTransfer *self = VIV_FILES_TRANSFER (object);
  g_autoptr (GPtrArray) steps = NULL;
  g_autoptr (GError) error = NULL;

  if (!(steps = g_task_propagate_pointer (G_TASK (result), &error)))
    {
      finish (self, error);
      return;
    }
  while (steps->len > 0)
    add_step (self, g_ptr_array_steal_index (steps, 0));
  update_progress (self);
  run_next (self);
}

static void
viv_files_transfer_dispose (GObject *object)
{
  VivFilesTransfer *self = VIV_FILES_TRANSFER (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->files);
  g_clear_object (&self->sources);
  g_clear_object (&self->destination);
  g_clear_object (&self->output);
  g_clear_object (&self->partial);
  g_clear_pointer (&self->entry, viv_file_entry_unref);

  G_OBJECT_CLASS (viv_files_transfer_parent_class)->dispose (object);
}

static void
viv_files_transfer_finalize (GObject *object)
{
  VivFilesTransfer *self = VIV_FILES_TRANSFER (object);

  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->steps, g_ptr_array_unref);
  g_free (self->title);
  g_free (self->status);
  g_free (self->directory);

  G_OBJECT_CLASS (viv_files_transfer_parent_class)->finalize (object);
}

static void
viv_files_transfer_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  VivFilesTransfer *self = VIV_FILES_TRANSFER (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_STATUS:
      g_value_set_string (value, self->status);
      break;
    case PROP_FRACTION:
      g_value_set_double (value, viv_files_transfer_get_fraction (self));
      break;
    case PROP_FINISHED:
      g_value_set_boolean (value, self->finished);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_files_transfer_class_init (VivFilesTransferClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = viv_files_transfer_dispose;
  object_class->finalize = viv_files_transfer_finalize;
  object_class->get_property = viv_files_transfer_get_property;

  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STATUS] =
    g_param_spec_string ("status", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FRACTION] =
    g_param_spec_double ("fraction", NULL, NULL, 0, 1, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FINISHED] =
    g_param_spec_boolean ("finished", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[DONE] =
    g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
viv_files_transfer_init (VivFilesTransfer *self)
{
  self->cancellable = g_cancellable_new ();
  self->steps = g_ptr_array_new_with_free_func (step_free);
  self->status = g_strdup (_("Preparing…"));
}

/* @destination: the local file for a file; for a folder, the local folder
 * to create, which receives the folder's contents. */
VivFilesTransfer *
viv_files_transfer_new_download (VivSandbox   *sandbox,
                                 VivFileEntry *entry,
                                 GFile        *destination)
{
  VivFilesTransfer *self;

  g_return_val_if_fail (VIV_IS_SANDBOX (sandbox), NULL);
  g_return_val_if_fail (entry != NULL, NULL);
  g_return_val_if_fail (G_IS_FILE (destination), NULL);

  self = g_object_new (VIV_TYPE_FILES_TRANSFER, NULL);
  self->files = viv_files_new (sandbox);
  self->entry = viv_file_entry_ref (entry);
  self->destination = g_object_ref (destination);
  /* Translators: a transfer's title; %s is a file name */
  self->title = g_strdup_printf (_("Downloading “%s”"), viv_file_entry_get_name (entry));
  return self;
}

/* @files: local GFiles (files or folders) to put into @directory. */
VivFilesTransfer *
viv_files_transfer_new_upload (VivSandbox *sandbox,
                               GListModel *files,
                               const char *directory)
{
  VivFilesTransfer *self;
  guint n;

  g_return_val_if_fail (VIV_IS_SANDBOX (sandbox), NULL);
  g_return_val_if_fail (G_IS_LIST_MODEL (files), NULL);
  g_return_val_if_fail (directory != NULL, NULL);

  self = g_object_new (VIV_TYPE_FILES_TRANSFER, NULL);
  self->files = viv_files_new (sandbox);
  self->sources = g_object_ref (files);
  self->directory = g_strdup (directory);
  n = g_list_model_get_n_items (files);
  if (n == 1)
    {
      g_autoptr (GFile) file = g_list_model_get_item (files, 0);
      g_autofree char *name = g_file_get_basename (file);

      /* Translators: a transfer's title; %s is a file name */
      self->title = g_strdup_printf (_("Uploading “%s”"), name);
    }
  else
    /* Translators: a transfer's title */
    self->title = g_strdup_printf (ngettext ("Uploading %u item", "Uploading %u items", n), n);
  return self;
}

void
viv_files_transfer_start (VivFilesTransfer *self)
{
  g_return_if_fail (VIV_IS_FILES_TRANSFER (self));
  g_return_if_fail (!self->started);

  self->started = TRUE;
  if (self->sources != NULL)
    {
      g_autoptr (GTask) task = g_task_new (self, self->cancellable, upload_planned_cb, NULL);

      g_task_run_in_thread (task, plan_upload_thread);
    }
  else if (viv_file_entry_get_file_type (self->entry) == VIV_FILE_TYPE_DIRECTORY)
    {
      add_step (self, step_new (STEP_LOCAL_DIRECTORY, self->destination, NULL, 0));
      /* Deep enough for any real tree; the guest stops at the bottom. */
      viv_files_list_async (self->files, viv_file_entry_get_path (self->entry), 4096,
                            self->cancellable, tree_listed_cb, g_object_ref (self));
    }
  else
    {
      add_step (self, step_new (STEP_DOWNLOAD, self->destination,
                                viv_file_entry_get_path (self->entry),
                                viv_file_entry_get_size (self->entry)));
      update_progress (self);
      run_next (self);
    }
}

void
viv_files_transfer_cancel (VivFilesTransfer *self)
{
  g_return_if_fail (VIV_IS_FILES_TRANSFER (self));
  g_cancellable_cancel (self->cancellable);
}

const char *
viv_files_transfer_get_title (VivFilesTransfer *self)
{
  g_return_val_if_fail (VIV_IS_FILES_TRANSFER (self), NULL);
  return self->title;
}

const char *
viv_files_transfer_get_status (VivFilesTransfer *self)
{
  g_return_val_if_fail (VIV_IS_FILES_TRANSFER (self), NULL);
  return self->status;
}

double
viv_files_transfer_get_fraction (VivFilesTransfer *self)
{
  g_return_val_if_fail (VIV_IS_FILES_TRANSFER (self), 0);

  if (self->total <= 0)
    return self->finished ? 1.0 : 0.0;
  return CLAMP ((double) (self->done + self->current) / self->total, 0.0, 1.0);
}

gboolean
viv_files_transfer_get_finished (VivFilesTransfer *self)
{
  g_return_val_if_fail (VIV_IS_FILES_TRANSFER (self), FALSE);
  return self->finished;
}
