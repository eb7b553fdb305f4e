/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <glib/gstdio.h>

#include "viv-test-host.h"

typedef struct
{
  VivTestHost *host;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->host = viv_test_host_start (NULL, NULL);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  viv_test_host_stop (fixture->host);
}

static char *
proc_path (GPid        pid,
           const char *rest)
{
  return g_strdup_printf ("/proc/%d/%s", pid, rest);
}

static char *
namespace_of (GPid        pid,
              const char *kind)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/ns/%s", pid, kind);

  return g_file_read_link (path, NULL);
}

static void
test_isolation (Fixture       *fixture,
                gconstpointer  data)
{
  VivTestHost *host = fixture->host;
  g_autoptr (JsonObject) a = viv_test_host_create (host, "{\"templateID\":\"base\"}");
  g_autoptr (JsonObject) b = viv_test_host_create (host, "{\"templateID\":\"base\"}");
  const char *id_a = json_object_get_string_member (a, "sandboxID");
  const char *id_b = json_object_get_string_member (b, "sandboxID");
  GPid pid_a = viv_test_host_guest_pid (host, id_a);
  GPid pid_b = viv_test_host_guest_pid (host, id_b);
  g_autofree char *secret = viv_test_host_layer_path (host, id_a, "home/user/secret-a");
  g_autofree char *in_a = proc_path (pid_a, "root/home/user/secret-a");
  g_autofree char *in_b = proc_path (pid_b, "root/home/user/secret-a");
  g_autofree char *host_file = NULL;
  g_autofree char *host_file_in_a = NULL;
  g_autofree char *hostname = NULL;
  g_autofree char *hostname_path = proc_path (pid_a, "root/etc/hostname");
  g_autofree char *shadow = NULL;
  g_autofree char *shadow_path = proc_path (pid_a, "root/etc/shadow");
  g_autofree char *proc_dir = proc_path (pid_a, "root/proc");
  g_autoptr (GDir) procs = NULL;
  const char *name;
  guint visible = 0;

  /* Own namespaces, different from each other and from ours. */
  for (guint i = 0; i < 5; i++)
    {
      static const char * const kinds[] = { "pid", "net", "ipc", "uts", "mnt" };
      g_autofree char *ns_a = namespace_of (pid_a, kinds[i]);
      g_autofree char *ns_b = namespace_of (pid_b, kinds[i]);
      g_autofree char *ns_self = namespace_of (getpid (), kinds[i]);

      g_assert_nonnull (ns_a);
      g_assert_cmpstr (ns_a, !=, ns_b);
      g_assert_cmpstr (ns_a, !=, ns_self);
    }

  /* One sandbox's files are not the other's. */
  g_assert_true (g_file_set_contents (secret, "only a", -1, NULL));
  g_assert_true (g_file_test (in_a, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (in_b, G_FILE_TEST_EXISTS));

  /* The host's home is not there at all. */
  host_file = g_build_filename (g_get_home_dir (), "viv-host-isolation-probe", NULL);
  g_assert_true (g_file_set_contents (host_file, "host", -1, NULL));
  host_file_in_a = g_strdup_printf ("/proc/%d/root%s", pid_a, host_file);
  g_assert_false (g_file_test (host_file_in_a, G_FILE_TEST_EXISTS));
  g_unlink (host_file);

  /* Its hostname is its id, and the host's shadow is replaced by an empty file. */
  g_assert_true (g_file_get_contents (hostname_path, &hostname, NULL, NULL));
  g_assert_cmpstr (g_strstrip (hostname), ==, id_a);
  g_assert_true (g_file_get_contents (shadow_path, &shadow, NULL, NULL));
  g_assert_cmpstr (shadow, ==, "");

  /* Its /proc shows its own few processes only. */
  procs = g_dir_open (proc_dir, 0, NULL);
  g_assert_nonnull (procs);
  while ((name = g_dir_read_name (procs)) != NULL)
    if (g_ascii_isdigit (name[0]))
      visible++;
  g_test_message ("%u processes visible inside the sandbox", visible);
  g_assert_cmpuint (visible, >=, 2);
  g_assert_cmpuint (visible, <, 10);
}

static void
test_files_through_proxy (Fixture       *fixture,
                          gconstpointer  data)
{
  VivTestHost *host = fixture->host;
  g_autoptr (JsonObject) created = viv_test_host_create (host, "{\"templateID\":\"base\"}");
  const char *id = json_object_get_string_member (created, "sandboxID");
  const char *token = json_object_get_string_member (created, "envdAccessToken");
  g_autoptr (GBytes) upload = NULL;
  g_autoptr (GBytes) answer = NULL;
  g_autoptr (GBytes) download = NULL;
  g_autoptr (GBytes) refused = NULL;
  g_autofree char *on_disk = viv_test_host_layer_path (host, id, "home/user/big.bin");
  g_autofree char *disk_contents = NULL;
  GByteArray *data_array = g_byte_array_new ();
  gsize disk_length = 0;
  guint status = 0;

  /* 3 MiB, chunked, through the proxy without buffering. */
  for (guint i = 0; i < 3 * 1024 * 1024; i++)
    {
      guint8 byte = (guint8) (i * 7 + i / 4096);
      g_byte_array_append (data_array, &byte, 1);
    }
  upload = g_byte_array_free_to_bytes (data_array);

  answer = viv_test_host_sandbox_request (host, id, 49983, "POST",
                                          "/files?path=/home/user/big.bin&username=user", token,
                                          upload, &status);
  g_assert_cmpuint (status, ==, 200);

  download = viv_test_host_sandbox_request (host, id, 49983, "GET",
                                            "/files?path=/home/user/big.bin&username=user", token,
                                            NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (g_bytes_equal (download, upload));

  /* It landed in the sandbox's writable layer on disk. */
  g_assert_true (g_file_get_contents (on_disk, &disk_contents, &disk_length, NULL));
  g_assert_cmpuint (disk_length, ==, g_bytes_get_size (upload));

  refused = viv_test_host_sandbox_request (host, id, 49983, "GET",
                                           "/files?path=/home/user/big.bin&username=user",
                                           "wrong-token", NULL, &status);
  g_assert_cmpuint (status, ==, 401);
}

static char *
sign (const char *path,
      const char *operation,
      const char *username,
      const char *token,
      gint64      expiration)
{
  g_autoptr (GChecksum) checksum = g_checksum_new (G_CHECKSUM_SHA256);
  g_autofree char *raw = g_strdup_printf ("%s:%s:%s:%s:%" G_GINT64_FORMAT, path, operation,
                                          username, token, expiration);
  g_autofree char *encoded = NULL;
  guint8 digest[32];
  gsize length = sizeof digest;
  char *pad;

  g_checksum_update (checksum, (const guchar *) raw, -1);
  g_checksum_get_digest (checksum, digest, &length);
  encoded = g_base64_encode (digest, length);
  if ((pad = strchr (encoded, '=')) != NULL)
    *pad = '\0';
  return g_strconcat ("v1_", encoded, NULL);
}

/* uploadUrl/downloadUrl arrive with no E2b-Sandbox-Id: the host finds the
 * sandbox whose token made the signature (spec §3 caveat). */
static void
test_signed_url_without_id (Fixture       *fixture,
                            gconstpointer  data)
{
  VivTestHost *host = fixture->host;
  g_autoptr (JsonObject) other = viv_test_host_create (host, "{\"templateID\":\"base\"}");
  g_autoptr (JsonObject) created = viv_test_host_create (host, "{\"templateID\":\"base\"}");
  const char *id = json_object_get_string_member (created, "sandboxID");
  const char *token = json_object_get_string_member (created, "envdAccessToken");
  g_autofree char *file = viv_test_host_layer_path (host, id, "home/user/signed.txt");
  gint64 expiration = g_get_real_time () / G_USEC_PER_SEC + 600;
  g_autofree char *signature = sign ("/home/user/signed.txt", "read", "user", token, expiration);
  g_autofree char *escaped = g_uri_escape_string (signature, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/files?path=/home/user/signed.txt&username=user"
                                           "&signature=%s&signature_expiration=%" G_GINT64_FORMAT,
                                           escaped, expiration);
  g_autofree char *forged = g_strdup_printf ("/files?path=/home/user/signed.txt&username=user"
                                             "&signature=v1_AAAA&signature_expiration=%"
                                             G_GINT64_FORMAT, expiration);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GBytes) refused = NULL;
  guint status = 0;

  g_assert_true (g_file_set_contents (file, "signed contents", -1, NULL));
  /* Owned by "user" as envd would leave it. */
  g_assert_cmpint (chown (file, 1000, 1000), ==, 0);

  body = viv_test_host_sandbox_request (host, NULL, 0, "GET", path, NULL, NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body),
                   "signed contents", strlen ("signed contents"));

  refused = viv_test_host_sandbox_request (host, NULL, 0, "GET", forged, NULL, NULL, &status);
  g_assert_cmpuint (status, ==, 400);
}

static void
test_ports_and_dead_guests (Fixture       *fixture,
                            gconstpointer  data)
{
  VivTestHost *host = fixture->host;
  g_autoptr (JsonObject) created = viv_test_host_create (host, "{\"templateID\":\"base\"}");
  const char *id = json_object_get_string_member (created, "sandboxID");
  g_autoptr (GBytes) closed_port = NULL;
  g_autoptr (GBytes) dead = NULL;
  gint64 start;
  guint status = 0;

  /* Nothing listens on 8080 in the sandbox: a clear 502, not a hang. */
  closed_port = viv_test_host_sandbox_request (host, id, 8080, "GET", "/", NULL, NULL, &status);
  g_assert_cmpuint (status, ==, 502);
  g_assert_nonnull (strstr (g_bytes_get_data (closed_port, NULL), "\"code\":502"));

  /* A guest that died answers quickly too. */
  kill (viv_test_host_guest_pid (host, id), SIGKILL);
  start = g_get_monotonic_time ();
  dead = viv_test_host_sandbox_request (host, id, 49983, "GET", "/health", NULL, NULL, &status);
  g_assert_true (status == 502 || status == 404);
  g_assert_cmpint (g_get_monotonic_time () - start, <, 5 * G_USEC_PER_SEC);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("/host/isolation", test_isolation);
  ADD ("/host/files-through-proxy", test_files_through_proxy);
  ADD ("/host/signed-url-without-id", test_signed_url_without_id);
  ADD ("/host/ports-and-dead-guests", test_ports_and_dead_guests);

  return g_test_run ();
}
