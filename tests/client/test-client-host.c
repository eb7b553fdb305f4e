/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "vivarium.h"
#include "viv-sandbox-private.h"

#include "test-client-common.h"
#include "viv-test-host.h"

/* libvivarium against a real vivarium-host with real sandboxes. */

typedef struct
{
  VivTestHost *host;
  VivAccount  *account;
  VivClient   *client;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *discovery = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *key = NULL;
  GAsyncResult *slot = NULL;

  fixture->host = viv_test_host_start (NULL, NULL);
  discovery = g_build_filename (fixture->host->runtime_dir, "vivarium", "host.json", NULL);
  fixture->account = viv_account_new_for_local_host (discovery, &error);
  g_assert_no_error (error);

  /* The local host's key comes from the file its discovery file names. */
  viv_account_lookup_api_key_async (fixture->account, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  key = viv_account_lookup_api_key_finish (fixture->account, result, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (key, ==, fixture->host->api_key);

  fixture->client = viv_client_new (fixture->account, key);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_object (&fixture->client);
  g_clear_object (&fixture->account);
  viv_test_host_stop (fixture->host);
}

static VivSandbox *
create (VivClient  *client,
        const char *team)
{
  g_autoptr (GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *slot = NULL;
  VivSandbox *sandbox;

  g_hash_table_insert (metadata, "team", (gpointer) team);
  viv_client_create_sandbox_async (client, "base", 300, metadata, NULL, FALSE, NULL,
                                   viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  sandbox = viv_client_create_sandbox_finish (client, result, &error);
  g_assert_no_error (error);
  return sandbox;
}

#define AWAIT(call_async, call_finish, obj, ...) \
  G_STMT_START { \
    GAsyncResult *slot_ = NULL; \
    g_autoptr (GAsyncResult) result_ = NULL; \
    call_async (obj, ##__VA_ARGS__, NULL, viv_test_result_cb, &slot_); \
    result_ = viv_test_wait_result (&slot_); \
    ok = call_finish (obj, result_, &error); \
  } G_STMT_END

static GPtrArray *
list_all (VivClient  *client,
          GHashTable *metadata)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  GAsyncResult *slot = NULL;
  GPtrArray *sandboxes;

  viv_client_list_sandboxes_async (client, VIV_SANDBOX_STATE_FLAGS_ANY, metadata, NULL,
                                   viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  sandboxes = viv_client_list_sandboxes_finish (client, result, &error);
  g_assert_no_error (error);
  return sandboxes;
}

static void
test_lifecycle (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr (VivSandbox) red = create (fixture->client, "red one");
  g_autoptr (VivSandbox) blue = create (fixture->client, "blue");
  g_autoptr (GHashTable) filter = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) listed = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (VivClient) wrong = NULL;
  g_autoptr (GPtrArray) none = NULL;
  gboolean ok;

  g_assert_cmpint (viv_sandbox_get_state (red), ==, VIV_SANDBOX_STATE_RUNNING);
  g_assert_nonnull (viv_sandbox_get_end_at (red));
  g_assert_cmpstr (viv_sandbox_get_metadata_value (red, "team"), ==, "red one");

  /* Metadata filter with a space: the three encoding layers reach the host. */
  g_hash_table_insert (filter, "team", "red one");
  listed = list_all (fixture->client, filter);
  g_assert_cmpuint (listed->len, ==, 1);
  g_assert_cmpstr (viv_sandbox_get_id (g_ptr_array_index (listed, 0)), ==, viv_sandbox_get_id (red));

  AWAIT (viv_sandbox_pause_async, viv_sandbox_pause_finish, red);
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (viv_sandbox_get_state (red), ==, VIV_SANDBOX_STATE_PAUSED);

  AWAIT (viv_sandbox_pause_async, viv_sandbox_pause_finish, red);
  g_assert_false (ok);
  g_assert_error (error, VIV_ERROR, VIV_ERROR_ALREADY_PAUSED);
  g_test_message ("pause twice: %s", error->message);
  g_clear_error (&error);

  AWAIT (viv_sandbox_refresh_async, viv_sandbox_refresh_finish, red);
  g_assert_no_error (error);
  g_assert_cmpint (viv_sandbox_get_state (red), ==, VIV_SANDBOX_STATE_PAUSED);

  AWAIT (viv_sandbox_resume_async, viv_sandbox_resume_finish, red, 120);
  g_assert_no_error (error);
  g_assert_cmpint (viv_sandbox_get_state (red), ==, VIV_SANDBOX_STATE_RUNNING);

  AWAIT (viv_sandbox_set_timeout_async, viv_sandbox_set_timeout_finish, red, 600);
  g_assert_no_error (error);
  g_assert_true (ok);

  AWAIT (viv_sandbox_kill_async, viv_sandbox_kill_finish, blue);
  g_assert_no_error (error);
  g_assert_cmpint (viv_sandbox_get_state (blue), ==, VIV_SANDBOX_STATE_KILLED);

  /* Gone: refreshing it says so. */
  AWAIT (viv_sandbox_refresh_async, viv_sandbox_refresh_finish, blue);
  g_assert_error (error, VIV_ERROR, VIV_ERROR_NOT_FOUND);
  g_test_message ("unknown id: %s", error->message);
  g_clear_error (&error);

  /* A wrong key. */
  wrong = viv_client_new (fixture->account, "e2b_00000000000000000000000000000000");
  {
    GAsyncResult *slot = NULL;
    g_autoptr (GAsyncResult) result = NULL;

    viv_client_list_sandboxes_async (wrong, 0, NULL, NULL, viv_test_result_cb, &slot);
    result = viv_test_wait_result (&slot);
    none = viv_client_list_sandboxes_finish (wrong, result, &error);
    g_assert_null (none);
    g_assert_error (error, VIV_ERROR, VIV_ERROR_UNAUTHENTICATED);
    g_test_message ("wrong key: %s", error->message);
  }
}

typedef struct
{
  guint count, position, removed, added;
} Change;

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Change     *change)
{
  change->count++;
  change->position = position;
  change->removed = removed;
  change->added = added;
}

static void
refresh (VivSandboxList *list)
{
  g_autoptr (GError) error = NULL;
  gboolean ok;

  AWAIT (viv_sandbox_list_refresh_async, viv_sandbox_list_refresh_finish, list);
  g_assert_no_error (error);
  g_assert_true (ok);
}

static void
count_cb (GObject    *object,
          GParamSpec *pspec,
          guint      *count)
{
  (*count)++;
}

static void
test_list_model (Fixture       *fixture,
                 gconstpointer  data)
{
  g_autoptr (VivSandboxList) list = viv_sandbox_list_new ();
  g_autoptr (VivSandbox) a = create (fixture->client, "a");
  g_autoptr (VivSandbox) b = NULL;
  g_autoptr (VivSandbox) item = NULL;
  g_autoptr (GError) error = NULL;
  Change change = { 0 };
  guint state_notifies = 0;
  gboolean ok;

  viv_sandbox_list_set_interval (list, 0);
  g_signal_connect (list, "items-changed", G_CALLBACK (items_changed_cb), &change);
  viv_sandbox_list_add_client (list, fixture->client);
  refresh (list);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
  g_assert_cmpuint (change.added, ==, 1);
  item = g_list_model_get_item (G_LIST_MODEL (list), 0);
  g_signal_connect (item, "notify::state", G_CALLBACK (count_cb), &state_notifies);

  /* Nothing changed: nothing emitted. */
  change.count = 0;
  refresh (list);
  g_assert_cmpuint (change.count, ==, 0);

  b = create (fixture->client, "b");
  refresh (list);
  g_assert_cmpuint (change.count, ==, 1);
  g_assert_cmpuint (change.position, ==, 1);
  g_assert_cmpuint (change.removed, ==, 0);
  g_assert_cmpuint (change.added, ==, 1);

  /* A state change updates the item in place. */
  AWAIT (viv_sandbox_pause_async, viv_sandbox_pause_finish, a);
  g_assert_no_error (error);
  g_assert_true (ok);
  refresh (list);
  g_assert_cmpuint (change.count, ==, 1);
  g_assert_cmpint (viv_sandbox_get_state (item), ==, VIV_SANDBOX_STATE_PAUSED);
  g_assert_cmpuint (state_notifies, ==, 1);

  AWAIT (viv_sandbox_kill_async, viv_sandbox_kill_finish, a);
  g_assert_no_error (error);
  g_assert_true (ok);
  refresh (list);
  g_assert_cmpuint (change.count, ==, 2);
  g_assert_cmpuint (change.position, ==, 0);
  g_assert_cmpuint (change.removed, ==, 1);
  g_assert_cmpuint (change.added, ==, 0);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 1);
}

typedef struct
{
  gint64        last;
  guint         calls;
  GCancellable *cancel_at_half;
  gint64        half;
} Progress;

static void
progress_cb (goffset  current,
             goffset  total,
             gpointer user_data)
{
  Progress *progress = user_data;

  g_assert_cmpint (current, >=, progress->last);
  progress->last = current;
  progress->calls++;
  if (progress->cancel_at_half != NULL && current >= progress->half)
    g_cancellable_cancel (progress->cancel_at_half);
}

#define BIG_SIZE (48 * 1024 * 1024)

static void
test_files (Fixture       *fixture,
            gconstpointer  data)
{
  g_autoptr (VivSandbox) sandbox = create (fixture->client, "files");
  g_autoptr (VivFiles) files = viv_files_new (sandbox);
  g_autoptr (GBytes) big = NULL;
  g_autoptr (GInputStream) source = NULL;
  g_autoptr (GOutputStream) sink = NULL;
  g_autoptr (GBytes) back = NULL;
  g_autoptr (GBytes) small = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GOutputStream) partial = NULL;
  g_autoptr (VivFileEntry) entry = NULL;
  g_autoptr (GPtrArray) entries = NULL;
  g_autoptr (GError) error = NULL;
  Progress up = { 0 }, down = { 0 }, cancelled = { 0 };
  guint8 *bytes = g_malloc (BIG_SIZE);
  gint64 transferred;
  gboolean ok;

  for (gsize i = 0; i < BIG_SIZE; i++)
    bytes[i] = (guint8) (i * 2654435761u >> 13);
  big = g_bytes_new_take (bytes, BIG_SIZE);

  source = g_memory_input_stream_new_from_bytes (big);
  {
    GAsyncResult *slot = NULL;
    g_autoptr (GAsyncResult) result = NULL;

    viv_files_upload_async (files, "/tmp/big.bin", source, BIG_SIZE, progress_cb, &up, NULL,
                            NULL, viv_test_result_cb, &slot);
    result = viv_test_wait_result (&slot);
    ok = viv_files_upload_finish (files, result, &error);
    g_assert_no_error (error);
    g_assert_true (ok);
  }
  g_assert_cmpint (up.last, ==, BIG_SIZE);
  g_assert_cmpuint (up.calls, >, 1);
  g_test_message ("upload: %u progress reports", up.calls);

  {
    GAsyncResult *slot = NULL;
    g_autoptr (GAsyncResult) result = NULL;

    viv_files_stat_async (files, "/tmp/big.bin", NULL, viv_test_result_cb, &slot);
    result = viv_test_wait_result (&slot);
    entry = viv_files_stat_finish (files, result, &error);
    g_assert_no_error (error);
    g_assert_cmpint (viv_file_entry_get_size (entry), ==, BIG_SIZE);
    g_assert_cmpint (viv_file_entry_get_file_type (entry), ==, VIV_FILE_TYPE_FILE);
  }

  sink = g_memory_output_stream_new_resizable ();
  {
    GAsyncResult *slot = NULL;
    g_autoptr (GAsyncResult) result = NULL;

    viv_files_download_async (files, "/tmp/big.bin", sink, progress_cb, &down, NULL, NULL,
                              viv_test_result_cb, &slot);
    result = viv_test_wait_result (&slot);
    transferred = viv_files_download_finish (files, result, &error);
    g_assert_no_error (error);
    g_assert_cmpint (transferred, ==, BIG_SIZE);
  }
  g_output_stream_close (sink, NULL, NULL);
  back = g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (sink));
  g_assert_true (g_bytes_equal (back, big));
  g_assert_cmpuint (down.calls, >, 1);

  /* Cancelled half way: a clean G_IO_ERROR_CANCELLED, and not all bytes. */
  cancelled.cancel_at_half = cancellable;
  cancelled.half = BIG_SIZE / 2;
  partial = g_memory_output_stream_new_resizable ();
  {
    GAsyncResult *slot = NULL;
    g_autoptr (GAsyncResult) result = NULL;

    viv_files_download_async (files, "/tmp/big.bin", partial, progress_cb, &cancelled, NULL,
                              cancellable, viv_test_result_cb, &slot);
    result = viv_test_wait_result (&slot);
    transferred = viv_files_download_finish (files, result, &error);
    g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    g_clear_error (&error);
    g_assert_cmpint (cancelled.last, <, BIG_SIZE);
  }

  /* Small reads, directories, errors. */
  {
    GAsyncResult *slot = NULL;
    g_autoptr (GAsyncResult) result = NULL;
    g_autoptr (GAsyncResult) result2 = NULL;
    g_autoptr (GAsyncResult) result3 = NULL;
    g_autoptr (VivFileEntry) dir = NULL;

    viv_files_make_directory_async (files, "/tmp/d/e", NULL, viv_test_result_cb, &slot);
    result = viv_test_wait_result (&slot);
    dir = viv_files_make_directory_finish (files, result, &error);
    g_assert_no_error (error);
    g_assert_cmpint (viv_file_entry_get_file_type (dir), ==, VIV_FILE_TYPE_DIRECTORY);

    viv_files_list_async (files, "/tmp", 2, NULL, viv_test_result_cb, &slot);
    result2 = viv_test_wait_result (&slot);
    entries = viv_files_list_finish (files, result2, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (entries->len, >=, 3);

    viv_files_read_bytes_async (files, "/tmp/nope", NULL, viv_test_result_cb, &slot);
    result3 = viv_test_wait_result (&slot);
    small = viv_files_read_bytes_finish (files, result3, &error);
    g_assert_null (small);
    g_assert_error (error, VIV_ERROR, VIV_ERROR_NOT_FOUND);
    g_clear_error (&error);
  }
}

typedef struct
{
  GString *out;
  GString *err;
} Output;

static void
stdout_cb (VivProcess *process,
           GBytes     *bytes,
           Output     *output)
{
  g_string_append_len (output->out, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
stderr_cb (VivProcess *process,
           GBytes     *bytes,
           Output     *output)
{
  g_string_append_len (output->err, g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

static void
test_process (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr (VivSandbox) sandbox = create (fixture->client, "processes");
  g_autoptr (VivProcesses) processes = viv_processes_new (sandbox);
  const char * const argv[] = { "/bin/sh", "-c", "echo hello; echo oops >&2; for i in 1 2 3; do echo line $i; done; exit 3", NULL };
  g_autoptr (VivProcess) process = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  Output output = { g_string_new (NULL), g_string_new (NULL) };
  GAsyncResult *slot = NULL;
  int exit_code = -1;

  process = viv_processes_start (processes, argv, NULL, NULL, NULL, FALSE);
  g_signal_connect (process, "stdout", G_CALLBACK (stdout_cb), &output);
  g_signal_connect (process, "stderr", G_CALLBACK (stderr_cb), &output);
  viv_process_wait_async (process, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  g_assert_true (viv_process_wait_finish (process, result, &exit_code, &error));
  g_assert_no_error (error);
  g_assert_cmpint (exit_code, ==, 3);
  g_assert_cmpuint (viv_process_get_pid (process), >, 0);
  g_assert_cmpstr (output.out->str, ==, "hello\nline 1\nline 2\nline 3\n");
  g_assert_cmpstr (output.err->str, ==, "oops\n");

  g_string_free (output.out, TRUE);
  g_string_free (output.err, TRUE);
}

static void
test_gjs (Fixture       *fixture,
          gconstpointer  data)
{
  g_autoptr (VivSandbox) sandbox = create (fixture->client, "gjs");
  g_autoptr (VivFiles) files = viv_files_new (sandbox);
  g_autoptr (GBytes) hello = g_bytes_new_static ("Hello from the sandbox", 22);
  g_autoptr (GInputStream) source = g_memory_input_stream_new_from_bytes (hello);
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *script = g_test_build_filename (G_TEST_DIST, "list-and-read.js", NULL);
  g_autofree char *discovery = g_build_filename (fixture->host->runtime_dir, "vivarium", "host.json", NULL);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *expected = NULL;
  GAsyncResult *slot = NULL;
  int wait_status = 0;
  const char *argv[] = { "gjs", script, discovery, viv_sandbox_get_id (sandbox), "/tmp/hello.txt", NULL };

  g_autofree char *gjs = g_find_program_in_path ("gjs");

  if (gjs == NULL)
    {
      g_test_skip ("gjs is not installed");
      return;
    }

  viv_files_upload_async (files, "/tmp/hello.txt", source, 22, NULL, NULL, NULL, NULL,
                          viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  g_assert_true (viv_files_upload_finish (files, result, &error));
  g_assert_no_error (error);

  /* GI_TYPELIB_PATH and LD_LIBRARY_PATH point at the build tree (meson.build). */
  g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err,
                &wait_status, &error);
  g_assert_no_error (error);
  g_test_message ("gjs said: %s%s", out, err);
  g_assert_true (g_spawn_check_wait_status (wait_status, NULL));
  g_assert_nonnull (strstr (out, "sandboxes: 1\n"));
  g_assert_nonnull (strstr (out, "state: running\n"));
  expected = g_strdup ("content: Hello from the sandbox\n");
  g_assert_nonnull (strstr (out, expected));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  if (g_getenv ("VIVARIUM_HOST") == NULL)
    {
      g_test_skip ("vivarium-host is not built");
      return g_test_run ();
    }

  g_test_add ("/client/host/lifecycle", Fixture, NULL, fixture_setup, test_lifecycle, fixture_teardown);
  g_test_add ("/client/host/list-model", Fixture, NULL, fixture_setup, test_list_model, fixture_teardown);
  g_test_add ("/client/host/files", Fixture, NULL, fixture_setup, test_files, fixture_teardown);
  g_test_add ("/client/host/process", Fixture, NULL, fixture_setup, test_process, fixture_teardown);
  g_test_add ("/client/host/gjs", Fixture, NULL, fixture_setup, test_gjs, fixture_teardown);

  return g_test_run ();
}
