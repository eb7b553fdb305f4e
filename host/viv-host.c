/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <sys/random.h>
#include <unistd.h>
#include <glib/gstdio.h>

#include "viv-cgroup.h"
#include "viv-host-private.h"

G_DEFINE_FINAL_TYPE (VivHost, viv_host, G_TYPE_OBJECT)
G_DEFINE_QUARK (viv-host-error-quark, viv_host_error)

/* How long create waits for the guest's /health; a desktop starts Xvnc first. */
#define READY_TIMEOUT_MS (60 * 1000)

gboolean
viv_secret_equal (const char *given,
                  const char *expected)
{
  gsize a, b;
  guint8 diff;

  if (given == NULL || expected == NULL)
    return FALSE;

  a = strlen (given);
  b = strlen (expected);
  diff = a != b;
  for (gsize i = 0; i < a; i++)
    diff |= (guint8) given[i] ^ (guint8) expected[i % MAX (b, 1)];

  return diff == 0;
}

char *
viv_host_default_state_dir (void)
{
  const char *state_home = g_getenv ("XDG_STATE_HOME");

  if (state_home != NULL && g_path_is_absolute (state_home))
    return g_build_filename (state_home, "vivarium", "host", NULL);

  return g_build_filename (g_get_home_dir (), ".local", "state", "vivarium", "host", NULL);
}

char *
viv_host_discovery_path (void)
{
  return g_build_filename (g_get_user_runtime_dir (), "vivarium", "host.json", NULL);
}

static char *
find_guest_binary (void)
{
  const char *from_env = g_getenv ("VIVARIUM_GUEST");
  g_autofree char *self_path = g_file_read_link ("/proc/self/exe", NULL);

  if (from_env != NULL && *from_env != '\0')
    return g_strdup (from_env);

  /* Running from the build tree: host/vivarium-host beside guest/vivarium-guest. */
  if (self_path != NULL)
    {
      g_autofree char *dir = g_path_get_dirname (self_path);
      g_autofree char *candidate = g_build_filename (dir, "..", "guest", "vivarium-guest", NULL);
      g_autofree char *canonical = g_canonicalize_filename (candidate, NULL);

      if (g_file_test (canonical, G_FILE_TEST_IS_EXECUTABLE) &&
          !g_str_has_prefix (self_path, BINDIR "/"))
        return g_steal_pointer (&canonical);
    }

  {
    g_autofree char *installed = g_build_filename (BINDIR, "vivarium-guest", NULL);

    if (g_file_test (installed, G_FILE_TEST_IS_EXECUTABLE))
      return g_steal_pointer (&installed);
  }

  return g_build_filename (LIBEXECDIR, "vivarium-guest", NULL);
}

/* The API key: generated on first start, kept in a 0600 file. */
static gboolean
load_or_create_api_key (VivHost  *self,
                        GError  **error)
{
  g_autofree char *contents = NULL;
  guint8 bytes[20];
  GString *key;

  if (g_file_get_contents (self->api_key_file, &contents, NULL, NULL))
    {
      g_strstrip (contents);
      if (g_str_has_prefix (contents, "e2b_") && strlen (contents) > 8)
        {
          self->api_key = g_steal_pointer (&contents);
          return TRUE;
        }
      g_warning ("%s holds no API key; making a new one", self->api_key_file);
    }

  if (getrandom (bytes, sizeof bytes, 0) != sizeof bytes)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "No randomness for the API key: %s", g_strerror (errno));
      return FALSE;
    }

  /* e2b_ and hex: the form Python's SDK checks for. */
  key = g_string_new ("e2b_");
  for (guint i = 0; i < sizeof bytes; i++)
    g_string_append_printf (key, "%02x", bytes[i]);
  self->api_key = g_string_free (key, FALSE);

  {
    g_autofree char *line = g_strconcat (self->api_key, "\n", NULL);

    return g_file_set_contents_full (self->api_key_file, line, -1,
                                     G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
  }
}

static gboolean
write_discovery_file (VivHost  *self,
                      GError  **error)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *dir = g_path_get_dirname (self->discovery_path);
  g_autofree char *api_url = g_strdup_printf ("http://%s:%u", self->address, self->port_api);
  g_autofree char *sandbox_url = g_strdup_printf ("http://%s:%u", self->address,
                                                  self->port_sandbox);
  g_autofree char *text = NULL;

  if (g_mkdir_with_parents (dir, 0700) != 0 || g_chmod (dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot create %s: %s", dir, g_strerror (errno));
      return FALSE;
    }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "api_url");
  json_builder_add_string_value (builder, api_url);
  json_builder_set_member_name (builder, "sandbox_url");
  json_builder_add_string_value (builder, sandbox_url);
  json_builder_set_member_name (builder, "domain");
  json_builder_add_string_value (builder, self->domain);
  /* The key stays in its own file; readers follow this path. */
  json_builder_set_member_name (builder, "api_key_file");
  json_builder_add_string_value (builder, self->api_key_file);
  json_builder_set_member_name (builder, "pid");
  json_builder_add_int_value (builder, getpid ());
  json_builder_end_object (builder);

  root = json_builder_get_root (builder);
  text = json_to_string (root, TRUE);
  return g_file_set_contents_full (self->discovery_path, text, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
}

static void forget_sandbox (VivHost *self, VivSandbox *sandbox, const char *why);

static void
process_exited_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (VivHost) self = user_data;
  VivSandbox *sandbox = g_object_get_data (source, "viv-sandbox");

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);

  /* A kill in progress cleans up itself; anything else died on its own. */
  if (sandbox != NULL && !sandbox->busy && viv_host_lookup (self, sandbox->id) == sandbox)
    forget_sandbox (self, sandbox, "its jail exited");
}

static void
forget_done_cb (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  viv_sandbox_destroy_finish (VIV_SANDBOX (source), result, NULL);
}

static void
forget_sandbox (VivHost    *self,
                VivSandbox *sandbox,
                const char *why)
{
  g_message ("Forgetting sandbox %s: %s", sandbox->id, why);
  sandbox->busy = TRUE;
  viv_sandbox_destroy_async (sandbox, forget_done_cb, NULL);
  g_hash_table_remove (self->sandboxes, sandbox->id);
}

static void
timeout_paused_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  if (!viv_host_set_paused_finish (VIV_HOST (source), result, &error))
    g_warning ("Could not pause a sandbox at its timeout: %s", error->message);
}

static void
timeout_killed_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GError) error = NULL;

  if (!viv_host_kill_finish (VIV_HOST (source), result, &error))
    g_warning ("Could not kill a sandbox at its timeout: %s", error->message);
}

/* Timeouts, and sandboxes that died while nobody was watching their pid
 * (adopted ones are not our children). */
static gboolean
tick_cb (gpointer user_data)
{
  VivHost *self = user_data;
  g_autoptr (GPtrArray) sandboxes = viv_host_list_sandboxes (self);
  gint64 now = g_get_real_time ();

  for (guint i = 0; i < sandboxes->len; i++)
    {
      VivSandbox *sandbox = g_ptr_array_index (sandboxes, i);

      if (sandbox->busy)
        continue;

      if (!viv_sandbox_is_alive (sandbox))
        {
          forget_sandbox (self, sandbox, "its jail is gone");
          continue;
        }

      if (sandbox->state == VIV_SANDBOX_RUNNING && now >= sandbox->end_at)
        {
          g_message ("Sandbox %s reached its timeout: %s", sandbox->id,
                     sandbox->auto_pause ? "pausing" : "killing");
          if (sandbox->auto_pause)
            viv_host_set_paused_async (self, sandbox, TRUE, 0, timeout_paused_cb, NULL);
          else
            viv_host_kill_async (self, sandbox, timeout_killed_cb, NULL);
        }
    }

  return G_SOURCE_CONTINUE;
}

/* Sandboxes outlive the host: adopt each one whose jail still runs as the
 * same process (pid and start time), forget the rest. */
static void
adopt_sandboxes (VivHost *self)
{
  g_autoptr (GDir) dir = g_dir_open (self->sandboxes_dir, 0, NULL);
  const char *entry;

  if (dir == NULL)
    return;

  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_build_filename (self->sandboxes_dir, entry, NULL);
      g_autoptr (GError) error = NULL;
      g_autoptr (VivSandbox) sandbox = viv_sandbox_load (path, &error);

      if (sandbox == NULL)
        {
          g_warning ("Ignoring %s: %s", path, error->message);
          continue;
        }

      if (!viv_sandbox_is_alive (sandbox))
        {
          g_message ("Sandbox %s died while the host was away; removing it", sandbox->id);
          sandbox->busy = TRUE;
          viv_sandbox_destroy_async (sandbox, forget_done_cb, NULL);
          continue;
        }

      g_message ("Adopted sandbox %s (%s, %s, freezer %s)", sandbox->id, sandbox->template_id,
                 viv_sandbox_state_to_string (sandbox->state),
                 viv_freezer_to_string (sandbox->freezer));
      g_hash_table_replace (self->sandboxes, sandbox->id, g_object_ref (sandbox));
    }
}

GPtrArray *
viv_host_list_sandboxes (VivHost *self)
{
  GPtrArray *array = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, self->sandboxes);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (array, value);

  return array;
}

VivSandbox *
viv_host_lookup (VivHost    *self,
                 const char *id)
{
  return id != NULL ? g_hash_table_lookup (self->sandboxes, id) : NULL;
}

void
viv_host_set_end_at (VivHost    *self,
                     VivSandbox *sandbox,
                     gint64      end_at)
{
  g_autoptr (GError) error = NULL;

  sandbox->end_at = end_at;
  if (!viv_sandbox_save (sandbox, &error))
    g_warning ("Cannot save sandbox %s: %s", sandbox->id, error->message);
}

/* Create: prepare and spawn in a worker thread (directories, a layer copy),
 * then wait for the guest on the main loop. */
typedef struct
{
  VivSandbox  *sandbox;
  VivTemplate *template;
  char        *guest_binary;
} CreateData;

static void
create_data_free (CreateData *data)
{
  g_clear_object (&data->sandbox);
  g_free (data->guest_binary);
  g_free (data);
}

static void
create_destroyed_cb (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  GError *error = g_object_steal_data (G_OBJECT (task), "viv-error");

  viv_sandbox_destroy_finish (VIV_SANDBOX (source), result, NULL);
  g_task_return_error (task, error);
}

static void
create_fail (GTask  *task,
             GError *error)
{
  CreateData *data = g_task_get_task_data (task);

  /* Clean up whatever was started before answering. */
  data->sandbox->busy = TRUE;
  g_object_set_data (G_OBJECT (task), "viv-error", error);
  viv_sandbox_destroy_async (data->sandbox, create_destroyed_cb, task);
}

static void
create_ready_cb (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  VivHost *self = g_task_get_source_object (task);
  CreateData *data = g_task_get_task_data (task);
  VivSandbox *sandbox = data->sandbox;
  GError *error = NULL;

  if (!viv_sandbox_wait_ready_finish (sandbox, result, &error))
    {
      g_prefix_error (&error, "Sandbox %s did not start: ", sandbox->id);
      error->domain = VIV_HOST_ERROR;
      error->code = SOUP_STATUS_INTERNAL_SERVER_ERROR;
      create_fail (g_steal_pointer (&task), error);
      return;
    }

  sandbox->busy = FALSE;
  g_hash_table_replace (self->sandboxes, sandbox->id, g_object_ref (sandbox));
  g_message ("Sandbox %s (%s) is ready", sandbox->id, sandbox->template_id);
  g_task_return_pointer (task, g_object_ref (sandbox), g_object_unref);
}

static void
create_thread (GTask        *task,
               gpointer      source_object,
               gpointer      task_data,
               GCancellable *cancellable)
{
  CreateData *data = task_data;
  GError *error = NULL;

  data->sandbox->cgroups = viv_cgroup_create (data->sandbox->id, data->sandbox->freezer);
  if (!viv_cgroup_set_limits ((const char * const *) data->sandbox->cgroups,
                              data->sandbox->cpu_count, data->sandbox->memory_mb, &error))
    {
      static gsize warned = 0;

      /* Once per host: it is the same on every create. */
      if (g_once_init_enter (&warned))
        {
          g_warning ("Sandboxes run without their template's CPU and memory limits: %s",
                     error->message);
          g_once_init_leave (&warned, 1);
        }
      g_clear_error (&error);
    }
  if (!viv_sandbox_spawn (data->sandbox, data->template, data->guest_binary, &error) ||
      !viv_sandbox_save (data->sandbox, &error))
    {
      g_task_return_error (task, error);
      return;
    }

  g_task_return_boolean (task, TRUE);
}

static void
create_spawned_cb (GObject      *source,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  VivHost *self = VIV_HOST (source);
  CreateData *data = g_task_get_task_data (task);
  GError *error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_prefix_error (&error, "Cannot start the sandbox: ");
      error->domain = VIV_HOST_ERROR;
      error->code = SOUP_STATUS_INTERNAL_SERVER_ERROR;
      create_fail (g_steal_pointer (&task), error);
      return;
    }

  g_object_set_data (G_OBJECT (data->sandbox->process), "viv-sandbox", data->sandbox);
  g_subprocess_wait_async (data->sandbox->process, NULL, process_exited_cb,
                           g_object_ref (self));

  viv_sandbox_wait_ready_async (data->sandbox, READY_TIMEOUT_MS, NULL, create_ready_cb,
                                g_steal_pointer (&task));
}

void
viv_host_create_async (VivHost                *self,
                       const VivCreateOptions *options,
                       GAsyncReadyCallback     callback,
                       gpointer                user_data)
{
  GTask *task = g_task_new (self, NULL, callback, user_data);
  g_autoptr (GTask) spawn_task = NULL;
  CreateData *data = g_new0 (CreateData, 1);
  VivSandbox *sandbox;

  g_task_set_source_tag (task, viv_host_create_async);

  sandbox = viv_sandbox_new (self->sandboxes_dir, options->template);
  while (g_hash_table_contains (self->sandboxes, sandbox->id))
    {
      g_object_unref (sandbox);
      sandbox = viv_sandbox_new (self->sandboxes_dir, options->template);
    }

  sandbox->busy = TRUE;
  sandbox->end_at = sandbox->started_at + options->timeout_s * G_USEC_PER_SEC;
  sandbox->auto_pause = options->auto_pause;
  sandbox->auto_resume = options->auto_resume;
  if (options->metadata != NULL)
    {
      json_object_unref (sandbox->metadata);
      sandbox->metadata = json_object_ref (options->metadata);
    }
  if (options->env_vars != NULL)
    {
      json_object_unref (sandbox->env_vars);
      sandbox->env_vars = json_object_ref (options->env_vars);
    }

  data->sandbox = sandbox;
  sandbox->freezer = self->freezer;
  data->template = options->template;
  data->guest_binary = g_strdup (self->guest_binary);
  g_task_set_task_data (task, data, (GDestroyNotify) create_data_free);

  /* The spawn runs on its own task so the outer one is completed only once,
   * on the main thread, after the guest answered. */
  spawn_task = g_task_new (self, NULL, create_spawned_cb, task);
  g_task_set_task_data (spawn_task, data, NULL);
  g_task_run_in_thread (spawn_task, create_thread);
}

VivSandbox *
viv_host_create_finish (VivHost       *self,
                        GAsyncResult  *result,
                        GError       **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}

typedef struct
{
  VivSandbox *sandbox;
  gboolean    paused;
  gint64      timeout_s;
} PauseData;

static void
pause_data_free (PauseData *data)
{
  g_clear_object (&data->sandbox);
  g_free (data);
}

static void
frozen_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  PauseData *data = g_task_get_task_data (task);
  VivSandbox *sandbox = data->sandbox;
  GError *error = NULL;

  sandbox->busy = FALSE;
  if (!viv_sandbox_set_frozen_finish (sandbox, result, &error))
    {
      g_warning ("Cannot %s sandbox %s: %s", data->paused ? "pause" : "resume", sandbox->id,
                 error->message);
      error->domain = VIV_HOST_ERROR;
      error->code = SOUP_STATUS_INTERNAL_SERVER_ERROR;
      g_task_return_error (task, error);
      return;
    }

  sandbox->state = data->paused ? VIV_SANDBOX_PAUSED : VIV_SANDBOX_RUNNING;
  if (!data->paused)
    sandbox->end_at = g_get_real_time () + data->timeout_s * G_USEC_PER_SEC;
  if (!viv_sandbox_save (sandbox, &error))
    {
      g_warning ("Cannot save sandbox %s: %s", sandbox->id, error->message);
      g_clear_error (&error);
    }

  g_message ("Sandbox %s %s", sandbox->id, data->paused ? "paused" : "resumed");
  g_task_return_boolean (task, TRUE);
}

void
viv_host_set_paused_async (VivHost             *self,
                           VivSandbox          *sandbox,
                           gboolean             paused,
                           gint64               timeout_s,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, NULL, callback, user_data);
  PauseData *data = g_new0 (PauseData, 1);

  g_task_set_source_tag (task, viv_host_set_paused_async);

  if (sandbox->busy)
    {
      g_task_return_new_error (task, VIV_HOST_ERROR, SOUP_STATUS_CONFLICT,
                               "Sandbox %s is changing state", sandbox->id);
      g_free (data);
      return;
    }

  data->sandbox = g_object_ref (sandbox);
  data->paused = paused;
  data->timeout_s = timeout_s;
  g_task_set_task_data (task, data, (GDestroyNotify) pause_data_free);

  sandbox->busy = TRUE;
  viv_sandbox_set_frozen_async (sandbox, paused, frozen_cb, g_steal_pointer (&task));
}

gboolean
viv_host_set_paused_finish (VivHost       *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
killed_cb (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  VivSandbox *sandbox = VIV_SANDBOX (source);

  viv_sandbox_destroy_finish (sandbox, result, NULL);
  g_message ("Sandbox %s killed", sandbox->id);
  g_task_return_boolean (task, TRUE);
}

void
viv_host_kill_async (VivHost             *self,
                     VivSandbox          *sandbox,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, viv_host_kill_async);

  /* Gone from the API at once; the processes and files follow. */
  sandbox->busy = TRUE;
  g_object_ref (sandbox);
  g_hash_table_remove (self->sandboxes, sandbox->id);
  viv_sandbox_destroy_async (sandbox, killed_cb, g_steal_pointer (&task));
  g_object_unref (sandbox);
}

gboolean
viv_host_kill_finish (VivHost       *self,
                      GAsyncResult  *result,
                      GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
viv_host_dispose (GObject *object)
{
  VivHost *self = VIV_HOST (object);

  viv_host_stop (self);
  g_clear_object (&self->api_server);
  g_clear_object (&self->proxy_service);

  G_OBJECT_CLASS (viv_host_parent_class)->dispose (object);
}

static void
viv_host_finalize (GObject *object)
{
  VivHost *self = VIV_HOST (object);

  g_clear_pointer (&self->sandboxes, g_hash_table_unref);
  g_clear_pointer (&self->templates, g_hash_table_unref);
  g_free (self->state_dir);
  g_free (self->sandboxes_dir);
  g_free (self->templates_dir);
  g_free (self->api_key);
  g_free (self->api_key_file);
  g_free (self->address);
  g_free (self->domain);
  g_free (self->guest_binary);
  g_free (self->discovery_path);

  G_OBJECT_CLASS (viv_host_parent_class)->finalize (object);
}

static void
viv_host_class_init (VivHostClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = viv_host_dispose;
  object_class->finalize = viv_host_finalize;
}

static void
viv_host_init (VivHost *self)
{
  self->sandboxes = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_object_unref);
}

VivHost *
viv_host_new (const VivHostOptions  *options,
              GError               **error)
{
  g_autoptr (VivHost) self = g_object_new (VIV_TYPE_HOST, NULL);

  self->state_dir = options->state_dir ? g_strdup (options->state_dir)
                                       : viv_host_default_state_dir ();
  self->sandboxes_dir = g_build_filename (self->state_dir, "sandboxes", NULL);
  self->templates_dir = g_build_filename (self->state_dir, "templates", NULL);
  self->api_key_file = g_build_filename (self->state_dir, "api-key", NULL);
  self->address = g_strdup (options->address ? options->address : "127.0.0.1");
  self->domain = g_strdup (options->domain ? options->domain : "localhost");
  self->guest_binary = options->guest_binary ? g_strdup (options->guest_binary)
                                             : find_guest_binary ();
  self->discovery_path = viv_host_discovery_path ();
  self->port_api = options->port_api;
  self->port_sandbox = options->port_sandbox;

  if (!g_file_test (self->guest_binary, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                   "No vivarium-guest at %s (set VIVARIUM_GUEST)", self->guest_binary);
      return NULL;
    }

  if (g_mkdir_with_parents (self->sandboxes_dir, 0700) != 0 ||
      g_chmod (self->state_dir, 0700) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot create %s: %s", self->sandboxes_dir, g_strerror (errno));
      return NULL;
    }

  if (!load_or_create_api_key (self, error))
    return NULL;

  if (!viv_freezer_detect (&self->freezer, error))
    return NULL;
  g_message ("Pausing sandboxes with %s", self->freezer == VIV_FREEZER_V1 ?
             "the cgroup v1 freezer" : self->freezer == VIV_FREEZER_V2 ?
             "the cgroup v2 freezer (cgroup.freeze)" : "SIGSTOP of each process tree");

  self->templates = viv_template_load_all (self->templates_dir);

  return g_steal_pointer (&self);
}

static gboolean
listen_api (VivHost  *self,
            GError  **error)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (self->address);
  g_autoptr (GSocketAddress) address = NULL;
  GSList *uris;

  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address", self->address);
      return FALSE;
    }

  address = g_inet_socket_address_new (inet, self->port_api);
  if (!soup_server_listen (self->api_server, address, 0, error))
    return FALSE;

  uris = soup_server_get_uris (self->api_server);
  if (uris != NULL)
    self->port_api = g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  return TRUE;
}

static gboolean
listen_sandbox (VivHost  *self,
                GError  **error)
{
  g_autoptr (GInetAddress) inet = g_inet_address_new_from_string (self->address);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (inet, self->port_sandbox);
  g_autoptr (GSocketAddress) effective = NULL;

  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->proxy_service), address,
                                      G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                      &effective, error))
    return FALSE;

  self->port_sandbox = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_socket_service_start (self->proxy_service);
  return TRUE;
}

gboolean
viv_host_start (VivHost  *self,
                GError  **error)
{
  g_return_val_if_fail (VIV_IS_HOST (self), FALSE);

  _viv_host_api_init (self);
  _viv_host_proxy_init (self);

  if (!listen_api (self, error) || !listen_sandbox (self, error))
    return FALSE;

  adopt_sandboxes (self);
  self->tick_id = g_timeout_add (250, tick_cb, self);

  if (!write_discovery_file (self, error))
    return FALSE;

  g_message ("Control plane on http://%s:%u, sandboxes on http://%s:%u, guest %s",
             self->address, self->port_api, self->address, self->port_sandbox,
             self->guest_binary);
  return TRUE;
}

void
viv_host_stop (VivHost *self)
{
  g_return_if_fail (VIV_IS_HOST (self));

  g_clear_handle_id (&self->tick_id, g_source_remove);
  if (self->api_server != NULL)
    soup_server_disconnect (self->api_server);
  if (self->proxy_service != NULL)
    g_socket_service_stop (self->proxy_service);

  /* Only our own discovery file: another host may have replaced it. */
  if (self->discovery_path != NULL)
    {
      g_autofree char *contents = NULL;
      g_autofree char *pid = g_strdup_printf ("\"pid\" : %d", getpid ());

      if (g_file_get_contents (self->discovery_path, &contents, NULL, NULL) &&
          strstr (contents, pid) != NULL)
        g_unlink (self->discovery_path);
    }
}
