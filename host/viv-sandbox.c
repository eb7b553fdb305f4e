/* SPDX-License-Identifier: GPL-3.0-or-later */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <ftw.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include <gio/gunixsocketaddress.h>
#include <libsoup/soup.h>

#include "viv-cgroup.h"
#include "viv-sandbox.h"

G_DEFINE_FINAL_TYPE (VivSandbox, viv_sandbox, G_TYPE_OBJECT)

/* The guest has no endpoint that reports its envd version, so the host takes
 * it from the guest's source at build time (guest/envd/viv-envd-version.h);
 * without that header, only the minimum the SDKs accept. */
#ifdef HAVE_VIV_ENVD_VERSION_H
# include "viv-envd-version.h"
# define VIV_HOST_ENVD_VERSION VIV_ENVD_VERSION
#else
# define VIV_HOST_ENVD_VERSION "0.1.0"
#endif

static void
random_bytes (guint8 *buffer,
              gsize   length)
{
  gsize filled = 0;

  while (filled < length)
    {
      ssize_t n = getrandom (buffer + filled, length - filled, 0);

      if (n < 0 && errno == EINTR)
        continue;
      g_assert (n > 0);
      filled += (gsize) n;
    }
}

char *
viv_sandbox_generate_id (void)
{
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  guint8 bytes[20];
  char *id = g_malloc (21);

  random_bytes (bytes, sizeof bytes);
  for (guint i = 0; i < 20; i++)
    id[i] = alphabet[bytes[i] % 36];
  id[20] = '\0';
  return id;
}

static char *
generate_token (void)
{
  guint8 bytes[24];
  GString *token = g_string_new (NULL);

  random_bytes (bytes, sizeof bytes);
  for (guint i = 0; i < sizeof bytes; i++)
    g_string_append_printf (token, "%02x", bytes[i]);
  return g_string_free (token, FALSE);
}

char *
viv_format_time (gint64 realtime_us)
{
  g_autoptr (GDateTime) time = g_date_time_new_from_unix_utc (realtime_us / G_USEC_PER_SEC);
  g_autoptr (GDateTime) precise = g_date_time_add (time, realtime_us % G_USEC_PER_SEC);

  return g_date_time_format (precise, "%Y-%m-%dT%H:%M:%S.%fZ");
}

const char *
viv_sandbox_state_to_string (VivSandboxState state)
{
  return state == VIV_SANDBOX_PAUSED ? "paused" : "running";
}

static void
viv_sandbox_finalize (GObject *object)
{
  VivSandbox *self = VIV_SANDBOX (object);

  g_clear_object (&self->process);
  g_free (self->id);
  g_free (self->template_id);
  g_free (self->alias);
  g_free (self->access_token);
  g_free (self->envd_version);
  g_free (self->dir);
  g_free (self->socket_path);
  g_clear_pointer (&self->metadata, json_object_unref);
  g_clear_pointer (&self->env_vars, json_object_unref);
  g_strfreev (self->cgroups);

  G_OBJECT_CLASS (viv_sandbox_parent_class)->finalize (object);
}

static void
viv_sandbox_class_init (VivSandboxClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = viv_sandbox_finalize;
}

static void
viv_sandbox_init (VivSandbox *self)
{
  self->metadata = json_object_new ();
  self->env_vars = json_object_new ();
  self->envd_version = g_strdup (VIV_HOST_ENVD_VERSION);
}

VivSandbox *
viv_sandbox_new (const char  *sandboxes_dir,
                 VivTemplate *template)
{
  VivSandbox *self = g_object_new (VIV_TYPE_SANDBOX, NULL);

  self->id = viv_sandbox_generate_id ();
  self->template_id = g_strdup (template->name);
  self->access_token = generate_token ();
  self->dir = g_build_filename (sandboxes_dir, self->id, NULL);
  self->socket_path = g_build_filename (self->dir, "run", "guest.sock", NULL);
  self->cpu_count = template->cpu_count;
  self->memory_mb = template->memory_mb;
  self->disk_mb = template->disk_mb;
  self->started_at = g_get_real_time ();
  self->state = VIV_SANDBOX_RUNNING;

  return self;
}

gboolean
viv_sandbox_save (VivSandbox  *self,
                  GError     **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *path = g_build_filename (self->dir, "sandbox.json", NULL);
  g_autofree char *text = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "sandboxID");
  json_builder_add_string_value (builder, self->id);
  json_builder_set_member_name (builder, "templateID");
  json_builder_add_string_value (builder, self->template_id);
  if (self->alias != NULL)
    {
      json_builder_set_member_name (builder, "alias");
      json_builder_add_string_value (builder, self->alias);
    }
  json_builder_set_member_name (builder, "accessToken");
  json_builder_add_string_value (builder, self->access_token);
  json_builder_set_member_name (builder, "envdVersion");
  json_builder_add_string_value (builder, self->envd_version);
  json_builder_set_member_name (builder, "startedAt");
  json_builder_add_int_value (builder, self->started_at);
  json_builder_set_member_name (builder, "endAt");
  json_builder_add_int_value (builder, self->end_at);
  json_builder_set_member_name (builder, "autoPause");
  json_builder_add_boolean_value (builder, self->auto_pause);
  json_builder_set_member_name (builder, "autoResume");
  json_builder_add_boolean_value (builder, self->auto_resume);
  json_builder_set_member_name (builder, "cpuCount");
  json_builder_add_int_value (builder, self->cpu_count);
  json_builder_set_member_name (builder, "memoryMB");
  json_builder_add_int_value (builder, self->memory_mb);
  json_builder_set_member_name (builder, "diskSizeMB");
  json_builder_add_int_value (builder, self->disk_mb);
  json_builder_set_member_name (builder, "state");
  json_builder_add_string_value (builder, viv_sandbox_state_to_string (self->state));
  json_builder_set_member_name (builder, "freezer");
  json_builder_add_string_value (builder, viv_freezer_to_string (self->freezer));
  json_builder_set_member_name (builder, "pid");
  json_builder_add_int_value (builder, self->pid);
  json_builder_set_member_name (builder, "pidStartTime");
  json_builder_add_int_value (builder, (gint64) self->pid_start_time);
  json_builder_set_member_name (builder, "cgroups");
  json_builder_begin_array (builder);
  for (guint i = 0; self->cgroups != NULL && self->cgroups[i] != NULL; i++)
    json_builder_add_string_value (builder, self->cgroups[i]);
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  json_object_set_object_member (json_node_get_object (root), "metadata",
                                 json_object_ref (self->metadata));
  json_object_set_object_member (json_node_get_object (root), "envVars",
                                 json_object_ref (self->env_vars));
  text = json_to_string (root, TRUE);

  /* It holds the access token: owner only. */
  return g_file_set_contents_full (path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static gboolean
string_map_is_valid (JsonObject *object)
{
  g_autoptr (GList) members = json_object_get_members (object);

  for (GList *l = members; l != NULL; l = l->next)
    {
      JsonNode *node = json_object_get_member (object, l->data);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        return FALSE;
    }

  return TRUE;
}

VivSandbox *
viv_sandbox_load (const char  *dir,
                  GError     **error)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (VivSandbox) self = NULL;
  g_autofree char *path = g_build_filename (dir, "sandbox.json", NULL);
  JsonObject *object;
  JsonArray *cgroups;

  if (!json_parser_load_from_file (parser, path, error))
    return NULL;

  if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    goto invalid;
  object = json_node_get_object (json_parser_get_root (parser));

  if (!json_object_has_member (object, "sandboxID") ||
      !json_object_has_member (object, "templateID") ||
      !json_object_has_member (object, "accessToken") ||
      !json_object_has_member (object, "pid"))
    goto invalid;

  self = g_object_new (VIV_TYPE_SANDBOX, NULL);
  self->id = g_strdup (json_object_get_string_member (object, "sandboxID"));
  self->template_id = g_strdup (json_object_get_string_member (object, "templateID"));
  self->alias = g_strdup (json_object_get_string_member_with_default (object, "alias", NULL));
  self->access_token = g_strdup (json_object_get_string_member (object, "accessToken"));
  g_free (self->envd_version);
  self->envd_version = g_strdup (json_object_get_string_member_with_default (object,
                                   "envdVersion", VIV_HOST_ENVD_VERSION));
  self->dir = g_strdup (dir);
  self->socket_path = g_build_filename (dir, "run", "guest.sock", NULL);
  self->started_at = json_object_get_int_member_with_default (object, "startedAt", 0);
  self->end_at = json_object_get_int_member_with_default (object, "endAt", 0);
  self->auto_pause = json_object_get_boolean_member_with_default (object, "autoPause", FALSE);
  self->auto_resume = json_object_get_boolean_member_with_default (object, "autoResume", FALSE);
  self->cpu_count = json_object_get_int_member_with_default (object, "cpuCount", 2);
  self->memory_mb = json_object_get_int_member_with_default (object, "memoryMB", 512);
  self->disk_mb = json_object_get_int_member_with_default (object, "diskSizeMB", 2048);
  self->state = g_strcmp0 (json_object_get_string_member_with_default (object, "state", ""),
                           "paused") == 0 ? VIV_SANDBOX_PAUSED : VIV_SANDBOX_RUNNING;

  self->pid = json_object_get_int_member (object, "pid");
  self->pid_start_time = json_object_get_int_member_with_default (object, "pidStartTime", 0);

  if (self->id == NULL || self->template_id == NULL || self->access_token == NULL)
    goto invalid;

  if (json_object_has_member (object, "metadata") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "metadata")))
    {
      JsonObject *metadata = json_object_get_object_member (object, "metadata");

      if (string_map_is_valid (metadata))
        {
          json_object_unref (self->metadata);
          self->metadata = json_object_ref (metadata);
        }
    }
  if (json_object_has_member (object, "envVars") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "envVars")))
    {
      JsonObject *env = json_object_get_object_member (object, "envVars");

      if (string_map_is_valid (env))
        {
          json_object_unref (self->env_vars);
          self->env_vars = json_object_ref (env);
        }
    }

  cgroups = json_object_has_member (object, "cgroups") ?
            json_object_get_array_member (object, "cgroups") : NULL;
  {
    g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

    for (guint i = 0; cgroups != NULL && i < json_array_get_length (cgroups); i++)
      {
        const char *cgroup = json_array_get_string_element (cgroups, i);

        if (cgroup != NULL && g_str_has_prefix (cgroup, "/sys/fs/cgroup/"))
          g_strv_builder_add (builder, cgroup);
      }
    self->cgroups = g_strv_builder_end (builder);
  }

  /* The freezer it was paused with, whatever this host would pick now; records
   * from before the choice existed used the v1 freezer when they had one. */
  if (!viv_freezer_from_string (json_object_get_string_member_with_default (object, "freezer",
                                                                             NULL),
                                &self->freezer))
    self->freezer = viv_cgroup_find_freezer ((const char * const *) self->cgroups,
                                             VIV_FREEZER_V1) != NULL ? VIV_FREEZER_V1
                                                                     : VIV_FREEZER_SIGSTOP;

  return g_steal_pointer (&self);

invalid:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s is not a sandbox record", path);
  return NULL;
}

/* Waiting for the guest: GET /health on its socket every few milliseconds,
 * asynchronously, until it answers 204, the jail dies or time runs out. */
typedef struct
{
  SoupSession *session;
  gint64       deadline;
} ReadyData;

static void
ready_data_free (ReadyData *data)
{
  g_clear_object (&data->session);
  g_free (data);
}

static void ready_attempt (GTask *task);

static gboolean
ready_retry_cb (gpointer user_data)
{
  ready_attempt (user_data);
  return G_SOURCE_REMOVE;
}

static char *
log_tail (VivSandbox *self)
{
  g_autofree char *path = g_build_filename (self->dir, "guest.log", NULL);
  g_autofree char *contents = NULL;
  gsize length = 0;

  if (!g_file_get_contents (path, &contents, &length, NULL) || length == 0)
    return g_strdup ("(no output)");

  return g_strdup (g_strstrip (contents + (length > 400 ? length - 400 : 0)));
}

static void
init_sent_cb (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  g_autoptr (GBytes) body = NULL;
  GError *error = NULL;
  SoupMessage *msg;

  if (!(body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error)))
    {
      g_task_return_error (task, error);
      return;
    }

  msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_message_get_status (msg)))
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               "The sandbox's guest refused its environment variables (/init: %u)",
                               soup_message_get_status (msg));
      return;
    }

  g_task_return_boolean (task, TRUE);
}

/* The create request's envVars are already the jail's environment; envd
 * also learns them through /init, as E2B's orchestrator hands them over, so
 * GET /envs reports them (spec §2.2). */
static void
send_init (GTask *task)
{
  VivSandbox *self = g_task_get_source_object (task);
  ReadyData *data = g_task_get_task_data (task);
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", "http://localhost/init");
  g_autoptr (JsonObject) request = json_object_new ();
  g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  g_autoptr (GBytes) body = NULL;
  char *text;

  json_object_set_object_member (request, "envVars", json_object_ref (self->env_vars));
  json_node_set_object (node, request);
  text = json_to_string (node, FALSE);
  body = g_bytes_new_take (text, strlen (text));
  soup_message_headers_append (soup_message_get_request_headers (msg), "X-Access-Token",
                               self->access_token);
  soup_message_set_request_body_from_bytes (msg, "application/json", body);
  soup_session_send_and_read_async (data->session, msg, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), init_sent_cb, task);
}

static void
ready_sent_cb (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  VivSandbox *self = g_task_get_source_object (task);
  ReadyData *data = g_task_get_task_data (task);
  g_autoptr (GBytes) body = NULL;
  SoupMessage *msg;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, NULL);
  msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  if (body != NULL && msg != NULL && soup_message_get_status (msg) == SOUP_STATUS_NO_CONTENT)
    {
      if (json_object_get_size (self->env_vars) > 0)
        send_init (g_steal_pointer (&task));
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  if (g_task_return_error_if_cancelled (task))
    return;

  if (!viv_sandbox_is_alive (self))
    {
      g_autofree char *tail = log_tail (self);

      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               "The sandbox's guest exited during start: %s", tail);
      return;
    }

  if (g_get_monotonic_time () > data->deadline)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
                               "The sandbox's guest did not answer /health in time");
      return;
    }

  g_timeout_add (3, ready_retry_cb, g_steal_pointer (&task));
}

static void
ready_attempt (GTask *task)
{
  ReadyData *data = g_task_get_task_data (task);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", "http://localhost/health");

  soup_session_send_and_read_async (data->session, msg, G_PRIORITY_DEFAULT,
                                    g_task_get_cancellable (task), ready_sent_cb, task);
}

void
viv_sandbox_wait_ready_async (VivSandbox          *self,
                              guint                timeout_ms,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (self->socket_path);
  GTask *task = g_task_new (self, cancellable, callback, user_data);
  ReadyData *data = g_new0 (ReadyData, 1);

  g_task_set_source_tag (task, viv_sandbox_wait_ready_async);
  data->deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  /* A guest that accepts but never answers must not hold create forever. */
  data->session = soup_session_new_with_options ("remote-connectable", address,
                                                 "timeout", 5, NULL);
  g_task_set_task_data (task, data, (GDestroyNotify) ready_data_free);
  ready_attempt (task);
}

gboolean
viv_sandbox_wait_ready_finish (VivSandbox    *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

JsonObject *
viv_sandbox_to_sandbox_json (VivSandbox *self,
                             const char *domain)
{
  JsonObject *object = json_object_new ();

  json_object_set_string_member (object, "sandboxID", self->id);
  json_object_set_string_member (object, "templateID", self->template_id);
  json_object_set_string_member (object, "clientID", "vivarium");
  json_object_set_string_member (object, "envdVersion", self->envd_version);
  json_object_set_string_member (object, "envdAccessToken", self->access_token);
  json_object_set_string_member (object, "domain", domain);
  if (self->alias != NULL)
    json_object_set_string_member (object, "alias", self->alias);

  return object;
}

JsonObject *
viv_sandbox_to_listed_json (VivSandbox *self,
                            gboolean    detail,
                            const char *domain)
{
  JsonObject *object = json_object_new ();
  g_autofree char *started_at = viv_format_time (self->started_at);
  g_autofree char *end_at = viv_format_time (self->end_at);

  json_object_set_string_member (object, "sandboxID", self->id);
  json_object_set_string_member (object, "templateID", self->template_id);
  json_object_set_string_member (object, "clientID", "vivarium");
  if (self->alias != NULL)
    json_object_set_string_member (object, "alias", self->alias);
  json_object_set_string_member (object, "startedAt", started_at);
  json_object_set_string_member (object, "endAt", end_at);
  json_object_set_int_member (object, "cpuCount", self->cpu_count);
  json_object_set_int_member (object, "memoryMB", self->memory_mb);
  json_object_set_int_member (object, "diskSizeMB", self->disk_mb);
  json_object_set_string_member (object, "state", viv_sandbox_state_to_string (self->state));
  json_object_set_string_member (object, "envdVersion", self->envd_version);
  json_object_set_object_member (object, "metadata", json_object_ref (self->metadata));
  json_object_set_array_member (object, "volumeMounts", json_array_new ());

  if (detail)
    {
      JsonObject *lifecycle = json_object_new ();

      json_object_set_string_member (object, "domain", domain);
      json_object_set_string_member (object, "envdAccessToken", self->access_token);
      /* The jail has its own network namespace with loopback only. */
      json_object_set_boolean_member (object, "allowInternetAccess", FALSE);
      json_object_set_string_member (lifecycle, "onTimeout", self->auto_pause ? "pause" : "kill");
      json_object_set_boolean_member (lifecycle, "autoResume", self->auto_resume);
      json_object_set_object_member (object, "lifecycle", lifecycle);
    }

  return object;
}

static gsize disk_used_total;

static int
disk_usage_cb (const char        *path,
               const struct stat *info,
               int                flag,
               struct FTW        *ftw)
{
  if (flag == FTW_F || flag == FTW_D || flag == FTW_SL)
    disk_used_total += (gsize) info->st_blocks * 512;
  return 0;
}

static guint64
disk_usage (const char *dir)
{
  static GMutex lock;
  guint64 total;

  /* nftw has no user data; the counter is shared between worker threads. */
  g_mutex_lock (&lock);
  disk_used_total = 0;
  nftw (dir, disk_usage_cb, 32, FTW_PHYS | FTW_MOUNT);
  total = disk_used_total;
  g_mutex_unlock (&lock);

  return total;
}

static void
sample_cpu_memory (VivSandbox *self,
                   guint64    *cpu_ns,
                   guint64    *mem_used,
                   guint64    *mem_cache)
{
  const char *cpuacct = viv_cgroup_find ((const char * const *) self->cgroups, "cpuacct");
  const char *memory = viv_cgroup_find ((const char * const *) self->cgroups, "memory");
  gboolean have_cpu = cpuacct != NULL && viv_cgroup_read_u64 (cpuacct, "cpuacct.usage", cpu_ns);
  gboolean have_memory = memory != NULL &&
                         viv_cgroup_read_u64 (memory, "memory.usage_in_bytes", mem_used);

  *mem_cache = 0;
  if (have_memory)
    viv_cgroup_read_stat (memory, "memory.stat", "total_cache", mem_cache);

  if (!have_cpu || !have_memory)
    {
      /* No cgroups (an unprivileged host): add up the process tree. */
      g_autoptr (GArray) pids = viv_sandbox_list_pids (self);
      guint64 cpu_sum = 0, rss_sum = 0;

      for (guint i = 0; i < pids->len; i++)
        {
          guint64 cpu, rss;

          if (viv_proc_usage (g_array_index (pids, GPid, i), &cpu, &rss))
            {
              cpu_sum += cpu;
              rss_sum += rss;
            }
        }

      if (!have_cpu)
        *cpu_ns = cpu_sum;
      if (!have_memory)
        *mem_used = rss_sum;
    }
}

JsonObject *
viv_sandbox_sample_metric (VivSandbox *self)
{
  JsonObject *object = json_object_new ();
  guint64 cpu_before = 0, cpu_after = 0, mem_used = 0, mem_cache = 0;
  gint64 time_before, time_after, now = g_get_real_time ();
  g_autofree char *timestamp = viv_format_time (now);
  g_autofree char *fs = g_build_filename (self->dir, "fs", NULL);
  double cpu_pct;

  /* CPU use over a short window, measured now (this runs in a worker thread). */
  time_before = g_get_monotonic_time ();
  sample_cpu_memory (self, &cpu_before, &mem_used, &mem_cache);
  g_usleep (100 * 1000);
  sample_cpu_memory (self, &cpu_after, &mem_used, &mem_cache);
  time_after = g_get_monotonic_time ();

  cpu_pct = cpu_after > cpu_before
    ? 100.0 * (double) (cpu_after - cpu_before) /
      ((double) (time_after - time_before) * 1000.0 * MAX (self->cpu_count, 1))
    : 0.0;

  json_object_set_string_member (object, "timestamp", timestamp);
  json_object_set_int_member (object, "timestampUnix", now / G_USEC_PER_SEC);
  json_object_set_int_member (object, "cpuCount", self->cpu_count);
  json_object_set_double_member (object, "cpuUsedPct", MIN (cpu_pct, 100.0));
  json_object_set_int_member (object, "memUsed", (gint64) mem_used);
  json_object_set_int_member (object, "memTotal", (gint64) self->memory_mb * 1024 * 1024);
  json_object_set_int_member (object, "memCache", (gint64) mem_cache);
  json_object_set_int_member (object, "diskUsed", (gint64) disk_usage (fs));
  json_object_set_int_member (object, "diskTotal", (gint64) self->disk_mb * 1024 * 1024);

  return object;
}

/* GLib's default log writer prints "…: HH:MM:SS.mmm: message"; use that time
 * of day on the sandbox's start date when it is there. */
static gint64
line_time (const char *line,
           gint64      fallback)
{
  g_autoptr (GRegex) regex = g_regex_new (": (\\d\\d):(\\d\\d):(\\d\\d)\\.(\\d\\d\\d): ",
                                          0, 0, NULL);
  g_autoptr (GMatchInfo) match = NULL;
  g_autoptr (GDateTime) start = NULL;
  gint64 result;

  if (!g_regex_match (regex, line, 0, &match))
    return fallback;

  start = g_date_time_new_from_unix_local (fallback / G_USEC_PER_SEC);
  {
    g_autofree char *h = g_match_info_fetch (match, 1);
    g_autofree char *m = g_match_info_fetch (match, 2);
    g_autofree char *s = g_match_info_fetch (match, 3);
    g_autofree char *ms = g_match_info_fetch (match, 4);
    g_autoptr (GDateTime) midnight = g_date_time_new_local (g_date_time_get_year (start),
                                                            g_date_time_get_month (start),
                                                            g_date_time_get_day_of_month (start),
                                                            0, 0, 0);

    result = g_date_time_to_unix (midnight) * G_USEC_PER_SEC +
             ((gint64) atoi (h) * 3600 + atoi (m) * 60 + atoi (s)) * G_USEC_PER_SEC +
             (gint64) atoi (ms) * 1000;
  }

  return result;
}

static const char *
line_level (const char *line)
{
  if (strstr (line, "CRITICAL **") || strstr (line, "ERROR **"))
    return "error";
  if (strstr (line, "WARNING **"))
    return "warn";
  if (strstr (line, "DEBUG:"))
    return "debug";
  return "info";
}

JsonArray *
viv_sandbox_read_logs (VivSandbox *self,
                       guint       limit)
{
  g_autofree char *path = g_build_filename (self->dir, "guest.log", NULL);
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  JsonArray *logs = json_array_new ();
  guint count, first;
  gint64 previous = self->started_at;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return logs;

  lines = g_strsplit (contents, "\n", -1);
  count = g_strv_length (lines);
  first = count > limit ? count - limit : 0;

  for (guint i = 0; i < count; i++)
    {
      gint64 time = line_time (lines[i], previous);
      JsonObject *entry;
      g_autofree char *timestamp = NULL;

      previous = time;
      if (i < first || *lines[i] == '\0')
        continue;

      timestamp = viv_format_time (time);
      entry = json_object_new ();
      json_object_set_string_member (entry, "timestamp", timestamp);
      json_object_set_string_member (entry, "level", line_level (lines[i]));
      json_object_set_string_member (entry, "message", lines[i]);
      json_object_set_object_member (entry, "fields", json_object_new ());
      json_array_add_object_element (logs, entry);
    }

  return logs;
}
