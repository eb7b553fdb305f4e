/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <gio/gunixinputstream.h>

#include "viv-test-desktop.h"

static void
die_with_test_cb (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

VivTestRecorder *
viv_test_recorder_start (VivTestXvnc *xvnc,
                         const char  *title,
                         const char  *geometry)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GError) error = NULL;
  const char *path = VIV_XRECORDER;
  g_autofree char *line = NULL;
  VivTestRecorder *recorder = g_new0 (VivTestRecorder, 1);
  const char *argv[] = { path, "--title", title, geometry ? "--geometry" : NULL, geometry, NULL };

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "DISPLAY", xvnc->display, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, die_with_test_cb, NULL, NULL);
  recorder->process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);

  recorder->input = g_subprocess_get_stdin_pipe (recorder->process);
  recorder->output_fd =
    g_unix_input_stream_get_fd (G_UNIX_INPUT_STREAM (g_subprocess_get_stdout_pipe (recorder->process)));
  recorder->buffer = g_string_new (NULL);

  line = viv_test_recorder_expect (recorder, "READY ", 20000);
  recorder->window = g_ascii_strtoull (line + strlen ("READY "), NULL, 10);
  g_assert_cmpuint (recorder->window, !=, 0);
  return recorder;
}

void
viv_test_recorder_stop (VivTestRecorder *recorder)
{
  if (recorder == NULL)
    return;

  g_subprocess_force_exit (recorder->process);
  g_subprocess_wait (recorder->process, NULL, NULL);
  g_object_unref (recorder->process);
  g_string_free (recorder->buffer, TRUE);
  g_free (recorder);
}

char *
viv_test_recorder_read (VivTestRecorder *recorder,
                        guint            timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      char *newline = memchr (recorder->buffer->str, '\n', recorder->buffer->len);
      struct pollfd fd = { recorder->output_fd, POLLIN, 0 };
      gint64 remaining;
      char chunk[4096];
      gssize n;

      if (newline != NULL)
        {
          gsize length = newline - recorder->buffer->str;
          char *line = g_strndup (recorder->buffer->str, length);

          g_string_erase (recorder->buffer, 0, length + 1);
          return line;
        }

      remaining = deadline - g_get_monotonic_time ();
      if (remaining <= 0)
        return NULL;
      if (poll (&fd, 1, (int) (remaining / 1000) + 1) <= 0)
        continue;

      n = read (recorder->output_fd, chunk, sizeof chunk);
      if (n <= 0)
        return NULL;
      g_string_append_len (recorder->buffer, chunk, n);
    }
}

char *
viv_test_recorder_expect (VivTestRecorder *recorder,
                          const char      *prefix,
                          guint            timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  for (;;)
    {
      gint64 remaining = (deadline - g_get_monotonic_time ()) / 1000;
      g_autofree char *line = viv_test_recorder_read (recorder, MAX (remaining, 1));

      if (line == NULL)
        g_error ("viv-xrecorder printed no line starting with “%s” in %u ms", prefix, timeout_ms);
      if (g_str_has_prefix (line, prefix))
        return g_steal_pointer (&line);
      /* What came instead says what went wrong when the awaited line never comes. */
      g_test_message ("viv-xrecorder, skipped: %s", line);
    }
}

void
viv_test_recorder_command (VivTestRecorder *recorder,
                           const char      *command)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *line = g_strconcat (command, "\n", NULL);

  g_output_stream_write_all (recorder->input, line, strlen (line), NULL, NULL, &error);
  g_assert_no_error (error);
  g_output_stream_flush (recorder->input, NULL, &error);
  g_assert_no_error (error);
}

char *
viv_test_hex_encode (const char *text)
{
  GString *hex = g_string_new (NULL);

  for (const char *p = text; *p != '\0'; p++)
    g_string_append_printf (hex, "%02x", (guint8) *p);

  return g_string_free (hex, FALSE);
}

char *
viv_test_hex_decode (const char *hex)
{
  gsize length = strlen (hex) / 2;
  char *text = g_malloc0 (length + 1);

  if (strcmp (hex, "-") == 0)
    return text;

  for (gsize i = 0; i < length; i++)
    text[i] = (char) ((g_ascii_xdigit_value (hex[2 * i]) << 4) |
                      g_ascii_xdigit_value (hex[2 * i + 1]));

  return text;
}
