/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "vivarium.h"
#include "viv-client-private.h"
#include "viv-sandbox-list-private.h"
#include "viv-sandbox-private.h"

#include "test-client-common.h"

/* E2B cloud's answers, recorded from the spec into fixtures/, replayed by a
 * loopback server. The first path segment picks how the "cloud" misbehaves:
 * /ok/ answers normally, /html/ with a proxy's HTML page, /truncated/,
 * /garbage/, /wrongtypes/ with broken bodies, /drop/ closes the connection. */

#define GOOD_KEY "e2b_0123456789abcdef"

typedef struct
{
  SoupServer *server;
  char       *base;
  guint       paused;        /* pause calls that succeeded */
  char       *last_query;
  char       *last_body;
} Cloud;

static void
reply_fixture (SoupServerMessage *msg,
               guint              status,
               const char        *content_type,
               const char        *name)
{
  gsize length;
  char *contents = viv_test_fixture (name, &length);

  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, content_type, SOUP_MEMORY_TAKE, contents, length);
}

static void
reply_json (SoupServerMessage *msg,
            guint              status,
            const char        *json)
{
  soup_server_message_set_status (msg, status, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json, strlen (json));
}

static void
cloud_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *full_path,
          GHashTable        *query,
          gpointer           user_data)
{
  Cloud *cloud = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  const char *method = soup_server_message_get_method (msg);
  const char *key = soup_message_headers_get_one (headers, "X-API-KEY");
  GUri *uri = soup_server_message_get_uri (msg);
  g_auto (GStrv) parts = g_strsplit (full_path + 1, "/", 2);
  const char *mode = parts[0];
  g_autofree char *path = g_strconcat ("/", parts[1] ? parts[1] : "", NULL);
  SoupMessageBody *body = soup_server_message_get_request_body (msg);

  g_free (cloud->last_query);
  cloud->last_query = g_strdup (g_uri_get_query (uri));
  g_free (cloud->last_body);
  cloud->last_body = g_strndup (body->data, body->length);

  if (g_strcmp0 (key, GOOD_KEY) != 0)
    return reply_json (msg, 401, "{\"code\":401,\"message\":\"Invalid API key, it must start with 'e2b_'\"}");

  if (strcmp (mode, "drop") == 0)
    {
      GIOStream *stream = soup_server_message_steal_connection (msg);

      g_io_stream_close (stream, NULL, NULL);
      g_object_unref (stream);
      return;
    }
  if (strcmp (mode, "html") == 0)
    return reply_fixture (msg, 502, "text/html", "error-page.html");
  if (strcmp (mode, "truncated") == 0)
    return reply_fixture (msg, 200, "application/json", "truncated.json");
  if (strcmp (mode, "garbage") == 0)
    return reply_fixture (msg, 200, "application/json", "garbage.bin");
  if (strcmp (mode, "wrongtypes") == 0)
    return reply_fixture (msg, 200, "application/json", "wrong-types.json");
  if (strcmp (mode, "htmlok") == 0)
    return reply_fixture (msg, 200, "text/html", "error-page.html");

  if (strcmp (method, "GET") == 0 && strcmp (path, "/v2/sandboxes") == 0)
    {
      const char *token = query ? g_hash_table_lookup (query, "nextToken") : NULL;

      if (token == NULL)
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "X-Next-Token", "page/2=");
          return reply_fixture (msg, 200, "application/json", "sandboxes-page1.json");
        }
      if (strcmp (token, "page/2=") == 0)
        return reply_fixture (msg, 200, "application/json", "sandboxes-page2.json");
      return reply_json (msg, 400, "{\"code\":400,\"message\":\"bad token\"}");
    }
  if (strcmp (method, "POST") == 0 && strcmp (path, "/v2/sandboxes") == 0)
    return reply_fixture (msg, 201, "application/json", "sandbox-created.json");
  if (strcmp (method, "GET") == 0 && strcmp (path, "/sandboxes/inew0000000000000001") == 0)
    return reply_json (msg, 200, "{\"templateID\":\"base\",\"sandboxID\":\"inew0000000000000001\",\"clientID\":\"c\","
                       "\"startedAt\":\"2026-11-22T10:00:00Z\",\"endAt\":\"2026-11-22T10:10:00Z\",\"cpuCount\":2,"
                       "\"memoryMB\":512,\"diskSizeMB\":1024,\"state\":\"running\",\"envdVersion\":\"0.6.13\","
                       "\"domain\":\"e2b.app\",\"envdAccessToken\":\"tok_new\"}");
  if (strcmp (method, "GET") == 0 && strcmp (path, "/sandboxes/i1234abcd5678efgh9012") == 0)
    return reply_fixture (msg, 200, "application/json", "sandbox-detail.json");
  if (strcmp (method, "GET") == 0 && strcmp (path, "/sandboxes/i1234abcd5678efgh9012/metrics") == 0)
    return reply_fixture (msg, 200, "application/json", "metrics.json");
  if (strcmp (method, "GET") == 0 && strcmp (path, "/v2/sandboxes/i1234abcd5678efgh9012/logs") == 0)
    return reply_fixture (msg, 200, "application/json", "logs.json");
  if (strcmp (method, "POST") == 0 && strcmp (path, "/sandboxes/i1234abcd5678efgh9012/pause") == 0)
    {
      if (cloud->paused++ == 0)
        {
          soup_server_message_set_status (msg, 204, NULL);
          return;
        }
      return reply_json (msg, 409, "{\"code\":409,\"message\":\"Sandbox i1234abcd5678efgh9012 is already paused\"}");
    }

  reply_fixture (msg, 404, "application/json", "error-not-found.json");
}

static Cloud *
cloud_new (void)
{
  Cloud *cloud = g_new0 (Cloud, 1);
  g_autoptr (GError) error = NULL;
  GSList *uris;

  cloud->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (cloud->server, NULL, cloud_cb, cloud, NULL);
  soup_server_listen_local (cloud->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);

  uris = soup_server_get_uris (cloud->server);
  cloud->base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return cloud;
}

static void
cloud_free (Cloud *cloud)
{
  soup_server_disconnect (cloud->server);
  g_object_unref (cloud->server);
  g_free (cloud->base);
  g_free (cloud->last_query);
  g_free (cloud->last_body);
  g_free (cloud);
}

static VivClient *
cloud_client (Cloud      *cloud,
              const char *mode,
              const char *key)
{
  g_autofree char *api_url = g_strdup_printf ("%s/%s", cloud->base, mode);
  g_autoptr (VivAccount) account = viv_account_new (VIV_ACCOUNT_KIND_CUSTOM, "test", "Test",
                                                    api_url, NULL, "example.test");

  return viv_client_new (account, key);
}

static VivSandbox *
get_sandbox (VivClient   *client,
             const char  *id,
             GError     **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  viv_client_get_sandbox_async (client, id, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  return viv_client_get_sandbox_finish (client, result, error);
}

static GPtrArray *
list_sandboxes (VivClient   *client,
                GHashTable  *metadata,
                GError     **error)
{
  GAsyncResult *slot = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  viv_client_list_sandboxes_async (client, VIV_SANDBOX_STATE_FLAGS_ANY, metadata, NULL,
                                   viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  return viv_client_list_sandboxes_finish (client, result, error);
}

static void
test_detail_fields (void)
{
  Cloud *cloud = cloud_new ();
  g_autoptr (VivClient) client = cloud_client (cloud, "ok", GOOD_KEY);
  g_autoptr (GError) error = NULL;
  g_autoptr (VivSandbox) sandbox = NULL;
  g_autofree char *started = NULL;
  g_autofree char *ended = NULL;
  g_autofree char *envd = NULL;

  sandbox = get_sandbox (client, "i1234abcd5678efgh9012", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (viv_sandbox_get_id (sandbox), ==, "i1234abcd5678efgh9012");
  g_assert_cmpstr (viv_sandbox_get_template_id (sandbox), ==, "rki5dems9wqfm4r03t7g");
  g_assert_cmpstr (viv_sandbox_get_alias (sandbox), ==, "desktop");
  g_assert_cmpstr (_viv_sandbox_get_client_id (sandbox), ==, "6532622b");
  g_assert_cmpint (viv_sandbox_get_state (sandbox), ==, VIV_SANDBOX_STATE_RUNNING);
  g_assert_cmpuint (viv_sandbox_get_cpu_count (sandbox), ==, 8);
  g_assert_cmpuint (viv_sandbox_get_memory_mb (sandbox), ==, 8192);
  g_assert_cmpuint (viv_sandbox_get_disk_size_mb (sandbox), ==, 10240);
  g_assert_cmpstr (viv_sandbox_get_envd_version (sandbox), ==, "0.6.13");
  g_assert_cmpstr (viv_sandbox_get_domain (sandbox), ==, "e2b.app");
  g_assert_cmpstr (_viv_sandbox_get_access_token (sandbox), ==, "tok_3f2a9c");
  g_assert_true (viv_sandbox_get_auto_pause (sandbox));
  g_assert_cmpstr (viv_sandbox_get_metadata_value (sandbox, "agent"), ==, "planner");
  g_assert_cmpstr (viv_sandbox_get_metadata_value (sandbox, "run"), ==, "42");
  g_assert_cmpuint (g_hash_table_size (viv_sandbox_get_metadata (sandbox)), ==, 2);
  started = g_date_time_format_iso8601 (viv_sandbox_get_started_at (sandbox));
  ended = g_date_time_format_iso8601 (viv_sandbox_get_end_at (sandbox));
  g_assert_cmpstr (started, ==, "2026-11-22T10:15:30.123000Z");
  g_assert_cmpstr (ended, ==, "2026-11-22T10:20:30.123000Z");

  /* Routing: a custom account without a sandbox URL addresses each sandbox
   * by host name, with the sandbox's own domain (spec §3). */
  envd = _viv_sandbox_dup_base_url (sandbox, VIV_ENVD_PORT);
  g_assert_cmpstr (envd, ==, "https://49983-i1234abcd5678efgh9012.e2b.app");

  cloud_free (cloud);
}

static void
test_list_pages (void)
{
  Cloud *cloud = cloud_new ();
  g_autoptr (VivClient) client = cloud_client (cloud, "ok", GOOD_KEY);
  g_autoptr (GHashTable) filter = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) sandboxes = NULL;
  VivSandbox *paused;

  g_hash_table_insert (filter, "k", "v w");
  sandboxes = list_sandboxes (client, filter, &error);
  g_assert_no_error (error);
  /* Two pages, the second asked for with the first's X-Next-Token. */
  g_assert_cmpuint (sandboxes->len, ==, 3);
  g_assert_cmpstr (viv_sandbox_get_id (g_ptr_array_index (sandboxes, 2)), ==, "ia000000000000000003");
  g_assert_nonnull (strstr (cloud->last_query, "nextToken=page%2F2%3D"));
  /* The three layers of metadata encoding the SDK uses (spec §1). */
  g_assert_nonnull (strstr (cloud->last_query, "metadata=k%253Dv%252520w"));
  g_assert_nonnull (strstr (cloud->last_query, "state=running%2Cpaused"));

  paused = g_ptr_array_index (sandboxes, 1);
  g_assert_cmpint (viv_sandbox_get_state (paused), ==, VIV_SANDBOX_STATE_PAUSED);
  g_assert_cmpstr (viv_sandbox_get_alias (paused), ==, "desktop");
  g_assert_cmpuint (g_hash_table_size (viv_sandbox_get_metadata (paused)), ==, 0);
  g_assert_cmpstr (viv_sandbox_get_metadata_value (g_ptr_array_index (sandboxes, 0), "agent"), ==, "a");

  cloud_free (cloud);
}

static void
assert_get_fails (Cloud      *cloud,
                  const char *mode,
                  const char *key,
                  const char *id,
                  int         code,
                  const char *message_part)
{
  g_autoptr (VivClient) client = cloud_client (cloud, mode, key);
  g_autoptr (GError) error = NULL;
  g_autoptr (VivSandbox) sandbox = get_sandbox (client, id, &error);

  g_assert_null (sandbox);
  g_assert_error (error, VIV_ERROR, code);
  g_test_message ("%s: %s", mode, error->message);
  if (message_part != NULL)
    g_assert_nonnull (strstr (error->message, message_part));
}

static void
test_errors (void)
{
  Cloud *cloud = cloud_new ();
  g_autoptr (VivClient) client = NULL;
  g_autoptr (GPtrArray) sandboxes = NULL;
  g_autoptr (GError) error = NULL;

  assert_get_fails (cloud, "ok", "e2b_wrong", "i1234abcd5678efgh9012",
                    VIV_ERROR_UNAUTHENTICATED, "Invalid API key");
  assert_get_fails (cloud, "ok", GOOD_KEY, "nope", VIV_ERROR_NOT_FOUND, "sandbox \"nope\" not found");
  assert_get_fails (cloud, "html", GOOD_KEY, "x", VIV_ERROR_TIMEOUT, "HTML page");
  assert_get_fails (cloud, "htmlok", GOOD_KEY, "x", VIV_ERROR_PROTOCOL, "HTML");
  assert_get_fails (cloud, "truncated", GOOD_KEY, "x", VIV_ERROR_PROTOCOL, "not valid JSON");
  assert_get_fails (cloud, "garbage", GOOD_KEY, "x", VIV_ERROR_PROTOCOL, NULL);
  assert_get_fails (cloud, "drop", GOOD_KEY, "x", VIV_ERROR_UNAVAILABLE, NULL);

  /* Wrong types name the member. */
  client = cloud_client (cloud, "wrongtypes", GOOD_KEY);
  sandboxes = list_sandboxes (client, NULL, &error);
  g_assert_null (sandboxes);
  g_assert_error (error, VIV_ERROR, VIV_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "cpuCount"));

  cloud_free (cloud);
}

static void
test_pause_twice (void)
{
  Cloud *cloud = cloud_new ();
  g_autoptr (VivClient) client = cloud_client (cloud, "ok", GOOD_KEY);
  g_autoptr (VivSandbox) sandbox = get_sandbox (client, "i1234abcd5678efgh9012", NULL);
  g_autoptr (GAsyncResult) first = NULL;
  g_autoptr (GAsyncResult) second = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *slot = NULL;

  viv_sandbox_pause_async (sandbox, NULL, viv_test_result_cb, &slot);
  first = viv_test_wait_result (&slot);
  g_assert_true (viv_sandbox_pause_finish (sandbox, first, &error));
  g_assert_no_error (error);
  g_assert_cmpint (viv_sandbox_get_state (sandbox), ==, VIV_SANDBOX_STATE_PAUSED);
  g_assert_cmpstr (cloud->last_body, ==, "{}");

  viv_sandbox_pause_async (sandbox, NULL, viv_test_result_cb, &slot);
  second = viv_test_wait_result (&slot);
  g_assert_false (viv_sandbox_pause_finish (sandbox, second, &error));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_ALREADY_PAUSED);
  g_assert_nonnull (strstr (error->message, "already paused"));

  cloud_free (cloud);
}

static void
test_create (void)
{
  Cloud *cloud = cloud_new ();
  g_autoptr (VivClient) client = cloud_client (cloud, "ok", GOOD_KEY);
  g_autoptr (GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GHashTable) envs = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (VivSandbox) sandbox = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *slot = NULL;

  g_hash_table_insert (metadata, "agent", "x");
  g_hash_table_insert (envs, "DISPLAY", ":0");
  viv_client_create_sandbox_async (client, "base", 600, metadata, envs, TRUE, NULL,
                                   viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  sandbox = viv_client_create_sandbox_finish (client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (viv_sandbox_get_id (sandbox), ==, "inew0000000000000001");
  g_assert_cmpint (viv_sandbox_get_state (sandbox), ==, VIV_SANDBOX_STATE_RUNNING);
  g_assert_cmpstr (_viv_sandbox_get_access_token (sandbox), ==, "tok_new");
  /* The details were read after the creation. */
  g_assert_nonnull (viv_sandbox_get_end_at (sandbox));
  g_assert_cmpuint (viv_sandbox_get_memory_mb (sandbox), ==, 512);

  cloud_free (cloud);
}

static void
test_metrics_logs (void)
{
  Cloud *cloud = cloud_new ();
  g_autoptr (VivClient) client = cloud_client (cloud, "ok", GOOD_KEY);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GAsyncResult) result2 = NULL;
  g_autoptr (GPtrArray) metrics = NULL;
  g_autoptr (GPtrArray) logs = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *slot = NULL;
  VivMetric *metric;
  VivLogEntry *entry;

  viv_client_get_sandbox_metrics_async (client, "i1234abcd5678efgh9012", NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  metrics = viv_client_get_sandbox_metrics_finish (client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (metrics->len, ==, 2);
  metric = g_ptr_array_index (metrics, 0);
  g_assert_cmpint (metric->timestamp_unix, ==, 1795342560);
  g_assert_cmpint (metric->cpu_count, ==, 2);
  g_assert_cmpfloat (metric->cpu_used_pct, ==, 12.5);
  g_assert_cmpint (metric->mem_used, ==, 104857600);
  g_assert_cmpint (metric->mem_total, ==, 536870912);
  g_assert_cmpint (metric->mem_cache, ==, 1048576);
  g_assert_cmpint (metric->disk_used, ==, 2097152);
  g_assert_cmpint (metric->disk_total, ==, 1073741824);
  /* An int64 as a string is read too. */
  g_assert_cmpint (((VivMetric *) g_ptr_array_index (metrics, 1))->mem_used, ==, 209715200);

  viv_client_get_sandbox_logs_async (client, "i1234abcd5678efgh9012", NULL, viv_test_result_cb, &slot);
  result2 = viv_test_wait_result (&slot);
  logs = viv_client_get_sandbox_logs_finish (client, result2, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (logs->len, ==, 2);
  entry = g_ptr_array_index (logs, 1);
  g_assert_cmpstr (entry->level, ==, "error");
  g_assert_cmpstr (entry->message, ==, "envd: health check failed");
  g_assert_nonnull (entry->timestamp);

  cloud_free (cloud);
}

typedef struct
{
  guint position, removed, added;
  guint count;
} Change;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Change     *change)
{
  change->position = position;
  change->removed = removed;
  change->added = added;
  change->count++;
}

static void
count_notify_cb (GObject    *object,
                 GParamSpec *pspec,
                 guint      *count)
{
  (*count)++;
}

static VivSandbox *
listed (VivClient  *client,
        const char *id,
        const char *state)
{
  g_autofree char *json = g_strdup_printf ("{\"sandboxID\":\"%s\",\"templateID\":\"base\",\"state\":\"%s\"}",
                                           id, state);
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  VivSandbox *sandbox;

  json_parser_load_from_data (parser, json, -1, &error);
  g_assert_no_error (error);
  sandbox = _viv_sandbox_new_from_json (client, json_node_get_object (json_parser_get_root (parser)), &error);
  g_assert_no_error (error);
  return sandbox;
}

static void
test_list_model_diff (void)
{
  g_autoptr (VivAccount) account = viv_account_new (VIV_ACCOUNT_KIND_CUSTOM, NULL, NULL,
                                                    "http://127.0.0.1:9", NULL, NULL);
  g_autoptr (VivClient) client = viv_client_new (account, "k");
  g_autoptr (VivSandboxList) list = viv_sandbox_list_new ();
  g_autoptr (GPtrArray) batch = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr (VivSandbox) first = NULL;
  Change change = { 0 };
  guint state_notifies = 0;

  viv_sandbox_list_set_interval (list, 0);
  g_signal_connect (list, "items-changed", G_CALLBACK (items_changed_cb), &change);

  g_ptr_array_add (batch, listed (client, "a", "running"));
  g_ptr_array_add (batch, listed (client, "b", "running"));
  g_ptr_array_add (batch, listed (client, "c", "running"));
  _viv_sandbox_list_apply (list, client, batch);
  g_assert_cmpuint (change.count, ==, 1);
  g_assert_cmpuint (change.position, ==, 0);
  g_assert_cmpuint (change.added, ==, 3);
  first = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_signal_connect (first, "notify::state", G_CALLBACK (count_notify_cb), &state_notifies);

  /* The same listing again: no signal at all. */
  g_ptr_array_set_size (batch, 0);
  g_ptr_array_add (batch, listed (client, "a", "running"));
  g_ptr_array_add (batch, listed (client, "b", "running"));
  g_ptr_array_add (batch, listed (client, "c", "running"));
  _viv_sandbox_list_apply (list, client, batch);
  g_assert_cmpuint (change.count, ==, 1);

  /* A state change updates the object in place, without items-changed. */
  g_ptr_array_set_size (batch, 0);
  g_ptr_array_add (batch, listed (client, "a", "paused"));
  g_ptr_array_add (batch, listed (client, "b", "running"));
  g_ptr_array_add (batch, listed (client, "c", "running"));
  _viv_sandbox_list_apply (list, client, batch);
  g_assert_cmpuint (change.count, ==, 1);
  g_assert_cmpint (viv_sandbox_get_state (first), ==, VIV_SANDBOX_STATE_PAUSED);
  g_assert_cmpuint (state_notifies, ==, 1);

  /* One removed in the middle: one signal for one item. */
  g_ptr_array_set_size (batch, 0);
  g_ptr_array_add (batch, listed (client, "a", "paused"));
  g_ptr_array_add (batch, listed (client, "c", "running"));
  _viv_sandbox_list_apply (list, client, batch);
  g_assert_cmpuint (change.count, ==, 2);
  g_assert_cmpuint (change.position, ==, 1);
  g_assert_cmpuint (change.removed, ==, 1);
  g_assert_cmpuint (change.added, ==, 0);

  /* One added: appended. */
  g_ptr_array_add (batch, listed (client, "d", "running"));
  _viv_sandbox_list_apply (list, client, batch);
  g_assert_cmpuint (change.count, ==, 3);
  g_assert_cmpuint (change.position, ==, 2);
  g_assert_cmpuint (change.removed, ==, 0);
  g_assert_cmpuint (change.added, ==, 1);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 3);

  /* Removing the client removes its sandboxes in one run. */
  viv_sandbox_list_add_client (list, client);
  viv_sandbox_list_remove_client (list, client);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);
  g_assert_cmpuint (change.removed, ==, 3);
}

static void
test_account (void)
{
  g_autoptr (VivAccount) cloud = viv_account_new (VIV_ACCOUNT_KIND_E2B_CLOUD, NULL, NULL, NULL, NULL, NULL);
  g_autoptr (VivAccount) custom = viv_account_new (VIV_ACCOUNT_KIND_CUSTOM, "own", "Our fleet",
                                                   "https://api.fleet.test", "https://sb.fleet.test", "fleet.test");
  g_autoptr (VivAccount) local = NULL;
  g_autoptr (GListStore) store = g_list_store_new (VIV_TYPE_ACCOUNT);
  g_autoptr (GListModel) loaded = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("viv-account-XXXXXX", &error);
  g_autofree char *discovery = g_build_filename (dir, "host.json", NULL);
  g_autofree char *keyfile = g_build_filename (dir, "accounts.ini", NULL);
  g_autoptr (VivAccount) again = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (viv_account_get_api_url (cloud), ==, "https://api.e2b.app");
  g_assert_cmpstr (viv_account_get_sandbox_url (cloud), ==, "https://sandbox.e2b.app");
  g_assert_cmpstr (viv_account_get_domain (cloud), ==, "e2b.app");
  g_assert_nonnull (viv_account_get_id (cloud));

  g_file_set_contents (discovery, "{\"api_url\":\"http://127.0.0.1:3000\",\"sandbox_url\":\"http://127.0.0.1:3001\","
                       "\"domain\":\"localhost\",\"api_key_file\":\"/nonexistent/key\",\"pid\":1}", -1, &error);
  local = viv_account_new_for_local_host (discovery, &error);
  g_assert_no_error (error);
  g_assert_cmpint (viv_account_get_kind (local), ==, VIV_ACCOUNT_KIND_LOCAL_HOST);
  g_assert_cmpstr (viv_account_get_api_url (local), ==, "http://127.0.0.1:3000");
  g_assert_cmpstr (viv_account_get_sandbox_url (local), ==, "http://127.0.0.1:3001");
  g_assert_cmpstr (viv_account_get_api_key_file (local), ==, "/nonexistent/key");

  /* A broken discovery file is a clean error. */
  g_file_set_contents (discovery, "{\"api_url\": 3", -1, NULL);
  g_assert_null (viv_account_new_for_local_host (discovery, &error));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_null (viv_account_new_for_local_host ("/nonexistent/host.json", &error));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_NOT_FOUND);
  g_clear_error (&error);

  g_list_store_append (store, cloud);
  g_list_store_append (store, custom);
  g_list_store_append (store, local);
  g_assert_true (viv_account_save_all (G_LIST_MODEL (store), keyfile, &error));
  g_assert_no_error (error);
  loaded = viv_account_load_all (keyfile, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (loaded), ==, 2);
  again = g_list_model_get_item (loaded, 1);
  g_assert_cmpstr (viv_account_get_id (again), ==, "own");
  g_assert_cmpstr (viv_account_get_display_name (again), ==, "Our fleet");
  g_assert_cmpstr (viv_account_get_sandbox_url (again), ==, "https://sb.fleet.test");
  g_assert_cmpstr (viv_account_get_domain (again), ==, "fleet.test");

  g_unlink (discovery);
  g_unlink (keyfile);
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client/cloud/detail-fields", test_detail_fields);
  g_test_add_func ("/client/cloud/list-pages", test_list_pages);
  g_test_add_func ("/client/cloud/errors", test_errors);
  g_test_add_func ("/client/cloud/pause-twice", test_pause_twice);
  g_test_add_func ("/client/cloud/create", test_create);
  g_test_add_func ("/client/cloud/metrics-logs", test_metrics_logs);
  g_test_add_func ("/client/list-model/diff", test_list_model_diff);
  g_test_add_func ("/client/account/defaults-discovery-persistence", test_account);

  return g_test_run ();
}
