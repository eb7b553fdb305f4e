/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/statfs.h>

#include <glib-unix.h>

#include "viv-envd-filesystem.h"

/* Directory watches for WatchDir and the polling watcher API, on inotify
 * directly: GFileMonitor merges and delays changes, while envd reports
 * fsnotify's events one by one (CREATE, WRITE, REMOVE, RENAME, CHMOD). */

#define WATCH_MASK (IN_CREATE | IN_MOVED_TO | IN_MODIFY | IN_DELETE | IN_MOVED_FROM | \
                    IN_ATTRIB | IN_ONLYDIR)
/* A polling watcher nobody reads keeps at most this many events. */
#define MAX_PENDING_EVENTS 10000

typedef enum
{
  EVENT_TYPE_UNSPECIFIED,
  EVENT_TYPE_CREATE,
  EVENT_TYPE_WRITE,
  EVENT_TYPE_REMOVE,
  EVENT_TYPE_RENAME,
  EVENT_TYPE_CHMOD,
} EventType;

static const char * const event_type_names[] = {
  "EVENT_TYPE_UNSPECIFIED",
  "EVENT_TYPE_CREATE",
  "EVENT_TYPE_WRITE",
  "EVENT_TYPE_REMOVE",
  "EVENT_TYPE_RENAME",
  "EVENT_TYPE_CHMOD",
};

typedef struct _Watcher Watcher;
typedef void (*WatcherEventFunc) (Watcher    *watcher,
                                  JsonObject *event,
                                  gpointer    user_data);

struct _Watcher
{
  int               fd;
  guint             fd_source;
  char             *root;
  gboolean          recursive;
  gboolean          include_entry;
  gboolean          allow_network_mounts;
  GHashTable       *directories;  /* watch descriptor -> path relative to root ("" for it) */
  GHashTable       *names;        /* uid/gid names for entries */
  VivEnvdIdentity  *identity;

  WatcherEventFunc  event_func;
  gpointer          event_data;

  /* Polling watchers (CreateWatcher) */
  char             *id;
  GPtrArray        *pending;      /* of JsonObject */
};

static void
watcher_free (Watcher *watcher)
{
  if (watcher == NULL)
    return;

  g_clear_handle_id (&watcher->fd_source, g_source_remove);
  if (watcher->fd >= 0)
    close (watcher->fd);
  g_clear_pointer (&watcher->directories, g_hash_table_unref);
  g_clear_pointer (&watcher->names, g_hash_table_unref);
  g_clear_pointer (&watcher->identity, viv_envd_identity_free);
  g_clear_pointer (&watcher->pending, g_ptr_array_unref);
  g_free (watcher->root);
  g_free (watcher->id);
  g_free (watcher);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Watcher, watcher_free)

static gboolean
is_network_file_system (const char *path)
{
  /* Magic numbers from statfs(2). */
  static const unsigned long network[] = {
    0x6969,       /* NFS */
    0x517b,       /* SMB */
    0xff534d42,   /* CIFS */
    0xfe534d42,   /* SMB2 */
    0x00c36400,   /* Ceph */
    0x5346414f,   /* AFS */
    0x73757245,   /* Coda */
    0x564c,       /* NCP */
    0x01021997,   /* 9P */
  };
  struct statfs fs;

  if (statfs (path, &fs) != 0)
    return FALSE;

  for (guint i = 0; i < G_N_ELEMENTS (network); i++)
    if ((unsigned long) fs.f_type == network[i])
      return TRUE;

  return FALSE;
}

static void emit_event (Watcher    *watcher,
                        EventType   type,
                        const char *relative,
                        gboolean    stat_entry);

/* Watches @relative (below the root) and, when recursive, every directory
 * under it. @report_existing reports what a directory created after the watch
 * started already holds, since its contents may have arrived before its own
 * watch did (mkdir -p). Runs with the user's file system identity. */
static void
add_directory (Watcher    *watcher,
               const char *relative,
               gboolean    report_existing)
{
  g_autofree char *path = g_build_filename (watcher->root, relative, NULL);
  g_autoptr (GPtrArray) subdirectories = g_ptr_array_new_with_free_func (g_free);
  struct dirent *child;
  DIR *dir;
  int wd;

  wd = inotify_add_watch (watcher->fd, path, WATCH_MASK);
  if (wd < 0)
    return;
  g_hash_table_replace (watcher->directories, GINT_TO_POINTER (wd), g_strdup (relative));

  if (!watcher->recursive)
    return;

  dir = opendir (path);
  if (dir == NULL)
    return;

  while ((child = readdir (dir)) != NULL)
    {
      g_autofree char *child_relative = NULL;

      if (strcmp (child->d_name, ".") == 0 || strcmp (child->d_name, "..") == 0)
        continue;

      child_relative = *relative ? g_build_filename (relative, child->d_name, NULL)
                                 : g_strdup (child->d_name);
      if (report_existing)
        emit_event (watcher, EVENT_TYPE_CREATE, child_relative, watcher->include_entry);
      if (child->d_type == DT_DIR)
        g_ptr_array_add (subdirectories, g_steal_pointer (&child_relative));
    }
  closedir (dir);

  for (guint i = 0; i < subdirectories->len; i++)
    add_directory (watcher, subdirectories->pdata[i], report_existing);
}

static void
emit_event (Watcher    *watcher,
            EventType   type,
            const char *relative,
            gboolean    stat_entry)
{
  g_autoptr (JsonObject) event = json_object_new ();

  json_object_set_string_member (event, "name", relative);
  json_object_set_string_member (event, "type", event_type_names[type]);

  if (stat_entry)
    {
      g_autofree char *path = g_build_filename (watcher->root, relative, NULL);
      JsonObject *entry = viv_envd_entry_info (path, watcher->names, NULL);

      if (entry != NULL)
        json_object_set_object_member (event, "entry", entry);
    }

  watcher->event_func (watcher, event, watcher->event_data);
}

static gboolean
inotify_readable_cb (int          fd,
                     GIOCondition condition,
                     gpointer     user_data)
{
  Watcher *watcher = user_data;
  char buffer[64 * 1024] __attribute__ ((aligned (__alignof__ (struct inotify_event))));
  gboolean switched;
  ssize_t length;

  length = read (fd, buffer, sizeof buffer);
  if (length < 0)
    return (errno == EAGAIN || errno == EINTR) ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;

  /* New watches and entries are looked at as the user. */
  switched = viv_envd_identity_enter (watcher->identity);

  for (char *p = buffer; p < buffer + length;)
    {
      const struct inotify_event *event = (const struct inotify_event *) p;
      const char *directory = g_hash_table_lookup (watcher->directories,
                                                   GINT_TO_POINTER (event->wd));
      g_autofree char *relative = NULL;
      EventType type = EVENT_TYPE_UNSPECIFIED;

      p += sizeof (struct inotify_event) + event->len;

      if (event->mask & IN_IGNORED)
        {
          g_hash_table_remove (watcher->directories, GINT_TO_POINTER (event->wd));
          continue;
        }

      if (directory == NULL || event->len == 0 || event->name[0] == '\0')
        continue;

      relative = *directory ? g_build_filename (directory, event->name, NULL)
                            : g_strdup (event->name);

      /* fsnotify's mapping: a move into the directory is a creation. */
      if (event->mask & (IN_CREATE | IN_MOVED_TO))
        type = EVENT_TYPE_CREATE;
      else if (event->mask & IN_MODIFY)
        type = EVENT_TYPE_WRITE;
      else if (event->mask & IN_DELETE)
        type = EVENT_TYPE_REMOVE;
      else if (event->mask & IN_MOVED_FROM)
        type = EVENT_TYPE_RENAME;
      else if (event->mask & IN_ATTRIB)
        type = EVENT_TYPE_CHMOD;
      else
        continue;

      emit_event (watcher, type, relative,
                  watcher->include_entry && type != EVENT_TYPE_REMOVE &&
                  type != EVENT_TYPE_RENAME);

      if (type == EVENT_TYPE_CREATE && (event->mask & IN_ISDIR) && watcher->recursive)
        add_directory (watcher, relative, TRUE);
    }

  viv_envd_identity_leave (switched);
  return G_SOURCE_CONTINUE;
}

/* On a worker thread, as the user: checks the directory and sets up the
 * watches, which for a recursive watch of a big tree takes a while. */
static void
watcher_setup_run (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  Watcher *watcher = task_data;
  g_autoptr (GError) error = NULL;
  gboolean switched;
  struct stat st;

  switched = viv_envd_identity_enter (watcher->identity);

  if (stat (watcher->root, &st) != 0)
    viv_envd_set_errno_error (&error, errno, watcher->root);
  else if (!S_ISDIR (st.st_mode))
    g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                 "%s is not a directory", watcher->root);
  else if (!watcher->allow_network_mounts && is_network_file_system (watcher->root))
    g_set_error (&error, VIV_CONNECT_ERROR, VIV_CONNECT_FAILED_PRECONDITION,
                 "%s is on a network file system; set allowNetworkMounts to watch it",
                 watcher->root);
  else if ((watcher->fd = inotify_init1 (IN_NONBLOCK | IN_CLOEXEC)) < 0)
    viv_envd_set_errno_error (&error, errno, "inotify");
  else
    {
      add_directory (watcher, "", FALSE);
      if (g_hash_table_size (watcher->directories) == 0)
        viv_envd_set_errno_error (&error, errno, watcher->root);
    }

  viv_envd_identity_leave (switched);

  if (error != NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

/* Parses a WatchDir or CreateWatcher request into a watcher not yet started. */
static Watcher *
watcher_new (VivConnectCall  *call,
             JsonObject      *request,
             GError         **error)
{
  g_autoptr (Watcher) watcher = g_new0 (Watcher, 1);
  const char *path = NULL;

  watcher->fd = -1;
  watcher->directories = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  watcher->names = viv_envd_name_cache_new ();
  watcher->identity = viv_envd_identity_new (viv_connect_call_get_user (call));

  if (!viv_connect_get_string (request, "path", &path, error) ||
      !viv_connect_get_bool (request, "recursive", &watcher->recursive, error) ||
      !viv_connect_get_bool (request, "includeEntry", &watcher->include_entry, error) ||
      !viv_connect_get_bool (request, "allowNetworkMounts", &watcher->allow_network_mounts,
                             error))
    return NULL;

  if (path == NULL || *path == '\0')
    {
      g_set_error_literal (error, VIV_CONNECT_ERROR, VIV_CONNECT_INVALID_ARGUMENT,
                           "Field “path” is required");
      return NULL;
    }

  watcher->root = viv_envd_resolve_path (viv_connect_call_get_user (call), path, error);
  if (watcher->root == NULL)
    return NULL;

  return g_steal_pointer (&watcher);
}

static void
watcher_start (Watcher *watcher)
{
  watcher->fd_source = g_unix_fd_add (watcher->fd, G_IO_IN, inotify_readable_cb, watcher);
}

/* WatchDir: a server stream of events. */

typedef struct
{
  VivConnectCall *call;
  Watcher        *watcher;
} WatchStream;

static void
watch_stream_event_cb (Watcher    *watcher,
                       JsonObject *event,
                       gpointer    user_data)
{
  WatchStream *stream = user_data;
  g_autoptr (JsonObject) message = json_object_new ();

  json_object_set_object_member (message, "filesystem", json_object_ref (event));
  viv_connect_call_send (stream->call, message);
}

static void
watch_stream_closed_cb (VivConnectCall *call,
                        gpointer        user_data)
{
  WatchStream *stream = user_data;

  /* The client is gone or the deadline passed: the watch ends with the stream. */
  g_clear_pointer (&stream->watcher, watcher_free);
  g_clear_pointer (&stream->call, viv_connect_call_unref);
  g_free (stream);
}

static void
watch_dir_ready_cb (GObject      *source_object,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr (VivConnectCall) call = user_data;
  Watcher *watcher = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) start = json_object_new ();
  WatchStream *stream;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      watcher_free (watcher);
      viv_connect_call_finish (call, error);
      return;
    }

  if (viv_connect_call_is_finished (call))
    {
      watcher_free (watcher);
      return;
    }

  /* The stream owns the watcher from now on. */
  stream = g_new0 (WatchStream, 1);
  stream->call = viv_connect_call_ref (call);
  stream->watcher = watcher;
  stream->watcher->event_func = watch_stream_event_cb;
  stream->watcher->event_data = stream;
  viv_connect_call_set_closed_func (call, watch_stream_closed_cb, stream);

  json_object_set_object_member (start, "start", json_object_new ());
  viv_connect_call_send (call, start);
  watcher_start (stream->watcher);
}

static void
watch_dir_cb (VivConnectCall *call,
              JsonObject     *request,
              gpointer        user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;
  Watcher *watcher;

  watcher = watcher_new (call, request, &error);
  if (watcher == NULL)
    {
      viv_connect_call_finish (call, error);
      return;
    }

  task = g_task_new (NULL, NULL, watch_dir_ready_cb, viv_connect_call_ref (call));
  g_task_set_source_tag (task, watch_dir_cb);
  /* No destroy function: the callback, which always runs, takes the watcher. */
  g_task_set_task_data (task, watcher, NULL);
  g_task_run_in_thread (task, watcher_setup_run);
}

/* CreateWatcher, GetWatcherEvents, RemoveWatcher: events held until polled. */

static GHashTable *
get_watchers (VivGuest *guest)
{
  GHashTable *watchers = g_object_get_data (G_OBJECT (guest), "viv-envd-watchers");

  if (watchers == NULL)
    {
      watchers = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                        (GDestroyNotify) watcher_free);
      g_object_set_data_full (G_OBJECT (guest), "viv-envd-watchers", watchers,
                              (GDestroyNotify) g_hash_table_unref);
    }

  return watchers;
}

static void
polling_event_cb (Watcher    *watcher,
                  JsonObject *event,
                  gpointer    user_data)
{
  if (watcher->pending->len >= MAX_PENDING_EVENTS)
    g_ptr_array_remove_index (watcher->pending, 0);
  g_ptr_array_add (watcher->pending, json_object_ref (event));
}

static void
create_watcher_ready_cb (GObject      *source_object,
                         GAsyncResult *result,
                         gpointer      user_data)
{
  g_autoptr (VivConnectCall) call = user_data;
  Watcher *watcher = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonObject) response = json_object_new ();

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      watcher_free (watcher);
      viv_connect_call_finish (call, error);
      return;
    }

  watcher->id = g_uuid_string_random ();
  watcher->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  watcher->event_func = polling_event_cb;
  g_hash_table_replace (get_watchers (viv_connect_call_get_guest (call)), watcher->id, watcher);
  watcher_start (watcher);

  json_object_set_string_member (response, "watcherId", watcher->id);
  viv_connect_call_send (call, response);
}

static void
create_watcher_cb (VivConnectCall *call,
                   JsonObject     *request,
                   gpointer        user_data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GTask) task = NULL;
  Watcher *watcher;

  watcher = watcher_new (call, request, &error);
  if (watcher == NULL)
    {
      viv_connect_call_finish (call, error);
      return;
    }

  task = g_task_new (NULL, NULL, create_watcher_ready_cb, viv_connect_call_ref (call));
  g_task_set_source_tag (task, create_watcher_cb);
  /* No destroy function: the callback, which always runs, takes the watcher. */
  g_task_set_task_data (task, watcher, NULL);
  g_task_run_in_thread (task, watcher_setup_run);
}

static Watcher *
lookup_watcher (VivConnectCall *call,
                JsonObject     *request)
{
  g_autoptr (GError) error = NULL;
  const char *id = NULL;
  Watcher *watcher = NULL;

  if (!viv_connect_get_string (request, "watcherId", &id, &error))
    {
      viv_connect_call_finish (call, error);
      return NULL;
    }

  if (id != NULL)
    watcher = g_hash_table_lookup (get_watchers (viv_connect_call_get_guest (call)), id);

  if (watcher == NULL)
    viv_connect_call_return_error (call, VIV_CONNECT_NOT_FOUND, "No watcher with id “%s”",
                                   id ? id : "");
  return watcher;
}

static void
get_watcher_events_cb (VivConnectCall *call,
                       JsonObject     *request,
                       gpointer        user_data)
{
  g_autoptr (JsonObject) response = json_object_new ();
  JsonArray *events;
  Watcher *watcher;

  watcher = lookup_watcher (call, request);
  if (watcher == NULL)
    return;

  events = json_array_sized_new (watcher->pending->len);
  for (guint i = 0; i < watcher->pending->len; i++)
    json_array_add_object_element (events, json_object_ref (watcher->pending->pdata[i]));
  g_ptr_array_set_size (watcher->pending, 0);

  json_object_set_array_member (response, "events", events);
  viv_connect_call_send (call, response);
}

static void
remove_watcher_cb (VivConnectCall *call,
                   JsonObject     *request,
                   gpointer        user_data)
{
  g_autoptr (JsonObject) response = json_object_new ();
  Watcher *watcher;

  watcher = lookup_watcher (call, request);
  if (watcher == NULL)
    return;

  g_hash_table_remove (get_watchers (viv_connect_call_get_guest (call)), watcher->id);
  viv_connect_call_send (call, response);
}

void
viv_envd_watch_register (VivGuest *guest)
{
  const char *service = "filesystem.Filesystem";

  viv_connect_add_method (guest, service, "WatchDir", VIV_CONNECT_SERVER_STREAM,
                          "{\"keepalive\":{}}", watch_dir_cb, NULL);
  viv_connect_add_method (guest, service, "CreateWatcher", VIV_CONNECT_UNARY, NULL,
                          create_watcher_cb, NULL);
  viv_connect_add_method (guest, service, "GetWatcherEvents", VIV_CONNECT_UNARY, NULL,
                          get_watcher_events_cb, NULL);
  viv_connect_add_method (guest, service, "RemoveWatcher", VIV_CONNECT_UNARY, NULL,
                          remove_watcher_cb, NULL);
}
