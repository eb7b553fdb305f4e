/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <sys/wait.h>
#include <glib/gstdio.h>

#include "viv-test-host.h"

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir != NULL)
    {
      while ((name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);

          if (g_file_test (child, G_FILE_TEST_IS_DIR) &&
              !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
            remove_tree (child);
          else
            g_unlink (child);
        }
    }

  g_rmdir (path);
}

static JsonObject *
read_record (VivTestHost *host,
             const char  *sandbox_id)
{
  g_autofree char *path = g_build_filename (host->state_dir, "sandboxes", sandbox_id,
                                            "sandbox.json", NULL);
  g_autoptr (JsonParser) parser = json_parser_new ();

  if (!json_parser_load_from_file (parser, path, NULL))
    return NULL;
  return json_object_ref (json_node_get_object (json_parser_get_root (parser)));
}

VivTestHost *
viv_test_host_start (const char *state_dir,
                     const char *runtime_dir)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *discovery = NULL;
  g_autofree char *key_file = NULL;
  g_autofree char *pid_text = NULL;
  g_auto (GStrv) envp = g_get_environ ();
  VivTestHost *host = g_new0 (VivTestHost, 1);
  gint64 deadline;

  host->state_dir = state_dir ? g_strdup (state_dir) : g_dir_make_tmp ("viv-host-XXXXXX", &error);
  g_assert_no_error (error);
  host->runtime_dir = runtime_dir ? g_strdup (runtime_dir)
                                  : g_dir_make_tmp ("viv-host-run-XXXXXX", &error);
  g_assert_no_error (error);
  envp = g_environ_setenv (envp, "XDG_RUNTIME_DIR", host->runtime_dir, TRUE);

  {
    const char *argv[] = { VIV_HOST_BINARY, "serve", "--state-dir", host->state_dir, NULL };

    host->pid = viv_test_spawn (argv, (const char * const *) envp, NULL);
  }

  /* The discovery file, written by this very process, says the ports are up. */
  discovery = g_build_filename (host->runtime_dir, "vivarium", "host.json", NULL);
  pid_text = g_strdup_printf ("\"pid\" : %d", host->pid);
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  for (;;)
    {
      g_autofree char *contents = NULL;

      if (g_file_get_contents (discovery, &contents, NULL, NULL) &&
          strstr (contents, pid_text) != NULL)
        {
          g_autoptr (JsonParser) parser = json_parser_new ();
          JsonObject *object;
          g_autoptr (GUri) api = NULL;
          g_autoptr (GUri) sandbox = NULL;

          json_parser_load_from_data (parser, contents, -1, &error);
          g_assert_no_error (error);
          object = json_node_get_object (json_parser_get_root (parser));
          api = g_uri_parse (json_object_get_string_member (object, "api_url"), 0, &error);
          g_assert_no_error (error);
          sandbox = g_uri_parse (json_object_get_string_member (object, "sandbox_url"), 0,
                                 &error);
          g_assert_no_error (error);
          host->port_api = g_uri_get_port (api);
          host->port_sandbox = g_uri_get_port (sandbox);
          key_file = g_strdup (json_object_get_string_member (object, "api_key_file"));
          break;
        }

      if (g_get_monotonic_time () > deadline)
        g_error ("vivarium-host did not write %s", discovery);
      g_usleep (10 * 1000);
    }

  g_file_get_contents (key_file, &host->api_key, NULL, &error);
  g_assert_no_error (error);
  g_strstrip (host->api_key);
  host->session = soup_session_new_with_options ("timeout", 120, NULL);

  return host;
}

void
viv_test_host_crash (VivTestHost *host)
{
  int status;

  kill (host->pid, SIGKILL);
  waitpid (host->pid, &status, 0);
  host->pid = 0;
}

/* Whatever the host left: kill each sandbox's processes through its record,
 * so a failed test leaves nothing running. */
static void
kill_leftovers (VivTestHost *host)
{
  g_autofree char *dir_path = g_build_filename (host->state_dir, "sandboxes", NULL);
  g_autoptr (GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *freezer = viv_test_host_freezer_dir (host, name);
      g_autoptr (GArray) pids = viv_test_host_sandbox_pids (host, name);

      /* SIGKILL reaches stopped and v2-frozen tasks; v1-frozen ones die
       * once thawed. */
      for (guint i = 0; i < pids->len; i++)
        kill (g_array_index (pids, GPid, i), SIGKILL);

      if (freezer != NULL)
        {
          g_autofree char *state_path = g_build_filename (freezer, "freezer.state", NULL);
          g_autofree char *freeze_path = g_build_filename (freezer, "cgroup.freeze", NULL);

          if (g_file_test (state_path, G_FILE_TEST_EXISTS))
            g_file_set_contents (state_path, "THAWED", -1, NULL);
          else
            g_file_set_contents (freeze_path, "0", -1, NULL);
          for (int i = 0; i < 200 && g_rmdir (freezer) != 0; i++)
            g_usleep (10 * 1000);
        }
    }
}

void
viv_test_host_stop (VivTestHost *host)
{
  if (host == NULL)
    return;

  if (host->pid > 0)
    {
      g_autoptr (JsonNode) list = NULL;
      guint status = 0;

      list = viv_test_host_api (host, "GET", "/v2/sandboxes", NULL, NULL, &status, NULL);
      for (guint i = 0; list != NULL && i < json_array_get_length (json_node_get_array (list));
           i++)
        {
          JsonObject *sandbox = json_array_get_object_element (json_node_get_array (list), i);
          g_autofree char *path = g_strconcat ("/sandboxes/",
                                               json_object_get_string_member (sandbox,
                                                                              "sandboxID"),
                                               NULL);
          g_autoptr (JsonNode) ignored = viv_test_host_api (host, "DELETE", path, NULL, NULL,
                                                            &status, NULL);
        }

      viv_test_kill (host->pid);
    }

  kill_leftovers (host);
  g_clear_object (&host->session);
  remove_tree (host->state_dir);
  remove_tree (host->runtime_dir);
  g_free (host->state_dir);
  g_free (host->runtime_dir);
  g_free (host->api_key);
  g_free (host);
}

JsonNode *
viv_test_host_api (VivTestHost         *host,
                   const char          *method,
                   const char          *path,
                   const char          *json_body,
                   const char          *key,
                   guint               *status,
                   SoupMessageHeaders **response_headers)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GBytes) response = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s", host->port_api, path);
  gsize length;
  const char *data;

  msg = soup_message_new (method, uri);
  g_assert_nonnull (msg);

  if (key == NULL)
    key = host->api_key;
  if (*key != '\0')
    soup_message_headers_replace (soup_message_get_request_headers (msg), "X-API-KEY", key);

  if (json_body != NULL)
    {
      /* A stream of unknown length goes out chunked, as the SDKs send it. */
      g_autoptr (GInputStream) stream =
        g_memory_input_stream_new_from_data (g_strdup (json_body), -1, g_free);

      soup_message_set_request_body (msg, "application/json", stream, -1);
    }

  response = soup_session_send_and_read (host->session, msg, NULL, &error);
  g_assert_no_error (error);

  *status = soup_message_get_status (msg);
  if (response_headers != NULL)
    *response_headers = soup_message_headers_ref (soup_message_get_response_headers (msg));

  data = g_bytes_get_data (response, &length);
  if (length == 0)
    return NULL;

  json_parser_load_from_data (parser, data, length, &error);
  g_assert_no_error (error);
  return json_node_ref (json_parser_get_root (parser));
}

GBytes *
viv_test_host_sandbox_request (VivTestHost *host,
                               const char  *sandbox_id,
                               guint        port,
                               const char  *method,
                               const char  *path,
                               const char  *token,
                               GBytes      *body,
                               guint       *status)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SoupMessage) msg = NULL;
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u%s", host->port_sandbox, path);
  SoupMessageHeaders *headers;
  GBytes *response;

  msg = soup_message_new (method, uri);
  g_assert_nonnull (msg);
  headers = soup_message_get_request_headers (msg);

  if (sandbox_id != NULL)
    {
      g_autofree char *port_text = g_strdup_printf ("%u", port);

      soup_message_headers_replace (headers, "E2b-Sandbox-Id", sandbox_id);
      soup_message_headers_replace (headers, "E2b-Sandbox-Port", port_text);
    }
  if (token != NULL)
    soup_message_headers_replace (headers, "X-Access-Token", token);
  if (body != NULL)
    {
      g_autoptr (GInputStream) stream = g_memory_input_stream_new_from_bytes (body);

      soup_message_set_request_body (msg, "application/octet-stream", stream, -1);
    }

  response = soup_session_send_and_read (host->session, msg, NULL, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  return response;
}

JsonObject *
viv_test_host_create (VivTestHost *host,
                      const char  *json_body)
{
  g_autoptr (JsonNode) node = NULL;
  guint status = 0;

  node = viv_test_host_api (host, "POST", "/v2/sandboxes", json_body, NULL, &status, NULL);
  if (status != 201)
    g_error ("create answered %u: %s", status, node ? json_to_string (node, FALSE) : "");
  return json_object_ref (json_node_get_object (node));
}

char *
viv_test_host_cgroup_dir (VivTestHost *host,
                          const char  *sandbox_id,
                          const char  *controller)
{
  g_autoptr (JsonObject) record = read_record (host, sandbox_id);
  g_autofree char *prefix = g_strconcat ("/sys/fs/cgroup/", controller, "/", NULL);
  JsonArray *cgroups;

  if (record == NULL || !json_object_has_member (record, "cgroups"))
    return NULL;

  cgroups = json_object_get_array_member (record, "cgroups");
  for (guint i = 0; i < json_array_get_length (cgroups); i++)
    if (g_str_has_prefix (json_array_get_string_element (cgroups, i), prefix))
      return g_strdup (json_array_get_string_element (cgroups, i));

  return NULL;
}

char *
viv_test_host_freezer_dir (VivTestHost *host,
                           const char  *sandbox_id)
{
  g_autoptr (JsonObject) record = read_record (host, sandbox_id);
  JsonArray *cgroups;

  if (record == NULL || !json_object_has_member (record, "cgroups"))
    return NULL;

  cgroups = json_object_get_array_member (record, "cgroups");
  for (guint i = 0; i < json_array_get_length (cgroups); i++)
    {
      const char *dir = json_array_get_string_element (cgroups, i);
      g_autofree char *v1 = g_build_filename (dir, "freezer.state", NULL);
      g_autofree char *v2 = g_build_filename (dir, "cgroup.freeze", NULL);

      if (g_file_test (v1, G_FILE_TEST_EXISTS) || g_file_test (v2, G_FILE_TEST_EXISTS))
        return g_strdup (dir);
    }

  return NULL;
}

char *
viv_test_host_freezer (VivTestHost *host,
                       const char  *sandbox_id)
{
  g_autoptr (JsonObject) record = read_record (host, sandbox_id);

  if (record == NULL)
    return NULL;
  return g_strdup (json_object_get_string_member_with_default (record, "freezer", NULL));
}

/* Fields of /proc/<pid>/stat after the command's last ')': [0] is the state. */
static GStrv
stat_fields (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *contents = NULL;
  const char *after;

  if (!g_file_get_contents (path, &contents, NULL, NULL) ||
      (after = strrchr (contents, ')')) == NULL || after[1] != ' ')
    return NULL;
  return g_strsplit (after + 2, " ", -1);
}

static GPid
parent_of (GPid pid)
{
  g_auto (GStrv) fields = stat_fields (pid);

  return fields != NULL && g_strv_length (fields) > 1 ? atoi (fields[1]) : -1;
}

/* Whether @pid is still the process the record names (not a reused pid). */
static gboolean
is_recorded_process (GPid    pid,
                     gint64  start_time)
{
  g_auto (GStrv) fields = stat_fields (pid);

  return fields != NULL && g_strv_length (fields) > 19 &&
         g_ascii_strtoll (fields[19], NULL, 10) == start_time;
}

GArray *
viv_test_host_sandbox_pids (VivTestHost *host,
                            const char  *sandbox_id)
{
  g_autofree char *freezer = viv_test_host_freezer_dir (host, sandbox_id);
  g_autoptr (JsonObject) record = read_record (host, sandbox_id);
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (GPid));

  if (freezer != NULL)
    {
      g_autofree char *procs_path = g_build_filename (freezer, "cgroup.procs", NULL);
      g_autofree char *procs = NULL;
      g_auto (GStrv) lines = NULL;

      if (g_file_get_contents (procs_path, &procs, NULL, NULL))
        {
          lines = g_strsplit (procs, "\n", -1);
          for (guint i = 0; lines[i] != NULL; i++)
            if (*lines[i] != '\0')
              {
                GPid pid = atoi (lines[i]);
                g_array_append_val (pids, pid);
              }
        }
    }
  else if (record != NULL &&
           is_recorded_process ((GPid) json_object_get_int_member (record, "pid"),
                                json_object_get_int_member_with_default (record,
                                                                         "pidStartTime", -1)))
    {
      GPid root = (GPid) json_object_get_int_member (record, "pid");
      gboolean grew = TRUE;

      g_array_append_val (pids, root);
      /* Add every process whose parent is already listed, until none is new. */
      while (grew)
        {
          g_autoptr (GDir) proc = g_dir_open ("/proc", 0, NULL);
          const char *entry;

          grew = FALSE;
          while (proc != NULL && (entry = g_dir_read_name (proc)) != NULL)
            {
              GPid pid = atoi (entry);
              GPid parent;
              gboolean known = FALSE, parent_known = FALSE;

              if (pid <= 0)
                continue;
              parent = parent_of (pid);
              for (guint i = 0; i < pids->len; i++)
                {
                  known |= g_array_index (pids, GPid, i) == pid;
                  parent_known |= g_array_index (pids, GPid, i) == parent;
                }
              if (parent_known && !known)
                {
                  g_array_append_val (pids, pid);
                  grew = TRUE;
                }
            }
        }
    }

  return pids;
}

GPid
viv_test_host_guest_pid (VivTestHost *host,
                         const char  *sandbox_id)
{
  g_autoptr (GArray) pids = viv_test_host_sandbox_pids (host, sandbox_id);

  for (guint i = 0; i < pids->len; i++)
    {
      GPid pid = g_array_index (pids, GPid, i);
      g_autofree char *cmdline_path = g_strdup_printf ("/proc/%d/cmdline", pid);
      g_autofree char *cmdline = NULL;

      if (g_file_get_contents (cmdline_path, &cmdline, NULL, NULL) &&
          g_str_has_suffix (cmdline, "vivarium-guest"))
        return pid;
    }

  g_error ("No vivarium-guest process in sandbox %s", sandbox_id);
  return 0;
}

char *
viv_test_host_layer_path (VivTestHost *host,
                          const char  *sandbox_id,
                          const char  *path)
{
  return g_build_filename (host->state_dir, "sandboxes", sandbox_id, "fs", path, NULL);
}
