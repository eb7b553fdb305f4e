/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "envd-http-common.h"

/* Throughput of /files through a real guest over its Unix socket, against
 * `cat` of the same file to /dev/null measured in the same run. Prints
 * numbers; never fails on timing. */

#define SIZE (256ull * 1024 * 1024)

static double
mb_per_s (guint64 bytes,
          gint64  microseconds)
{
  return (bytes / 1e6) / (microseconds / 1e6);
}

static void
bench_files (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("viv-bench-files-XXXXXX", &error);
  g_autofree char *file = g_build_filename (dir, "bench.bin", NULL);
  g_autofree char *path = envd_test_files_path (file, NULL);
  g_autofree char *uri = g_strconcat ("http://localhost", path, NULL);
  VivTestGuest *guest = envd_test_guest_start ();
  g_autoptr (SoupSession) session = envd_test_session_new (guest);
  g_autoptr (GInputStream) generated = envd_test_pattern_stream_new (SIZE, 7, FALSE);
  g_autoptr (SoupMessage) upload = soup_message_new ("POST", uri);
  g_autoptr (SoupMessage) download = soup_message_new ("GET", uri);
  g_autoptr (GInputStream) response = NULL;
  guint64 size = 0;
  gint64 start, upload_us, download_us, cat_us, generate_us;
  int status;

  g_assert_no_error (error);

  /* What generating the data costs by itself, to read the upload number. */
  {
    g_autoptr (GInputStream) alone = envd_test_pattern_stream_new (SIZE, 7, FALSE);

    start = g_get_monotonic_time ();
    g_free (envd_test_checksum_stream (alone, FALSE, &size));
    generate_us = g_get_monotonic_time () - start;
  }

  soup_message_headers_replace (soup_message_get_request_headers (upload), "X-Access-Token",
                                guest->token);
  soup_message_set_request_body (upload, "application/octet-stream", generated, SIZE);
  start = g_get_monotonic_time ();
  response = soup_session_send (session, upload, NULL, &error);
  g_assert_no_error (error);
  g_free (envd_test_checksum_stream (response, FALSE, &size));
  upload_us = g_get_monotonic_time () - start;
  g_assert_cmpuint (soup_message_get_status (upload), ==, 200);
  g_clear_object (&response);
  {
    GStatBuf st;

    g_assert_cmpint (g_stat (file, &st), ==, 0);
    g_assert_cmpuint (st.st_size, ==, SIZE);
  }

  /* Warm the page cache the same way for both readers. */
  {
    const char *argv[] = { "cat", file, NULL };

    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                  NULL, NULL, NULL, NULL, &status, &error);
    g_assert_no_error (error);

    start = g_get_monotonic_time ();
    g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
                  NULL, NULL, NULL, NULL, &status, &error);
    cat_us = g_get_monotonic_time () - start;
    g_assert_no_error (error);
  }

  soup_message_headers_replace (soup_message_get_request_headers (download), "X-Access-Token",
                                guest->token);
  start = g_get_monotonic_time ();
  response = soup_session_send (session, download, NULL, &error);
  g_assert_no_error (error);
  g_free (envd_test_checksum_stream (response, FALSE, &size));
  download_us = g_get_monotonic_time () - start;
  /* Content is checked by the tests (/envd-http/large-round-trip); here only the size. */
  g_assert_cmpuint (size, ==, SIZE);

  g_print ("# 256 MiB file, guest over its Unix socket\n");
  g_print ("# cat to /dev/null:   %8.1f MB/s\n", mb_per_s (SIZE, cat_us));
  g_print ("# GET /files:         %8.1f MB/s (ratio to cat %.2f)\n",
           mb_per_s (SIZE, download_us), (double) cat_us / download_us);
  g_print ("# POST /files:        %8.1f MB/s (ratio to cat %.2f; includes the fsync; the client"
           " generates the data at %.1f MB/s)\n",
           mb_per_s (SIZE, upload_us), (double) cat_us / upload_us, mb_per_s (SIZE, generate_us));
  g_print ("# guest VmHWM: %.1f MiB\n", viv_test_peak_rss (guest->pid) / (1024.0 * 1024.0));

  viv_test_guest_stop (guest);
  g_unlink (file);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bench/envd-http/files", bench_files);
  return g_test_run ();
}
