/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sys/stat.h>
#include <glib/gstdio.h>

#include "viv-test-host.h"

typedef struct
{
  VivTestHost *host;
} Fixture;

/* @data: NULL, or the text of a template "small" the host finds at start. */
static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *state_dir = NULL;
  g_autofree char *templates = NULL;
  g_autofree char *template = NULL;
  g_autoptr (GError) error = NULL;

  if (data == NULL)
    {
      fixture->host = viv_test_host_start (NULL, NULL);
      return;
    }

  state_dir = g_dir_make_tmp ("viv-host-XXXXXX", &error);
  g_assert_no_error (error);
  templates = g_build_filename (state_dir, "templates", NULL);
  template = g_build_filename (templates, "small.template", NULL);
  g_assert_cmpint (g_mkdir_with_parents (templates, 0700), ==, 0);
  g_assert_true (g_file_set_contents (template, data, -1, NULL));
  fixture->host = viv_test_host_start (state_dir, NULL);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  viv_test_host_stop (fixture->host);
}

static void
assert_error (JsonNode *node,
              guint     status)
{
  JsonObject *object;

  g_assert_nonnull (node);
  object = json_node_get_object (node);
  g_assert_cmpint (json_object_get_int_member (object, "code"), ==, status);
  g_assert_true (json_object_has_member (object, "message"));
}

static JsonObject *
get_sandbox (VivTestHost *host,
             const char  *id,
             guint       *status)
{
  g_autofree char *path = g_strconcat ("/sandboxes/", id, NULL);
  g_autoptr (JsonNode) node = viv_test_host_api (host, "GET", path, NULL, NULL, status, NULL);

  return node && *status == 200 ? json_object_ref (json_node_get_object (node)) : NULL;
}

static guint
post (VivTestHost *host,
      const char  *id,
      const char  *action,
      const char  *body,
      gboolean     v2)
{
  g_autofree char *path = g_strdup_printf ("%s/sandboxes/%s/%s", v2 ? "/v2" : "", id, action);
  g_autoptr (JsonNode) node = NULL;
  guint status = 0;

  node = viv_test_host_api (host, "POST", path, body, NULL, &status, NULL);
  return status;
}

static guint
health (VivTestHost *host,
        const char  *id)
{
  g_autoptr (GBytes) body = NULL;
  guint status = 0;

  body = viv_test_host_sandbox_request (host, id, 49983, "GET", "/health", NULL, NULL, &status);
  return status;
}

static void
test_auth_and_discovery (Fixture       *fixture,
                         gconstpointer  data)
{
  VivTestHost *host = fixture->host;
  g_autoptr (JsonNode) missing = NULL;
  g_autoptr (JsonNode) wrong = NULL;
  g_autofree char *key_file = g_build_filename (host->state_dir, "api-key", NULL);
  g_autofree char *discovery_dir = g_build_filename (host->runtime_dir, "vivarium", NULL);
  g_autofree char *discovery = g_build_filename (discovery_dir, "host.json", NULL);
  g_autofree char *discovery_text = NULL;
  g_autofree char *env_output = NULL;
  g_autoptr (GRegex) key_form = g_regex_new ("^e2b_[0-9a-f]{40}$", 0, 0, NULL);
  struct stat info;
  guint status = 0;

  missing = viv_test_host_api (host, "GET", "/v2/sandboxes", NULL, "", &status, NULL);
  g_assert_cmpuint (status, ==, 401);
  assert_error (missing, 401);

  wrong = viv_test_host_api (host, "GET", "/v2/sandboxes", NULL, "e2b_0000", &status, NULL);
  g_assert_cmpuint (status, ==, 401);
  assert_error (wrong, 401);

  g_assert_true (g_regex_match (key_form, host->api_key, 0, NULL));
  g_assert_cmpint (g_stat (key_file, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (discovery, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0600);
  g_assert_cmpint (g_stat (discovery_dir, &info), ==, 0);
  g_assert_cmpint (info.st_mode & 0777, ==, 0700);

  /* The discovery file points at the key, never holds it. */
  g_assert_true (g_file_get_contents (discovery, &discovery_text, NULL, NULL));
  g_assert_null (strstr (discovery_text, host->api_key));
  g_assert_nonnull (strstr (discovery_text, key_file));

  {
    g_auto (GStrv) envp = g_environ_setenv (g_get_environ (), "XDG_RUNTIME_DIR",
                                            host->runtime_dir, TRUE);
    const char *argv[] = { VIV_HOST_BINARY, "env", NULL };
    g_autofree char *expected_key = g_strdup_printf ("export E2B_API_KEY=%s\n", host->api_key);
    g_autofree char *expected_api = g_strdup_printf ("export E2B_API_URL=http://127.0.0.1:%u\n",
                                                     host->port_api);
    g_autofree char *expected_sandbox =
      g_strdup_printf ("export E2B_SANDBOX_URL=http://127.0.0.1:%u\n", host->port_sandbox);
    int wait_status;

    g_assert_true (g_spawn_sync (NULL, (char **) argv, envp, 0, NULL, NULL, &env_output, NULL,
                                 &wait_status, NULL));
    g_assert_true (g_spawn_check_wait_status (wait_status, NULL));
    g_assert_nonnull (strstr (env_output, expected_key));
    g_assert_nonnull (strstr (env_output, expected_api));
    g_assert_nonnull (strstr (env_output, expected_sandbox));
  }
}

static void
test_create_get_kill (Fixture       *fixture,
                      gconstpointer  data)
{
  VivTestHost *host = fixture->host;
  g_autoptr (JsonObject) created = NULL;
  g_autoptr (JsonObject) detail = NULL;
  g_autoptr (JsonObject) v1 = NULL;
  g_autoptr (JsonNode) gone = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (GRegex) id_form = g_regex_new ("^[a-z0-9]{20}$", 0, 0, NULL);
  g_autofree char *path = NULL;
  const char *id;
  guint status = 0;
  static const char * const required[] = {
    "templateID", "sandboxID", "clientID", "startedAt", "endAt", "cpuCount", "memoryMB",
    "diskSizeMB", "state", "envdVersion", "domain", "envdAccessToken", "lifecycle", NULL
  };

  created = viv_test_host_create (host, "{\"templateID\":\"base\",\"timeout\":120}");
  id = json_object_get_string_member (created, "sandboxID");
  g_assert_true (g_regex_match (id_form, id, 0, NULL));
  g_assert_cmpstr (json_object_get_string_member (created, "templateID"), ==, "base");
  g_assert_true (json_object_has_member (created, "clientID"));
  g_assert_nonnull (json_object_get_string_member (created, "envdVersion"));
  g_assert_cmpuint (strlen (json_object_get_string_member (created, "envdAccessToken")), >=, 32);
  g_assert_true (json_object_has_member (created, "domain"));

  detail = get_sandbox (host, id, &status);
  g_assert_cmpuint (status, ==, 200);
  for (guint i = 0; required[i] != NULL; i++)
    g_assert_true (json_object_has_member (detail, required[i]));
  g_assert_cmpstr (json_object_get_string_member (detail, "state"), ==, "running");
  g_assert_cmpstr (json_object_get_string_member (detail, "envdAccessToken"), ==,
                   json_object_get_string_member (created, "envdAccessToken"));

  /* The guest answers through the sandbox port. */
  g_assert_cmpuint (health (host, id), ==, 204);

  /* The v1 create path with its chunked body. */
  node = viv_test_host_api (host, "POST", "/sandboxes",
                            "{\"templateID\":\"base\",\"timeout\":60,\"secure\":true}",
                            NULL, &status, NULL);
  g_assert_cmpuint (status, ==, 201);
  v1 = json_object_ref (json_node_get_object (node));
  g_assert_cmpuint (health (host, json_object_get_string_member (v1, "sandboxID")), ==, 204);

  path = g_strconcat ("/sandboxes/", id, NULL);
  g_clear_pointer (&node, json_node_unref);
  node = viv_test_host_api (host, "DELETE", path, NULL, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, 204);

  gone = viv_test_host_api (host, "GET", path, NULL, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, 404);
  assert_error (gone, 404);
  g_clear_pointer (&node, json_node_unref);
  node = viv_test_host_api (host, "DELETE", path, NULL, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, 404);
  g_assert_cmpuint (health (host, id), ==, 404);

  /* Its files are gone from disk too. */
  {
    g_autofree char *dir = g_build_filename (host->state_dir, "sandboxes", id, NULL);
    g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
  }
}

static void
test_bad_requests (Fixture       *fixture,
                   gconstpointer  data)
{
  VivTestHost *host = fixture->host;
  struct { const char *method, *path, *body; guint status; } cases[] = {
    { "POST", "/v2/sandboxes", "{\"templateID\":\"no-such-template\"}", 404 },
    { "POST", "/v2/sandboxes", "{\"timeout\":10}", 400 },
    { "POST", "/v2/sandboxes", "{not json", 400 },
    { "POST", "/v2/sandboxes", "{\"templateID\":\"base\",\"timeout\":-5}", 400 },
    { "POST", "/v2/sandboxes", "{\"templateID\":\"base\",\"metadata\":{\"a\":1}}", 400 },
    { "GET", "/v2/sandboxes?state=sleeping", NULL, 400 },
    { "GET", "/v2/sandboxes?limit=0", NULL, 400 },
    { "GET", "/v2/sandboxes?nextToken=garbage", NULL, 400 },
    { "GET", "/sandboxes/aaaaaaaaaaaaaaaaaaaa", NULL, 404 },
    { "POST", "/sandboxes/aaaaaaaaaaaaaaaaaaaa/pause", "{}", 404 },
    { "POST", "/v2/sandboxes/aaaaaaaaaaaaaaaaaaaa/connect", "{}", 404 },
    { "GET", "/no/such/endpoint", NULL, 404 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr (JsonNode) node = NULL;
      guint status = 0;

      node = viv_test_host_api (host, cases[i].method, cases[i].path, cases[i].body, NULL,
                                &status, NULL);
      g_test_message ("%s %s → %u", cases[i].method, cases[i].path, status);
      g_assert_cmpuint (status, ==, cases[i].status);
      assert_error (node, cases[i].status);
    }

  /* Unknown sandbox on the sandbox port too, and no id at all. */
  {
    g_autoptr (GBytes) body = NULL;
    guint status = 0;

    body = viv_test_host_sandbox_request (host, "aaaaaaaaaaaaaaaaaaaa", 49983, "GET", "/health",
                                          NULL, NULL, &status);
    g_assert_cmpuint (status, ==, 404);
    g_assert_nonnull (strstr (g_bytes_get_data (body, NULL), "\"code\":404"));
    g_clear_pointer (&body, g_bytes_unref);
    body = viv_test_host_sandbox_request (host, NULL, 0, "GET", "/health", NULL, NULL, &status);
    g_assert_cmpuint (status, ==, 400);
  }
}

static GPtrArray *
list_ids (VivTestHost *host,
          const char  *path,
          char       **next_token,
          guint       *total_running)
{
  g_autoptr (SoupMessageHeaders) headers = NULL;
  g_autoptr (JsonNode) node = NULL;
  GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
  JsonArray *array;
  guint status = 0;

  node = viv_test_host_api (host, "GET", path, NULL, NULL, &status, &headers);
  g_assert_cmpuint (status, ==, 200);
  array = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (array); i++)
    g_ptr_array_add (ids, g_strdup (json_object_get_string_member (
                                      json_array_get_object_element (array, i), "sandboxID")));

  if (next_token != NULL)
    *next_token = g_strdup (soup_message_headers_get_one (headers, "X-Next-Token"));
  if (total_running != NULL && soup_message_headers_get_one (headers, "X-Total-Running"))
    *total_running = atoi (soup_message_headers_get_one (headers, "X-Total-Running"));

  return ids;
}

static gboolean
contains (GPtrArray  *ids,
          const char *id)
{
  return g_ptr_array_find_with_equal_func (ids, id, g_str_equal, NULL);
}

static void
test_list_filters_pages (Fixture       *fixture,
                         gconstpointer  data)
{
  VivTestHost *host = fixture->host;
  g_autoptr (JsonObject) a = NULL;
  g_autoptr (JsonObject) b = NULL;
  g_autoptr (JsonObject) c = NULL;
  g_autoptr (GPtrArray) running = NULL;
  g_autoptr (GPtrArray) paused = NULL;
  g_autoptr (GPtrArray) filtered = NULL;
  g_autoptr (GPtrArray) v1 = NULL;
  g_autoptr (GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *token = NULL;
  const char *id_a, *id_b, *id_c;
  guint total = 0, pages = 0;

  a = viv_test_host_create (host, "{\"templateID\":\"base\",\"metadata\":{\"team\":\"red one\"}}");
  b = viv_test_host_create (host, "{\"templateID\":\"base\",\"metadata\":{\"team\":\"blue\"}}");
  c = viv_test_host_create (host, "{\"templateID\":\"base\",\"metadata\":{\"team\":\"red one\","
                                  "\"x\":\"1\"}}");
  id_a = json_object_get_string_member (a, "sandboxID");
  id_b = json_object_get_string_member (b, "sandboxID");
  id_c = json_object_get_string_member (c, "sandboxID");

  g_assert_cmpuint (post (host, id_b, "pause", "{}", FALSE), ==, 204);

  running = list_ids (host, "/v2/sandboxes?state=running", NULL, &total);
  g_assert_cmpuint (running->len, ==, 2);
  g_assert_true (contains (running, id_a) && contains (running, id_c));
  g_assert_cmpuint (total, ==, 2);

  paused = list_ids (host, "/v2/sandboxes?state=paused", NULL, NULL);
  g_assert_cmpuint (paused->len, ==, 1);
  g_assert_true (contains (paused, id_b));

  /* {team: "red one"} encoded three times, as the SDK sends it (spec §1). */
  filtered = list_ids (host, "/v2/sandboxes?state=running,paused&metadata=team%3Dred%252520one",
                       NULL, NULL);
  g_assert_cmpuint (filtered->len, ==, 2);
  g_assert_true (contains (filtered, id_a) && contains (filtered, id_c));

  /* The deprecated list: running only. */
  v1 = list_ids (host, "/sandboxes", NULL, NULL);
  g_assert_cmpuint (v1->len, ==, 2);
  g_assert_false (contains (v1, id_b));

  /* One per page: every sandbox exactly once, then no token. */
  for (;;)
    {
      g_autofree char *path = token ? g_strdup_printf ("/v2/sandboxes?limit=1&nextToken=%s",
                                                       token)
                                    : g_strdup ("/v2/sandboxes?limit=1");
      g_autoptr (GPtrArray) page = NULL;

      g_clear_pointer (&token, g_free);
      page = list_ids (host, path, &token, NULL);
      g_assert_cmpuint (page->len, ==, 1);
      g_assert_true (g_hash_table_add (seen, g_strdup (g_ptr_array_index (page, 0))));
      pages++;
      if (token == NULL || *token == '\0')
        break;
      g_assert_cmpuint (pages, <, 3);
      {
        /* Tokens are opaque but must survive URL encoding. */
        g_autofree char *escaped = g_uri_escape_string (token, NULL, FALSE);
        g_free (token);
        token = g_steal_pointer (&escaped);
      }
    }
  g_assert_cmpuint (pages, ==, 3);
  g_assert_cmpuint (g_hash_table_size (seen), ==, 3);
}

/* The State letter of /proc/<pid>/status, or 0 once the process is gone. */
static char
process_state (GPid pid)
{
  g_autofree char *status_path = g_strdup_printf ("/proc/%d/status", pid);
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents (status_path, &status, NULL, NULL))
    return 0;

  line = strstr (status, "\nState:\t");
  g_assert_nonnull (line);
  return line[strlen ("\nState:\t")];
}

/* Checks, the way the kernel reports it for the sandbox's mechanism, that
 * every one of its processes is frozen (or runs again). */
static void
assert_all_frozen (VivTestHost *host,
                   const char  *id,
                   gboolean     frozen)
{
  g_autofree char *mechanism = viv_test_host_freezer (host, id);
  g_autofree char *freezer = viv_test_host_freezer_dir (host, id);
  g_autoptr (GArray) pids = NULL;
  const char *wanted = g_getenv ("VIVARIUM_HOST_FREEZER");
  guint checked = 0;

  g_assert_nonnull (mechanism);
  /* The host uses the mechanism it was told to, or the first usable one. */
  if (wanted != NULL && *wanted != '\0')
    g_assert_cmpstr (mechanism, ==, wanted);

  if (g_str_equal (mechanism, "v1"))
    {
      g_autofree char *state_path = g_build_filename (freezer, "freezer.state", NULL);
      g_autofree char *state = NULL;

      g_assert_true (g_file_get_contents (state_path, &state, NULL, NULL));
      g_assert_cmpstr (g_strstrip (state), ==, frozen ? "FROZEN" : "THAWED");
    }
  else if (g_str_equal (mechanism, "v2"))
    {
      g_autofree char *events_path = g_build_filename (freezer, "cgroup.events", NULL);
      g_autofree char *events = NULL;

      g_assert_true (g_file_get_contents (events_path, &events, NULL, NULL));
      g_assert_nonnull (strstr (events, frozen ? "frozen 1\n" : "frozen 0\n"));
    }
  else
    {
      g_assert_cmpstr (mechanism, ==, "sigstop");
      g_assert_null (freezer);
    }

  pids = viv_test_host_sandbox_pids (host, id);
  for (guint i = 0; i < pids->len; i++)
    {
      GPid pid = g_array_index (pids, GPid, i);
      gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
      char state = process_state (pid);

      /* Gone, or dead and waiting for its stopped parent: not running. */
      if (state == 0 || state == 'Z' || state == 'X')
        continue;

      /* cgroup v1 shows frozen tasks in uninterruptible sleep, SIGSTOP as
       * stopped; cgroup v2 leaves the state letter alone (cgroup.events is
       * its report, checked above) but a v2-frozen task never runs. A frozen
       * state is final; a thawed task may still sit in D for a moment (disk
       * I/O on a loaded machine), so that side is polled for. */
      if (frozen)
        {
          if (g_str_equal (mechanism, "v1"))
            g_assert_true (state == 'D' || state == 'T');
          else if (g_str_equal (mechanism, "sigstop"))
            g_assert_true (state == 'T');
          else
            g_assert_true (state != 'R');
        }
      else
        {
          while ((state == 'T' || state == 't' ||
                  (state == 'D' && g_str_equal (mechanism, "v1"))) &&
                 g_get_monotonic_time () < deadline)
            {
              g_usleep (10 * 1000);
              state = process_state (pid);
            }
          g_assert_true (state != 'T' && state != 't');
          if (g_str_equal (mechanism, "v1"))
            g_assert_true (state != 'D');
        }
      checked++;
    }

  /* bwrap, its pid 1 and the guest at least. */
  g_assert_cmpuint (checked, >=, 3);
}

static void
test_pause_resume (Fixture       *fixture,
                   gconstpointer  data)
{
  VivTestHost *host = fixture->host;
  g_autoptr (JsonObject) created = viv_test_host_create (host, "{\"templateID\":\"base\"}");
  g_autoptr (JsonObject) detail = NULL;
  const char *id = json_object_get_string_member (created, "sandboxID");
  guint status = 0;

  g_assert_cmpuint (post (host, id, "pause", "{}", FALSE), ==, 204);
  assert_all_frozen (host, id, TRUE);
  detail = get_sandbox (host, id, &status);
  g_assert_cmpstr (json_object_get_string_member (detail, "state"), ==, "paused");
  g_assert_cmpuint (post (host, id, "pause", "{}", FALSE), ==, 409);

  /* A frozen guest is reported at once, not hung on. */
  g_assert_cmpuint (health (host, id), ==, 502);

  g_assert_cmpuint (post (host, id, "resume", "{\"timeout\":60}", FALSE), ==, 201);
  assert_all_frozen (host, id, FALSE);
  g_assert_cmpuint (health (host, id), ==, 204);
  g_assert_cmpuint (post (host, id, "resume", "{}", FALSE), ==, 409);

  /* connect: 200 when running, 201 when it resumed; v1 needs a timeout. */
  g_assert_cmpuint (post (host, id, "connect", "{}", TRUE), ==, 200);
  g_assert_cmpuint (post (host, id, "pause", "{}", FALSE), ==, 204);
  g_assert_cmpuint (post (host, id, "connect", "{}", FALSE), ==, 400);
  g_assert_cmpuint (post (host, id, "connect", "{\"timeout\":30}", FALSE), ==, 201);
  g_assert_cmpuint (health (host, id), ==, 204);
  g_assert_cmpuint (post (host, id, "pause", "{}", FALSE), ==, 204);
  g_assert_cmpuint (post (host, id, "connect", "{\"timeout\":30}", TRUE), ==, 201);
  assert_all_frozen (host, id, FALSE);
}

/* Process/Start of `/bin/sh -c script` through the host's sandbox port (a
 * Connect stream: one enveloped JSON message); the whole answer, once the
 * process has ended. */
static GBytes *
process_start (VivTestHost *host,
               const char  *id,
               const char  *token,
               const char  *script)
{
  g_autofree char *uri = g_strdup_printf ("http://127.0.0.1:%u/process.Process/Start",
                                          host->port_sandbox);
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *request = NULL;
  g_autoptr (GByteArray) envelope = g_byte_array_new ();
  g_autoptr (SoupMessage) msg = soup_message_new ("POST", uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GBytes) response = NULL;
  g_autoptr (GError) error = NULL;
  guint32 length;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "process");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "cmd");
  json_builder_add_string_value (builder, "/bin/sh");
  json_builder_set_member_name (builder, "args");
  json_builder_begin_array (builder);
  json_builder_add_string_value (builder, "-c");
  json_builder_add_string_value (builder, script);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  request = json_to_string (root, FALSE);

  length = GUINT32_TO_BE ((guint32) strlen (request));
  g_byte_array_append (envelope, (const guint8 *) "\0", 1);
  g_byte_array_append (envelope, (const guint8 *) &length, 4);
  g_byte_array_append (envelope, (const guint8 *) request, strlen (request));
  body = g_byte_array_free_to_bytes (g_steal_pointer (&envelope));

  soup_message_headers_replace (headers, "E2b-Sandbox-Id", id);
  soup_message_headers_replace (headers, "E2b-Sandbox-Port", "49983");
  soup_message_headers_replace (headers, "X-Access-Token", token);
  soup_message_set_request_body_from_bytes (msg, "application/connect+json", body);
  response = soup_session_send_and_read (host->session, msg, NULL, &error);
  g_assert_no_error (error);
  if (soup_message_get_status (msg) != 200)
    g_error ("Process/Start answered %u: %.*s", soup_message_get_status (msg),
             (int) g_bytes_get_size (response), (const char *) g_bytes_get_data (response, NULL));
  return g_steal_pointer (&response);
}

/* Starts a shell inside the sandbox that forks all the time (a short sleep
 * every few ms, each living 2 s) and leaves it running in the background. It
 * ends by itself after 2000 rounds, in case a failed test leaves it behind.
 * The shell stays a second: one that exited at once has been seen to take
 * the whole jail down with it now and then (a guest bug, not the host's). */
static void
start_fork_storm (VivTestHost *host,
                  const char  *id,
                  const char  *token)
{
  g_autoptr (GBytes) response = process_start (host, id, token,
    "(for i in $(seq 2000); do sleep 2 & sleep 0.01; done) </dev/null >/dev/null 2>&1 & sleep 1");
}

/* Runs @script to its end; its stdout, and the end event's status ("exit
 * status 0", "signal: killed"). */
static char *
run_in_sandbox (VivTestHost  *host,
                const char   *id,
                const char   *token,
                const char   *script,
                char        **status)
{
  g_autoptr (GBytes) response = process_start (host, id, token, script);
  gsize size;
  const guint8 *data = g_bytes_get_data (response, &size);
  GString *out = g_string_new (NULL);

  *status = NULL;
  for (gsize offset = 0; offset + 5 <= size;)
    {
      guint32 length;
      g_autoptr (JsonParser) parser = json_parser_new ();
      JsonObject *message, *event;

      /* An envelope's length is unaligned: one flags byte comes first. */
      memcpy (&length, data + offset + 1, sizeof length);
      length = GUINT32_FROM_BE (length);
      g_assert_cmpuint (offset + 5 + length, <=, size);
      g_assert_true (json_parser_load_from_data (parser, (const char *) data + offset + 5, length, NULL));
      message = json_node_get_object (json_parser_get_root (parser));
      offset += 5 + length;
      if (!json_object_has_member (message, "event"))
        continue;

      event = json_object_get_object_member (message, "event");
      if (json_object_has_member (event, "data") &&
          json_object_has_member (json_object_get_object_member (event, "data"), "stdout"))
        {
          gsize decoded_length;
          g_autofree guchar *decoded = g_base64_decode (
            json_object_get_string_member (json_object_get_object_member (event, "data"), "stdout"),
            &decoded_length);

          g_string_append_len (out, (const char *) decoded, decoded_length);
        }
      if (json_object_has_member (event, "end"))
        *status = g_strdup (json_object_get_string_member (json_object_get_object_member (event, "end"),
                                                           "status"));
    }

  g_assert_nonnull (*status);
  return g_string_free (out, FALSE);
}

/* Pause catches every process even while new ones appear all the time, and
 * resume lets all of them run again. */
static void
test_pause_forking (Fixture       *fixture,
                    gconstpointer  data)
{
  VivTestHost *host = fixture->host;
  g_autoptr (JsonObject) created = viv_test_host_create (host, "{\"templateID\":\"base\"}");
  const char *id = json_object_get_string_member (created, "sandboxID");
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  guint count = 0;

  start_fork_storm (host, id, json_object_get_string_member (created, "envdAccessToken"));
  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr (GArray) pids = viv_test_host_sandbox_pids (host, id);

      count = pids->len;
      if (count >= 20)
        break;
      g_usleep (20 * 1000);
    }
  g_assert_cmpuint (count, >=, 20);

  for (guint round = 0; round < 3; round++)
    {
      g_autoptr (GArray) before = NULL;
      g_autoptr (GArray) after = NULL;

      g_assert_cmpuint (post (host, id, "pause", "{}", FALSE), ==, 204);
      assert_all_frozen (host, id, TRUE);

      /* Nothing forks while paused. */
      before = viv_test_host_sandbox_pids (host, id);
      g_usleep (300 * 1000);
      after = viv_test_host_sandbox_pids (host, id);
      g_assert_cmpuint (after->len, ==, before->len);
      for (guint i = 0; i < after->len; i++)
        g_assert_cmpint (g_array_index (after, GPid, i), ==, g_array_index (before, GPid, i));

      g_assert_cmpuint (post (host, id, "resume", "{\"timeout\":60}", FALSE), ==, 201);
      assert_all_frozen (host, id, FALSE);
      g_assert_cmpuint (health (host, id), ==, 204);
    }
}

static gboolean
wait_for_state (VivTestHost *host,
                const char  *id,
                const char  *state)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (g_get_monotonic_time () < deadline)
    {
      guint status = 0;
      g_autoptr (JsonObject) detail = get_sandbox (host, id, &status);

      if (state == NULL ? status == 404
                        : detail != NULL &&
                          g_str_equal (json_object_get_string_member (detail, "state"), state))
        return TRUE;
      g_usleep (50 * 1000);
    }

  return FALSE;
}

static void
test_timeouts (Fixture       *fixture,
               gconstpointer  data)
{
  VivTestHost *host = fixture->host;
  g_autoptr (JsonObject) short_lived = NULL;
  g_autoptr (JsonObject) auto_paused = NULL;
  g_autoptr (JsonObject) shortened = NULL;
  g_autoptr (JsonObject) detail = NULL;
  const char *id;
  guint status = 0;

  short_lived = viv_test_host_create (host, "{\"templateID\":\"base\",\"timeout\":1}");
  auto_paused = viv_test_host_create (host, "{\"templateID\":\"base\",\"timeout\":1,"
                                            "\"autoPause\":true}");
  shortened = viv_test_host_create (host, "{\"templateID\":\"base\",\"timeout\":300}");

  detail = get_sandbox (host, json_object_get_string_member (auto_paused, "sandboxID"), &status);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (detail,
                                                                                 "lifecycle"),
                                                  "onTimeout"), ==, "pause");

  /* setTimeout restarts the TTL from now. */
  id = json_object_get_string_member (shortened, "sandboxID");
  g_assert_cmpuint (post (host, id, "timeout", "{\"timeout\":1}", FALSE), ==, 204);
  g_assert_cmpuint (post (host, id, "timeout", "{}", FALSE), ==, 400);

  g_assert_true (wait_for_state (host, json_object_get_string_member (short_lived, "sandboxID"),
                                 NULL));
  g_assert_true (wait_for_state (host, id, NULL));
  id = json_object_get_string_member (auto_paused, "sandboxID");
  g_assert_true (wait_for_state (host, id, "paused"));
  assert_all_frozen (host, id, TRUE);
  /* Paused sandboxes have no TTL running: it stays. */
  g_usleep (1500 * 1000);
  g_assert_true (wait_for_state (host, id, "paused"));
}

static void
test_restart_adoption (Fixture       *fixture,
                       gconstpointer  data)
{
  VivTestHost *host = fixture->host;
  g_autoptr (JsonObject) kept = viv_test_host_create (host, "{\"templateID\":\"base\"}");
  g_autoptr (JsonObject) doomed = viv_test_host_create (host, "{\"templateID\":\"base\"}");
  g_autoptr (JsonObject) paused = viv_test_host_create (host, "{\"templateID\":\"base\"}");
  g_autoptr (JsonObject) detail = NULL;
  g_autofree char *state_dir = g_strdup (host->state_dir);
  g_autofree char *runtime_dir = g_strdup (host->runtime_dir);
  const char *kept_id = json_object_get_string_member (kept, "sandboxID");
  const char *doomed_id = json_object_get_string_member (doomed, "sandboxID");
  const char *paused_id = json_object_get_string_member (paused, "sandboxID");
  g_autofree char *doomed_dir = g_build_filename (state_dir, "sandboxes", doomed_id, NULL);
  g_autofree char *old_key = g_strdup (host->api_key);
  GPid doomed_guest;
  guint status = 0;

  g_assert_cmpuint (post (host, paused_id, "pause", "{}", FALSE), ==, 204);

  viv_test_host_crash (host);
  /* Sandboxes outlive the host... */
  g_assert_cmpuint (kill (viv_test_host_guest_pid (host, kept_id), 0), ==, 0);
  /* ...and one of them dies while it is away. */
  doomed_guest = viv_test_host_guest_pid (host, doomed_id);
  {
    g_autoptr (GArray) pids = viv_test_host_sandbox_pids (host, doomed_id);

    for (guint i = 0; i < pids->len; i++)
      kill (g_array_index (pids, GPid, i), SIGKILL);
  }
  for (int i = 0; i < 500 && kill (doomed_guest, 0) == 0; i++)
    g_usleep (10 * 1000);

  g_free (host->state_dir);
  g_free (host->runtime_dir);
  g_free (host->api_key);
  g_clear_object (&host->session);
  g_free (host);
  host = fixture->host = viv_test_host_start (state_dir, runtime_dir);

  g_assert_cmpstr (host->api_key, ==, old_key);
  detail = get_sandbox (host, kept_id, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (json_object_get_string_member (detail, "state"), ==, "running");
  g_assert_cmpuint (health (host, kept_id), ==, 204);

  g_clear_pointer (&detail, json_object_unref);
  detail = get_sandbox (host, paused_id, &status);
  g_assert_cmpstr (json_object_get_string_member (detail, "state"), ==, "paused");
  /* Still frozen, and thawed by the mechanism it was frozen with. */
  assert_all_frozen (host, paused_id, TRUE);
  g_assert_cmpuint (post (host, paused_id, "connect", "{}", TRUE), ==, 201);
  assert_all_frozen (host, paused_id, FALSE);
  g_assert_cmpuint (health (host, paused_id), ==, 204);

  g_clear_pointer (&detail, json_object_unref);
  detail = get_sandbox (host, doomed_id, &status);
  g_assert_cmpuint (status, ==, 404);
  for (int i = 0; i < 500 && g_file_test (doomed_dir, G_FILE_TEST_EXISTS); i++)
    g_usleep (10 * 1000);
  g_assert_false (g_file_test (doomed_dir, G_FILE_TEST_EXISTS));
}

static void
test_metrics_logs (Fixture       *fixture,
                   gconstpointer  data)
{
  VivTestHost *host = fixture->host;
  g_autoptr (JsonObject) created = viv_test_host_create (host, "{\"templateID\":\"base\"}");
  const char *id = json_object_get_string_member (created, "sandboxID");
  g_autofree char *path = g_strdup_printf ("/sandboxes/%s/metrics", id);
  g_autofree char *logs_path = g_strdup_printf ("/v2/sandboxes/%s/logs", id);
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (JsonNode) logs = NULL;
  JsonObject *metric;
  guint status = 0;

  node = viv_test_host_api (host, "GET", path, NULL, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), ==, 1);
  metric = json_array_get_object_element (json_node_get_array (node), 0);
  for (guint i = 0; i < 9; i++)
    {
      static const char * const fields[] = { "timestamp", "timestampUnix", "cpuCount",
                                             "cpuUsedPct", "memUsed", "memTotal", "memCache",
                                             "diskUsed", "diskTotal" };
      g_assert_true (json_object_has_member (metric, fields[i]));
    }
  /* A real guest uses real memory: more than a page, less than the limit. */
  g_assert_cmpint (json_object_get_int_member (metric, "memUsed"), >, 4096);
  g_assert_cmpint (json_object_get_int_member (metric, "memUsed"), <,
                   json_object_get_int_member (metric, "memTotal"));
  g_assert_cmpint (json_object_get_int_member (metric, "diskUsed"), >, 0);

  logs = viv_test_host_api (host, "GET", logs_path, NULL, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (json_object_has_member (json_node_get_object (logs), "logs"));
}

static gboolean
read_u64 (const char *dir,
          const char *file,
          guint64    *out)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autofree char *contents = NULL;

  return g_file_get_contents (path, &contents, NULL, NULL) &&
         g_ascii_string_to_unsigned (g_strstrip (contents), 10, 0, G_MAXUINT64, out, NULL);
}

/* A template's MemoryMB and CpuCount hold inside the sandbox: past the
 * memory limit the kernel kills the process (there is no swap to escape
 * into), and two busy loops get one CPU's worth of time between them. */
static void
test_limits (Fixture       *fixture,
             gconstpointer  data)
{
  VivTestHost *host = fixture->host;
  g_autoptr (JsonObject) created = NULL;
  g_autoptr (JsonNode) metrics = NULL;
  g_autofree char *metrics_path = NULL;
  g_autofree char *memory_dir = NULL;
  g_autofree char *cpu_dir = NULL;
  g_autofree char *status = NULL;
  g_autofree char *out = NULL;
  g_auto (GStrv) times = NULL;
  guint64 limit = 0, quota = 0;
  double minutes, seconds, child_cpu = 0;
  const char *id, *token;
  JsonObject *metric;
  guint http_status = 0;

  created = viv_test_host_create (host, "{\"templateID\":\"small\"}");
  id = json_object_get_string_member (created, "sandboxID");
  token = json_object_get_string_member (created, "envdAccessToken");

  /* What the kernel was told. */
  memory_dir = viv_test_host_cgroup_dir (host, id, "memory");
  cpu_dir = viv_test_host_cgroup_dir (host, id, "cpu");
  g_assert_nonnull (memory_dir);
  g_assert_nonnull (cpu_dir);
  g_assert_true (read_u64 (memory_dir, "memory.limit_in_bytes", &limit));
  g_assert_cmpuint (limit, ==, 128u << 20);
  g_assert_true (read_u64 (cpu_dir, "cpu.cfs_quota_us", &quota));
  g_assert_cmpuint (quota, ==, 100000);

  metrics_path = g_strdup_printf ("/sandboxes/%s/metrics", id);
  metrics = viv_test_host_api (host, "GET", metrics_path, NULL, NULL, &http_status, NULL);
  g_assert_cmpuint (http_status, ==, 200);
  metric = json_array_get_object_element (json_node_get_array (metrics), 0);
  g_assert_cmpint (json_object_get_int_member (metric, "memTotal"), ==, 128 << 20);
  g_assert_cmpint (json_object_get_int_member (metric, "cpuCount"), ==, 1);

  /* Within the limit: fine. */
  g_free (run_in_sandbox (host, id, token, "exec dd if=/dev/zero of=/dev/null bs=32M count=1 2>/dev/null", &status));
  g_assert_cmpstr (status, ==, "exit status 0");
  g_clear_pointer (&status, g_free);

  /* dd fills a 256 MiB buffer: killed; the sandbox itself lives on. */
  g_free (run_in_sandbox (host, id, token, "exec dd if=/dev/zero of=/dev/null bs=256M count=1 2>/dev/null", &status));
  g_assert_cmpstr (status, ==, "signal: killed");
  g_clear_pointer (&status, g_free);
  g_assert_cmpuint (health (host, id), ==, 204);

  /* Two busy loops for 2 s: the children's CPU time, from the shell's `times`
   * (second line: children's user and system time, "0m1.990000s 0m0.000000s"). */
  out = run_in_sandbox (host, id, token,
                        "for i in 1 2; do timeout 2 sh -c 'while :; do :; done' & done; wait; times",
                        &status);
  g_assert_cmpstr (status, ==, "exit status 0");
  times = g_strsplit_set (g_strstrip (out), "\n ", -1);
  g_assert_cmpuint (g_strv_length (times), ==, 4);
  for (guint i = 2; i < 4; i++)
    {
      g_assert_cmpint (sscanf (times[i], "%lfm%lfs", &minutes, &seconds), ==, 2);
      child_cpu += minutes * 60 + seconds;
    }
  g_test_message ("two busy loops for 2 s with CpuCount=1: %.2f s of CPU", child_cpu);
  /* One CPU for 2 s, with some slack for the period's granularity; without
   * the limit an idle 2-core machine gives about 4 s. */
  g_assert_cmpfloat (child_cpu, <=, 2.5);
  g_assert_cmpfloat (child_cpu, >, 0.2);
}

static void
test_template_from_sandbox (Fixture       *fixture,
                            gconstpointer  data)
{
  VivTestHost *host = fixture->host;
  g_autoptr (JsonObject) source = viv_test_host_create (host, "{\"templateID\":\"base\"}");
  g_autoptr (JsonObject) copy = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (JsonNode) templates = NULL;
  const char *id = json_object_get_string_member (source, "sandboxID");
  g_autofree char *marker = viv_test_host_layer_path (host, id, "home/user/marker.txt");
  g_autofree char *path = g_strdup_printf ("/templates/from-sandbox/%s", id);
  g_autofree char *copied = NULL;
  g_autofree char *contents = NULL;
  gboolean listed = FALSE;
  guint status = 0;

  g_assert_true (g_file_set_contents (marker, "saved layer", -1, NULL));

  node = viv_test_host_api (host, "POST", path, "{\"name\":\"qa-template\"}", NULL, &status,
                            NULL);
  g_assert_cmpuint (status, ==, 201);
  g_clear_pointer (&node, json_node_unref);
  node = viv_test_host_api (host, "POST", path, "{\"name\":\"../evil\"}", NULL, &status, NULL);
  g_assert_cmpuint (status, ==, 400);

  templates = viv_test_host_api (host, "GET", "/templates", NULL, NULL, &status, NULL);
  for (guint i = 0; i < json_array_get_length (json_node_get_array (templates)); i++)
    listed |= g_str_equal (json_object_get_string_member (
                             json_array_get_object_element (json_node_get_array (templates), i),
                             "templateID"), "qa-template");
  g_assert_true (listed);

  copy = viv_test_host_create (host, "{\"templateID\":\"qa-template\"}");
  copied = viv_test_host_layer_path (host, json_object_get_string_member (copy, "sandboxID"),
                                     "home/user/marker.txt");
  g_assert_true (g_file_get_contents (copied, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "saved layer");
  g_assert_cmpuint (health (host, json_object_get_string_member (copy, "sandboxID")), ==, 204);
}

int
main (int    argc,
      char **argv)
{
  const char *freezer = g_getenv ("VIVARIUM_HOST_FREEZER");
  /* With a pause mechanism forced (meson's host-pause-* runs), only the tests
   * that pause: the others do not depend on it, and several -p options would
   * print several TAP plans. */
  gboolean pausing_only = freezer != NULL && *freezer != '\0';

  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  if (!pausing_only)
    {
      ADD ("/host/auth-and-discovery", test_auth_and_discovery);
      ADD ("/host/create-get-kill", test_create_get_kill);
      ADD ("/host/bad-requests", test_bad_requests);
      g_test_add ("/host/limits", Fixture, "[Template]\nCpuCount=1\nMemoryMB=128\n",
                  fixture_setup, test_limits, fixture_teardown);
      ADD ("/host/list-filters-pages", test_list_filters_pages);
    }
  ADD ("/host/pause-resume", test_pause_resume);
  ADD ("/host/pause-forking", test_pause_forking);
  ADD ("/host/timeouts", test_timeouts);
  ADD ("/host/restart-adoption", test_restart_adoption);
  if (!pausing_only)
    {
      ADD ("/host/metrics-logs", test_metrics_logs);
      ADD ("/host/template-from-sandbox", test_template_from_sandbox);
    }

  return g_test_run ();
}
