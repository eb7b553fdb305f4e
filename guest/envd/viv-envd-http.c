/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "viv-guest-http.h"
#include "viv-guest-modules.h"
#include "viv-envd-files-private.h"
#include "viv-envd-state.h"

/* envd's plain HTTP API (shared/spec/e2b-wire.md §2.2): /metrics, /envs and
 * /init here; /files in viv-envd-files-*.c. GET /health is the core's. */

/* CPU use is the change of /proc/stat between two samples; a sample closer
 * than this to the previous one is too short to mean anything. */
#define MIN_CPU_INTERVAL_US (100 * 1000)

typedef struct
{
  GMutex   lock;
  guint64  total;
  guint64  idle;
  gint64   time;        /* monotonic µs of the sample; 0 for none */
  GDateTime *last_init; /* the newest /init timestamp applied */
} VivEnvdHttp;

static void
envd_http_free (gpointer data)
{
  VivEnvdHttp *http = data;

  g_mutex_clear (&http->lock);
  g_clear_pointer (&http->last_init, g_date_time_unref);
  g_free (http);
}

static VivEnvdHttp *
envd_http_get (VivGuest *guest)
{
  return g_object_get_data (G_OBJECT (guest), "viv-envd-http");
}

static gboolean
read_cpu_sample (guint64  *total,
                 guint64  *idle,
                 GError  **error)
{
  g_autofree char *contents = NULL;
  guint64 values[8] = { 0 };
  char *cursor;

  if (!g_file_get_contents ("/proc/stat", &contents, NULL, error))
    return FALSE;

  if (!g_str_has_prefix (contents, "cpu "))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                           "/proc/stat does not start with the cpu line");
      return FALSE;
    }

  /* user nice system idle iowait irq softirq steal (guest time is in user). */
  cursor = contents + 4;
  *total = 0;
  for (guint i = 0; i < G_N_ELEMENTS (values); i++)
    {
      values[i] = g_ascii_strtoull (cursor, &cursor, 10);
      *total += values[i];
    }
  *idle = values[3] + values[4];

  return TRUE;
}

static GHashTable *
read_meminfo (GError **error)
{
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  GHashTable *kib = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  if (!g_file_get_contents ("/proc/meminfo", &contents, NULL, error))
    {
      g_hash_table_unref (kib);
      return NULL;
    }

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      char *colon = strchr (lines[i], ':');

      if (colon == NULL)
        continue;
      *colon = '\0';
      g_hash_table_insert (kib, g_strdup (lines[i]),
                           GSIZE_TO_POINTER ((gsize) g_ascii_strtoull (colon + 1, NULL, 10)));
    }

  return kib;
}

static guint64
meminfo_bytes (GHashTable *kib,
               const char *name)
{
  return (guint64) GPOINTER_TO_SIZE (g_hash_table_lookup (kib, name)) * 1024;
}

static void
metrics_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  VivEnvdHttp *http = task_data;
  g_autoptr (JsonObject) metrics = json_object_new ();
  g_autoptr (GHashTable) meminfo = NULL;
  g_autoptr (GError) error = NULL;
  guint64 total, idle, previous_total, previous_idle;
  guint64 mem_total, mem_free, mem_buffers, mem_cache, mem_used;
  gint64 previous_time;
  double cpu_used = 0;
  struct statvfs disk;

  g_mutex_lock (&http->lock);
  previous_total = http->total;
  previous_idle = http->idle;
  previous_time = http->time;
  g_mutex_unlock (&http->lock);

  if (previous_time == 0 || g_get_monotonic_time () - previous_time < MIN_CPU_INTERVAL_US)
    {
      if (!read_cpu_sample (&previous_total, &previous_idle, &error))
        goto fail;
      g_usleep (MIN_CPU_INTERVAL_US);
    }

  if (!read_cpu_sample (&total, &idle, &error))
    goto fail;

  g_mutex_lock (&http->lock);
  http->total = total;
  http->idle = idle;
  http->time = g_get_monotonic_time ();
  g_mutex_unlock (&http->lock);

  if (total > previous_total)
    {
      guint64 busy = (total - previous_total) - MIN (idle - previous_idle, total - previous_total);

      cpu_used = 100.0 * busy / (total - previous_total);
    }

  meminfo = read_meminfo (&error);
  if (meminfo == NULL)
    goto fail;

  /* As gopsutil, which envd uses: used = total - free - buffers - cached,
   * with reclaimable slab counted as cache. */
  mem_total = meminfo_bytes (meminfo, "MemTotal");
  mem_free = meminfo_bytes (meminfo, "MemFree");
  mem_buffers = meminfo_bytes (meminfo, "Buffers");
  mem_cache = meminfo_bytes (meminfo, "Cached") + meminfo_bytes (meminfo, "SReclaimable");
  mem_used = mem_total - MIN (mem_total, mem_free + mem_buffers + mem_cache);

  if (statvfs ("/", &disk) != 0)
    {
      g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot measure the disk: %s", g_strerror (errno));
      goto fail;
    }

  json_object_set_int_member (metrics, "ts", g_get_real_time () / G_USEC_PER_SEC);
  json_object_set_int_member (metrics, "cpu_count", sysconf (_SC_NPROCESSORS_ONLN));
  json_object_set_double_member (metrics, "cpu_used_pct", ((gint64) (cpu_used * 100 + 0.5)) / 100.0);
  json_object_set_int_member (metrics, "mem_total", mem_total);
  json_object_set_int_member (metrics, "mem_used", mem_used);
  json_object_set_int_member (metrics, "mem_cache", mem_cache);
  json_object_set_int_member (metrics, "mem_total_mib", mem_total / (1024 * 1024));
  json_object_set_int_member (metrics, "mem_used_mib", mem_used / (1024 * 1024));
  json_object_set_int_member (metrics, "disk_used",
                              (gint64) (disk.f_blocks - disk.f_bfree) * disk.f_frsize);
  json_object_set_int_member (metrics, "disk_total", (gint64) disk.f_blocks * disk.f_frsize);

  g_task_return_pointer (task, g_steal_pointer (&metrics), (GDestroyNotify) json_object_unref);
  return;

fail:
  g_task_return_error (task, g_steal_pointer (&error));
}

static void
metrics_done_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (SoupServerMessage) msg = user_data;
  g_autoptr (JsonObject) metrics = NULL;
  g_autoptr (GError) error = NULL;

  metrics = g_task_propagate_pointer (G_TASK (result), &error);
  if (metrics == NULL)
    viv_http_reply_gerror (msg, error);
  else
    viv_http_reply_object (msg, SOUP_STATUS_OK, metrics);
  soup_server_message_unpause (msg);
}

static void
metrics_cb (VivGuest          *guest,
            SoupServerMessage *msg,
            const char        *tail,
            GHashTable        *query,
            gpointer           user_data)
{
  g_autoptr (GTask) task = g_task_new (NULL, NULL, metrics_done_cb, g_object_ref (msg));

  g_task_set_source_tag (task, metrics_cb);
  g_task_set_task_data (task, envd_http_get (guest), NULL);
  soup_server_message_pause (msg);
  g_task_run_in_thread (task, metrics_thread);
}

static void
envs_cb (VivGuest          *guest,
         SoupServerMessage *msg,
         const char        *tail,
         GHashTable        *query,
         gpointer           user_data)
{
  VivEnvdState *state = viv_envd_state_get (guest);
  g_autoptr (JsonObject) object = json_object_new ();
  GHashTableIter iter;
  gpointer name, value;

  g_hash_table_iter_init (&iter, state->env_vars);
  while (g_hash_table_iter_next (&iter, &name, &value))
    json_object_set_string_member (object, name, value);

  viv_http_reply_object (msg, SOUP_STATUS_OK, object);
}

static gboolean
read_env_vars (JsonObject  *request,
               GHashTable **out,
               GError     **error)
{
  JsonNode *node = json_object_get_member (request, "envVars");
  g_autoptr (GHashTable) env_vars = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  *out = NULL;
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return TRUE;

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error_literal (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                           "Member “envVars” must be an object of strings");
      return FALSE;
    }

  env_vars = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  json_object_iter_init (&iter, json_node_get_object (node));
  while (json_object_iter_next (&iter, &name, &value))
    {
      if (!JSON_NODE_HOLDS_VALUE (value) || json_node_get_value_type (value) != G_TYPE_STRING)
        {
          g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                       "Environment variable “%s” must be a string", name);
          return FALSE;
        }
      if (*name == '\0' || strchr (name, '=') != NULL)
        {
          g_set_error (error, VIV_HTTP_ERROR, SOUP_STATUS_BAD_REQUEST,
                       "“%s” is not a valid environment variable name", name);
          return FALSE;
        }
      g_hash_table_replace (env_vars, g_strdup (name), g_strdup (json_node_get_string (value)));
    }

  *out = g_steal_pointer (&env_vars);
  return TRUE;
}

static void
init_cb (VivGuest          *guest,
         SoupServerMessage *msg,
         const char        *tail,
         GHashTable        *query,
         gpointer           user_data)
{
  VivEnvdState *state = viv_envd_state_get (guest);
  VivEnvdHttp *http = envd_http_get (guest);
  g_autoptr (JsonObject) request = NULL;
  g_autoptr (GHashTable) env_vars = NULL;
  g_autoptr (GDateTime) timestamp = NULL;
  g_autoptr (GError) error = NULL;
  const char *access_token = NULL;
  const char *default_user = NULL;
  const char *default_workdir = NULL;
  const char *timestamp_text = NULL;
  GHashTableIter iter;
  gpointer name, value;

  /* The core checked X-Access-Token: once a token is set, only its holder
   * may replace it. Members this guest has no use for (volumeMounts,
   * hyperloopIP, lifecycleID, caBundle, ...) are ignored, as in envd. */
  request = viv_http_read_json_object (msg, &error);
  if (request == NULL ||
      !read_env_vars (request, &env_vars, &error) ||
      !viv_json_get_string (request, "accessToken", FALSE, &access_token, &error) ||
      !viv_json_get_string (request, "defaultUser", FALSE, &default_user, &error) ||
      !viv_json_get_string (request, "defaultWorkdir", FALSE, &default_workdir, &error) ||
      !viv_json_get_string (request, "timestamp", FALSE, &timestamp_text, &error))
    {
      viv_http_reply_gerror (msg, error);
      return;
    }

  if (timestamp_text != NULL)
    {
      timestamp = g_date_time_new_from_iso8601 (timestamp_text, NULL);
      if (timestamp == NULL)
        {
          viv_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                                "“timestamp” is not an RFC 3339 time");
          return;
        }
      /* envd ignores an /init older than the one it applied: a retried
       * request must not undo a newer one. */
      if (http->last_init != NULL && g_date_time_compare (timestamp, http->last_init) < 0)
        {
          viv_http_reply_empty (msg, SOUP_STATUS_NO_CONTENT);
          return;
        }
    }

  if (default_user != NULL && *default_user != '\0')
    {
      g_autoptr (VivEnvdUser) user = viv_envd_user_lookup (guest, default_user, &error);

      if (user == NULL)
        {
          viv_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "%s", error->message);
          return;
        }
    }

  if (default_workdir != NULL && *default_workdir != '\0' && !g_path_is_absolute (default_workdir))
    {
      viv_http_reply_error (msg, SOUP_STATUS_BAD_REQUEST,
                            "“defaultWorkdir” must be an absolute path");
      return;
    }

  if (env_vars != NULL)
    {
      g_hash_table_iter_init (&iter, env_vars);
      while (g_hash_table_iter_next (&iter, &name, &value))
        g_hash_table_replace (state->env_vars, g_strdup (name), g_strdup (value));
    }

  if (default_user != NULL && *default_user != '\0')
    {
      g_free (state->default_user);
      state->default_user = g_strdup (default_user);
    }

  if (default_workdir != NULL && *default_workdir != '\0')
    {
      g_free (state->default_workdir);
      state->default_workdir = g_canonicalize_filename (default_workdir, "/");
    }

  if (access_token != NULL)
    viv_guest_set_access_token (guest, access_token);

  if (timestamp != NULL)
    {
      g_clear_pointer (&http->last_init, g_date_time_unref);
      http->last_init = g_steal_pointer (&timestamp);
    }

  viv_http_reply_empty (msg, SOUP_STATUS_NO_CONTENT);
}

void
viv_envd_http_register (VivGuest *guest)
{
  VivEnvdHttp *http = g_new0 (VivEnvdHttp, 1);

  g_mutex_init (&http->lock);
  g_object_set_data_full (G_OBJECT (guest), "viv-envd-http", http, envd_http_free);

  viv_guest_add_route (guest, "GET", "/metrics", 0, metrics_cb, NULL);
  viv_guest_add_route (guest, "GET", "/envs", 0, envs_cb, NULL);
  viv_guest_add_route (guest, "POST", "/init", 0, init_cb, NULL);
  _viv_envd_files_download_register (guest);
  _viv_envd_files_upload_register (guest);
}
