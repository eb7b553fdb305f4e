/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsoup/soup.h>

#include "vivarium.h"
#include "viv-client-private.h"
#include "viv-sandbox-list-private.h"

#include "test-client-common.h"

/* Listing 200 sandboxes and diffing them into VivSandboxList. 200 real
 * sandboxes take too long to create, so a loopback server on its own thread
 * answers E2B's GET /v2/sandboxes with 200 generated ListedSandbox objects in
 * two pages (X-Next-Token), as the cloud fixture tests do. Between refreshes
 * the set churns like a busy account: 5 sandboxes gone, 5 new, 10 paused or
 * resumed, some end times moved. Baselines from the same run: fetching the
 * same pages without parsing, and a refresh where nothing changed. */

#define N_SANDBOXES   200
#define PAGE_SIZE     100
#define GENERATIONS   24
#define KEY           "e2b_bench"

typedef struct
{
  GMainContext *context;
  GMainLoop    *loop;
  GThread      *thread;
  char         *base;
  GMutex        mutex;
  GCond         cond;
  /* pages[generation][page] */
  GBytes       *pages[GENERATIONS][2];
  gint          generation;
} Cloud;

static char *
listed_sandbox (guint n,
                guint generation)
{
  /* 10 of the 200 change state each generation, and a seventh move their end. */
  gboolean paused = (n % 20) == (generation % 20) || (n % 20) == ((generation + 10) % 20);
  guint minutes = 10 + ((n % 7) == (generation % 7) ? generation : 0);

  return g_strdup_printf ("{\"templateID\":\"desktop\",\"alias\":\"desktop\",\"sandboxID\":\"ibench%014u\","
                          "\"clientID\":\"6532622b\",\"startedAt\":\"2026-11-22T10:00:00Z\","
                          "\"endAt\":\"2026-11-22T10:%02u:00Z\",\"cpuCount\":2,\"memoryMB\":1024,"
                          "\"diskSizeMB\":4096,\"state\":\"%s\",\"envdVersion\":\"0.6.4\","
                          "\"metadata\":{\"agent\":\"bench-%u\",\"purpose\":\"benchmark\"}}",
                          n, minutes % 60, paused ? "paused" : "running", n % 13);
}

static void
generate (Cloud *cloud)
{
  for (guint g = 0; g < GENERATIONS; g++)
    for (guint page = 0; page < 2; page++)
      {
        g_autoptr (GString) json = g_string_new ("[");

        /* Generation g lists sandboxes g*5 .. g*5+199: 5 fewer at the front,
         * 5 new at the back. */
        for (guint i = page * PAGE_SIZE; i < (page + 1) * PAGE_SIZE; i++)
          {
            g_autofree char *sandbox = listed_sandbox (g * 5 + i, g);

            if (i > page * PAGE_SIZE)
              g_string_append_c (json, ',');
            g_string_append (json, sandbox);
          }
        g_string_append_c (json, ']');
        cloud->pages[g][page] = g_string_free_to_bytes (g_steal_pointer (&json));
      }
}

static void
cloud_cb (SoupServer        *server,
          SoupServerMessage *msg,
          const char        *path,
          GHashTable        *query,
          gpointer           user_data)
{
  Cloud *cloud = user_data;
  const char *token = query ? g_hash_table_lookup (query, "nextToken") : NULL;
  const char *key = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                  "X-API-KEY");
  guint generation = g_atomic_int_get (&cloud->generation);
  GBytes *page;

  if (g_strcmp0 (key, KEY) != 0 || strcmp (path, "/v2/sandboxes") != 0)
    {
      soup_server_message_set_status (msg, 404, NULL);
      return;
    }

  if (token == NULL)
    {
      page = cloud->pages[generation][0];
      soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                    "X-Next-Token", "page-2");
    }
  else
    page = cloud->pages[generation][1];

  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY,
                                    g_bytes_get_data (page, NULL), g_bytes_get_size (page));
}

static gpointer
cloud_thread (gpointer data)
{
  Cloud *cloud = data;
  g_autoptr (SoupServer) server = NULL;
  g_autoptr (GError) error = NULL;
  GSList *uris;

  g_main_context_push_thread_default (cloud->context);
  server = soup_server_new (NULL, NULL);
  soup_server_add_handler (server, NULL, cloud_cb, cloud, NULL);
  soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error);
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);

  g_mutex_lock (&cloud->mutex);
  cloud->base = g_strdup_printf ("http://127.0.0.1:%d", g_uri_get_port (uris->data));
  g_cond_signal (&cloud->cond);
  g_mutex_unlock (&cloud->mutex);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  g_main_loop_run (cloud->loop);
  soup_server_disconnect (server);
  g_main_context_pop_thread_default (cloud->context);
  return NULL;
}

static Cloud *
cloud_start (void)
{
  Cloud *cloud = g_new0 (Cloud, 1);

  generate (cloud);
  g_mutex_init (&cloud->mutex);
  g_cond_init (&cloud->cond);
  cloud->context = g_main_context_new ();
  cloud->loop = g_main_loop_new (cloud->context, FALSE);
  g_mutex_lock (&cloud->mutex);
  cloud->thread = g_thread_new ("cloud", cloud_thread, cloud);
  while (cloud->base == NULL)
    g_cond_wait (&cloud->cond, &cloud->mutex);
  g_mutex_unlock (&cloud->mutex);
  return cloud;
}

static void
cloud_stop (Cloud *cloud)
{
  g_main_loop_quit (cloud->loop);
  g_thread_join (cloud->thread);
  g_main_loop_unref (cloud->loop);
  g_main_context_unref (cloud->context);
  for (guint g = 0; g < GENERATIONS; g++)
    for (guint page = 0; page < 2; page++)
      g_bytes_unref (cloud->pages[g][page]);
  g_mutex_clear (&cloud->mutex);
  g_cond_clear (&cloud->cond);
  g_free (cloud->base);
  g_free (cloud);
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (GArray *samples)
{
  g_array_sort (samples, compare_doubles);
  return g_array_index (samples, double, samples->len / 2);
}

static void
add_sample (GArray *samples,
            double  value)
{
  g_array_append_val (samples, value);
}

static GPtrArray *
list (VivClient *client)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *slot = NULL;
  GPtrArray *sandboxes;

  viv_client_list_sandboxes_async (client, VIV_SANDBOX_STATE_FLAGS_ANY, NULL, NULL,
                                   viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  sandboxes = viv_client_list_sandboxes_finish (client, result, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sandboxes->len, ==, N_SANDBOXES);
  return sandboxes;
}

typedef struct
{
  guint emissions;
  guint removed;
  guint added;
} Changes;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Changes    *changes)
{
  changes->emissions++;
  changes->removed += removed;
  changes->added += added;
}

static void
bench_list (void)
{
  Cloud *cloud = cloud_start ();
  g_autofree char *api = g_strdup (cloud->base);
  g_autoptr (VivAccount) account = viv_account_new (VIV_ACCOUNT_KIND_CUSTOM, "bench", "Bench",
                                                    api, NULL, "example.test");
  g_autoptr (VivClient) client = viv_client_new (account, KEY);
  g_autoptr (VivSandboxList) model = viv_sandbox_list_new ();
  g_autoptr (GArray) raw = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) listing = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) churn = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) steady = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) diff_churn = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) diff_steady = g_array_new (FALSE, FALSE, sizeof (double));
  SoupSession *session = _viv_client_get_session (client);
  Changes changes = { 0 };
  double fill_us;
  gint64 start;

  viv_sandbox_list_set_interval (model, 0);
  g_signal_connect (model, "items-changed", G_CALLBACK (items_changed_cb), &changes);

  /* Baseline: the same two pages, fetched on the same session, not parsed. */
  for (guint i = 0; i < GENERATIONS; i++)
    {
      g_autofree char *first = g_strdup_printf ("%s/v2/sandboxes", cloud->base);
      g_autofree char *second = g_strdup_printf ("%s/v2/sandboxes?nextToken=page-2", cloud->base);
      const char *urls[] = { first, second };

      start = g_get_monotonic_time ();
      for (guint p = 0; p < 2; p++)
        {
          g_autoptr (SoupMessage) msg = soup_message_new ("GET", urls[p]);
          g_autoptr (GAsyncResult) result = NULL;
          g_autoptr (GBytes) body = NULL;
          GAsyncResult *slot = NULL;

          soup_message_headers_replace (soup_message_get_request_headers (msg), "X-API-KEY", KEY);
          soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL,
                                            viv_test_result_cb, &slot);
          result = viv_test_wait_result (&slot);
          body = soup_session_send_and_read_finish (session, result, NULL);
          g_assert_nonnull (body);
        }
      add_sample (raw, (g_get_monotonic_time () - start) / 1000.0);
    }

  /* Listing: fetch both pages and parse 200 sandboxes. */
  for (guint i = 0; i < GENERATIONS; i++)
    {
      g_autoptr (GPtrArray) sandboxes = NULL;

      start = g_get_monotonic_time ();
      sandboxes = list (client);
      add_sample (listing, (g_get_monotonic_time () - start) / 1000.0);
    }

  /* The model's first fill (200 appended). */
  {
    g_autoptr (GPtrArray) sandboxes = list (client);

    start = g_get_monotonic_time ();
    _viv_sandbox_list_apply (model, client, sandboxes);
    fill_us = g_get_monotonic_time () - start;
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, N_SANDBOXES);
  }

  /* Diffs only, on listings fetched beforehand: churn, then nothing changed. */
  for (guint g = 1; g < GENERATIONS; g++)
    {
      g_autoptr (GPtrArray) sandboxes = NULL;
      g_autoptr (GPtrArray) again = NULL;

      g_atomic_int_set (&cloud->generation, g);
      sandboxes = list (client);
      again = list (client);

      start = g_get_monotonic_time ();
      _viv_sandbox_list_apply (model, client, sandboxes);
      add_sample (diff_churn, g_get_monotonic_time () - start);

      changes = (Changes) { 0 };
      start = g_get_monotonic_time ();
      _viv_sandbox_list_apply (model, client, again);
      add_sample (diff_steady, g_get_monotonic_time () - start);
      g_assert_cmpuint (changes.emissions, ==, 0);
    }

  /* Whole refreshes through the model (list + diff), as its poll does. */
  viv_sandbox_list_add_client (model, client);
  for (guint g = 0; g < GENERATIONS; g++)
    {
      gboolean changed_generation = g % 2 == 0;
      g_autoptr (GAsyncResult) result = NULL;
      g_autoptr (GError) error = NULL;
      GAsyncResult *slot = NULL;

      if (changed_generation)
        g_atomic_int_set (&cloud->generation, (g_atomic_int_get (&cloud->generation) + 1) % GENERATIONS);
      changes = (Changes) { 0 };
      start = g_get_monotonic_time ();
      viv_sandbox_list_refresh_async (model, NULL, viv_test_result_cb, &slot);
      result = viv_test_wait_result (&slot);
      g_assert_true (viv_sandbox_list_refresh_finish (model, result, &error));
      g_assert_no_error (error);
      add_sample (changed_generation ? churn : steady,
                  (g_get_monotonic_time () - start) / 1000.0);
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (model)), ==, N_SANDBOXES);
      if (!changed_generation)
        g_assert_cmpuint (changes.emissions, ==, 0);
      else if (g == GENERATIONS - 2)
        g_test_message ("one churning refresh: %u items-changed (%u removed, %u added)",
                        changes.emissions, changes.removed, changes.added);
    }

  g_test_message ("%d sandboxes in 2 pages over loopback, medians of %d:", N_SANDBOXES, GENERATIONS);
  g_test_message ("fetch only (baseline): %.2f ms", median (raw));
  g_test_message ("list (fetch + parse): %.2f ms, %.2fx the baseline", median (listing),
                  median (listing) / median (raw));
  g_test_message ("first fill of the model: %.0f us", fill_us);
  g_test_message ("diff only, churning (5 gone, 5 new, ~10 state changes): %.0f us", median (diff_churn));
  g_test_message ("diff only, nothing changed: %.0f us", median (diff_steady));
  g_test_message ("refresh (list + diff), churning: %.2f ms; nothing changed: %.2f ms, %.2fx the baseline",
                  median (churn), median (steady), median (churn) / median (raw));

  g_signal_handlers_disconnect_by_data (model, &changes);
  viv_sandbox_list_remove_client (model, client);
  cloud_stop (cloud);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/bench/client/list-200", bench_list);

  return g_test_run ();
}
