/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <gio/gunixsocketaddress.h>

#include "vivarium.h"
#include "viv-client-private.h"
#include "viv-sandbox-private.h"

#include "test-client-common.h"
#include "viv-test-harness.h"

/* The files and processes facets against a real guest's envd (over its Unix
 * socket): watching a directory, standard input, signals, listing. */

typedef struct
{
  VivTestGuest *guest;
  VivClient    *client;
  VivSandbox   *sandbox;
  char         *dir;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr (VivAccount) account = NULL;
  g_autoptr (GSocketAddress) address = NULL;

  fixture->guest = viv_test_guest_start (NULL, NULL);
  account = viv_account_new (VIV_ACCOUNT_KIND_CUSTOM, "guest", "Guest",
                             "http://localhost", "http://localhost", "localhost");
  fixture->client = viv_client_new (account, "unused");
  address = g_unix_socket_address_new (fixture->guest->socket_path);
  _viv_client_set_remote_connectable (fixture->client, G_SOCKET_CONNECTABLE (address));
  fixture->sandbox = _viv_sandbox_new_for_testing (fixture->client, "guest0", fixture->guest->token);
  fixture->dir = g_dir_make_tmp ("viv-client-envd-XXXXXX", NULL);
  g_assert_nonnull (fixture->dir);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *command = g_strdup_printf ("rm -rf '%s'", fixture->dir);

  g_clear_object (&fixture->sandbox);
  g_clear_object (&fixture->client);
  viv_test_guest_stop (fixture->guest);
  g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  g_free (fixture->dir);
}

typedef struct
{
  GPtrArray *names;
  GArray    *types;
} Changes;

static void
changed_cb (VivFiles         *files,
            const char       *path,
            VivFileEventType  type,
            Changes          *changes)
{
  g_ptr_array_add (changes->names, g_strdup (path));
  g_array_append_val (changes->types, type);
}

static gboolean
saw (Changes          *changes,
     const char       *name,
     VivFileEventType  type)
{
  for (guint i = 0; i < changes->names->len; i++)
    if (g_str_has_suffix (g_ptr_array_index (changes->names, i), name) &&
        g_array_index (changes->types, VivFileEventType, i) == type)
      return TRUE;
  return FALSE;
}

static gboolean
wait_for_change (Changes          *changes,
                 const char       *name,
                 VivFileEventType  type)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!saw (changes, name, type) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  return saw (changes, name, type);
}

static void
test_watch (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr (VivFiles) files = viv_files_new (fixture->sandbox);
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autofree char *path = g_build_filename (fixture->dir, "report.txt", NULL);
  g_autofree char *moved = g_build_filename (fixture->dir, "renamed.txt", NULL);
  g_autoptr (GBytes) text = g_bytes_new_static ("watched\n", 8);
  g_autoptr (GInputStream) source = g_memory_input_stream_new_from_bytes (text);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (VivFileEntry) entry = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *watch_slot = NULL;
  GAsyncResult *slot = NULL;
  Changes changes = { g_ptr_array_new_with_free_func (g_free), g_array_new (FALSE, FALSE, sizeof (VivFileEventType)) };

  g_signal_connect (files, "changed", G_CALLBACK (changed_cb), &changes);
  viv_files_watch_async (files, fixture->dir, FALSE, cancellable, viv_test_result_cb, &watch_slot);

  /* envd answers the stream's headers once the watch is in place; an upload
   * may race it, so repeat until a change is seen. */
  for (guint attempt = 0; attempt < 50 && changes.names->len == 0; attempt++)
    {
      g_autoptr (GInputStream) again = g_memory_input_stream_new_from_bytes (text);

      viv_files_upload_async (files, path, again, 8, NULL, NULL, NULL, NULL, viv_test_result_cb, &slot);
      result = viv_test_wait_result (&slot);
      g_assert_true (viv_files_upload_finish (files, result, &error));
      g_assert_no_error (error);
      g_clear_object (&result);
      g_assert_null (watch_slot);
      g_usleep (20 * 1000);
      while (g_main_context_iteration (NULL, FALSE));
    }
  g_assert_true (wait_for_change (&changes, "report.txt", VIV_FILE_EVENT_CREATE) ||
                 wait_for_change (&changes, "report.txt", VIV_FILE_EVENT_WRITE));

  viv_files_move_async (files, path, moved, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  entry = viv_files_move_finish (files, result, &error);
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_true (wait_for_change (&changes, "renamed.txt", VIV_FILE_EVENT_CREATE) ||
                 wait_for_change (&changes, "report.txt", VIV_FILE_EVENT_RENAME));

  viv_files_remove_async (files, moved, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  g_assert_true (viv_files_remove_finish (files, result, &error));
  g_clear_object (&result);
  g_assert_true (wait_for_change (&changes, "renamed.txt", VIV_FILE_EVENT_REMOVE));
  g_test_message ("%u changes seen", changes.names->len);

  /* Cancelling ends the watch. */
  g_cancellable_cancel (cancellable);
  result = viv_test_wait_result (&watch_slot);
  g_assert_false (viv_files_watch_finish (files, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_error (&error);
  g_clear_object (&result);

  /* A directory that does not exist. */
  viv_files_watch_async (files, "/no/such/directory", FALSE, NULL, viv_test_result_cb, &watch_slot);
  result = viv_test_wait_result (&watch_slot);
  g_assert_false (viv_files_watch_finish (files, result, &error));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_NOT_FOUND);

  g_ptr_array_unref (changes.names);
  g_array_unref (changes.types);
}

typedef struct
{
  GString *out;
  guint    pid;
} Output;

static void
stdout_cb (VivProcess *process,
           GBytes     *bytes,
           Output     *output)
{
  g_string_append_len (output->out, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
started_cb (VivProcess *process,
            guint       pid,
            Output     *output)
{
  output->pid = pid;
}

static gboolean
wait_for_text (Output     *output,
               const char *text)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (strstr (output->out->str, text) == NULL && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  return strstr (output->out->str, text) != NULL;
}

static gboolean
wait_for_pid (Output *output)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (output->pid == 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  return output->pid != 0;
}

static void
test_input_and_signal (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autoptr (VivProcesses) processes = viv_processes_new (fixture->sandbox);
  const char * const argv[] = { "/bin/cat", NULL };
  g_autoptr (VivProcess) process = NULL;
  g_autoptr (GBytes) line = g_bytes_new_static ("hello through stdin\n", 20);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  Output output = { g_string_new (NULL), 0 };
  GAsyncResult *slot = NULL;
  int exit_code = 0;

  process = viv_processes_start (processes, argv, NULL, NULL, "cat-test", TRUE);
  g_signal_connect (process, "stdout", G_CALLBACK (stdout_cb), &output);
  g_signal_connect (process, "started", G_CALLBACK (started_cb), &output);
  g_assert_true (wait_for_pid (&output));
  g_assert_cmpuint (viv_process_get_pid (process), ==, output.pid);

  /* What goes in comes back out. */
  viv_process_send_input_async (process, line, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  g_assert_true (viv_process_send_input_finish (process, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);
  g_assert_true (wait_for_text (&output, "hello through stdin\n"));
  viv_process_send_input_async (process, line, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  g_assert_true (viv_process_send_input_finish (process, result, &error));
  g_clear_object (&result);
  g_assert_true (wait_for_text (&output, "hello through stdin\nhello through stdin\n"));

  /* SIGTERM ends it; its end is reported, not a successful exit. */
  viv_process_send_signal_async (process, VIV_SIGNAL_SIGTERM, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  g_assert_true (viv_process_send_signal_finish (process, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  viv_process_wait_async (process, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  g_assert_true (viv_process_wait_finish (process, result, &exit_code, &error));
  g_assert_no_error (error);
  g_assert_cmpint (exit_code, !=, 0);
  g_test_message ("cat after SIGTERM: exit code %d", exit_code);
  g_clear_object (&result);

  /* Input to a process that is gone. */
  viv_process_send_input_async (process, line, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  g_assert_false (viv_process_send_input_finish (process, result, &error));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_NOT_FOUND);

  g_string_free (output.out, TRUE);
}

static VivProcess *
listed (GPtrArray *processes,
        guint      pid)
{
  for (guint i = 0; i < processes->len; i++)
    {
      VivProcess *process = g_ptr_array_index (processes, i);

      g_assert_true (VIV_IS_PROCESS (process));
      if (viv_process_get_pid (process) == pid)
        return process;
    }
  return NULL;
}

static GPtrArray *
list (VivProcesses *processes)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *slot = NULL;
  GPtrArray *listed;

  viv_processes_list_async (processes, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  listed = viv_processes_list_finish (processes, result, &error);
  g_assert_no_error (error);
  g_assert_nonnull (listed);
  return listed;
}

static void
test_list_and_kill (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr (VivProcesses) processes = viv_processes_new (fixture->sandbox);
  const char * const argv[] = { "/bin/sleep", "300", NULL };
  const char * const plain_argv[] = { "/bin/sleep", "301", NULL };
  g_autoptr (VivProcess) process = NULL;
  g_autoptr (VivProcess) plain = NULL;
  g_autoptr (GPtrArray) before = NULL;
  g_autoptr (GPtrArray) after = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  Output output = { g_string_new (NULL), 0 };
  Output plain_output = { g_string_new (NULL), 0 };
  Output connected = { NULL, 0 };
  GAsyncResult *slot = NULL;
  GAsyncResult *listed_slot = NULL;
  VivProcess *found;
  int exit_code = 0;

  /* One with a tag and a working directory, one with neither. */
  process = viv_processes_start (processes, argv, NULL, "/tmp", "sleeper", FALSE);
  g_signal_connect (process, "started", G_CALLBACK (started_cb), &output);
  g_assert_true (wait_for_pid (&output));
  plain = viv_processes_start (processes, plain_argv, NULL, NULL, NULL, FALSE);
  g_signal_connect (plain, "started", G_CALLBACK (started_cb), &plain_output);
  g_assert_true (wait_for_pid (&plain_output));

  /* Listed as started: pid, argv, command line, tag and cwd. */
  before = list (processes);
  found = listed (before, output.pid);
  g_assert_nonnull (found);
  g_assert_true (found != process);
  g_assert_cmpstrv (viv_process_get_argv (found), argv);
  g_assert_cmpstr (viv_process_get_command (found), ==, "/bin/sleep 300");
  g_assert_cmpstr (viv_process_get_tag (found), ==, "sleeper");
  g_assert_cmpstr (viv_process_get_cwd (found), ==, "/tmp");
  found = listed (before, plain_output.pid);
  g_assert_nonnull (found);
  g_assert_cmpstrv (viv_process_get_argv (found), plain_argv);
  g_assert_null (viv_process_get_tag (found));
  g_assert_null (viv_process_get_cwd (found));
  /* The started ones say the same. */
  g_assert_cmpstrv (viv_process_get_argv (process), argv);
  g_assert_cmpstr (viv_process_get_cwd (process), ==, "/tmp");
  g_assert_cmpstr (viv_process_get_tag (process), ==, "sleeper");

  /* A listed process can be waited for: it connects to it, and says so
   * with its start event before it is killed. */
  g_signal_connect (listed (before, output.pid), "started", G_CALLBACK (started_cb), &connected);
  viv_process_wait_async (listed (before, output.pid), NULL, viv_test_result_cb, &listed_slot);
  g_assert_true (wait_for_pid (&connected));
  g_assert_cmpuint (connected.pid, ==, output.pid);

  /* Through the facet, by pid: the process ends and leaves the list. */
  viv_processes_send_signal_async (processes, output.pid, VIV_SIGNAL_SIGKILL, NULL,
                                   viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  g_assert_true (viv_processes_send_signal_finish (processes, result, &error));
  g_assert_no_error (error);
  g_clear_object (&result);

  viv_process_wait_async (process, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  g_assert_true (viv_process_wait_finish (process, result, &exit_code, &error));
  g_assert_cmpint (exit_code, !=, 0);
  g_clear_object (&result);

  result = viv_test_wait_result (&listed_slot);
  exit_code = 0;
  g_assert_true (viv_process_wait_finish (listed (before, output.pid), result, &exit_code, &error));
  g_assert_no_error (error);
  g_assert_cmpint (exit_code, !=, 0);
  g_clear_object (&result);

  after = list (processes);
  g_assert_null (listed (after, output.pid));
  g_assert_nonnull (listed (after, plain_output.pid));

  /* Waiting for a listed process that has ended meanwhile. */
  viv_processes_send_signal_async (processes, plain_output.pid, VIV_SIGNAL_SIGKILL, NULL,
                                   viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  g_assert_true (viv_processes_send_signal_finish (processes, result, &error));
  g_clear_object (&result);
  viv_process_wait_async (plain, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  g_assert_true (viv_process_wait_finish (plain, result, NULL, &error));
  g_clear_object (&result);
  viv_process_wait_async (listed (after, plain_output.pid), NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  g_assert_false (viv_process_wait_finish (listed (after, plain_output.pid), result, NULL, &error));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_clear_object (&result);

  /* A pid that is not envd's. */
  viv_processes_send_signal_async (processes, 999999, VIV_SIGNAL_SIGTERM, NULL,
                                   viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  g_assert_false (viv_processes_send_signal_finish (processes, result, &error));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_NOT_FOUND);

  g_string_free (output.out, TRUE);
  g_string_free (plain_output.out, TRUE);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/client/envd/watch", Fixture, NULL, fixture_setup, test_watch, fixture_teardown);
  g_test_add ("/client/envd/input-and-signal", Fixture, NULL, fixture_setup, test_input_and_signal, fixture_teardown);
  g_test_add ("/client/envd/list-and-kill", Fixture, NULL, fixture_setup, test_list_and_kill, fixture_teardown);

  return g_test_run ();
}
