/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "viv-envd-filesystem.h"
#include "viv-guest-modules.h"

/* Every operation runs on a GTask thread as the calling user: a directory of
 * ten thousand entries, or a slow disk, never holds up the main loop. */

typedef enum
{
  FS_STAT,
  FS_MAKE_DIR,
  FS_MOVE,
  FS_LIST_DIR,
  FS_REMOVE,
} FsOperation;

typedef struct
{
  FsOperation      operation;
  VivConnectCall  *call;     /* main thread only; taken back by the callback */
  VivEnvdIdentity *identity;
  char            *path;
  char            *destination;
  gint64           depth;
} FsJob;

static void
fs_job_free (gpointer data)
{
  FsJob *job = data;

  /* The callback took the call back on the main thread. */
  g_assert (job->call == NULL);
  viv_envd_identity_free (job->identity);
  g_free (job->path);
  g_free (job->destination);
  g_free (job);
}

static JsonObject *
wrap_entry (JsonObject *entry)
{
  JsonObject *response = json_object_new ();

  json_object_set_object_member (response, "entry", entry);
  return response;
}

static JsonObject *
stat_path (const char  *path,
           GError     **error)
{
  g_autoptr (GHashTable) names = viv_envd_name_cache_new ();
  JsonObject *entry = viv_envd_entry_info (path, names, error);

  return entry ? wrap_entry (entry) : NULL;
}

/* mkdir -p; each directory made belongs to the thread's file system user. */
static gboolean
make_parents (const char  *path,
              GError     **error)
{
  if (g_mkdir_with_parents (path, 0755) != 0)
    {
      viv_envd_set_errno_error (error, errno, path);
      return FALSE;
    }

  return TRUE;
}

static JsonObject *
make_dir (const char  *path,
          GError     **error)
{
  struct stat st;

  if (stat (path, &st) == 0)
    {
      /* envd's distinction: an existing directory is "already exists", anything
       * else in the way is a bad argument. */
      if (S_ISDIR (st.st_mode))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s already exists", path);
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                     "%s already exists and is not a directory", path);
      return NULL;
    }

  if (!make_parents (path, error))
    return NULL;

  return stat_path (path, error);
}

static JsonObject *
move_path (const char  *source,
           const char  *destination,
           GError     **error)
{
  g_autofree char *parent = g_path_get_dirname (destination);
  struct stat st;

  if (lstat (source, &st) != 0)
    {
      viv_envd_set_errno_error (error, errno, source);
      return NULL;
    }

  if (!make_parents (parent, error))
    return NULL;

  if (rename (source, destination) != 0)
    {
      int saved_errno = errno;

      if (saved_errno == ENOTEMPTY)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS,
                     "%s exists and is a directory that is not empty", destination);
      else
        viv_envd_set_errno_error (error, saved_errno, destination);
      return NULL;
    }

  return stat_path (destination, error);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* Entries below @directory, @depth levels deep, in lexical order like Go's
 * filepath.WalkDir; symlinks to directories are not followed. */
static gboolean
list_into (JsonArray   *entries,
           const char  *directory,
           gint64       depth,
           GHashTable  *names,
           GError     **error)
{
  g_autoptr (GPtrArray) children = g_ptr_array_new_with_free_func (g_free);
  struct dirent *child;
  DIR *dir;

  dir = opendir (directory);
  if (dir == NULL)
    {
      viv_envd_set_errno_error (error, errno, directory);
      return FALSE;
    }

  while ((child = readdir (dir)) != NULL)
    if (strcmp (child->d_name, ".") != 0 && strcmp (child->d_name, "..") != 0)
      g_ptr_array_add (children, g_strdup (child->d_name));
  closedir (dir);
  g_ptr_array_sort (children, compare_names);

  for (guint i = 0; i < children->len; i++)
    {
      g_autofree char *path = g_build_filename (directory, children->pdata[i], NULL);
      g_autoptr (GError) entry_error = NULL;
      JsonObject *entry = viv_envd_entry_info (path, names, &entry_error);

      /* Gone between readdir and lstat: it no longer belongs in the list. */
      if (entry == NULL)
        continue;

      if (depth > 1 && g_strcmp0 (json_object_get_string_member_with_default (entry, "type", ""),
                                  viv_file_type_names[VIV_FILE_TYPE_DIRECTORY]) == 0)
        {
          json_array_add_object_element (entries, entry);
          /* An unreadable subdirectory is listed but not entered, as envd does. */
          list_into (entries, path, depth - 1, names, NULL);
        }
      else
        json_array_add_object_element (entries, entry);
    }

  return TRUE;
}

static JsonObject *
list_dir (const char  *path,
          gint64       depth,
          GError     **error)
{
  g_autoptr (GHashTable) names = viv_envd_name_cache_new ();
  g_autoptr (JsonArray) entries = json_array_new ();
  JsonObject *response;
  struct stat st;

  if (stat (path, &st) != 0)
    {
      viv_envd_set_errno_error (error, errno, path);
      return NULL;
    }

  if (!S_ISDIR (st.st_mode))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "%s is not a directory", path);
      return NULL;
    }

  if (!list_into (entries, path, depth, names, error))
    return NULL;

  response = json_object_new ();
  json_object_set_array_member (response, "entries", g_steal_pointer (&entries));
  return response;
}

static gboolean
remove_tree (int          parent_fd,
             const char  *name,
             const char  *path,
             GError     **error)
{
  int fd;
  DIR *dir;
  struct dirent *child;
  gboolean ok = TRUE;

  if (unlinkat (parent_fd, name, 0) == 0)
    return TRUE;
  if (errno != EISDIR && errno != EPERM)
    {
      viv_envd_set_errno_error (error, errno, path);
      return FALSE;
    }

  fd = openat (parent_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || (dir = fdopendir (fd)) == NULL)
    {
      viv_envd_set_errno_error (error, errno, path);
      if (fd >= 0)
        close (fd);
      return FALSE;
    }

  while (ok && (child = readdir (dir)) != NULL)
    {
      g_autofree char *child_path = NULL;

      if (strcmp (child->d_name, ".") == 0 || strcmp (child->d_name, "..") == 0)
        continue;

      child_path = g_build_filename (path, child->d_name, NULL);
      ok = remove_tree (dirfd (dir), child->d_name, child_path, error);
    }
  closedir (dir);

  if (ok && unlinkat (parent_fd, name, AT_REMOVEDIR) != 0)
    {
      viv_envd_set_errno_error (error, errno, path);
      return FALSE;
    }

  return ok;
}

static JsonObject *
remove_path (const char  *path,
             GError     **error)
{
  g_autofree char *parent = g_path_get_dirname (path);
  g_autofree char *name = g_path_get_basename (path);
  struct stat st;
  int parent_fd;
  gboolean ok;

  if (strcmp (path, "/") == 0)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           "Refusing to remove /");
      return NULL;
    }

  if (lstat (path, &st) != 0)
    {
      viv_envd_set_errno_error (error, errno, path);
      return NULL;
    }

  parent_fd = open (parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (parent_fd < 0)
    {
      viv_envd_set_errno_error (error, errno, parent);
      return NULL;
    }

  ok = remove_tree (parent_fd, name, path, error);
  close (parent_fd);

  return ok ? json_object_new () : NULL;
}

static void
fs_job_run (GTask        *task,
            gpointer      source_object,
            gpointer      task_data,
            GCancellable *cancellable)
{
  FsJob *job = task_data;
  g_autoptr (GError) error = NULL;
  JsonObject *response = NULL;
  gboolean switched;

  switched = viv_envd_identity_enter (job->identity);

  switch (job->operation)
    {
    case FS_STAT:
      response = stat_path (job->path, &error);
      break;
    case FS_MAKE_DIR:
      response = make_dir (job->path, &error);
      break;
    case FS_MOVE:
      response = move_path (job->path, job->destination, &error);
      break;
    case FS_LIST_DIR:
      response = list_dir (job->path, job->depth, &error);
      break;
    case FS_REMOVE:
      response = remove_path (job->path, &error);
      break;
    default:
      g_assert_not_reached ();
    }

  viv_envd_identity_leave (switched);

  if (response != NULL)
    g_task_return_pointer (task, response, (GDestroyNotify) json_object_unref);
  else
    g_task_return_error (task, g_steal_pointer (&error));
}

static void
fs_job_done_cb (GObject      *source_object,
                GAsyncResult *result,
                gpointer      user_data)
{
  FsJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr (VivConnectCall) call = g_steal_pointer (&job->call);
  g_autoptr (JsonObject) response = NULL;
  g_autoptr (GError) error = NULL;

  response = g_task_propagate_pointer (G_TASK (result), &error);
  if (response != NULL)
    viv_connect_call_send (call, response);
  else
    viv_connect_call_finish (call, error);
}

static void
start_job (VivConnectCall *call,
           FsJob          *job)
{
  g_autoptr (GTask) task = g_task_new (NULL, NULL, fs_job_done_cb, NULL);

  job->call = viv_connect_call_ref (call);
  job->identity = viv_envd_identity_new (viv_connect_call_get_user (call));
  g_task_set_source_tag (task, start_job);
  g_task_set_task_data (task, job, fs_job_free);
  g_task_run_in_thread (task, fs_job_run);
}

/* The "path" of a request, resolved for the call's user. */
static char *
request_path (VivConnectCall *call,
              JsonObject     *request,
              const char     *name,
              GError        **error)
{
  const char *path = NULL;

  if (!viv_connect_get_string (request, name, &path, error))
    return NULL;

  if (path == NULL || *path == '\0')
    {
      g_set_error (error, VIV_CONNECT_ERROR, VIV_CONNECT_INVALID_ARGUMENT,
                   "Field “%s” is required", name);
      return NULL;
    }

  return viv_envd_resolve_path (viv_connect_call_get_user (call), path, error);
}

static void
simple_path_method (VivConnectCall *call,
                    JsonObject     *request,
                    FsOperation     operation)
{
  g_autoptr (GError) error = NULL;
  FsJob *job;
  char *path;

  path = request_path (call, request, "path", &error);
  if (path == NULL)
    {
      viv_connect_call_finish (call, error);
      return;
    }

  job = g_new0 (FsJob, 1);
  job->operation = operation;
  job->path = path;
  start_job (call, job);
}

static void
stat_cb (VivConnectCall *call,
         JsonObject     *request,
         gpointer        user_data)
{
  simple_path_method (call, request, FS_STAT);
}

static void
make_dir_cb (VivConnectCall *call,
             JsonObject     *request,
             gpointer        user_data)
{
  simple_path_method (call, request, FS_MAKE_DIR);
}

static void
remove_cb (VivConnectCall *call,
           JsonObject     *request,
           gpointer        user_data)
{
  simple_path_method (call, request, FS_REMOVE);
}

static void
move_cb (VivConnectCall *call,
         JsonObject     *request,
         gpointer        user_data)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *source = NULL;
  g_autofree char *destination = NULL;
  FsJob *job;

  source = request_path (call, request, "source", &error);
  if (source != NULL)
    destination = request_path (call, request, "destination", &error);
  if (destination == NULL)
    {
      viv_connect_call_finish (call, error);
      return;
    }

  job = g_new0 (FsJob, 1);
  job->operation = FS_MOVE;
  job->path = g_steal_pointer (&source);
  job->destination = g_steal_pointer (&destination);
  start_job (call, job);
}

static void
list_dir_cb (VivConnectCall *call,
             JsonObject     *request,
             gpointer        user_data)
{
  g_autoptr (GError) error = NULL;
  gint64 depth = 1;
  char *path;
  FsJob *job;

  /* An explicit 0 is refused like the SDK does; a request without the field
   * (SDKs from before depth existed) lists one level. */
  if (!viv_connect_get_int (request, "depth", 1, G_MAXUINT32, &depth, &error))
    {
      viv_connect_call_finish (call, error);
      return;
    }

  path = request_path (call, request, "path", &error);
  if (path == NULL)
    {
      viv_connect_call_finish (call, error);
      return;
    }

  job = g_new0 (FsJob, 1);
  job->operation = FS_LIST_DIR;
  job->path = path;
  job->depth = depth;
  start_job (call, job);
}

void
viv_envd_filesystem_register (VivGuest *guest)
{
  const char *service = "filesystem.Filesystem";

  viv_connect_add_method (guest, service, "Stat", VIV_CONNECT_UNARY, NULL, stat_cb, NULL);
  viv_connect_add_method (guest, service, "MakeDir", VIV_CONNECT_UNARY, NULL, make_dir_cb, NULL);
  viv_connect_add_method (guest, service, "Move", VIV_CONNECT_UNARY, NULL, move_cb, NULL);
  viv_connect_add_method (guest, service, "ListDir", VIV_CONNECT_UNARY, NULL, list_dir_cb, NULL);
  viv_connect_add_method (guest, service, "Remove", VIV_CONNECT_UNARY, NULL, remove_cb, NULL);
  viv_connect_add_service (guest, service);
}
