/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>

#include "envd-http-common.h"

/* envd's plain HTTP API (shared/spec/e2b-wire.md §2.1, §2.2) against a real
 * guest over its Unix socket: /metrics, /envs, /init, /files both ways with
 * multipart, octet-stream, gzip and signed URLs, data safety on interrupted
 * uploads and full disks, and /port/ forwarding. */

typedef struct
{
  VivTestGuest *guest;
  SoupSession  *session;
  char         *dir;      /* a scratch directory for the files under test */
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  fixture->guest = envd_test_guest_start ();
  fixture->session = envd_test_session_new (fixture->guest);
  fixture->dir = g_dir_make_tmp ("viv-envd-http-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
remove_tree (const char *path)
{
  g_autoptr (GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_object (&fixture->session);
  viv_test_guest_stop (fixture->guest);
  remove_tree (fixture->dir);
  g_free (fixture->dir);
}

static JsonNode *
parse_json (GBytes *bytes)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  gsize length;
  const char *data = g_bytes_get_data (bytes, &length);

  json_parser_load_from_data (parser, data, length, &error);
  g_assert_no_error (error);
  return json_node_ref (json_parser_get_root (parser));
}

static void
assert_error (GBytes     *body,
              guint       status,
              const char *message_part)
{
  g_autoptr (JsonNode) node = parse_json (body);
  JsonObject *object = json_node_get_object (node);

  g_assert_cmpint (json_object_get_int_member (object, "code"), ==, status);
  if (message_part != NULL && strstr (json_object_get_string_member (object, "message"),
                                      message_part) == NULL)
    g_error ("“%s” does not say “%s”", json_object_get_string_member (object, "message"),
             message_part);
}

static GBytes *
bytes_from_string (const char *text)
{
  return g_bytes_new (text, strlen (text));
}

static char *
scratch (Fixture    *fixture,
         const char *name)
{
  return g_build_filename (fixture->dir, name, NULL);
}

static void
assert_file_contents (const char *path,
                      const char *expected)
{
  g_autofree char *contents = NULL;
  g_autoptr (GError) error = NULL;

  g_file_get_contents (path, &contents, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (contents, ==, expected);
}

static guint
count_entries (const char *directory)
{
  g_autoptr (GDir) dir = g_dir_open (directory, 0, NULL);
  guint count = 0;

  g_assert_nonnull (dir);
  while (g_dir_read_name (dir) != NULL)
    count++;
  return count;
}

/* envd's signature, computed here from the spec (§2.1), not with guest code. */
static char *
sign (const char *path,
      const char *operation,
      const char *username,
      const char *token,
      gint64      expiration)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *raw = NULL;
  g_autofree char *encoded = NULL;
  guint8 digest[32];
  gsize length = sizeof digest;

  raw = expiration > 0
    ? g_strdup_printf ("%s:%s:%s:%s:%" G_GINT64_FORMAT, path, operation, username, token, expiration)
    : g_strdup_printf ("%s:%s:%s:%s", path, operation, username, token);
  g_checksum_update (checksum, (const guchar *) raw, -1);
  g_checksum_get_digest (checksum, digest, &length);
  encoded = g_base64_encode (digest, length);
  g_strdelimit (encoded, "=", '\0');
  return g_strconcat ("v1_", encoded, NULL);
}

static void
test_metrics (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GBytes) unauthorized = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *meminfo = NULL;
  JsonObject *metrics;
  struct statvfs disk;
  guint64 mem_total_kib;
  guint status;

  body = envd_test_request (fixture->session, fixture->guest, "GET", "/metrics", NULL, NULL,
                            NULL, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  node = parse_json (body);
  metrics = json_node_get_object (node);

  g_assert_cmpint (json_object_get_int_member (metrics, "cpu_count"), ==,
                   sysconf (_SC_NPROCESSORS_ONLN));
  g_assert_cmpfloat (json_object_get_double_member (metrics, "cpu_used_pct"), >=, 0);
  g_assert_cmpfloat (json_object_get_double_member (metrics, "cpu_used_pct"), <=, 100);
  g_assert_cmpint (ABS (json_object_get_int_member (metrics, "ts") -
                        g_get_real_time () / G_USEC_PER_SEC), <=, 5);

  g_file_get_contents ("/proc/meminfo", &meminfo, NULL, NULL);
  g_assert_true (sscanf (meminfo, "MemTotal: %" G_GUINT64_FORMAT, &mem_total_kib) == 1);
  g_assert_cmpint (json_object_get_int_member (metrics, "mem_total"), ==, mem_total_kib * 1024);
  g_assert_cmpint (json_object_get_int_member (metrics, "mem_total_mib"), ==,
                   mem_total_kib / 1024);
  g_assert_cmpint (json_object_get_int_member (metrics, "mem_used"), >, 0);
  g_assert_cmpint (json_object_get_int_member (metrics, "mem_used"), <,
                   json_object_get_int_member (metrics, "mem_total"));
  g_assert_cmpint (json_object_get_int_member (metrics, "mem_used_mib"), ==,
                   json_object_get_int_member (metrics, "mem_used") / (1024 * 1024));
  g_assert_true (json_object_has_member (metrics, "mem_cache"));

  g_assert_cmpint (statvfs ("/", &disk), ==, 0);
  g_assert_cmpint (json_object_get_int_member (metrics, "disk_total"), ==,
                   (gint64) disk.f_blocks * disk.f_frsize);
  g_assert_cmpint (json_object_get_int_member (metrics, "disk_used"), >, 0);
  g_assert_cmpint (json_object_get_int_member (metrics, "disk_used"), <=,
                   json_object_get_int_member (metrics, "disk_total"));

  unauthorized = envd_test_request (fixture->session, fixture->guest, "GET", "/metrics", "",
                                    NULL, NULL, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 401);
}

static void
test_init_and_envs (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr (GBytes) empty = NULL;
  g_autoptr (GBytes) init = NULL;
  g_autoptr (GBytes) envs = NULL;
  g_autoptr (GBytes) old_token = NULL;
  g_autoptr (GBytes) no_token = NULL;
  g_autoptr (GBytes) stale = NULL;
  g_autoptr (GBytes) after_stale = NULL;
  g_autoptr (GBytes) bad = NULL;
  g_autoptr (GBytes) bad_user = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GBytes) health = NULL;
  g_autoptr (JsonNode) node = NULL;
  const char *new_token = "a-new-token-from-init";
  JsonObject *object;
  guint status;

  empty = envd_test_request (fixture->session, fixture->guest, "GET", "/envs", NULL, NULL, NULL,
                             &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (g_bytes_get_data (empty, NULL), ==, "{}");

  /* Unknown members are ignored, as envd does. */
  body = bytes_from_string ("{\"envVars\": {\"VIV_A\": \"one\", \"VIV_B\": \"two words\"},"
                            " \"accessToken\": \"a-new-token-from-init\","
                            " \"timestamp\": \"2030-01-02T03:04:05Z\","
                            " \"defaultUser\": \"root\", \"defaultWorkdir\": \"/tmp\","
                            " \"hyperloopIP\": \"10.0.0.1\", \"volumeMounts\": []}");
  init = envd_test_request (fixture->session, fixture->guest, "POST", "/init", NULL,
                            "application/json", body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 204);

  envs = envd_test_request (fixture->session, fixture->guest, "GET", "/envs", new_token, NULL,
                            NULL, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  node = parse_json (envs);
  object = json_node_get_object (node);
  g_assert_cmpuint (json_object_get_size (object), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (object, "VIV_A"), ==, "one");
  g_assert_cmpstr (json_object_get_string_member (object, "VIV_B"), ==, "two words");

  /* The old token no longer opens anything; /health stays public. */
  old_token = envd_test_request (fixture->session, fixture->guest, "GET", "/envs", NULL, NULL,
                                 NULL, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 401);
  health = envd_test_request (fixture->session, fixture->guest, "GET", "/health", "", NULL,
                              NULL, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 204);

  /* Nobody without the current token can replace it. */
  g_clear_pointer (&body, g_bytes_unref);
  body = bytes_from_string ("{\"accessToken\": \"stolen\"}");
  no_token = envd_test_request (fixture->session, fixture->guest, "POST", "/init", "",
                                "application/json", body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 401);

  /* An /init older than the applied one changes nothing. */
  g_clear_pointer (&body, g_bytes_unref);
  body = bytes_from_string ("{\"envVars\": {\"VIV_A\": \"stale\"},"
                            " \"timestamp\": \"2029-01-01T00:00:00Z\"}");
  stale = envd_test_request (fixture->session, fixture->guest, "POST", "/init", new_token,
                             "application/json", body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 204);
  after_stale = envd_test_request (fixture->session, fixture->guest, "GET", "/envs", new_token,
                                   NULL, NULL, &status, NULL, NULL);
  g_assert_nonnull (strstr (g_bytes_get_data (after_stale, NULL), "\"VIV_A\":\"one\""));

  g_clear_pointer (&body, g_bytes_unref);
  body = bytes_from_string ("{\"envVars\": {\"VIV_A\": 3}}");
  bad = envd_test_request (fixture->session, fixture->guest, "POST", "/init", new_token,
                           "application/json", body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 400);
  assert_error (bad, 400, "VIV_A");

  g_clear_pointer (&body, g_bytes_unref);
  body = bytes_from_string ("{\"defaultUser\": \"no-such-user-here\"}");
  bad_user = envd_test_request (fixture->session, fixture->guest, "POST", "/init", new_token,
                                "application/json", body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 400);
}

static void
test_download (Fixture       *fixture,
               gconstpointer  data)
{
  g_autofree char *file = scratch (fixture, "hello world.txt");
  g_autofree char *missing = scratch (fixture, "missing");
  g_autofree char *path = envd_test_files_path (file, NULL);
  g_autofree char *missing_path = envd_test_files_path (missing, NULL);
  g_autofree char *dir_path = envd_test_files_path (fixture->dir, NULL);
  g_autofree char *bad_user_path = envd_test_files_path (file, "no-such-user-here");
  g_autofree char *root_path = envd_test_files_path (file, "root");
  g_autofree char *disposition = NULL;
  g_autoptr (GHashTable) params = NULL;
  g_autoptr (SoupMessageHeaders) headers = NULL;
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GBytes) as_root = NULL;
  g_autoptr (GBytes) not_found = NULL;
  g_autoptr (GBytes) directory = NULL;
  g_autoptr (GBytes) bad_user = NULL;
  g_autoptr (GBytes) no_token = NULL;
  g_autoptr (GBytes) wrong_token = NULL;
  guint status;

  g_file_set_contents (file, "hello, envd\n", -1, NULL);

  body = envd_test_request (fixture->session, fixture->guest, "GET", path, NULL, NULL, NULL,
                            &status, &headers, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), "hello, envd\n", 12);
  g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==,
                   "application/octet-stream");
  g_assert_true (soup_message_headers_get_content_disposition (headers, &disposition, &params));
  g_assert_cmpstr (disposition, ==, "inline");
  g_assert_cmpstr (g_hash_table_lookup (params, "filename"), ==, "hello world.txt");
  g_assert_null (soup_message_headers_get_one (headers, "Content-Encoding"));

  as_root = envd_test_request (fixture->session, fixture->guest, "GET", root_path, NULL, NULL,
                               NULL, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);

  not_found = envd_test_request (fixture->session, fixture->guest, "GET", missing_path, NULL,
                                 NULL, NULL, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 404);
  assert_error (not_found, 404, missing);

  directory = envd_test_request (fixture->session, fixture->guest, "GET", dir_path, NULL, NULL,
                                 NULL, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 400);
  assert_error (directory, 400, "directory");

  bad_user = envd_test_request (fixture->session, fixture->guest, "GET", bad_user_path, NULL,
                                NULL, NULL, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 401);
  assert_error (bad_user, 401, "no-such-user-here");

  no_token = envd_test_request (fixture->session, fixture->guest, "GET", path, "", NULL, NULL,
                                &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 401);
  wrong_token = envd_test_request (fixture->session, fixture->guest, "GET", path, "wrong", NULL,
                                   NULL, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 401);
}

static GBytes *
gzip_bytes (GBytes   *input,
            gboolean  compress)
{
  g_autoptr (GConverter) converter = NULL;
  g_autoptr (GInputStream) source = g_memory_input_stream_new_from_bytes (input);
  g_autoptr (GInputStream) filtered = NULL;
  g_autoptr (GOutputStream) sink = g_memory_output_stream_new_resizable ();
  g_autoptr (GError) error = NULL;

  if (compress)
    converter = G_CONVERTER (g_zlib_compressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP, -1));
  else
    converter = G_CONVERTER (g_zlib_decompressor_new (G_ZLIB_COMPRESSOR_FORMAT_GZIP));
  filtered = g_converter_input_stream_new (source, converter);
  g_output_stream_splice (sink, filtered, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, &error);
  g_assert_no_error (error);

  return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (sink));
}

static GBytes *
make_text (gsize size)
{
  GString *text = g_string_new (NULL);

  for (guint i = 0; text->len < size; i++)
    g_string_append_printf (text, "line %u of a compressible file\n", i);
  g_string_truncate (text, size);
  return g_string_free_to_bytes (text);
}

static void
test_download_gzip (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autofree char *file = scratch (fixture, "text.txt");
  g_autofree char *path = envd_test_files_path (file, NULL);
  g_autoptr (GBytes) text = make_text (3 * 1024 * 1024 + 17);
  g_autoptr (SoupMessageHeaders) headers = NULL;
  g_autoptr (SoupMessageHeaders) identity_headers = NULL;
  g_autoptr (GBytes) compressed = NULL;
  g_autoptr (GBytes) decompressed = NULL;
  g_autoptr (GBytes) identity = NULL;
  g_autoptr (GBytes) refused = NULL;
  guint status;

  g_file_set_contents (file, g_bytes_get_data (text, NULL), g_bytes_get_size (text), NULL);

  compressed = envd_test_request (fixture->session, fixture->guest, "GET", path, NULL, NULL,
                                  NULL, &status, &headers, "Accept-Encoding", "gzip", NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_one (headers, "Content-Encoding"), ==, "gzip");
  g_assert_cmpuint (g_bytes_get_size (compressed), <, g_bytes_get_size (text) / 4);
  decompressed = gzip_bytes (compressed, FALSE);
  g_assert_true (g_bytes_equal (decompressed, text));

  /* Identity preferred over gzip by quality: the plain bytes. */
  identity = envd_test_request (fixture->session, fixture->guest, "GET", path, NULL, NULL, NULL,
                                &status, &identity_headers,
                                "Accept-Encoding", "identity, gzip;q=0.5", NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_null (soup_message_headers_get_one (identity_headers, "Content-Encoding"));
  g_assert_true (g_bytes_equal (identity, text));

  refused = envd_test_request (fixture->session, fixture->guest, "GET", path, NULL, NULL, NULL,
                               &status, NULL, "Accept-Encoding", "br, identity;q=0", NULL);
  g_assert_cmpuint (status, ==, 406);
  assert_error (refused, 406, "br");
}

/* A multipart/form-data body; @parts are (name, filename or NULL, content) triples. */
static GBytes *
make_multipart (const char *boundary,
                ...)
{
  GString *body = g_string_new ("preamble to ignore\r\n");
  const char *name;
  va_list args;

  va_start (args, boundary);
  while ((name = va_arg (args, const char *)) != NULL)
    {
      const char *filename = va_arg (args, const char *);
      const char *content = va_arg (args, const char *);

      g_string_append_printf (body, "--%s\r\n", boundary);
      if (filename != NULL)
        g_string_append_printf (body, "Content-Disposition: form-data; name=\"%s\"; "
                                "filename=\"%s\"\r\nContent-Type: application/octet-stream\r\n\r\n",
                                name, filename);
      else
        g_string_append_printf (body, "Content-Disposition: form-data; name=\"%s\"\r\n\r\n", name);
      g_string_append (body, content);
      g_string_append (body, "\r\n");
    }
  va_end (args);
  g_string_append_printf (body, "--%s--\r\n", boundary);

  return g_string_free_to_bytes (body);
}

static void
test_upload_multipart (Fixture       *fixture,
                       gconstpointer  data)
{
  const char *boundary = "----vivBoundary7MA4YWxkTrZu0gW";
  g_autofree char *content_type = g_strdup_printf ("multipart/form-data; boundary=%s", boundary);
  g_autofree char *first = scratch (fixture, "a.txt");
  g_autofree char *second = scratch (fixture, "deep/er/b.txt");
  g_autofree char *third = scratch (fixture, "c.txt");
  /* Content that looks almost like the delimiter must survive. */
  const char *tricky = "x\r\n--" "----vivBoundary7MA4YWxkTrZu0g" "\r\n--\r\nend";
  g_autoptr (GBytes) body = make_multipart (boundary,
                                            "file", first, "first file",
                                            "note", NULL, "a form field, not a file",
                                            "file", second, tricky,
                                            NULL);
  g_autoptr (GBytes) response = NULL;
  g_autoptr (GBytes) with_path = NULL;
  g_autoptr (GBytes) single = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autofree char *target_path = envd_test_files_path (third, NULL);
  JsonArray *array;
  JsonObject *entry;
  guint status;

  response = envd_test_request (fixture->session, fixture->guest, "POST", "/files", NULL,
                                content_type, body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  node = parse_json (response);
  array = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (array), ==, 2);
  entry = json_array_get_object_element (array, 0);
  g_assert_cmpstr (json_object_get_string_member (entry, "path"), ==, first);
  g_assert_cmpstr (json_object_get_string_member (entry, "name"), ==, "a.txt");
  g_assert_cmpstr (json_object_get_string_member (entry, "type"), ==, "file");
  entry = json_array_get_object_element (array, 1);
  g_assert_cmpstr (json_object_get_string_member (entry, "path"), ==, second);

  assert_file_contents (first, "first file");
  assert_file_contents (second, tricky);
  /* Only the files; no temporary file left beside them. */
  g_assert_cmpuint (count_entries (fixture->dir), ==, 2);

  /* With `path`, the part goes there whatever its filename. */
  single = make_multipart (boundary, "file", "ignored-name.txt", "to the path", NULL);
  with_path = envd_test_request (fixture->session, fixture->guest, "POST", target_path, NULL,
                                 content_type, single, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  assert_file_contents (third, "to the path");
}

static void
test_upload_octet_stream_gzip (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *file = scratch (fixture, "raw.bin");
  g_autofree char *path = envd_test_files_path (file, NULL);
  g_autoptr (GBytes) text = make_text (2 * 1024 * 1024 + 3);
  g_autoptr (GBytes) compressed = gzip_bytes (text, TRUE);
  g_autoptr (GBytes) plain = bytes_from_string ("plain bytes");
  g_autoptr (GBytes) first = NULL;
  g_autoptr (GBytes) second = NULL;
  g_autoptr (GBytes) broken = NULL;
  g_autoptr (GBytes) truncated = NULL;
  g_autoptr (GBytes) half = g_bytes_new_from_bytes (compressed, 0, g_bytes_get_size (compressed) / 2);
  g_autofree char *contents = NULL;
  gsize length;
  struct stat st;
  guint status;

  first = envd_test_request (fixture->session, fixture->guest, "POST", path, NULL,
                             "application/octet-stream", plain, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  assert_file_contents (file, "plain bytes");

  /* Overwriting keeps the file's mode. */
  g_assert_cmpint (chmod (file, 0600), ==, 0);
  second = envd_test_request (fixture->session, fixture->guest, "POST", path, NULL,
                              "application/octet-stream", compressed, &status, NULL,
                              "Content-Encoding", "gzip", NULL);
  g_assert_cmpuint (status, ==, 200);
  g_file_get_contents (file, &contents, &length, NULL);
  g_assert_cmpmem (contents, length, g_bytes_get_data (text, NULL), g_bytes_get_size (text));
  g_assert_cmpint (stat (file, &st), ==, 0);
  g_assert_cmpint (st.st_mode & 07777, ==, 0600);

  /* A broken gzip body is refused and the file stays as it was. */
  broken = envd_test_request (fixture->session, fixture->guest, "POST", path, NULL,
                              "application/octet-stream", plain, &status, NULL,
                              "Content-Encoding", "gzip", NULL);
  g_assert_cmpuint (status, ==, 400);
  truncated = envd_test_request (fixture->session, fixture->guest, "POST", path, NULL,
                                 "application/octet-stream", half, &status, NULL,
                                 "Content-Encoding", "gzip", NULL);
  g_assert_cmpuint (status, ==, 400);
  g_clear_pointer (&contents, g_free);
  g_file_get_contents (file, &contents, &length, NULL);
  g_assert_cmpuint (length, ==, g_bytes_get_size (text));
  g_assert_cmpuint (count_entries (fixture->dir), ==, 1);
}

static void
test_upload_user_and_relative (Fixture       *fixture,
                               gconstpointer  data)
{
  struct passwd *nobody = getpwnam ("nobody");
  g_autofree char *name = g_strdup_printf ("viv-envd-http-%u.txt", g_random_int ());
  g_autofree char *relative_path = envd_test_files_path (name, "root");
  /* root's home as the guest sees it: from passwd, not $HOME. */
  g_autofree char *in_home = g_build_filename (getpwuid (0)->pw_dir, name, NULL);
  g_autofree char *owned = scratch (fixture, "new-dir/owned.txt");
  g_autofree char *owned_dir = scratch (fixture, "new-dir");
  g_autofree char *owned_path = envd_test_files_path (owned, "nobody");
  g_autoptr (GBytes) body = bytes_from_string ("relative");
  g_autoptr (GBytes) relative = NULL;
  g_autoptr (GBytes) download = NULL;
  g_autoptr (GBytes) as_nobody = NULL;
  struct stat st;
  guint status;

  /* The guest runs as root here: relative paths land in root's home. */
  g_assert_cmpint (geteuid (), ==, 0);
  relative = envd_test_request (fixture->session, fixture->guest, "POST", relative_path, NULL,
                                "application/octet-stream", body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (g_bytes_get_data (relative, NULL), in_home));
  assert_file_contents (in_home, "relative");
  download = envd_test_request (fixture->session, fixture->guest, "GET", relative_path, NULL,
                                NULL, NULL, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpmem (g_bytes_get_data (download, NULL), g_bytes_get_size (download), "relative", 8);
  g_unlink (in_home);

  if (nobody == NULL)
    {
      g_test_skip ("No user “nobody” to own files");
      return;
    }

  /* Files and the parents created for them belong to the chosen user. */
  as_nobody = envd_test_request (fixture->session, fixture->guest, "POST", owned_path, NULL,
                                 "application/octet-stream", body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpint (stat (owned, &st), ==, 0);
  g_assert_cmpuint (st.st_uid, ==, nobody->pw_uid);
  g_assert_cmpint (stat (owned_dir, &st), ==, 0);
  g_assert_cmpuint (st.st_uid, ==, nobody->pw_uid);
}

static void
test_upload_errors (Fixture       *fixture,
                    gconstpointer  data)
{
  const char *boundary = "b0undary";
  g_autofree char *file = scratch (fixture, "kept.txt");
  g_autofree char *path = envd_test_files_path (file, NULL);
  g_autofree char *bad_user_path = envd_test_files_path (file, "no-such-user-here");
  g_autofree char *dir_path = envd_test_files_path (fixture->dir, NULL);
  g_autofree char *content_type = g_strdup_printf ("multipart/form-data; boundary=%s", boundary);
  g_autoptr (GBytes) body = bytes_from_string ("new content");
  g_autoptr (GBytes) unclosed = bytes_from_string ("--b0undary\r\nContent-Disposition: form-data;"
                                                   " name=\"file\"\r\n\r\nnew content");
  g_autoptr (GBytes) no_token = NULL;
  g_autoptr (GBytes) bad_user = NULL;
  g_autoptr (GBytes) directory = NULL;
  g_autoptr (GBytes) no_path = NULL;
  g_autoptr (GBytes) malformed = NULL;
  g_autoptr (GBytes) wrong_type = NULL;
  g_autoptr (GBytes) wrong_encoding = NULL;
  g_autoptr (GBytes) no_boundary = NULL;
  guint status;

  g_file_set_contents (file, "old content", -1, NULL);

  no_token = envd_test_request (fixture->session, fixture->guest, "POST", path, "",
                                "application/octet-stream", body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 401);

  bad_user = envd_test_request (fixture->session, fixture->guest, "POST", bad_user_path, NULL,
                                "application/octet-stream", body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 401);
  assert_error (bad_user, 401, "no-such-user-here");

  directory = envd_test_request (fixture->session, fixture->guest, "POST", dir_path, NULL,
                                 "application/octet-stream", body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 400);
  assert_error (directory, 400, "directory");

  no_path = envd_test_request (fixture->session, fixture->guest, "POST", "/files", NULL,
                               "application/octet-stream", body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 400);

  /* A multipart body cut before its closing boundary writes nothing. */
  malformed = envd_test_request (fixture->session, fixture->guest, "POST", path, NULL,
                                 content_type, unclosed, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 400);
  assert_error (malformed, 400, "boundary");

  wrong_type = envd_test_request (fixture->session, fixture->guest, "POST", path, NULL,
                                  "text/plain", body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 400);
  wrong_encoding = envd_test_request (fixture->session, fixture->guest, "POST", path, NULL,
                                      "application/octet-stream", body, &status, NULL,
                                      "Content-Encoding", "br", NULL);
  g_assert_cmpuint (status, ==, 400);
  no_boundary = envd_test_request (fixture->session, fixture->guest, "POST", path, NULL,
                                   "multipart/form-data", body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 400);

  assert_file_contents (file, "old content");
  g_assert_cmpuint (count_entries (fixture->dir), ==, 1);
}

static void
test_upload_metadata (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *file = scratch (fixture, "meta.txt");
  g_autofree char *path = envd_test_files_path (file, NULL);
  g_autoptr (GBytes) body = bytes_from_string ("with metadata");
  g_autoptr (GBytes) response = NULL;
  g_autoptr (JsonNode) node = NULL;
  JsonObject *metadata;
  char value[64];
  gssize length;
  guint status;

  response = envd_test_request (fixture->session, fixture->guest, "POST", path, NULL,
                                "application/octet-stream", body, &status, NULL,
                                "X-Metadata-Owner", "ada", NULL);
  g_assert_cmpuint (status, ==, 200);
  node = parse_json (response);
  metadata = json_object_get_object_member (json_array_get_object_element (json_node_get_array (node), 0),
                                            "metadata");
  g_assert_cmpstr (json_object_get_string_member (metadata, "owner"), ==, "ada");

  length = getxattr (file, "user.owner", value, sizeof value);
  g_assert_cmpint (length, ==, 3);
  g_assert_cmpmem (value, length, "ada", 3);
}

static int
connect_raw (VivTestGuest *guest)
{
  g_autoptr (GSocket) socket = NULL;
  g_autoptr (GSocketAddress) address = g_unix_socket_address_new (guest->socket_path);
  g_autoptr (GError) error = NULL;
  int fd;

  socket = g_socket_new (G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM, 0, &error);
  g_assert_no_error (error);
  g_socket_connect (socket, address, NULL, &error);
  g_assert_no_error (error);
  fd = dup (g_socket_get_fd (socket));
  g_assert_cmpint (fd, >=, 0);
  /* GSocket made the shared file description non-blocking; these tests block. */
  g_assert_cmpint (fcntl (fd, F_SETFL, fcntl (fd, F_GETFL) & ~O_NONBLOCK), ==, 0);
  return fd;
}

static void
write_all (int         fd,
           const void *data,
           gsize       length)
{
  const guint8 *bytes = data;

  while (length > 0)
    {
      gssize n = write (fd, bytes, length);

      g_assert_cmpint (n, >, 0);
      bytes += n;
      length -= n;
    }
}

/* Whether the guest holds any file descriptor to something under @directory
 * (an unnamed O_TMPFILE shows as "<directory>/#<inode> (deleted)"). */
static gboolean
guest_has_fd_under (GPid        pid,
                    const char *directory)
{
  g_autofree char *fd_dir = g_strdup_printf ("/proc/%d/fd", pid);
  g_autoptr (GDir) dir = g_dir_open (fd_dir, 0, NULL);
  const char *name;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *link = g_build_filename (fd_dir, name, NULL);
      g_autofree char *target = g_file_read_link (link, NULL);

      if (target != NULL && g_str_has_prefix (target, directory))
        return TRUE;
    }

  return FALSE;
}

static gboolean
wait_until_no_fd_under (GPid        pid,
                        const char *directory)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (guest_has_fd_under (pid, directory))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_usleep (20 * 1000);
    }

  return TRUE;
}

static void
test_upload_interrupted (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *file = scratch (fixture, "precious.txt");
  g_autofree char *path = envd_test_files_path (file, NULL);
  g_autofree char *request = NULL;
  g_autofree guint8 *chunk = g_malloc (64 * 1024);
  g_autoptr (GBytes) after = NULL;
  g_autoptr (GBytes) body = bytes_from_string ("the guest still works");
  gint64 deadline;
  guint status;
  int fd;

  g_file_set_contents (file, "the previous content", -1, NULL);
  memset (chunk, 'x', 64 * 1024);

  /* Promise 64 MiB, send 2 MiB, hang up. */
  fd = connect_raw (fixture->guest);
  request = g_strdup_printf ("POST %s HTTP/1.1\r\nHost: localhost\r\nX-Access-Token: %s\r\n"
                             "Content-Type: application/octet-stream\r\n"
                             "Content-Length: %d\r\n\r\n",
                             path, fixture->guest->token, 64 * 1024 * 1024);
  write_all (fd, request, strlen (request));
  for (guint i = 0; i < 32; i++)
    write_all (fd, chunk, 64 * 1024);

  /* The guest is writing the upload now: wait until it holds the temporary file. */
  deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;
  while (!guest_has_fd_under (fixture->guest->pid, fixture->dir))
    {
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (10 * 1000);
    }
  close (fd);

  g_assert_true (wait_until_no_fd_under (fixture->guest->pid, fixture->dir));
  assert_file_contents (file, "the previous content");
  g_assert_cmpuint (count_entries (fixture->dir), ==, 1);

  after = envd_test_request (fixture->session, fixture->guest, "POST", path, NULL,
                             "application/octet-stream", body, &status, NULL, NULL);
  g_assert_cmpuint (status, ==, 200);
  assert_file_contents (file, "the guest still works");
}

static void
test_upload_disk_full (Fixture       *fixture,
                       gconstpointer  data)
{
  g_autofree char *mount_point = scratch (fixture, "small");
  g_autofree char *file = g_build_filename (mount_point, "big.bin", NULL);
  g_autofree char *kept = g_build_filename (mount_point, "kept.txt", NULL);
  g_autofree char *path = envd_test_files_path (file, NULL);
  g_autofree char *kept_path = envd_test_files_path (kept, NULL);
  g_autoptr (GInputStream) stream = NULL;
  g_autoptr (GBytes) full = NULL;
  g_autoptr (GBytes) over_kept = NULL;
  struct statvfs before, after;
  guint status;

  g_assert_cmpint (g_mkdir (mount_point, 0755), ==, 0);
  if (mount ("tmpfs", mount_point, "tmpfs", 0, "size=1m") != 0)
    {
      g_autofree char *message = g_strdup_printf ("Cannot mount a small tmpfs: %s",
                                                  g_strerror (errno));
      g_test_skip (message);
      return;
    }

  g_file_set_contents (kept, "kept", -1, NULL);
  g_assert_cmpint (statvfs (mount_point, &before), ==, 0);

  {
    g_autoptr (GBytes) big = make_text (3 * 1024 * 1024);

    full = envd_test_request (fixture->session, fixture->guest, "POST", path, NULL,
                              "application/octet-stream", big, &status, NULL, NULL);
    g_assert_cmpuint (status, ==, 507);
    assert_error (full, 507, NULL);

    over_kept = envd_test_request (fixture->session, fixture->guest, "POST", kept_path, NULL,
                                   "application/octet-stream", big, &status, NULL, NULL);
    g_assert_cmpuint (status, ==, 507);
  }

  /* Nothing left behind: no file, no temporary, and the space is free again. */
  g_assert_true (wait_until_no_fd_under (fixture->guest->pid, mount_point));
  g_assert_false (g_file_test (file, G_FILE_TEST_EXISTS));
  assert_file_contents (kept, "kept");
  g_assert_cmpuint (count_entries (mount_point), ==, 1);
  g_assert_cmpint (statvfs (mount_point, &after), ==, 0);
  g_assert_cmpuint (after.f_bfree, ==, before.f_bfree);

  g_assert_cmpint (umount2 (mount_point, MNT_DETACH), ==, 0);
}

static void
test_signed_urls (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *file = scratch (fixture, "signed.txt");
  g_autofree char *escaped = g_uri_escape_string (file, NULL, FALSE);
  gint64 later = g_get_real_time () / G_USEC_PER_SEC + 600;
  gint64 earlier = g_get_real_time () / G_USEC_PER_SEC - 10;
  g_autofree char *read_signature = sign (file, "read", "", fixture->guest->token, 0);
  g_autofree char *read_expiring = sign (file, "read", "root", fixture->guest->token, later);
  g_autofree char *read_expired = sign (file, "read", "", fixture->guest->token, earlier);
  g_autofree char *write_signature = sign (file, "write", "", fixture->guest->token, later);
  g_autofree char *wrong_signature = sign (file, "read", "", "not-the-token", 0);
  struct {
    const char *signature;
    const char *extra;
    const char *method;
    guint       status;
  } cases[] = {
    { read_signature, "", "GET", 200 },
    { read_expiring, "&username=root", "GET", 200 },
    { read_expiring, "", "GET", 401 },               /* signed for another user */
    { read_expired, "", "GET", 401 },
    { wrong_signature, "", "GET", 401 },
    { write_signature, "", "GET", 401 },             /* a write signature does not read */
    { read_signature, "", "POST", 401 },             /* nor the other way round */
    { write_signature, "", "POST", 200 },
  };
  g_autoptr (GBytes) body = bytes_from_string ("signed upload");

  g_file_set_contents (file, "signed content", -1, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *signature = g_uri_escape_string (cases[i].signature, NULL, FALSE);
      g_autofree char *expiration = NULL;
      g_autofree char *url = NULL;
      g_autoptr (GBytes) response = NULL;
      guint status;

      if (cases[i].signature == read_expiring || cases[i].signature == write_signature)
        expiration = g_strdup_printf ("&signature_expiration=%" G_GINT64_FORMAT, later);
      else if (cases[i].signature == read_expired)
        expiration = g_strdup_printf ("&signature_expiration=%" G_GINT64_FORMAT, earlier);
      else
        expiration = g_strdup ("");

      url = g_strdup_printf ("/files?path=%s%s&signature=%s%s", escaped, cases[i].extra,
                             signature, expiration);
      response = envd_test_request (fixture->session, fixture->guest, cases[i].method, url, "",
                                    strcmp (cases[i].method, "POST") == 0
                                      ? "application/octet-stream" : NULL,
                                    strcmp (cases[i].method, "POST") == 0 ? body : NULL,
                                    &status, NULL, NULL);
      g_test_message ("case %u: %s → %u", i, cases[i].method, status);
      g_assert_cmpuint (status, ==, cases[i].status);
      if (i == 0)
        g_assert_cmpmem (g_bytes_get_data (response, NULL), g_bytes_get_size (response),
                         "signed content", 14);
    }

  assert_file_contents (file, "signed upload");
}

static void
test_large_round_trip (Fixture       *fixture,
                       gconstpointer  data)
{
  const guint64 size = 1024ull * 1024 * 1024;
  g_autofree char *file = scratch (fixture, "large.bin");
  g_autofree char *path = envd_test_files_path (file, NULL);
  g_autofree char *uri = g_strconcat ("http://localhost", path, NULL);
  g_autoptr (GInputStream) generated = envd_test_pattern_stream_new (size, 42, TRUE);
  g_autoptr (SoupMessage) upload = soup_message_new ("POST", uri);
  g_autoptr (SoupMessage) download = soup_message_new ("GET", uri);
  g_autoptr (GInputStream) response = NULL;
  g_autoptr (GInputStream) downloaded = NULL;
  g_autoptr (GError) error = NULL;
  g_autofree char *sent_checksum = NULL;
  g_autofree char *received_checksum = NULL;
  g_autofree char *answer_checksum = NULL;
  guint64 received = 0, answer_size = 0;
  guint64 peak;
  struct stat st;

  soup_message_headers_replace (soup_message_get_request_headers (upload), "X-Access-Token",
                                fixture->guest->token);
  soup_message_set_request_body (upload, "application/octet-stream", generated, size);
  response = soup_session_send (fixture->session, upload, NULL, &error);
  g_assert_no_error (error);
  g_free (envd_test_checksum_stream (response, FALSE, &answer_size));
  g_assert_cmpuint (soup_message_get_status (upload), ==, 200);
  sent_checksum = envd_test_pattern_stream_get_checksum (generated);

  g_assert_cmpint (stat (file, &st), ==, 0);
  g_assert_cmpuint (st.st_size, ==, size);

  soup_message_headers_replace (soup_message_get_request_headers (download), "X-Access-Token",
                                fixture->guest->token);
  downloaded = soup_session_send (fixture->session, download, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (download), ==, 200);
  received_checksum = envd_test_checksum_stream (downloaded, TRUE, &received);
  g_assert_cmpuint (received, ==, size);
  g_assert_cmpstr (received_checksum, ==, sent_checksum);

  peak = viv_test_peak_rss (fixture->guest->pid);
  g_test_message ("guest VmHWM after a 1 GiB round trip: %.1f MiB", peak / (1024.0 * 1024.0));
  g_assert_cmpuint (peak, <, 64 * 1024 * 1024);
}

/* An echo server on the loopback, run by a GThreadedSocketService on its own
 * thread and main context, since the test thread blocks in requests. */
typedef struct
{
  GThread      *thread;
  GMainContext *context;
  GSocketService *service;
  guint16       port;
  gboolean      stop;
  GMutex        lock;
  GCond         ready;
} EchoServer;

static gboolean
echo_run_cb (GThreadedSocketService *service,
             GSocketConnection      *connection,
             GObject                *source,
             gpointer                user_data)
{
  GInputStream *in = g_io_stream_get_input_stream (G_IO_STREAM (connection));
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  guint8 buffer[16 * 1024];
  gssize n;

  while ((n = g_input_stream_read (in, buffer, sizeof buffer, NULL, NULL)) > 0)
    if (!g_output_stream_write_all (out, buffer, n, NULL, NULL, NULL))
      break;

  return TRUE;
}

static gpointer
echo_thread (gpointer user_data)
{
  EchoServer *server = user_data;
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) effective = NULL;
  g_autoptr (GError) error = NULL;

  g_main_context_push_thread_default (server->context);
  server->service = g_threaded_socket_service_new (4);
  g_socket_listener_add_address (G_SOCKET_LISTENER (server->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                 &effective, &error);
  g_assert_no_error (error);
  g_signal_connect (server->service, "run", G_CALLBACK (echo_run_cb), NULL);
  g_socket_service_start (server->service);

  g_mutex_lock (&server->lock);
  server->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  g_cond_signal (&server->ready);
  g_mutex_unlock (&server->lock);

  while (!g_atomic_int_get (&server->stop))
    g_main_context_iteration (server->context, TRUE);

  g_socket_service_stop (server->service);
  g_socket_listener_close (G_SOCKET_LISTENER (server->service));
  g_clear_object (&server->service);
  g_main_context_pop_thread_default (server->context);
  return NULL;
}

static EchoServer *
echo_server_start (void)
{
  EchoServer *server = g_new0 (EchoServer, 1);

  g_mutex_init (&server->lock);
  g_cond_init (&server->ready);
  server->context = g_main_context_new ();
  server->thread = g_thread_new ("echo", echo_thread, server);

  g_mutex_lock (&server->lock);
  while (server->port == 0)
    g_cond_wait (&server->ready, &server->lock);
  g_mutex_unlock (&server->lock);

  return server;
}

static void
echo_server_stop (EchoServer *server)
{
  g_atomic_int_set (&server->stop, TRUE);
  g_main_context_wakeup (server->context);
  g_thread_join (server->thread);
  g_main_context_unref (server->context);
  g_mutex_clear (&server->lock);
  g_cond_clear (&server->ready);
  g_free (server);
}

static guint16
refused_port (void)
{
  g_autoptr (GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, 0, NULL);
  g_autoptr (GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr (GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr (GSocketAddress) bound = NULL;

  /* Bound but never listening: connecting is refused. */
  g_assert_true (g_socket_bind (socket, address, FALSE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

typedef struct
{
  GMainLoop               *loop;
  SoupWebsocketConnection *connection;
  GError                  *error;
  GByteArray              *received;
  gsize                    expected;
} WebsocketTest;

static void
websocket_connected_cb (GObject      *source,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  WebsocketTest *test = user_data;

  test->connection = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
                                                            &test->error);
  g_main_loop_quit (test->loop);
}

static void
websocket_message_cb (SoupWebsocketConnection *connection,
                      SoupWebsocketDataType    type,
                      GBytes                  *message,
                      gpointer                 user_data)
{
  WebsocketTest *test = user_data;

  g_assert_cmpint (type, ==, SOUP_WEBSOCKET_DATA_BINARY);
  g_byte_array_append (test->received, g_bytes_get_data (message, NULL),
                       g_bytes_get_size (message));
  if (test->received->len >= test->expected)
    g_main_loop_quit (test->loop);
}

static gboolean
timeout_cb (gpointer user_data)
{
  g_error ("Timed out waiting for the port forward");
  return G_SOURCE_REMOVE;
}

static SoupMessage *
websocket_message_new (VivTestGuest *guest,
                       guint16       port,
                       const char   *token)
{
  g_autofree char *uri = g_strdup_printf ("ws://localhost/port/%u", port);
  SoupMessage *msg = soup_message_new ("GET", uri);

  if (*token != '\0')
    soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Access-Token", token);
  return msg;
}

static void
test_port_forward_websocket (Fixture       *fixture,
                             gconstpointer  data)
{
  EchoServer *echo = echo_server_start ();
  WebsocketTest test = { 0 };
  g_autoptr (SoupMessage) msg = websocket_message_new (fixture->guest, echo->port,
                                                       fixture->guest->token);
  g_autoptr (SoupMessage) refused = websocket_message_new (fixture->guest, refused_port (),
                                                           fixture->guest->token);
  g_autoptr (SoupMessage) no_token = websocket_message_new (fixture->guest, echo->port, "");
  g_autoptr (GByteArray) sent = g_byte_array_new ();
  guint timeout;

  test.loop = g_main_loop_new (NULL, FALSE);
  test.received = g_byte_array_new ();
  timeout = g_timeout_add_seconds (60, timeout_cb, NULL);

  soup_session_websocket_connect_async (fixture->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        NULL, websocket_connected_cb, &test);
  g_main_loop_run (test.loop);
  g_assert_no_error (test.error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 101);

  /* Messages of several sizes, one bigger than the guest's buffers. */
  g_signal_connect (test.connection, "message", G_CALLBACK (websocket_message_cb), &test);
  for (guint size = 1; size <= 300 * 1024; size *= 7)
    {
      g_autofree guint8 *payload = g_malloc (size);

      for (guint i = 0; i < size; i++)
        payload[i] = (i * 31 + size) & 0xff;
      soup_websocket_connection_send_binary (test.connection, payload, size);
      g_byte_array_append (sent, payload, size);
    }
  test.expected = sent->len;
  g_main_loop_run (test.loop);
  g_assert_cmpmem (test.received->data, test.received->len, sent->data, sent->len);
  soup_websocket_connection_close (test.connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  g_clear_object (&test.connection);

  soup_session_websocket_connect_async (fixture->session, refused, NULL, NULL,
                                        G_PRIORITY_DEFAULT, NULL, websocket_connected_cb, &test);
  g_main_loop_run (test.loop);
  g_assert_nonnull (test.error);
  g_assert_cmpuint (soup_message_get_status (refused), ==, 502);
  g_clear_error (&test.error);

  soup_session_websocket_connect_async (fixture->session, no_token, NULL, NULL,
                                        G_PRIORITY_DEFAULT, NULL, websocket_connected_cb, &test);
  g_main_loop_run (test.loop);
  g_assert_nonnull (test.error);
  g_assert_cmpuint (soup_message_get_status (no_token), ==, 401);
  g_clear_error (&test.error);

  g_source_remove (timeout);
  g_byte_array_unref (test.received);
  g_main_loop_unref (test.loop);
  echo_server_stop (echo);
}

/* Reads an HTTP response head from @fd: what precedes the blank line. */
static char *
read_response_head (int fd)
{
  GString *head = g_string_new (NULL);
  char c;

  while (!g_str_has_suffix (head->str, "\r\n\r\n"))
    {
      g_assert_cmpint (read (fd, &c, 1), ==, 1);
      g_string_append_c (head, c);
    }

  return g_string_free (head, FALSE);
}

static void
read_exactly (int     fd,
              guint8 *buffer,
              gsize   length)
{
  while (length > 0)
    {
      gssize n = read (fd, buffer, length);

      g_assert_cmpint (n, >, 0);
      buffer += n;
      length -= n;
    }
}

static void
test_port_forward_raw (Fixture       *fixture,
                       gconstpointer  data)
{
  EchoServer *echo = echo_server_start ();
  g_autofree char *request = NULL;
  g_autofree char *head = NULL;
  g_autofree char *refused_request = NULL;
  g_autofree char *refused_head = NULL;
  g_autofree guint8 *payload = g_malloc (1024 * 1024);
  g_autofree guint8 *echoed = g_malloc (1024 * 1024);
  struct timeval timeout = { 60, 0 };
  int fd, refused_fd;

  fd = connect_raw (fixture->guest);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  request = g_strdup_printf ("GET /port/%u HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\n"
                             "Upgrade: tcp\r\nX-Access-Token: %s\r\n\r\n",
                             echo->port, fixture->guest->token);
  write_all (fd, request, strlen (request));
  head = read_response_head (fd);
  g_assert_true (g_str_has_prefix (head, "HTTP/1.1 101"));

  /* A megabyte through and back, written and read in turns so neither side's
   * buffers need to hold it all. */
  for (guint i = 0; i < 1024 * 1024; i++)
    payload[i] = (i * 13) & 0xff;
  for (guint offset = 0; offset < 1024 * 1024; offset += 64 * 1024)
    {
      write_all (fd, payload + offset, 64 * 1024);
      read_exactly (fd, echoed + offset, 64 * 1024);
    }
  g_assert_cmpmem (echoed, 1024 * 1024, payload, 1024 * 1024);
  close (fd);

  refused_fd = connect_raw (fixture->guest);
  setsockopt (refused_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  refused_request = g_strdup_printf ("GET /port/%u HTTP/1.1\r\nHost: localhost\r\n"
                                     "Connection: Upgrade\r\nUpgrade: tcp\r\n"
                                     "X-Access-Token: %s\r\n\r\n",
                                     refused_port (), fixture->guest->token);
  write_all (refused_fd, refused_request, strlen (refused_request));
  refused_head = read_response_head (refused_fd);
  g_assert_true (g_str_has_prefix (refused_head, "HTTP/1.1 502"));
  close (refused_fd);

  {
    g_autoptr (GBytes) no_upgrade = NULL;
    g_autoptr (GBytes) bad_port = NULL;
    g_autofree char *echo_path = g_strdup_printf ("/port/%u", echo->port);
    guint status;

    no_upgrade = envd_test_request (fixture->session, fixture->guest, "GET", echo_path, NULL,
                                    NULL, NULL, &status, NULL, NULL);
    g_assert_cmpuint (status, ==, 400);
    bad_port = envd_test_request (fixture->session, fixture->guest, "GET", "/port/70000", NULL,
                                  NULL, NULL, &status, NULL, "Upgrade", "tcp", NULL);
    g_assert_cmpuint (status, ==, 400);
  }

  echo_server_stop (echo);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/envd-http/metrics", test_metrics);
  ADD ("/envd-http/init-and-envs", test_init_and_envs);
  ADD ("/envd-http/download", test_download);
  ADD ("/envd-http/download-gzip", test_download_gzip);
  ADD ("/envd-http/upload-multipart", test_upload_multipart);
  ADD ("/envd-http/upload-octet-stream-gzip", test_upload_octet_stream_gzip);
  ADD ("/envd-http/upload-user-and-relative", test_upload_user_and_relative);
  ADD ("/envd-http/upload-errors", test_upload_errors);
  ADD ("/envd-http/upload-metadata", test_upload_metadata);
  ADD ("/envd-http/upload-interrupted", test_upload_interrupted);
  ADD ("/envd-http/upload-disk-full", test_upload_disk_full);
  ADD ("/envd-http/signed-urls", test_signed_urls);
  ADD ("/envd-http/port-forward-websocket", test_port_forward_websocket);
  ADD ("/envd-http/port-forward-raw", test_port_forward_raw);
  ADD ("/envd-http/large-round-trip", test_large_round_trip);

  return g_test_run ();
}
