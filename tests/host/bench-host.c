/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmarks of the local host: create → guest healthy (base and desktop),
 * pause and resume latency, memory per idle desktop sandbox with 10 running.
 * Prints numbers; never fails on timing. */
#include "config.h"

#include "viv-test-host.h"

#define ROUNDS 10

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (GArray *values)
{
  g_array_sort (values, compare_doubles);
  return g_array_index (values, double, values->len / 2);
}

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

/* Creates a sandbox and returns its id, or NULL with the host's message. */
static char *
create (VivTestHost *host,
        const char  *template,
        double      *elapsed_ms,
        char       **failure)
{
  g_autofree char *body = g_strdup_printf ("{\"templateID\":\"%s\",\"timeout\":600}", template);
  g_autoptr (JsonNode) node = NULL;
  double start = now_ms ();
  guint status = 0;

  node = viv_test_host_api (host, "POST", "/v2/sandboxes", body, NULL, &status, NULL);
  *elapsed_ms = now_ms () - start;
  if (status != 201)
    {
      *failure = node ? g_strdup (json_object_get_string_member (json_node_get_object (node),
                                                                 "message"))
                      : g_strdup_printf ("HTTP %u", status);
      return NULL;
    }

  return g_strdup (json_object_get_string_member (json_node_get_object (node), "sandboxID"));
}

static void
kill_sandbox (VivTestHost *host,
              const char  *id)
{
  g_autofree char *path = g_strconcat ("/sandboxes/", id, NULL);
  g_autoptr (JsonNode) node = NULL;
  guint status = 0;

  node = viv_test_host_api (host, "DELETE", path, NULL, NULL, &status, NULL);
}

static double
post_ms (VivTestHost *host,
         const char  *id,
         const char  *action)
{
  g_autofree char *path = g_strdup_printf ("/sandboxes/%s/%s", id, action);
  g_autoptr (JsonNode) node = NULL;
  double start = now_ms ();
  guint status = 0;

  node = viv_test_host_api (host, "POST", path, "{}", NULL, &status, NULL);
  g_assert_true (status == 204 || status == 201);
  return now_ms () - start;
}

static void
bench_base (VivTestHost *host)
{
  g_autoptr (GArray) create_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) direct_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) pause_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) resume_ms = g_array_new (FALSE, FALSE, sizeof (double));
  double base, direct;

  for (guint i = 0; i < ROUNDS; i++)
    {
      g_autofree char *failure = NULL;
      g_autofree char *id = NULL;
      double elapsed;

      id = create (host, "base", &elapsed, &failure);
      g_assert_nonnull (id);
      g_array_append_val (create_ms, elapsed);

      elapsed = post_ms (host, id, "pause");
      g_array_append_val (pause_ms, elapsed);
      elapsed = post_ms (host, id, "resume");
      g_array_append_val (resume_ms, elapsed);

      kill_sandbox (host, id);
    }

  /* Baseline in the same run: the same guest started directly, no jail. */
  for (guint i = 0; i < ROUNDS; i++)
    {
      double start = now_ms ();
      VivTestGuest *guest = viv_test_guest_start (NULL, NULL);
      double elapsed = now_ms () - start;

      g_array_append_val (direct_ms, elapsed);
      viv_test_guest_stop (guest);
    }

  base = median (create_ms);
  direct = median (direct_ms);
  g_print ("# base: create -> guest healthy, median of %d: %.1f ms (target < 150 ms)\n",
           ROUNDS, base);
  g_print ("# baseline: guest started directly (socket appears), median: %.1f ms; "
           "ratio jail/direct %.2f\n", direct, base / MAX (direct, 0.001));
  g_print ("# pause median: %.2f ms, resume median: %.2f ms (targets < 50 ms)\n",
           median (pause_ms), median (resume_ms));
}

static void
bench_desktop (VivTestHost *host)
{
  g_autoptr (GArray) create_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  guint64 total_memory = 0;
  guint measured = 0;

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *failure = NULL;
      double elapsed;
      char *id = create (host, "desktop", &elapsed, &failure);

      if (id == NULL)
        {
          g_print ("# desktop: cannot create a desktop sandbox here: %s\n", failure);
          goto out;
        }
      g_ptr_array_add (ids, id);
      g_array_append_val (create_ms, elapsed);
    }

  g_print ("# desktop: create -> guest healthy (display started), median of 10: %.1f ms "
           "(first VNC frame not measured by this benchmark)\n", median (create_ms));

  /* Let them settle, then read what each uses. */
  g_usleep (3 * G_USEC_PER_SEC);
  for (guint i = 0; i < ids->len; i++)
    {
      g_autofree char *path = g_strdup_printf ("/sandboxes/%s/metrics",
                                               (char *) g_ptr_array_index (ids, i));
      g_autoptr (JsonNode) node = NULL;
      guint status = 0;

      node = viv_test_host_api (host, "GET", path, NULL, NULL, &status, NULL);
      if (status == 200 && json_array_get_length (json_node_get_array (node)) == 1)
        {
          total_memory += json_object_get_int_member (
            json_array_get_object_element (json_node_get_array (node), 0), "memUsed");
          measured++;
        }
    }
  if (measured > 0)
    g_print ("# desktop: memory per idle sandbox with %u running: %.1f MiB (cgroup usage)\n",
             measured, total_memory / (double) measured / (1024 * 1024));

out:
  for (guint i = 0; i < ids->len; i++)
    kill_sandbox (host, g_ptr_array_index (ids, i));
}

static void
test_bench (void)
{
  VivTestHost *host = viv_test_host_start (NULL, NULL);

  bench_base (host);
  bench_desktop (host);
  viv_test_host_stop (host);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bench/host", test_bench);
  return g_test_run ();
}
