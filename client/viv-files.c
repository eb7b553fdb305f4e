/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "vivarium.h"
#include "viv-client-private.h"
#include "viv-connect-private.h"
#include "viv-error-private.h"
#include "viv-files-private.h"
#include "viv-json-private.h"
#include "viv-progress-stream-private.h"
#include "viv-sandbox-private.h"

/**
 * VivFiles:
 *
 * The files of a sandbox, through its envd: listing, stat, directories,
 * moving and removing (Connect-RPC `filesystem.Filesystem`), streamed
 * downloads and uploads with progress (`GET`/`POST /files`), and watching a
 * directory (the [signal@Viv.Files::changed] signal).
 */

#define CHUNK_SIZE (256 * 1024)

struct _VivFileEntry
{
  grefcount    ref_count;
  char        *name;
  char        *path;
  VivFileType  type;
  gint64       size;
  guint        mode;
  char        *permissions;
  char        *owner;
  char        *group;
  GDateTime   *modified_time;
  char        *symlink_target;
};

G_DEFINE_BOXED_TYPE (VivFileEntry, viv_file_entry, viv_file_entry_ref, viv_file_entry_unref)

struct _VivFiles
{
  GObject     parent_instance;
  VivSandbox *sandbox;
};

enum {
  PROP_0,
  PROP_SANDBOX,
  N_PROPS
};

enum {
  CHANGED,
  N_SIGNALS
};

G_DEFINE_FINAL_TYPE (VivFiles, viv_files, G_TYPE_OBJECT)

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/**
 * viv_file_entry_ref:
 *
 * Returns: (transfer full): @self
 */
VivFileEntry *
viv_file_entry_ref (VivFileEntry *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_ref_count_inc (&self->ref_count);
  return self;
}

/**
 * viv_file_entry_unref:
 *
 * Drops a reference.
 */
void
viv_file_entry_unref (VivFileEntry *self)
{
  g_return_if_fail (self != NULL);

  if (!g_ref_count_dec (&self->ref_count))
    return;

  g_free (self->name);
  g_free (self->path);
  g_free (self->permissions);
  g_free (self->owner);
  g_free (self->group);
  g_clear_pointer (&self->modified_time, g_date_time_unref);
  g_free (self->symlink_target);
  g_free (self);
}

/**
 * viv_file_entry_get_name:
 *
 * Returns: the file's name
 */
const char *
viv_file_entry_get_name (VivFileEntry *self)
{
  return self->name;
}

/**
 * viv_file_entry_get_path:
 *
 * Returns: the file's absolute path in the sandbox
 */
const char *
viv_file_entry_get_path (VivFileEntry *self)
{
  return self->path;
}

/**
 * viv_file_entry_get_file_type:
 *
 * Returns: the file's type
 */
VivFileType
viv_file_entry_get_file_type (VivFileEntry *self)
{
  return self->type;
}

/**
 * viv_file_entry_get_size:
 *
 * Returns: the size in bytes
 */
gint64
viv_file_entry_get_size (VivFileEntry *self)
{
  return self->size;
}

/**
 * viv_file_entry_get_mode:
 *
 * Returns: the Unix mode bits
 */
guint
viv_file_entry_get_mode (VivFileEntry *self)
{
  return self->mode;
}

/**
 * viv_file_entry_get_permissions:
 *
 * Returns: (nullable): the permissions as `ls` shows them (`-rw-r--r--`)
 */
const char *
viv_file_entry_get_permissions (VivFileEntry *self)
{
  return self->permissions;
}

/**
 * viv_file_entry_get_owner:
 *
 * Returns: (nullable): the owner's name
 */
const char *
viv_file_entry_get_owner (VivFileEntry *self)
{
  return self->owner;
}

/**
 * viv_file_entry_get_group:
 *
 * Returns: (nullable): the group's name
 */
const char *
viv_file_entry_get_group (VivFileEntry *self)
{
  return self->group;
}

/**
 * viv_file_entry_get_modified_time:
 *
 * Returns: (nullable) (transfer none): when it was last modified
 */
GDateTime *
viv_file_entry_get_modified_time (VivFileEntry *self)
{
  return self->modified_time;
}

/**
 * viv_file_entry_get_symlink_target:
 *
 * Returns: (nullable): where a symbolic link points
 */
const char *
viv_file_entry_get_symlink_target (VivFileEntry *self)
{
  return self->symlink_target;
}

static VivFileType
parse_file_type (const char *text)
{
  /* Enums come by name in proto3 JSON; accept the numbers too. */
  if (g_strcmp0 (text, "FILE_TYPE_FILE") == 0 || g_strcmp0 (text, "1") == 0)
    return VIV_FILE_TYPE_FILE;
  if (g_strcmp0 (text, "FILE_TYPE_DIRECTORY") == 0 || g_strcmp0 (text, "2") == 0)
    return VIV_FILE_TYPE_DIRECTORY;
  if (g_strcmp0 (text, "FILE_TYPE_SYMLINK") == 0 || g_strcmp0 (text, "3") == 0)
    return VIV_FILE_TYPE_SYMLINK;
  return VIV_FILE_TYPE_UNKNOWN;
}

VivFileEntry *
_viv_file_entry_new_from_json (JsonObject  *object,
                               GError     **error)
{
  g_autoptr (VivFileEntry) self = g_new0 (VivFileEntry, 1);
  const char *name = NULL, *path = NULL, *type = NULL, *permissions = NULL;
  const char *owner = NULL, *group = NULL, *target = NULL;
  gint64 mode = 0;

  g_ref_count_init (&self->ref_count);

  if (!_viv_json_get_string (object, "name", TRUE, &name, error) ||
      !_viv_json_get_string (object, "path", TRUE, &path, error) ||
      !_viv_json_get_string (object, "permissions", FALSE, &permissions, error) ||
      !_viv_json_get_string (object, "owner", FALSE, &owner, error) ||
      !_viv_json_get_string (object, "group", FALSE, &group, error) ||
      !_viv_json_get_string (object, "symlinkTarget", FALSE, &target, error) ||
      !_viv_json_get_int (object, "size", FALSE, &self->size, error) ||
      !_viv_json_get_int (object, "mode", FALSE, &mode, error) ||
      !_viv_json_get_time (object, "modifiedTime", FALSE, &self->modified_time, error))
    return NULL;

  /* "type" is an enum: a name, or (from lenient servers) a number. */
  if (json_object_has_member (object, "type"))
    {
      JsonNode *node = json_object_get_member (object, "type");

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_INT64)
        {
          g_autofree char *number = g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));

          self->type = parse_file_type (number);
        }
      else if (!_viv_json_get_string (object, "type", FALSE, &type, error))
        return NULL;
      else
        self->type = parse_file_type (type);
    }

  self->name = g_strdup (name);
  self->path = g_strdup (path);
  self->mode = (guint) mode;
  self->permissions = g_strdup (permissions);
  self->owner = g_strdup (owner);
  self->group = g_strdup (group);
  self->symlink_target = g_strdup (target);
  return g_steal_pointer (&self);
}

GPtrArray *
_viv_file_entries_from_json (JsonObject  *object,
                             GError     **error)
{
  g_autoptr (GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) viv_file_entry_unref);
  JsonArray *array = NULL;

  if (!_viv_json_get_array (object, "entries", FALSE, &array, error))
    return NULL;

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *node = json_array_get_element (array, i);
      VivFileEntry *entry;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        {
          g_set_error (error, VIV_ERROR, VIV_ERROR_PROTOCOL, "Entry %u is not a JSON object", i);
          return NULL;
        }
      if (!(entry = _viv_file_entry_new_from_json (json_node_get_object (node), error)))
        return NULL;
      g_ptr_array_add (entries, entry);
    }

  return g_steal_pointer (&entries);
}

static void
viv_files_dispose (GObject *object)
{
  VivFiles *self = (VivFiles *)object;

  g_clear_object (&self->sandbox);

  G_OBJECT_CLASS (viv_files_parent_class)->dispose (object);
}

static void
viv_files_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  VivFiles *self = VIV_FILES (object);

  switch (prop_id)
    {
    case PROP_SANDBOX:
      g_value_set_object (value, self->sandbox);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_files_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  VivFiles *self = VIV_FILES (object);

  switch (prop_id)
    {
    case PROP_SANDBOX:
      self->sandbox = g_value_dup_object (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_files_class_init (VivFilesClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = viv_files_dispose;
  object_class->get_property = viv_files_get_property;
  object_class->set_property = viv_files_set_property;

  /**
   * VivFiles:sandbox:
   *
   * The sandbox.
   */
  properties[PROP_SANDBOX] =
    g_param_spec_object ("sandbox", NULL, NULL, VIV_TYPE_SANDBOX,
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * VivFiles::changed:
   * @self: the files
   * @path: the changed file's path (relative to the watched directory, as envd sends it)
   * @event: what happened
   *
   * A file in a directory watched with [method@Viv.Files.watch_async] changed.
   */
  signals[CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 2, G_TYPE_STRING, VIV_TYPE_FILE_EVENT_TYPE);
}

static void
viv_files_init (VivFiles *self)
{
}

/**
 * viv_files_new:
 * @sandbox: a sandbox
 *
 * Returns: (transfer full): the files of @sandbox
 */
VivFiles *
viv_files_new (VivSandbox *sandbox)
{
  g_return_val_if_fail (VIV_IS_SANDBOX (sandbox), NULL);
  return g_object_new (VIV_TYPE_FILES, "sandbox", sandbox, NULL);
}

/**
 * viv_files_get_sandbox:
 *
 * Returns: (transfer none): the sandbox
 */
VivSandbox *
viv_files_get_sandbox (VivFiles *self)
{
  g_return_val_if_fail (VIV_IS_FILES (self), NULL);
  return self->sandbox;
}

/* Unary filesystem calls */

static void
rpc_cb (GObject      *object,
        GAsyncResult *result,
        gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (JsonObject) answer = NULL;
  gpointer tag = g_task_get_source_tag (task);
  GError *error = NULL;

  if (!(answer = _viv_connect_call_finish (VIV_SANDBOX (object), result, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  if (tag == viv_files_list_async)
    {
      GPtrArray *entries = _viv_file_entries_from_json (answer, &error);

      if (entries == NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, entries, (GDestroyNotify) g_ptr_array_unref);
    }
  else if (tag == viv_files_remove_async)
    g_task_return_boolean (task, TRUE);
  else
    {
      JsonObject *entry_json = NULL;
      VivFileEntry *entry;

      if (!_viv_json_get_object (answer, "entry", TRUE, &entry_json, &error) ||
          !(entry = _viv_file_entry_new_from_json (entry_json, &error)))
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, entry, (GDestroyNotify) viv_file_entry_unref);
    }
}

static void
filesystem_call (VivFiles            *self,
                 gpointer             tag,
                 const char          *method,
                 JsonObject          *request,
                 GCancellable        *cancellable,
                 GAsyncReadyCallback  callback,
                 gpointer             user_data)
{
  GTask *task = g_task_new (self, cancellable, callback, user_data);

  g_task_set_source_tag (task, tag);
  _viv_connect_call_async (self->sandbox, method, request, cancellable, rpc_cb, task);
}

/**
 * viv_files_list_async:
 * @path: a directory
 * @depth: how deep to list; 1 for the directory's own entries
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the entries
 * @user_data: data for @callback
 *
 * Lists a directory (`filesystem.Filesystem/ListDir`).
 */
void
viv_files_list_async (VivFiles            *self,
                      const char          *path,
                      guint                depth,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr (JsonObject) request = json_object_new ();

  g_return_if_fail (VIV_IS_FILES (self));
  g_return_if_fail (path != NULL);

  json_object_set_string_member (request, "path", path);
  json_object_set_int_member (request, "depth", MAX (depth, 1));
  filesystem_call (self, viv_files_list_async, "filesystem.Filesystem/ListDir", request,
                   cancellable, callback, user_data);
}

/**
 * viv_files_list_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer container) (element-type VivFileEntry): the entries
 */
GPtrArray *
viv_files_list_finish (VivFiles      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * viv_files_stat_async:
 * @path: a path
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the entry
 * @user_data: data for @callback
 *
 * Describes a file (`filesystem.Filesystem/Stat`); a missing one is
 * %VIV_ERROR_NOT_FOUND.
 */
void
viv_files_stat_async (VivFiles            *self,
                      const char          *path,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr (JsonObject) request = json_object_new ();

  g_return_if_fail (VIV_IS_FILES (self));
  g_return_if_fail (path != NULL);

  json_object_set_string_member (request, "path", path);
  filesystem_call (self, viv_files_stat_async, "filesystem.Filesystem/Stat", request,
                   cancellable, callback, user_data);
}

/**
 * viv_files_stat_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full): the entry
 */
VivFileEntry *
viv_files_stat_finish (VivFiles      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * viv_files_make_directory_async:
 * @path: the new directory
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with its entry
 * @user_data: data for @callback
 *
 * Creates a directory and its parents (`filesystem.Filesystem/MakeDir`); an
 * existing one is %VIV_ERROR_ALREADY_EXISTS.
 */
void
viv_files_make_directory_async (VivFiles            *self,
                                const char          *path,
                                GCancellable        *cancellable,
                                GAsyncReadyCallback  callback,
                                gpointer             user_data)
{
  g_autoptr (JsonObject) request = json_object_new ();

  g_return_if_fail (VIV_IS_FILES (self));
  g_return_if_fail (path != NULL);

  json_object_set_string_member (request, "path", path);
  filesystem_call (self, viv_files_make_directory_async, "filesystem.Filesystem/MakeDir",
                   request, cancellable, callback, user_data);
}

/**
 * viv_files_make_directory_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full): the new directory's entry
 */
VivFileEntry *
viv_files_make_directory_finish (VivFiles      *self,
                                 GAsyncResult  *result,
                                 GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * viv_files_move_async:
 * @source: the file to move
 * @destination: where to
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the moved entry
 * @user_data: data for @callback
 *
 * Moves or renames a file (`filesystem.Filesystem/Move`).
 */
void
viv_files_move_async (VivFiles            *self,
                      const char          *source,
                      const char          *destination,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr (JsonObject) request = json_object_new ();

  g_return_if_fail (VIV_IS_FILES (self));
  g_return_if_fail (source != NULL && destination != NULL);

  json_object_set_string_member (request, "source", source);
  json_object_set_string_member (request, "destination", destination);
  filesystem_call (self, viv_files_move_async, "filesystem.Filesystem/Move", request,
                   cancellable, callback, user_data);
}

/**
 * viv_files_move_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full): the entry at its new place
 */
VivFileEntry *
viv_files_move_finish (VivFiles      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/**
 * viv_files_remove_async:
 * @path: the file or directory
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called when removed
 * @user_data: data for @callback
 *
 * Removes a file or a whole directory (`filesystem.Filesystem/Remove`).
 */
void
viv_files_remove_async (VivFiles            *self,
                        const char          *path,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr (JsonObject) request = json_object_new ();

  g_return_if_fail (VIV_IS_FILES (self));
  g_return_if_fail (path != NULL);

  json_object_set_string_member (request, "path", path);
  filesystem_call (self, viv_files_remove_async, "filesystem.Filesystem/Remove", request,
                   cancellable, callback, user_data);
}

/**
 * viv_files_remove_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether it was removed
 */
gboolean
viv_files_remove_finish (VivFiles      *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Downloads: GET /files, read in chunks, each written before the next read */

typedef struct
{
  char                *path;
  SoupMessage         *msg;
  GInputStream        *input;
  GOutputStream       *output;
  GInputStream        *upload;
  VivProgressCallback  progress;
  gpointer             progress_data;
  GDestroyNotify       progress_destroy;
  gint64               done;
  gint64               total;
} TransferData;

static void
transfer_data_free (TransferData *data)
{
  if (data->progress_destroy != NULL)
    data->progress_destroy (data->progress_data);
  g_free (data->path);
  g_clear_object (&data->msg);
  g_clear_object (&data->input);
  g_clear_object (&data->output);
  g_clear_object (&data->upload);
  g_free (data);
}

static char *
files_path (const char *path)
{
  g_autofree char *escaped = g_uri_escape_string (path, NULL, FALSE);

  return g_strconcat ("/files?path=", escaped, NULL);
}

static void download_read (GTask *task);

static void
download_write_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  TransferData *data = g_task_get_task_data (task);
  gsize written = 0;
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (object), result, &written, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  data->done += written;
  if (data->progress != NULL)
    data->progress (data->done, data->total, data->progress_data);

  download_read (g_steal_pointer (&task));
}

static void
download_read_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  TransferData *data = g_task_get_task_data (task);
  g_autoptr (GBytes) bytes = NULL;
  GCancellable *cancellable;
  GError *error = NULL;
  gsize size;
  gconstpointer chunk;

  if (!(bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error)))
    {
      g_task_return_error (task, _viv_error_from_transport (error));
      return;
    }

  if (g_bytes_get_size (bytes) == 0)
    {
      if (data->total >= 0 && data->done != data->total)
        {
          g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_UNAVAILABLE,
                                   "The download of %s broke off after %" G_GINT64_FORMAT
                                   " of %" G_GINT64_FORMAT " bytes",
                                   data->path, data->done, data->total);
          return;
        }
      g_task_return_int (task, data->done);
      return;
    }

  chunk = g_bytes_get_data (bytes, &size);
  cancellable = g_task_get_cancellable (task);
  /* The bytes stay alive in the task until the write finished. */
  g_object_set_data_full (G_OBJECT (task), "viv-chunk", g_steal_pointer (&bytes),
                          (GDestroyNotify) g_bytes_unref);
  g_output_stream_write_all_async (data->output, chunk, size, G_PRIORITY_DEFAULT, cancellable,
                                   download_write_cb, g_steal_pointer (&task));
}

static void
download_read (GTask *task)
{
  TransferData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);

  g_input_stream_read_bytes_async (data->input, CHUNK_SIZE, G_PRIORITY_DEFAULT, cancellable,
                                   download_read_cb, task);
}

static void
http_error_body_cb (GObject      *object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  TransferData *data = g_task_get_task_data (task);
  g_autoptr (GBytes) body = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, NULL);
  const char *content_type =
    soup_message_headers_get_content_type (soup_message_get_response_headers (data->msg), NULL);

  g_task_return_error (task, _viv_error_from_http (soup_message_get_status (data->msg),
                                                   content_type, body));
}

static void
download_send_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  TransferData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  GError *error = NULL;

  if (!(data->input = soup_session_send_finish (SOUP_SESSION (object), result, &error)))
    {
      g_task_return_error (task, _viv_error_from_transport (error));
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (data->msg)))
    {
      g_input_stream_read_bytes_async (data->input, 64 * 1024, G_PRIORITY_DEFAULT, cancellable,
                                       http_error_body_cb, g_steal_pointer (&task));
      return;
    }

  data->total = soup_message_headers_get_content_length (soup_message_get_response_headers (data->msg));
  if (data->total == 0 &&
      soup_message_headers_get_encoding (soup_message_get_response_headers (data->msg)) != SOUP_ENCODING_CONTENT_LENGTH)
    data->total = -1;

  download_read (g_steal_pointer (&task));
}

static void
download_ready_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  VivSandbox *sandbox = VIV_SANDBOX (object);
  g_autoptr (GTask) task = user_data;
  TransferData *data = g_task_get_task_data (task);
  GCancellable *cancellable = g_task_get_cancellable (task);
  g_autofree char *path = files_path (data->path);
  GError *error = NULL;

  if (!_viv_sandbox_ensure_envd_finish (sandbox, result, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  if (!(data->msg = _viv_sandbox_new_message (sandbox, data->upload ? "POST" : "GET",
                                              VIV_ENVD_PORT, path)))
    {
      g_task_return_new_error (task, VIV_ERROR, VIV_ERROR_INVALID_ARGUMENT,
                               "The account's sandbox URL is not valid");
      return;
    }

  if (data->upload != NULL)
    {
      soup_message_set_request_body (data->msg, "application/octet-stream", data->upload,
                                     data->total);
      soup_session_send_and_read_async (_viv_client_get_session (viv_sandbox_get_client (sandbox)),
                                        data->msg, G_PRIORITY_DEFAULT, cancellable,
                                        (GAsyncReadyCallback) _viv_files_upload_sent_cb,
                                        g_steal_pointer (&task));
      return;
    }

  soup_session_send_async (_viv_client_get_session (viv_sandbox_get_client (sandbox)),
                           data->msg, G_PRIORITY_DEFAULT, cancellable,
                           download_send_cb, g_steal_pointer (&task));
}

/**
 * viv_files_download_async:
 * @path: the file in the sandbox
 * @destination: where its bytes go
 * @progress_callback: (nullable) (scope notified) (closure progress_data) (destroy progress_destroy):
 *   called after each chunk written
 * @progress_data: data for @progress_callback
 * @progress_destroy: (nullable): frees @progress_data
 * @cancellable: (nullable): a cancellable; cancelling stops the transfer
 * @callback: (scope async): called at the end
 * @user_data: data for @callback
 *
 * Streams a file out of the sandbox (`GET /files`) into @destination. Each
 * chunk is written before the next is read, so a slow destination slows
 * the download instead of filling memory. @destination is not closed.
 */
void
viv_files_download_async (VivFiles            *self,
                          const char          *path,
                          GOutputStream       *destination,
                          VivProgressCallback  progress_callback,
                          gpointer             progress_data,
                          GDestroyNotify       progress_destroy,
                          GCancellable        *cancellable,
                          GAsyncReadyCallback  callback,
                          gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  TransferData *data;

  g_return_if_fail (VIV_IS_FILES (self));
  g_return_if_fail (path != NULL);
  g_return_if_fail (G_IS_OUTPUT_STREAM (destination));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_files_download_async);
  data = g_new0 (TransferData, 1);
  data->path = g_strdup (path);
  data->output = g_object_ref (destination);
  data->progress = progress_callback;
  data->progress_data = progress_data;
  data->progress_destroy = progress_destroy;
  data->total = -1;
  g_task_set_task_data (task, data, (GDestroyNotify) transfer_data_free);

  _viv_sandbox_ensure_envd_async (self->sandbox, cancellable, download_ready_cb,
                                  g_steal_pointer (&task));
}

/**
 * viv_files_download_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: the number of bytes downloaded, or -1 with @error set
 */
gint64
viv_files_download_finish (VivFiles      *self,
                           GAsyncResult  *result,
                           GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), -1);
  return g_task_propagate_int (G_TASK (result), error);
}

/* Uploads: POST /files with the raw bytes (envd ≥ 0.5.7, spec §2.2) */

static void
upload_progress_cb (goffset  current,
                    goffset  total,
                    gpointer user_data)
{
  TransferData *data = user_data;

  data->done = current;
  if (data->progress != NULL)
    data->progress (current, data->total, data->progress_data);
}

void
_viv_files_upload_sent_cb (GObject      *object,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  TransferData *data = g_task_get_task_data (task);
  g_autoptr (GBytes) body = NULL;
  GError *error = NULL;

  if (!(body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error)))
    {
      g_task_return_error (task, _viv_error_from_transport (error));
      return;
    }

  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (data->msg)))
    {
      const char *content_type =
        soup_message_headers_get_content_type (soup_message_get_response_headers (data->msg), NULL);

      g_task_return_error (task, _viv_error_from_http (soup_message_get_status (data->msg),
                                                       content_type, body));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

/**
 * viv_files_upload_async:
 * @path: the destination in the sandbox
 * @source: the bytes to upload
 * @size: how many bytes @source has, or -1 when not known (sent chunked)
 * @progress_callback: (nullable) (scope notified) (closure progress_data) (destroy progress_destroy):
 *   called as bytes are sent
 * @progress_data: data for @progress_callback
 * @progress_destroy: (nullable): frees @progress_data
 * @cancellable: (nullable): a cancellable; cancelling stops the transfer
 * @callback: (scope async): called at the end
 * @user_data: data for @callback
 *
 * Streams @source into a file of the sandbox (`POST /files`, raw body). The
 * guest writes to a temporary file and renames it at the end, so a cancelled
 * upload leaves no half file.
 */
void
viv_files_upload_async (VivFiles            *self,
                        const char          *path,
                        GInputStream        *source,
                        gint64               size,
                        VivProgressCallback  progress_callback,
                        gpointer             progress_data,
                        GDestroyNotify       progress_destroy,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  TransferData *data;

  g_return_if_fail (VIV_IS_FILES (self));
  g_return_if_fail (path != NULL);
  g_return_if_fail (G_IS_INPUT_STREAM (source));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_files_upload_async);
  data = g_new0 (TransferData, 1);
  data->path = g_strdup (path);
  data->progress = progress_callback;
  data->progress_data = progress_data;
  data->progress_destroy = progress_destroy;
  data->total = size;
  data->upload = _viv_progress_stream_new (source, upload_progress_cb, data);
  g_task_set_task_data (task, data, (GDestroyNotify) transfer_data_free);

  _viv_sandbox_ensure_envd_async (self->sandbox, cancellable, download_ready_cb,
                                  g_steal_pointer (&task));
}

/**
 * viv_files_upload_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the file was written
 */
gboolean
viv_files_upload_finish (VivFiles      *self,
                         GAsyncResult  *result,
                         GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
read_bytes_cb (GObject      *object,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GOutputStream *memory = g_task_get_task_data (task);
  GError *error = NULL;

  if (viv_files_download_finish (VIV_FILES (object), result, &error) < 0)
    {
      g_task_return_error (task, error);
      return;
    }

  g_output_stream_close (memory, NULL, NULL);
  g_task_return_pointer (task,
                         g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (memory)),
                         (GDestroyNotify) g_bytes_unref);
}

/**
 * viv_files_read_bytes_async:
 * @path: the file in the sandbox
 * @cancellable: (nullable): a cancellable
 * @callback: (scope async): called with the contents
 * @user_data: data for @callback
 *
 * Reads a whole (small) file into memory; use
 * [method@Viv.Files.download_async] for big ones.
 */
void
viv_files_read_bytes_async (VivFiles            *self,
                            const char          *path,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr (GTask) task = NULL;
  GOutputStream *memory;

  g_return_if_fail (VIV_IS_FILES (self));
  g_return_if_fail (path != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_files_read_bytes_async);
  memory = g_memory_output_stream_new_resizable ();
  g_task_set_task_data (task, memory, g_object_unref);
  viv_files_download_async (self, path, memory, NULL, NULL, NULL, cancellable, read_bytes_cb,
                            g_steal_pointer (&task));
}

/**
 * viv_files_read_bytes_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: (transfer full): the file's contents
 */
GBytes *
viv_files_read_bytes_finish (VivFiles      *self,
                             GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Watching */

static VivFileEventType
parse_event_type (const char *text)
{
  static const char * const names[] = {
    "EVENT_TYPE_UNSPECIFIED", "EVENT_TYPE_CREATE", "EVENT_TYPE_WRITE",
    "EVENT_TYPE_REMOVE", "EVENT_TYPE_RENAME", "EVENT_TYPE_CHMOD",
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_strcmp0 (text, names[i]) == 0)
      return i;

  return VIV_FILE_EVENT_UNKNOWN;
}

static void
watch_message_cb (JsonObject *message,
                  gpointer    user_data)
{
  VivFiles *self = user_data;
  JsonObject *event = NULL;
  const char *name = NULL;
  const char *type = NULL;

  /* "start" and "keepalive" messages carry nothing to report. */
  if (!_viv_json_get_object (message, "filesystem", FALSE, &event, NULL) || event == NULL)
    return;
  if (!_viv_json_get_string (event, "name", TRUE, &name, NULL) ||
      !_viv_json_get_string (event, "type", FALSE, &type, NULL))
    {
      g_debug ("Ignoring a malformed filesystem event");
      return;
    }

  g_signal_emit (self, signals[CHANGED], 0, name, parse_event_type (type));
}

static void
watch_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = NULL;

  if (!_viv_connect_stream_finish (VIV_SANDBOX (object), result, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

/**
 * viv_files_watch_async:
 * @path: the directory
 * @recursive: whether to watch below it too
 * @cancellable: (nullable): cancel to stop watching
 * @callback: (scope async): called when the watch ends
 * @user_data: data for @callback
 *
 * Watches a directory (`filesystem.Filesystem/WatchDir`): each change is
 * emitted as [signal@Viv.Files::changed] until @cancellable is cancelled
 * (the end is then %G_IO_ERROR_CANCELLED) or the stream fails.
 */
void
viv_files_watch_async (VivFiles            *self,
                       const char          *path,
                       gboolean             recursive,
                       GCancellable        *cancellable,
                       GAsyncReadyCallback  callback,
                       gpointer             user_data)
{
  g_autoptr (JsonObject) request = json_object_new ();
  GTask *task;

  g_return_if_fail (VIV_IS_FILES (self));
  g_return_if_fail (path != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_files_watch_async);
  json_object_set_string_member (request, "path", path);
  json_object_set_boolean_member (request, "recursive", recursive);
  _viv_connect_stream_async (self->sandbox, "filesystem.Filesystem/WatchDir", request, 0,
                             watch_message_cb, self, cancellable, watch_cb, task);
}

/**
 * viv_files_watch_finish:
 * @result: the result
 * @error: return location for an error
 *
 * Returns: whether the watch ended cleanly (the server closed it)
 */
gboolean
viv_files_watch_finish (VivFiles      *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}
