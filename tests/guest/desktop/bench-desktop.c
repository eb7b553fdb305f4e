/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "viv-test-desktop.h"

/* The guest's desktop API against the tools E2B's desktop sandbox forks for
 * every action (scrot, xdotool), in one run on one Xvnc display. Prints
 * medians and ratios; never fails on timing. */

#define WIDTH 1280
#define HEIGHT 800

typedef struct
{
  VivTestXvnc  *xvnc;
  VivTestGuest *guest;
  GPid          recorder;
  char        **tool_env;
} Bench;

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

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

static void
run_tool (Bench              *bench,
          const char * const *argv)
{
  g_autoptr (GError) error = NULL;
  int status = 0;

  g_spawn_sync (NULL, (char **) argv, bench->tool_env, G_SPAWN_SEARCH_PATH, NULL, NULL,
                NULL, NULL, &status, &error);
  g_assert_no_error (error);
  g_spawn_check_wait_status (status, &error);
  g_assert_no_error (error);
}

static void
guest_request (Bench      *bench,
               const char *method,
               const char *path,
               const char *json)
{
  g_autoptr (GBytes) body = json ? g_bytes_new (json, strlen (json)) : NULL;
  g_autoptr (GBytes) answer = NULL;
  guint status = 0;

  answer = viv_test_guest_request (bench->guest, method, path, NULL,
                                   json ? "application/json" : NULL, body, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
}

static gint64
guest_rss_kb (Bench *bench)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/status", bench->guest->pid);
  g_autofree char *status = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &status, NULL, NULL));
  line = strstr (status, "VmRSS:");
  g_assert_nonnull (line);
  return g_ascii_strtoll (line + strlen ("VmRSS:"), NULL, 10);
}

static void
report (const char *what,
        double      ours,
        double      theirs,
        const char *baseline)
{
  g_test_message ("%-28s guest %8.2f ms   %-34s %9.2f ms   ratio %6.1fx",
                  what, ours, baseline, theirs, theirs / ours);
}

static void
bench_screenshots (Bench *bench)
{
  g_autoptr (GArray) png = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) jpeg = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) scrot = g_array_new (FALSE, FALSE, sizeof (double));
  g_autofree char *file = g_build_filename (bench->xvnc->tmpdir, "scrot.png", NULL);
  const char *argv[] = { "scrot", "--overwrite", "--pointer", file, NULL };

  for (int i = 0; i < 20; i++)
    {
      double start = now_ms ();

      guest_request (bench, "GET", "/desktop/screenshot?format=png", NULL);
      g_array_append_vals (png, (double[]) { now_ms () - start }, 1);

      start = now_ms ();
      guest_request (bench, "GET", "/desktop/screenshot?format=jpeg", NULL);
      g_array_append_vals (jpeg, (double[]) { now_ms () - start }, 1);

      start = now_ms ();
      run_tool (bench, argv);
      g_array_append_vals (scrot, (double[]) { now_ms () - start }, 1);
    }

  g_unlink (file);
  report ("screenshot 1280x800 PNG", median (png), median (scrot), "scrot (fork+exec, to a file)");
  report ("screenshot 1280x800 JPEG", median (jpeg), median (scrot),
          "scrot (fork+exec, to a file)");
}

static void
bench_clicks (Bench *bench)
{
  g_autoptr (GArray) ours = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) xdotool = g_array_new (FALSE, FALSE, sizeof (double));

  for (int i = 0; i < 40; i++)
    {
      /* Alternate positions: xdotool's --sync waits for a motion event and
       * waits ~15 s when the pointer is already there. */
      int px = i % 2 ? 700 : 300, py = i % 2 ? 500 : 200;
      g_autofree char *body = g_strdup_printf ("{\"x\": %d, \"y\": %d}", px, py);
      double start = now_ms ();

      guest_request (bench, "POST", "/desktop/pointer/click", body);
      g_array_append_vals (ours, (double[]) { now_ms () - start }, 1);
    }

  for (int i = 0; i < 10; i++)
    {
      g_autofree char *px = g_strdup_printf ("%d", i % 2 ? 710 : 310);
      g_autofree char *py = g_strdup_printf ("%d", i % 2 ? 510 : 210);
      const char *argv[] = { "xdotool", "mousemove", "--sync", px, py, "click", "1", NULL };
      double start = now_ms ();

      run_tool (bench, argv);
      g_array_append_vals (xdotool, (double[]) { now_ms () - start }, 1);
    }

  report ("click round trip", median (ours), median (xdotool),
          "xdotool mousemove --sync + click");
}

static void
bench_typing (Bench *bench)
{
  g_autoptr (GArray) ours = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) xdotool = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GString) text = g_string_new (NULL);
  g_autofree char *body = NULL;

  while (text->len < 200)
    g_string_append (text, "The quick brown fox jumps over the lazy dog 0123456789. ");
  g_string_truncate (text, 200);
  body = g_strdup_printf ("{\"text\": \"%s\"}", text->str);

  for (int i = 0; i < 10; i++)
    {
      double start = now_ms ();

      guest_request (bench, "POST", "/desktop/keyboard/type", body);
      g_array_append_vals (ours, (double[]) { now_ms () - start }, 1);
    }

  /* E2B's write() default: 75 ms between keys, so ~15 s per run; one run. */
  {
    const char *argv[] = { "xdotool", "type", "--delay", "75", "--", text->str, NULL };
    double start = now_ms ();

    run_tool (bench, argv);
    g_array_append_vals (xdotool, (double[]) { now_ms () - start }, 1);
  }

  report ("type 200 characters", median (ours), median (xdotool), "xdotool type --delay 75");
}

static void
bench_desktop (void)
{
  Bench bench = { 0 };
  g_autofree char *path = g_strdup (VIV_XRECORDER);
  const char *argv[] = { path, "--title", "Bench", "--log", "/dev/null", NULL };
  gint64 idle_rss, busy_rss;

  bench.xvnc = viv_test_xvnc_start (WIDTH, HEIGHT);
  bench.guest = viv_test_guest_start (bench.xvnc, NULL);
  bench.tool_env = g_environ_setenv (g_get_environ (), "DISPLAY", bench.xvnc->display, TRUE);

  /* Something on the screen to click, type into and capture. */
  bench.recorder = viv_test_spawn ((const char * const *) argv,
                                   (const char * const *) bench.tool_env, NULL);
  for (gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;;)
    {
      g_autoptr (JsonNode) windows = NULL;
      g_autofree char *text = NULL;
      guint status;

      windows = viv_test_guest_json (bench.guest, "GET", "/desktop/windows", NULL, &status);
      text = json_to_string (windows, FALSE);
      if (strstr (text, "\"Bench\"") != NULL)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (20 * 1000);
    }

  idle_rss = guest_rss_kb (&bench);

  bench_screenshots (&bench);
  bench_clicks (&bench);
  bench_typing (&bench);

  busy_rss = guest_rss_kb (&bench);
  g_test_message ("guest RSS: idle %" G_GINT64_FORMAT " KiB, after the benchmark %"
                  G_GINT64_FORMAT " KiB", idle_rss, busy_rss);

  viv_test_kill (bench.recorder);
  viv_test_guest_stop (bench.guest);
  viv_test_xvnc_stop (bench.xvnc);
  g_strfreev (bench.tool_env);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/desktop/bench", bench_desktop);
  return g_test_run ();
}
