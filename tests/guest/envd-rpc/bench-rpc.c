/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

#include "viv-connect-client.h"

/* Benchmarks of the Connect-RPC services against baselines measured in the same
 * run. They print numbers and never fail on timing. */

#define START_RUNS 40
#define LIST_RUNS 10
#define LIST_ENTRIES 10000

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof (double), (int (*) (const void *, const void *)) compare_doubles);
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

static double
elapsed_ms (gint64 start)
{
  return (g_get_monotonic_time () - start) / 1000.0;
}

static void
bench_process_start (VivTestGuest *guest)
{
  double through_guest[START_RUNS], direct[START_RUNS];
  const char *json = "{\"process\":{\"cmd\":\"/bin/bash\",\"args\":[\"-c\",\"true\"]},"
                     "\"stdin\":false}";

  for (guint i = 0; i < START_RUNS; i++)
    {
      gint64 start = g_get_monotonic_time ();
      g_autoptr (RpcStream) stream = rpc_stream_open (guest, NULL, "process.Process/Start", json,
                                                      0);
      gboolean ended = FALSE;

      /* Every event, through the end-stream envelope. */
      for (;;)
        {
          g_autoptr (JsonObject) message = rpc_stream_next (stream);
          JsonObject *body;

          if (message == NULL)
            break;
          if (g_strcmp0 (rpc_process_event (message, &body), "end") == 0)
            ended = TRUE;
        }
      g_assert_true (ended);
      g_assert_null (rpc_stream_end_error (stream));
      through_guest[i] = elapsed_ms (start);
    }

  for (guint i = 0; i < START_RUNS; i++)
    {
      const char *argv[] = { "/bin/bash", "-c", "true", NULL };
      g_autoptr (GError) error = NULL;
      gint64 start = g_get_monotonic_time ();
      int status = 0;

      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL,
                    &status, &error);
      g_assert_no_error (error);
      direct[i] = elapsed_ms (start);
    }

  {
    double guest_median = median (through_guest, START_RUNS);
    double direct_median = median (direct, START_RUNS);

    g_print ("# Process/Start of bash -c true, streamed to the end (%d runs): median %.2f ms\n",
             START_RUNS, guest_median);
    g_print ("# bash -c true spawned directly (g_spawn_sync, %d runs): median %.2f ms\n",
             START_RUNS, direct_median);
    g_print ("# ratio through the guest / direct: %.2f\n", guest_median / direct_median);
  }
}

static void
bench_list_dir (VivTestGuest *guest)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("viv-rpc-bench-XXXXXX", &error);
  g_autofree char *json = NULL;
  g_autofree char *command = NULL;
  double through_guest[LIST_RUNS], local[LIST_RUNS];

  g_assert_no_error (error);
  for (guint i = 0; i < LIST_ENTRIES; i++)
    {
      g_autofree char *path = g_strdup_printf ("%s/entry-%05u.txt", dir, i);

      g_file_set_contents (path, "x", 1, &error);
      g_assert_no_error (error);
    }

  json = g_strdup_printf ("{\"path\":\"%s\",\"depth\":1}", dir);
  for (guint i = 0; i < LIST_RUNS; i++)
    {
      g_autoptr (JsonObject) response = NULL;
      gint64 start = g_get_monotonic_time ();
      guint status = 0;

      response = rpc_unary (guest, NULL, "filesystem.Filesystem/ListDir", json, &status);
      g_assert_cmpuint (status, ==, 200);
      through_guest[i] = elapsed_ms (start);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (response, "entries")),
                        ==, LIST_ENTRIES);
    }

  /* Baseline: readdir and lstat of the same entries in this process. */
  for (guint i = 0; i < LIST_RUNS; i++)
    {
      gint64 start = g_get_monotonic_time ();
      DIR *d = opendir (dir);
      struct dirent *entry;
      guint count = 0;

      while ((entry = readdir (d)) != NULL)
        {
          g_autofree char *path = g_build_filename (dir, entry->d_name, NULL);
          struct stat st;

          if (lstat (path, &st) == 0)
            count++;
        }
      closedir (d);
      g_assert_cmpuint (count, >=, LIST_ENTRIES);
      local[i] = elapsed_ms (start);
    }

  {
    double guest_median = median (through_guest, LIST_RUNS);
    double local_median = median (local, LIST_RUNS);

    g_print ("# ListDir of %d entries through the guest (%d runs): median %.2f ms\n",
             LIST_ENTRIES, LIST_RUNS, guest_median);
    g_print ("# readdir + lstat of the same directory in-process: median %.2f ms\n",
             local_median);
    g_print ("# ratio: %.2f\n", guest_median / local_median);
  }

  command = g_strdup_printf ("rm -rf %s", dir);
  g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
}

static void
test_bench (void)
{
  VivTestGuest *guest = viv_test_guest_start (NULL, NULL);

  bench_process_start (guest);
  bench_list_dir (guest);
  viv_test_guest_stop (guest);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/envd-rpc/bench", test_bench);
  return g_test_run ();
}
