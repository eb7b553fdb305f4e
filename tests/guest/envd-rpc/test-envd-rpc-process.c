/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gstdio.h>

#include "viv-connect-client.h"

/* process.Process over a real guest (shared/spec/e2b-wire.md §2.5). */

typedef struct
{
  VivTestGuest *guest;
  char         *dir;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  g_autoptr (GError) error = NULL;

  fixture->guest = viv_test_guest_start (NULL, NULL);
  fixture->dir = g_dir_make_tmp ("viv-rpc-proc-XXXXXX", &error);
  g_assert_no_error (error);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *quoted = g_shell_quote (fixture->dir);
  g_autofree char *command = g_strdup_printf ("rm -rf %s", quoted);

  viv_test_guest_stop (fixture->guest);
  g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL);
  g_free (fixture->dir);
}

/* {"process":{"cmd":"/bin/sh","args":["-c",<script>]}<extra>} */
static char *
shell_request (const char *script,
               const char *extra)
{
  g_autoptr (JsonNode) node = json_node_init_string (json_node_alloc (), script);
  g_autofree char *quoted = json_to_string (node, FALSE);

  return g_strdup_printf ("{\"process\":{\"cmd\":\"/bin/sh\",\"args\":[\"-c\",%s]}%s%s}",
                          quoted, extra ? "," : "", extra ? extra : "");
}

/* What a process stream carries, read to its end. */
typedef struct
{
  guint32  pid;
  GString *stdout_text;
  GString *stderr_text;
  GString *pty_text;
  JsonObject *end;        /* the end event's body */
  JsonObject *end_error;  /* the end-stream's error */
} Outcome;

static void
outcome_free (Outcome *outcome)
{
  g_string_free (outcome->stdout_text, TRUE);
  g_string_free (outcome->stderr_text, TRUE);
  g_string_free (outcome->pty_text, TRUE);
  g_clear_pointer (&outcome->end, json_object_unref);
  g_clear_pointer (&outcome->end_error, json_object_unref);
  g_free (outcome);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Outcome, outcome_free)

static guint32
read_start (RpcStream *stream)
{
  g_autoptr (JsonObject) message = rpc_stream_next (stream);
  JsonObject *body;

  /* The SDKs insist that the first event is "start". */
  g_assert_nonnull (message);
  g_assert_cmpstr (rpc_process_event (message, &body), ==, "start");
  g_assert_cmpint (json_object_get_int_member (body, "pid"), >, 0);
  return json_object_get_int_member (body, "pid");
}

/* Reads data events until the pty or stdout text contains @needle. */
static void
read_until (RpcStream  *stream,
            GString    *text,
            const char *needle)
{
  while (strstr (text->str, needle) == NULL)
    {
      g_autoptr (JsonObject) message = rpc_stream_next (stream);
      JsonObject *body;
      const char *kind;

      g_assert_nonnull (message);
      kind = rpc_process_event (message, &body);
      g_assert_cmpstr (kind, !=, "end");
      if (g_strcmp0 (kind, "data") == 0)
        {
          g_autofree char *out = rpc_decode (body, "stdout");
          g_autofree char *pty = rpc_decode (body, "pty");

          if (out != NULL)
            g_string_append (text, out);
          if (pty != NULL)
            g_string_append (text, pty);
        }
    }
}

static Outcome *
read_to_end (RpcStream *stream,
             gboolean   with_start)
{
  Outcome *outcome = g_new0 (Outcome, 1);
  JsonObject *error;

  outcome->stdout_text = g_string_new (NULL);
  outcome->stderr_text = g_string_new (NULL);
  outcome->pty_text = g_string_new (NULL);
  if (with_start)
    outcome->pid = read_start (stream);

  for (;;)
    {
      g_autoptr (JsonObject) message = rpc_stream_next (stream);
      JsonObject *body;
      const char *kind;

      if (message == NULL)
        break;

      kind = rpc_process_event (message, &body);
      g_assert_null (outcome->end);  /* nothing after the end event */
      if (g_strcmp0 (kind, "data") == 0)
        {
          g_autofree char *out = rpc_decode (body, "stdout");
          g_autofree char *err = rpc_decode (body, "stderr");
          g_autofree char *pty = rpc_decode (body, "pty");

          if (out != NULL)
            g_string_append (outcome->stdout_text, out);
          if (err != NULL)
            g_string_append (outcome->stderr_text, err);
          if (pty != NULL)
            g_string_append (outcome->pty_text, pty);
        }
      else if (g_strcmp0 (kind, "end") == 0)
        outcome->end = json_object_ref (body);
      else
        g_assert_cmpstr (kind, ==, "keepalive");
    }

  g_assert_nonnull (outcome->end);
  error = rpc_stream_end_error (stream);
  if (error != NULL)
    outcome->end_error = json_object_ref (error);
  return outcome;
}

static Outcome *
run (Fixture    *fixture,
     const char *user,
     const char *json,
     guint64     timeout_ms)
{
  g_autoptr (RpcStream) stream = rpc_stream_open (fixture->guest, user, "process.Process/Start",
                                                  json, timeout_ms);

  return read_to_end (stream, TRUE);
}

static JsonObject *
unary (Fixture    *fixture,
       const char *method,
       const char *json,
       guint       expected_status)
{
  guint status = 0;
  JsonObject *response = rpc_unary (fixture->guest, NULL, method, json, &status);

  g_assert_cmpuint (status, ==, expected_status);
  return response;
}

static void
test_output_and_exit_code (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *failing_json = shell_request (
    "i=1; while [ $i -le 300 ]; do echo \"line $i\"; i=$((i+1)); done; echo oops >&2; exit 7",
    NULL);
  g_autofree char *ok_json = shell_request ("printf done", "\"stdin\":false");
  g_autoptr (GString) expected = g_string_new (NULL);
  g_autoptr (Outcome) failing = NULL;
  g_autoptr (Outcome) ok = NULL;

  for (int i = 1; i <= 300; i++)
    g_string_append_printf (expected, "line %d\n", i);

  failing = run (fixture, NULL, failing_json, 0);
  g_assert_cmpstr (failing->stdout_text->str, ==, expected->str);
  g_assert_cmpstr (failing->stderr_text->str, ==, "oops\n");
  g_assert_cmpint (json_object_get_int_member (failing->end, "exitCode"), ==, 7);
  g_assert_true (json_object_get_boolean_member (failing->end, "exited"));
  g_assert_cmpstr (json_object_get_string_member (failing->end, "status"), ==, "exit status 7");
  g_assert_null (failing->end_error);

  /* proto3 leaves a zero exit code out. */
  ok = run (fixture, NULL, ok_json, 0);
  g_assert_cmpstr (ok->stdout_text->str, ==, "done");
  g_assert_false (json_object_has_member (ok->end, "exitCode"));
  g_assert_cmpstr (json_object_get_string_member (ok->end, "status"), ==, "exit status 0");
}

static void
test_environment_cwd_and_user (Fixture       *fixture,
                               gconstpointer  data)
{
  g_autofree char *json = g_strdup_printf (
    "{\"process\":{\"cmd\":\"/bin/sh\",\"args\":[\"-c\",\"echo $GREETING; pwd; id -un\"],"
    "\"envs\":{\"GREETING\":\"hi there\"},\"cwd\":\"%s\"}}", fixture->dir);
  const char *nobody_json = "{\"process\":{\"cmd\":\"/bin/sh\","
                            "\"args\":[\"-c\",\"id -un; echo $HOME\"],\"cwd\":\"/\"}}";
  g_autofree char *expected = g_strdup_printf ("hi there\n%s\nroot\n", fixture->dir);
  g_autoptr (Outcome) as_root = NULL;
  g_autoptr (Outcome) as_nobody = NULL;
  g_autoptr (Outcome) stranger = NULL;
  g_autoptr (RpcStream) stranger_stream = NULL;
  g_autoptr (RpcStream) bad_cwd = NULL;
  g_autoptr (RpcStream) bad_cmd = NULL;
  JsonObject *error;

  as_root = run (fixture, NULL, json, 0);
  g_assert_cmpstr (as_root->stdout_text->str, ==, expected);

  as_nobody = run (fixture, "nobody", nobody_json, 0);
  g_assert_cmpstr (as_nobody->stdout_text->str, ==, "nobody\n/nonexistent\n");

  stranger_stream = rpc_stream_open (fixture->guest, "no-such-user-here", "process.Process/Start",
                                     json, 0);
  error = rpc_stream_end_error (stranger_stream);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "unauthenticated");

  bad_cwd = rpc_stream_open (fixture->guest, NULL, "process.Process/Start",
                             "{\"process\":{\"cmd\":\"true\",\"cwd\":\"/no/such/dir\"}}", 0);
  error = rpc_stream_end_error (bad_cwd);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "invalid_argument");

  bad_cmd = rpc_stream_open (fixture->guest, NULL, "process.Process/Start",
                             "{\"process\":{\"cmd\":\"/no/such/program\"}}", 0);
  error = rpc_stream_end_error (bad_cmd);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "invalid_argument");
}

static void
test_stdin_and_close (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr (RpcStream) stream = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (JsonObject) sent = NULL;
  g_autoptr (JsonObject) closed = NULL;
  g_autoptr (JsonObject) unknown = NULL;
  g_autoptr (Outcome) rest = NULL;
  g_autoptr (Outcome) no_stdin = NULL;
  g_autofree char *input_json = NULL;
  g_autofree char *close_json = NULL;
  g_autofree char *encoded = g_base64_encode ((const guchar *) "hello cat\n", 10);
  guint32 pid;

  stream = rpc_stream_open (fixture->guest, NULL, "process.Process/Start",
                            "{\"process\":{\"cmd\":\"cat\"},\"stdin\":true}", 0);
  pid = read_start (stream);

  input_json = g_strdup_printf ("{\"process\":{\"pid\":%u},\"input\":{\"stdin\":\"%s\"}}",
                                pid, encoded);
  sent = unary (fixture, "process.Process/SendInput", input_json, 200);
  read_until (stream, text, "hello cat\n");

  close_json = g_strdup_printf ("{\"process\":{\"pid\":%u}}", pid);
  closed = unary (fixture, "process.Process/CloseStdin", close_json, 200);
  rest = read_to_end (stream, FALSE);
  g_assert_cmpstr (json_object_get_string_member (rest->end, "status"), ==, "exit status 0");

  /* Gone now. */
  unknown = unary (fixture, "process.Process/CloseStdin", close_json, 404);
  g_assert_cmpstr (json_object_get_string_member (unknown, "code"), ==, "not_found");

  /* stdin:false is /dev/null: cat ends at once. */
  no_stdin = run (fixture, NULL, "{\"process\":{\"cmd\":\"cat\"},\"stdin\":false}", 0);
  g_assert_cmpstr (no_stdin->stdout_text->str, ==, "");
  g_assert_cmpstr (json_object_get_string_member (no_stdin->end, "status"), ==, "exit status 0");
}

static void
test_pty (Fixture       *fixture,
          gconstpointer  data)
{
  g_autofree char *json = shell_request ("tty; stty size; read x; stty size; echo \"got $x\"",
                                         "\"pty\":{\"size\":{\"cols\":80,\"rows\":24}}");
  g_autoptr (RpcStream) stream = NULL;
  g_autoptr (GString) text = g_string_new (NULL);
  g_autoptr (JsonObject) resized = NULL;
  g_autoptr (JsonObject) sent = NULL;
  g_autoptr (JsonObject) no_pty = NULL;
  g_autoptr (Outcome) rest = NULL;
  g_autofree char *update_json = NULL;
  g_autofree char *input_json = NULL;
  g_autofree char *encoded = g_base64_encode ((const guchar *) "ok\n", 3);
  guint32 pid;

  stream = rpc_stream_open (fixture->guest, NULL, "process.Process/Start", json, 0);
  pid = read_start (stream);

  /* A real terminal, with the size asked for. */
  read_until (stream, text, "24 80");
  g_assert_nonnull (strstr (text->str, "/dev/pts/"));

  update_json = g_strdup_printf ("{\"process\":{\"pid\":%u},"
                                 "\"pty\":{\"size\":{\"cols\":132,\"rows\":43}}}", pid);
  resized = unary (fixture, "process.Process/Update", update_json, 200);

  input_json = g_strdup_printf ("{\"process\":{\"pid\":%u},\"input\":{\"pty\":\"%s\"}}",
                                pid, encoded);
  sent = unary (fixture, "process.Process/SendInput", input_json, 200);
  read_until (stream, text, "got ok");
  g_assert_nonnull (strstr (text->str, "43 132"));

  rest = read_to_end (stream, FALSE);
  g_assert_cmpstr (json_object_get_string_member (rest->end, "status"), ==, "exit status 0");

  /* Update of a process without a pty fails. */
  {
    g_autoptr (RpcStream) plain = rpc_stream_open (fixture->guest, NULL, "process.Process/Start",
                                                   "{\"process\":{\"cmd\":\"sleep\","
                                                   "\"args\":[\"30\"]},\"tag\":\"plain\"}", 0);
    g_autoptr (JsonObject) killed = NULL;
    g_autoptr (Outcome) plain_end = NULL;

    read_start (plain);
    no_pty = unary (fixture, "process.Process/Update",
                    "{\"process\":{\"tag\":\"plain\"},\"pty\":{\"size\":{\"cols\":1,\"rows\":1}}}",
                    400);
    g_assert_cmpstr (json_object_get_string_member (no_pty, "code"), ==, "failed_precondition");
    killed = unary (fixture, "process.Process/SendSignal",
                    "{\"process\":{\"tag\":\"plain\"},\"signal\":\"SIGNAL_SIGKILL\"}", 200);
    plain_end = read_to_end (plain, FALSE);
    g_assert_cmpstr (json_object_get_string_member (plain_end->end, "status"), ==,
                     "signal: killed");
  }
}

static void
test_signal (Fixture       *fixture,
             gconstpointer  data)
{
  g_autoptr (RpcStream) stream = NULL;
  g_autoptr (JsonObject) signalled = NULL;
  g_autoptr (JsonObject) unknown = NULL;
  g_autoptr (JsonObject) unspecified = NULL;
  g_autoptr (Outcome) outcome = NULL;
  g_autofree char *signal_json = NULL;
  g_autofree char *unspecified_json = NULL;
  guint32 pid;

  stream = rpc_stream_open (fixture->guest, NULL, "process.Process/Start",
                            "{\"process\":{\"cmd\":\"sleep\",\"args\":[\"60\"]}}", 0);
  pid = read_start (stream);

  unspecified_json = g_strdup_printf ("{\"process\":{\"pid\":%u},\"signal\":0}", pid);
  unspecified = unary (fixture, "process.Process/SendSignal", unspecified_json, 400);
  g_assert_cmpstr (json_object_get_string_member (unspecified, "code"), ==, "invalid_argument");

  /* Enums by number work as well as by name. */
  signal_json = g_strdup_printf ("{\"process\":{\"pid\":\"%u\"},\"signal\":15}", pid);
  signalled = unary (fixture, "process.Process/SendSignal", signal_json, 200);

  outcome = read_to_end (stream, FALSE);
  g_assert_cmpstr (json_object_get_string_member (outcome->end, "status"), ==,
                   "signal: terminated");
  g_assert_cmpint (json_object_get_int_member (outcome->end, "exitCode"), ==, -1);
  g_assert_false (json_object_has_member (outcome->end, "exited"));

  unknown = unary (fixture, "process.Process/SendSignal",
                   "{\"process\":{\"pid\":999999999},\"signal\":\"SIGNAL_SIGTERM\"}", 404);
  g_assert_cmpstr (json_object_get_string_member (unknown, "code"), ==, "not_found");
}

static gboolean
list_has_tag (Fixture    *fixture,
              const char *tag)
{
  g_autoptr (JsonObject) listed = unary (fixture, "process.Process/List", "{}", 200);
  JsonArray *processes = json_object_get_array_member (listed, "processes");

  for (guint i = 0; i < json_array_get_length (processes); i++)
    {
      JsonObject *info = json_array_get_object_element (processes, i);

      if (g_strcmp0 (json_object_get_string_member_with_default (info, "tag", NULL), tag) == 0)
        {
          JsonObject *config = json_object_get_object_member (info, "config");

          g_assert_cmpstr (json_object_get_string_member (config, "cmd"), ==, "/bin/sh");
          g_assert_cmpint (json_object_get_int_member (info, "pid"), >, 0);
          return TRUE;
        }
    }

  return FALSE;
}

static void
test_survives_disconnect (Fixture       *fixture,
                          gconstpointer  data)
{
  g_autofree char *marker = g_build_filename (fixture->dir, "done", NULL);
  g_autofree char *script = g_strdup_printf ("sleep 2; echo done > '%s'", marker);
  g_autofree char *json = shell_request (script, "\"tag\":\"background\"");
  RpcStream *stream;

  stream = rpc_stream_open (fixture->guest, NULL, "process.Process/Start", json, 0);
  read_start (stream);
  /* The client goes away, as CommandHandle.disconnect () does. */
  rpc_stream_free (stream);

  g_assert_true (list_has_tag (fixture, "background"));
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
  g_assert_true (viv_test_wait_for_path (marker, 30000));

  /* Once it ended it leaves the list. */
  for (int i = 0; i < 300 && list_has_tag (fixture, "background"); i++)
    g_usleep (50 * 1000);
  g_assert_false (list_has_tag (fixture, "background"));
}

/* A client that reads slowly holds the process back, as a slow reader of a
 * pipe does, instead of the guest keeping all the output in memory: the
 * sandbox's memory limit would end the guest. */
#define FLOOD_BYTES (64 * 1024 * 1024)

static void
test_slow_client (Fixture       *fixture,
                  gconstpointer  data)
{
  g_autofree char *json = shell_request ("head -c 67108864 /dev/zero | tr '\\0' v", "\"tag\":\"flood\"");
  g_autoptr (RpcStream) stream = rpc_stream_open (fixture->guest, NULL, "process.Process/Start", json, 0);
  g_autoptr (Outcome) outcome = NULL;
  guint64 before = viv_test_peak_rss (fixture->guest->pid);
  guint64 peak;

  read_start (stream);
  /* Unread, the output would be written in well under a second. */
  g_usleep (3 * G_USEC_PER_SEC);
  g_assert_true (list_has_tag (fixture, "flood"));

  outcome = read_to_end (stream, FALSE);
  g_assert_cmpuint (outcome->stdout_text->len, ==, FLOOD_BYTES);
  g_assert_cmpuint (strspn (outcome->stdout_text->str, "v"), ==, FLOOD_BYTES);
  g_assert_cmpint (json_object_get_int_member_with_default (outcome->end, "exitCode", 0), ==, 0);
  peak = viv_test_peak_rss (fixture->guest->pid);
  g_test_message ("guest VmHWM %.1f MiB before, %.1f MiB after 64 MiB of output to a slow client",
                  before / (1024.0 * 1024.0), peak / (1024.0 * 1024.0));
  /* Base64 in JSON, all of it held, would be 85 MiB. */
  g_assert_cmpuint (peak, <, before + 24 * 1024 * 1024);
}

/* A slow client that goes away lets the process run on to its end. */
static void
test_slow_client_leaves (Fixture       *fixture,
                         gconstpointer  data)
{
  g_autofree char *marker = g_build_filename (fixture->dir, "flooded", NULL);
  g_autofree char *script = g_strdup_printf ("head -c 67108864 /dev/zero; echo done > '%s'", marker);
  g_autofree char *json = shell_request (script, NULL);
  RpcStream *stream = rpc_stream_open (fixture->guest, NULL, "process.Process/Start", json, 0);

  read_start (stream);
  g_usleep (G_USEC_PER_SEC);
  g_assert_false (g_file_test (marker, G_FILE_TEST_EXISTS));
  rpc_stream_free (stream);
  g_assert_true (viv_test_wait_for_path (marker, 30000));
}

/* A client that stops reading does not keep a process past its deadline:
 * the end and deadline_exceeded still come. */
static void
test_slow_client_deadline (Fixture       *fixture,
                           gconstpointer  data)
{
  g_autofree char *json = shell_request ("head -c 67108864 /dev/zero", "\"tag\":\"stalled\"");
  g_autoptr (RpcStream) stream = rpc_stream_open (fixture->guest, NULL, "process.Process/Start", json, 1500);
  g_autoptr (Outcome) outcome = NULL;

  read_start (stream);
  /* Unread: killed at 1.5 s, ended 2 s later, output or not. */
  g_assert_true (list_has_tag (fixture, "stalled"));
  g_usleep (5 * G_USEC_PER_SEC);
  g_assert_false (list_has_tag (fixture, "stalled"));
  outcome = read_to_end (stream, FALSE);
  g_assert_cmpuint (outcome->stdout_text->len, <, FLOOD_BYTES);
  g_assert_cmpstr (json_object_get_string_member (outcome->end, "status"), ==, "signal: killed");
  g_assert_nonnull (outcome->end_error);
  g_assert_cmpstr (json_object_get_string_member (outcome->end_error, "code"), ==, "deadline_exceeded");
}

static void
test_connect_by_tag (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autofree char *json = shell_request ("read x; echo \"got $x\"",
                                         "\"tag\":\"reader\",\"stdin\":true");
  g_autoptr (RpcStream) starter = NULL;
  g_autoptr (RpcStream) attached = NULL;
  g_autoptr (RpcStream) unknown = NULL;
  g_autoptr (JsonObject) sent = NULL;
  g_autoptr (Outcome) outcome = NULL;
  g_autofree char *encoded = g_base64_encode ((const guchar *) "it\n", 3);
  g_autofree char *input_json = NULL;
  JsonObject *error;
  guint32 pid;

  starter = rpc_stream_open (fixture->guest, NULL, "process.Process/Start", json, 0);
  pid = read_start (starter);
  g_clear_pointer (&starter, rpc_stream_free);

  attached = rpc_stream_open (fixture->guest, NULL, "process.Process/Connect",
                              "{\"process\":{\"tag\":\"reader\"}}", 0);
  g_assert_cmpuint (read_start (attached), ==, pid);

  input_json = g_strdup_printf ("{\"process\":{\"tag\":\"reader\"},\"input\":{\"stdin\":\"%s\"}}",
                                encoded);
  sent = unary (fixture, "process.Process/SendInput", input_json, 200);

  outcome = read_to_end (attached, FALSE);
  g_assert_cmpstr (outcome->stdout_text->str, ==, "got it\n");
  g_assert_cmpstr (json_object_get_string_member (outcome->end, "status"), ==, "exit status 0");

  unknown = rpc_stream_open (fixture->guest, NULL, "process.Process/Connect",
                             "{\"process\":{\"tag\":\"nobody-has-this\"}}", 0);
  error = rpc_stream_end_error (unknown);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "not_found");
}

static void
test_timeout_kills (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr (Outcome) outcome = NULL;
  gint64 started = g_get_monotonic_time ();

  outcome = run (fixture, NULL, "{\"process\":{\"cmd\":\"sleep\",\"args\":[\"60\"]}}", 1000);
  g_assert_cmpstr (json_object_get_string_member (outcome->end, "status"), ==, "signal: killed");
  g_assert_nonnull (json_object_get_string_member_with_default (outcome->end, "error", NULL));
  g_assert_nonnull (outcome->end_error);
  g_assert_cmpstr (json_object_get_string_member (outcome->end_error, "code"), ==,
                   "deadline_exceeded");
  /* Well before sleep would have ended by itself. */
  g_assert_cmpint (g_get_monotonic_time () - started, <, 30 * G_USEC_PER_SEC);
}

static void
test_bad_requests (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autoptr (RpcStream) no_cmd = NULL;
  g_autoptr (RpcStream) compressed = NULL;
  g_autoptr (JsonObject) no_selector = NULL;
  g_autoptr (JsonObject) bad_input = NULL;
  JsonObject *error;

  no_cmd = rpc_stream_open (fixture->guest, NULL, "process.Process/Start", "{\"process\":{}}", 0);
  error = rpc_stream_end_error (no_cmd);
  g_assert_cmpstr (json_object_get_string_member (error, "code"), ==, "invalid_argument");

  no_selector = unary (fixture, "process.Process/SendSignal", "{\"signal\":9}", 400);
  g_assert_cmpstr (json_object_get_string_member (no_selector, "code"), ==, "invalid_argument");

  bad_input = unary (fixture, "process.Process/SendInput",
                     "{\"process\":{\"pid\":1},\"input\":{\"stdin\":\"***\"}}", 404);
  g_assert_cmpstr (json_object_get_string_member (bad_input, "code"), ==, "not_found");

  /* A compressed envelope (flag 0x01) is refused in the end-stream. */
  {
    g_autoptr (SoupSession) session = viv_test_unix_session_new (fixture->guest->socket_path);
    g_autoptr (SoupMessage) msg = soup_message_new ("POST",
                                                    "http://localhost/process.Process/Start");
    static const guint8 envelope[] = { 0x01, 0, 0, 0, 2, '{', '}' };
    g_autoptr (GBytes) body = g_bytes_new_static (envelope, sizeof envelope);
    g_autoptr (GBytes) response = NULL;
    g_autoptr (GError) local_error = NULL;
    const guint8 *bytes;
    gsize length;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Access-Token",
                                  fixture->guest->token);
    soup_message_set_request_body_from_bytes (msg, "application/connect+json", body);
    response = soup_session_send_and_read (session, msg, NULL, &local_error);
    g_assert_no_error (local_error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
    bytes = g_bytes_get_data (response, &length);
    g_assert_cmpuint (length, >, 5);
    g_assert_cmpuint (bytes[0], ==, 0x02);
    g_assert_nonnull (g_strstr_len ((const char *) bytes + 5, length - 5, "\"error\""));
  }
}

/* Many clients at once, each starting short commands: a command can be over,
 * and reaped, before the guest has looked at it; the pid in the start event
 * must still be the command's own ($$), and every stream must end. */
#define CONCURRENT_CLIENTS 8
#define STARTS_PER_CLIENT 15

static gpointer
concurrent_client (gpointer user_data)
{
  Fixture *fixture = user_data;
  g_autofree char *json = shell_request ("echo $$", NULL);

  for (guint i = 0; i < STARTS_PER_CLIENT; i++)
    {
      g_autoptr (Outcome) outcome = run (fixture, NULL, json, 0);
      g_autofree char *pid = g_strdup_printf ("%u\n", outcome->pid);

      g_assert_cmpuint (outcome->pid, >, 1);
      g_assert_cmpstr (outcome->stdout_text->str, ==, pid);
      g_assert_nonnull (outcome->end);
      g_assert_cmpstr (json_object_get_string_member (outcome->end, "status"), ==,
                       "exit status 0");
      g_assert_null (outcome->end_error);
    }
  return NULL;
}

static void
test_concurrent_starts (Fixture       *fixture,
                        gconstpointer  data)
{
  GThread *threads[CONCURRENT_CLIENTS];
  g_autoptr (JsonObject) health = NULL;

  for (guint i = 0; i < CONCURRENT_CLIENTS; i++)
    threads[i] = g_thread_new ("client", concurrent_client, fixture);
  for (guint i = 0; i < CONCURRENT_CLIENTS; i++)
    g_thread_join (threads[i]);

  /* And the guest is still there. */
  health = unary (fixture, "process.Process/List", "{}", 200);
  g_assert_nonnull (health);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(name, func) \
  g_test_add ("/envd-rpc/process/" name, Fixture, NULL, fixture_setup, func, fixture_teardown)

  ADD ("output-and-exit-code", test_output_and_exit_code);
  ADD ("environment-cwd-and-user", test_environment_cwd_and_user);
  ADD ("stdin-and-close", test_stdin_and_close);
  ADD ("pty", test_pty);
  ADD ("signal", test_signal);
  ADD ("survives-disconnect", test_survives_disconnect);
  ADD ("slow-client", test_slow_client);
  ADD ("slow-client-leaves", test_slow_client_leaves);
  ADD ("slow-client-deadline", test_slow_client_deadline);
  ADD ("connect-by-tag", test_connect_by_tag);
  ADD ("timeout-kills", test_timeout_kills);
  ADD ("bad-requests", test_bad_requests);
  ADD ("concurrent-starts", test_concurrent_starts);

#undef ADD

  return g_test_run ();
}
