/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "viv-connect-client.h"

/* filesystem.Filesystem over a real guest (shared/spec/e2b-wire.md §2.4). */

typedef struct
{
  VivTestGuest *guest;
  char         *dir;    /* a scratch directory the tests work in */
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  fixture->guest = viv_test_guest_start (NULL, NULL);
  fixture->dir = g_dir_make_tmp ("viv-rpc-fs-XXXXXX", &error);
  g_assert_no_error (error);
  g_chmod (fixture->dir, 0755);
}

static void
remove_tree (const char *path)
{
  g_autofree char *quoted = g_shell_quote (path);
  g_autofree char *command = g_strdup_printf ("rm -rf %s", quoted);

  g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  viv_test_guest_stop (fixture->guest);
  remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static char *
path_in (Fixture    *fixture,
         const char *name)
{
  return g_build_filename (fixture->dir, name, NULL);
}

static void
write_file (const char *path,
            const char *contents,
            int         mode)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents_full (path, contents, -1, G_FILE_SET_CONTENTS_NONE, mode, &error);
  g_assert_no_error (error);
  g_chmod (path, mode);
}

/* {"path": "<path>"} with JSON escaping. */
static char *
path_request (const char *member,
              const char *path,
              const char *extra)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *json = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, member);
  json_builder_add_string_value (builder, path);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json = json_to_string (root, FALSE);

  if (extra == NULL)
    return g_steal_pointer (&json);

  /* Splice extra members before the closing brace. */
  json[strlen (json) - 1] = '\0';
  return g_strdup_printf ("%s,%s}", json, extra);
}

static JsonObject *
call_path (Fixture    *fixture,
           const char *user,
           const char *method,
           const char *path,
           const char *extra,
           guint      *status)
{
  g_autofree char *json = path_request ("path", path, extra);

  return rpc_unary (fixture->guest, user, method, json, status);
}

static void
test_stat (Fixture       *fixture,
           gconstpointer  data)
{
  g_autofree char *file = path_in (fixture, "hello.txt");
  g_autofree char *link = path_in (fixture, "link");
  g_autoptr (JsonObject) response = NULL;
  g_autoptr (JsonObject) missing = NULL;
  g_autoptr (JsonObject) linked = NULL;
  JsonObject *entry;
  guint status = 0;

  write_file (file, "hello", 0644);
  g_assert_cmpint (symlink (file, link), ==, 0);

  response = call_path (fixture, NULL, "filesystem.Filesystem/Stat", file, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  entry = json_object_get_object_member (response, "entry");
  g_assert_cmpstr (json_object_get_string_member (entry, "name"), ==, "hello.txt");
  g_assert_cmpstr (json_object_get_string_member (entry, "path"), ==, file);
  g_assert_cmpstr (json_object_get_string_member (entry, "type"), ==, "FILE_TYPE_FILE");
  /* int64 travels as a string, uint32 as a number. */
  g_assert_cmpstr (json_object_get_string_member (entry, "size"), ==, "5");
  g_assert_cmpint (json_object_get_int_member (entry, "mode"), ==, 0644);
  g_assert_cmpstr (json_object_get_string_member (entry, "permissions"), ==, "-rw-r--r--");
  g_assert_cmpstr (json_object_get_string_member (entry, "owner"), ==, "root");
  g_assert_cmpstr (json_object_get_string_member (entry, "group"), ==, "root");
  g_assert_true (g_str_has_suffix (json_object_get_string_member (entry, "modifiedTime"), "Z"));
  g_assert_false (json_object_has_member (entry, "symlinkTarget"));

  linked = call_path (fixture, NULL, "filesystem.Filesystem/Stat", link, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  entry = json_object_get_object_member (linked, "entry");
  g_assert_cmpstr (json_object_get_string_member (entry, "type"), ==, "FILE_TYPE_SYMLINK");
  g_assert_cmpstr (json_object_get_string_member (entry, "symlinkTarget"), ==, file);

  missing = call_path (fixture, NULL, "filesystem.Filesystem/Stat", "/no/such/file", NULL,
                       &status);
  rpc_assert_error (missing, status, 404, "not_found");
}

static void
test_protocol_errors (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr (JsonObject) unknown_user = NULL;
  g_autoptr (JsonObject) bad_json = NULL;
  g_autoptr (JsonObject) bad_type = NULL;
  g_autoptr (JsonObject) no_method = NULL;
  g_autoptr (JsonObject) empty_path = NULL;
  g_autoptr (GBytes) wrong_content_type = NULL;
  guint status = 0;

  unknown_user = call_path (fixture, "no-such-user-here", "filesystem.Filesystem/Stat", "/",
                            NULL, &status);
  rpc_assert_error (unknown_user, status, 401, "unauthenticated");

  bad_json = rpc_unary (fixture->guest, NULL, "filesystem.Filesystem/Stat", "{\"path\":",
                        &status);
  rpc_assert_error (bad_json, status, 400, "invalid_argument");

  bad_type = rpc_unary (fixture->guest, NULL, "filesystem.Filesystem/Stat", "{\"path\":7}",
                        &status);
  rpc_assert_error (bad_type, status, 400, "invalid_argument");

  empty_path = rpc_unary (fixture->guest, NULL, "filesystem.Filesystem/Stat", "{}", &status);
  rpc_assert_error (empty_path, status, 400, "invalid_argument");

  no_method = rpc_unary (fixture->guest, NULL, "filesystem.Filesystem/Frobnicate", "{}",
                         &status);
  rpc_assert_error (no_method, status, 501, "unimplemented");

  /* The binary codec is not served. */
  {
    g_autoptr (GBytes) body = g_bytes_new_static ("", 0);

    wrong_content_type = viv_test_guest_request (fixture->guest, "POST",
                                                 "/filesystem.Filesystem/Stat", NULL,
                                                 "application/proto", body, &status, NULL);
    g_assert_cmpuint (status, ==, 415);
  }

  /* The access token guards RPC like everything else. */
  {
    g_autoptr (GBytes) body = g_bytes_new_static ("{\"path\":\"/\"}", 12);
    g_autoptr (GBytes) response = NULL;

    response = viv_test_guest_request (fixture->guest, "POST", "/filesystem.Filesystem/Stat",
                                       "", "application/json", body, &status, NULL);
    g_assert_cmpuint (status, ==, 401);
  }
}

static void
test_make_dir (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *nested = path_in (fixture, "a/b/c");
  g_autofree char *shared = path_in (fixture, "shared");
  g_autofree char *mine = path_in (fixture, "shared/nobodys");
  g_autofree char *denied = path_in (fixture, "not-for-nobody");
  g_autofree char *file = path_in (fixture, "plain");
  g_autoptr (JsonObject) made = NULL;
  g_autoptr (JsonObject) again = NULL;
  g_autoptr (JsonObject) over_file = NULL;
  g_autoptr (JsonObject) as_nobody = NULL;
  g_autoptr (JsonObject) refused = NULL;
  JsonObject *entry;
  guint status = 0;

  made = call_path (fixture, NULL, "filesystem.Filesystem/MakeDir", nested, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  entry = json_object_get_object_member (made, "entry");
  g_assert_cmpstr (json_object_get_string_member (entry, "type"), ==, "FILE_TYPE_DIRECTORY");
  g_assert_cmpstr (json_object_get_string_member (entry, "name"), ==, "c");
  g_assert_true (g_file_test (nested, G_FILE_TEST_IS_DIR));

  again = call_path (fixture, NULL, "filesystem.Filesystem/MakeDir", nested, NULL, &status);
  rpc_assert_error (again, status, 409, "already_exists");

  write_file (file, "x", 0644);
  over_file = call_path (fixture, NULL, "filesystem.Filesystem/MakeDir", file, NULL, &status);
  rpc_assert_error (over_file, status, 400, "invalid_argument");

  /* Directories belong to the user who made them, and the user's rights apply. */
  g_assert_cmpint (g_mkdir (shared, 0777), ==, 0);
  g_chmod (shared, 0777);
  as_nobody = call_path (fixture, "nobody", "filesystem.Filesystem/MakeDir", mine, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  entry = json_object_get_object_member (as_nobody, "entry");
  g_assert_cmpstr (json_object_get_string_member (entry, "owner"), ==, "nobody");

  refused = call_path (fixture, "nobody", "filesystem.Filesystem/MakeDir", denied, NULL, &status);
  rpc_assert_error (refused, status, 403, "permission_denied");
  g_assert_false (g_file_test (denied, G_FILE_TEST_EXISTS));
}

static void
test_move (Fixture       *fixture,
           gconstpointer  data)
{
  g_autofree char *source = path_in (fixture, "from.txt");
  g_autofree char *destination = path_in (fixture, "sub/dir/to.txt");
  g_autofree char *json = NULL;
  g_autofree char *missing_json = NULL;
  g_autoptr (JsonObject) moved = NULL;
  g_autoptr (JsonObject) missing = NULL;
  g_autofree char *contents = NULL;
  JsonObject *entry;
  guint status = 0;

  write_file (source, "moving", 0600);
  json = g_strdup_printf ("{\"source\":\"%s\",\"destination\":\"%s\"}", source, destination);
  moved = rpc_unary (fixture->guest, NULL, "filesystem.Filesystem/Move", json, &status);
  g_assert_cmpuint (status, ==, 200);
  entry = json_object_get_object_member (moved, "entry");
  g_assert_cmpstr (json_object_get_string_member (entry, "path"), ==, destination);
  g_assert_cmpstr (json_object_get_string_member (entry, "permissions"), ==, "-rw-------");
  g_assert_false (g_file_test (source, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_get_contents (destination, &contents, NULL, NULL));
  g_assert_cmpstr (contents, ==, "moving");

  missing_json = g_strdup_printf ("{\"source\":\"%s\",\"destination\":\"%s\"}", source,
                                  destination);
  missing = rpc_unary (fixture->guest, NULL, "filesystem.Filesystem/Move", missing_json, &status);
  rpc_assert_error (missing, status, 404, "not_found");
}

static GPtrArray *
entry_paths (JsonObject *response)
{
  JsonArray *entries = json_object_get_array_member (response, "entries");
  GPtrArray *paths = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject *entry = json_array_get_object_element (entries, i);

      g_ptr_array_add (paths, g_strdup (json_object_get_string_member (entry, "path")));
    }
  g_ptr_array_add (paths, NULL);
  return paths;
}

static void
test_list_dir (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *tree = path_in (fixture, "tree");
  g_autofree char *sub = path_in (fixture, "tree/sub");
  g_autofree char *deep = path_in (fixture, "tree/sub/deep");
  g_autofree char *one = path_in (fixture, "tree/one.txt");
  g_autofree char *two = path_in (fixture, "tree/sub/two.txt");
  g_autofree char *three = path_in (fixture, "tree/sub/deep/three.txt");
  g_autoptr (JsonObject) level1 = NULL;
  g_autoptr (JsonObject) level2 = NULL;
  g_autoptr (JsonObject) of_file = NULL;
  g_autoptr (JsonObject) depth0 = NULL;
  g_autoptr (JsonObject) missing = NULL;
  g_autoptr (GPtrArray) paths1 = NULL;
  g_autoptr (GPtrArray) paths2 = NULL;
  guint status = 0;

  g_assert_cmpint (g_mkdir_with_parents (deep, 0755), ==, 0);
  write_file (one, "1", 0644);
  write_file (two, "22", 0644);
  write_file (three, "333", 0644);

  level1 = call_path (fixture, NULL, "filesystem.Filesystem/ListDir", tree, "\"depth\":1",
                      &status);
  g_assert_cmpuint (status, ==, 200);
  paths1 = entry_paths (level1);
  g_assert_cmpuint (paths1->len - 1, ==, 2);
  g_assert_true (g_strv_contains ((const char * const *) paths1->pdata, one));
  g_assert_true (g_strv_contains ((const char * const *) paths1->pdata, sub));

  /* Depth as a string, as int64/uint32 may come. */
  level2 = call_path (fixture, NULL, "filesystem.Filesystem/ListDir", tree, "\"depth\":\"2\"",
                      &status);
  g_assert_cmpuint (status, ==, 200);
  paths2 = entry_paths (level2);
  g_assert_cmpuint (paths2->len - 1, ==, 4);
  g_assert_true (g_strv_contains ((const char * const *) paths2->pdata, two));
  g_assert_true (g_strv_contains ((const char * const *) paths2->pdata, deep));
  g_assert_false (g_strv_contains ((const char * const *) paths2->pdata, three));

  of_file = call_path (fixture, NULL, "filesystem.Filesystem/ListDir", one, "\"depth\":1",
                       &status);
  rpc_assert_error (of_file, status, 400, "invalid_argument");

  depth0 = call_path (fixture, NULL, "filesystem.Filesystem/ListDir", tree, "\"depth\":0",
                      &status);
  rpc_assert_error (depth0, status, 400, "invalid_argument");

  missing = call_path (fixture, NULL, "filesystem.Filesystem/ListDir", "/no/such/dir",
                       "\"depth\":1", &status);
  rpc_assert_error (missing, status, 404, "not_found");
}

static void
test_remove (Fixture       *fixture,
             gconstpointer  data)
{
  g_autofree char *file = path_in (fixture, "gone.txt");
  g_autofree char *tree = path_in (fixture, "gone-tree");
  g_autofree char *inner = path_in (fixture, "gone-tree/a/b");
  g_autofree char *inner_file = path_in (fixture, "gone-tree/a/b/f");
  g_autoptr (JsonObject) removed_file = NULL;
  g_autoptr (JsonObject) removed_tree = NULL;
  g_autoptr (JsonObject) missing = NULL;
  guint status = 0;

  write_file (file, "bye", 0644);
  g_assert_cmpint (g_mkdir_with_parents (inner, 0755), ==, 0);
  write_file (inner_file, "bye", 0644);

  removed_file = call_path (fixture, NULL, "filesystem.Filesystem/Remove", file, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (json_object_get_size (removed_file), ==, 0);
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));

  removed_tree = call_path (fixture, NULL, "filesystem.Filesystem/Remove", tree, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_false (g_file_test (tree, G_FILE_TEST_EXISTS));

  missing = call_path (fixture, NULL, "filesystem.Filesystem/Remove", file, NULL, &status);
  rpc_assert_error (missing, status, 404, "not_found");
}

/* Reads WatchDir messages until every name in @expected was seen with its
 * type ("name=EVENT_TYPE_X"); the guest's stream blocks until they come. */
static void
expect_events (RpcStream          *stream,
               const char * const *expected)
{
  g_autoptr (GHashTable) missing = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; expected[i] != NULL; i++)
    g_hash_table_add (missing, (gpointer) expected[i]);

  while (g_hash_table_size (missing) > 0)
    {
      g_autoptr (JsonObject) message = rpc_stream_next (stream);
      g_autofree char *key = NULL;
      JsonObject *event;

      g_assert_nonnull (message);
      if (json_object_has_member (message, "keepalive"))
        continue;

      event = json_object_get_object_member (message, "filesystem");
      g_assert_nonnull (event);
      key = g_strdup_printf ("%s=%s", json_object_get_string_member (event, "name"),
                             json_object_get_string_member (event, "type"));
      g_hash_table_remove (missing, key);
    }
}

static void
test_watch_dir (Fixture       *fixture,
                gconstpointer  data)
{
  g_autofree char *watched = path_in (fixture, "watched");
  g_autofree char *file = path_in (fixture, "watched/new.txt");
  g_autofree char *renamed = path_in (fixture, "watched/renamed.txt");
  g_autofree char *sub = path_in (fixture, "watched/sub");
  g_autofree char *sub_file = path_in (fixture, "watched/sub/inner.txt");
  g_autofree char *json = NULL;
  g_autoptr (RpcStream) stream = NULL;
  g_autoptr (JsonObject) start = NULL;
  g_autoptr (JsonObject) created = NULL;
  JsonObject *event;

  g_assert_cmpint (g_mkdir (watched, 0755), ==, 0);
  json = path_request ("path", watched, "\"recursive\":true,\"includeEntry\":true");
  stream = rpc_stream_open (fixture->guest, NULL, "filesystem.Filesystem/WatchDir", json, 0);

  start = rpc_stream_next (stream);
  g_assert_nonnull (start);
  g_assert_true (json_object_has_member (start, "start"));

  write_file (file, "one", 0644);
  created = rpc_stream_next (stream);
  event = json_object_get_object_member (created, "filesystem");
  g_assert_cmpstr (json_object_get_string_member (event, "name"), ==, "new.txt");
  g_assert_cmpstr (json_object_get_string_member (event, "type"), ==, "EVENT_TYPE_CREATE");
  /* includeEntry: the entry comes along. */
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (event, "entry"),
                                                  "path"), ==, file);
  expect_events (stream, (const char *[]) { "new.txt=EVENT_TYPE_WRITE", NULL });

  g_assert_cmpint (g_rename (file, renamed), ==, 0);
  expect_events (stream, (const char *[]) { "new.txt=EVENT_TYPE_RENAME",
                                            "renamed.txt=EVENT_TYPE_CREATE", NULL });

  g_chmod (renamed, 0600);
  expect_events (stream, (const char *[]) { "renamed.txt=EVENT_TYPE_CHMOD", NULL });

  g_assert_cmpint (g_unlink (renamed), ==, 0);
  expect_events (stream, (const char *[]) { "renamed.txt=EVENT_TYPE_REMOVE", NULL });

  /* A directory made after the watch started is watched too. */
  g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
  expect_events (stream, (const char *[]) { "sub=EVENT_TYPE_CREATE", NULL });
  write_file (sub_file, "deep", 0644);
  expect_events (stream, (const char *[]) { "sub/inner.txt=EVENT_TYPE_CREATE", NULL });
  g_assert_cmpint (g_unlink (sub_file), ==, 0);
  expect_events (stream, (const char *[]) { "sub/inner.txt=EVENT_TYPE_REMOVE", NULL });
}

static void
test_watch_dir_errors (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *file = path_in (fixture, "a-file");
  g_autofree char *missing_json = path_request ("path", "/no/such/dir", NULL);
  g_autofree char *file_json = NULL;
  g_autofree char *deadline_json = path_request ("path", fixture->dir, NULL);
  g_autoptr (RpcStream) missing = NULL;
  g_autoptr (RpcStream) of_file = NULL;
  g_autoptr (RpcStream) deadline = NULL;
  g_autoptr (RpcStream) stranger = NULL;
  g_autoptr (JsonObject) start = NULL;
  JsonObject *error;

  write_file (file, "x", 0644);
  file_json = path_request ("path", file, NULL);

  /* Errors of a stream come in its end-stream envelope. */
  missing = rpc_stream_open (fixture->guest, NULL, "filesystem.Filesystem/WatchDir",
                             missing_json, 0);
  error = rpc_stream_end_error (missing);
  g_assert_nonnull (error);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "not_found");

  of_file = rpc_stream_open (fixture->guest, NULL, "filesystem.Filesystem/WatchDir", file_json,
                             0);
  error = rpc_stream_end_error (of_file);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "invalid_argument");

  stranger = rpc_stream_open (fixture->guest, "no-such-user-here",
                              "filesystem.Filesystem/WatchDir", deadline_json, 0);
  error = rpc_stream_end_error (stranger);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "unauthenticated");

  /* Connect-Timeout-Ms ends a watch with deadline_exceeded, never silently. */
  deadline = rpc_stream_open (fixture->guest, NULL, "filesystem.Filesystem/WatchDir",
                              deadline_json, 500);
  start = rpc_stream_next (deadline);
  g_assert_true (json_object_has_member (start, "start"));
  error = rpc_stream_end_error (deadline);
  g_assert_nonnull (error);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "deadline_exceeded");
}

static void
test_polling_watcher (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *file = path_in (fixture, "polled.txt");
  g_autofree char *json = path_request ("path", fixture->dir, NULL);
  g_autofree char *id_json = NULL;
  g_autoptr (JsonObject) created = NULL;
  g_autoptr (JsonObject) removed = NULL;
  g_autoptr (JsonObject) after = NULL;
  g_autoptr (JsonObject) unknown = NULL;
  const char *id;
  gboolean seen = FALSE;
  gint64 deadline;
  guint status = 0;

  created = rpc_unary (fixture->guest, NULL, "filesystem.Filesystem/CreateWatcher", json,
                       &status);
  g_assert_cmpuint (status, ==, 200);
  id = json_object_get_string_member (created, "watcherId");
  g_assert_nonnull (id);
  id_json = g_strdup_printf ("{\"watcherId\":\"%s\"}", id);

  write_file (file, "poll", 0644);

  deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  while (!seen && g_get_monotonic_time () < deadline)
    {
      g_autoptr (JsonObject) polled = NULL;
      JsonArray *events;

      polled = rpc_unary (fixture->guest, NULL, "filesystem.Filesystem/GetWatcherEvents",
                          id_json, &status);
      g_assert_cmpuint (status, ==, 200);
      events = json_object_get_array_member (polled, "events");
      for (guint i = 0; i < json_array_get_length (events); i++)
        {
          JsonObject *event = json_array_get_object_element (events, i);

          if (g_strcmp0 (json_object_get_string_member (event, "name"), "polled.txt") == 0 &&
              g_strcmp0 (json_object_get_string_member (event, "type"), "EVENT_TYPE_CREATE") == 0)
            seen = TRUE;
        }
      if (!seen)
        g_usleep (50 * 1000);
    }
  g_assert_true (seen);

  removed = rpc_unary (fixture->guest, NULL, "filesystem.Filesystem/RemoveWatcher", id_json,
                       &status);
  g_assert_cmpuint (status, ==, 200);

  after = rpc_unary (fixture->guest, NULL, "filesystem.Filesystem/GetWatcherEvents", id_json,
                     &status);
  rpc_assert_error (after, status, 404, "not_found");

  unknown = rpc_unary (fixture->guest, NULL, "filesystem.Filesystem/RemoveWatcher",
                       "{\"watcherId\":\"nope\"}", &status);
  rpc_assert_error (unknown, status, 404, "not_found");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/envd-rpc/filesystem/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("stat", test_stat);
  ADD ("protocol-errors", test_protocol_errors);
  ADD ("make-dir", test_make_dir);
  ADD ("move", test_move);
  ADD ("list-dir", test_list_dir);
  ADD ("remove", test_remove);
  ADD ("watch-dir", test_watch_dir);
  ADD ("watch-dir-errors", test_watch_dir_errors);
  ADD ("polling-watcher", test_polling_watcher);

#undef ADD

  return g_test_run ();
}
