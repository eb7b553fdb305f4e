/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-test-harness.h"

typedef struct
{
  VivTestGuest *guest;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->guest = viv_test_guest_start (NULL, NULL);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  viv_test_guest_stop (fixture->guest);
}

static void
assert_error_body (JsonNode   *node,
                   guint       expected_status,
                   const char *message_part)
{
  JsonObject *object;

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  object = json_node_get_object (node);
  g_assert_cmpint (json_object_get_int_member (object, "code"), ==, expected_status);
  if (message_part != NULL)
    g_assert_nonnull (strstr (json_object_get_string_member (object, "message"), message_part));
}

static void
test_health_needs_no_token (Fixture       *fixture,
                            gconstpointer  data)
{
  g_autoptr (GBytes) body = NULL;
  guint status = 0;

  body = viv_test_guest_request (fixture->guest, "GET", "/health", "", NULL, NULL,
                                 &status, NULL);
  g_assert_cmpuint (status, ==, 204);
  g_assert_cmpuint (g_bytes_get_size (body), ==, 0);
}

static void
test_token_required (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr (GBytes) missing = NULL;
  g_autoptr (GBytes) wrong = NULL;
  g_autoptr (GBytes) shorter = NULL;
  guint status = 0;

  missing = viv_test_guest_request (fixture->guest, "GET", "/desktop/takeover", "", NULL, NULL,
                                    &status, NULL);
  g_assert_cmpuint (status, ==, 401);
  g_assert_nonnull (strstr (g_bytes_get_data (missing, NULL), "\"code\":401"));

  wrong = viv_test_guest_request (fixture->guest, "GET", "/desktop/takeover", "not-the-token",
                                  NULL, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, 401);

  /* A prefix of the right token is still wrong. */
  {
    g_autofree char *prefix = g_strndup (fixture->guest->token, 10);

    shorter = viv_test_guest_request (fixture->guest, "GET", "/desktop/takeover", prefix,
                                      NULL, NULL, &status, NULL);
    g_assert_cmpuint (status, ==, 401);
  }
}

static void
test_unknown_endpoint_and_method (Fixture       *fixture,
                                  gconstpointer  data)
{
  g_autoptr (JsonNode) not_found = NULL;
  g_autoptr (JsonNode) not_allowed = NULL;
  guint status = 0;

  not_found = viv_test_guest_json (fixture->guest, "GET", "/no/such/thing", NULL, &status);
  g_assert_cmpuint (status, ==, 404);
  assert_error_body (not_found, 404, "/no/such/thing");

  not_allowed = viv_test_guest_json (fixture->guest, "PUT", "/desktop/takeover", "{}", &status);
  g_assert_cmpuint (status, ==, 405);
  assert_error_body (not_allowed, 405, NULL);
}

static void
test_takeover_lock (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr (JsonNode) initial = NULL;
  g_autoptr (JsonNode) acquired = NULL;
  g_autoptr (JsonNode) again = NULL;
  g_autoptr (JsonNode) conflict = NULL;
  g_autoptr (JsonNode) wrong_release = NULL;
  g_autoptr (JsonNode) released = NULL;
  JsonObject *object;
  guint status = 0;

  initial = viv_test_guest_json (fixture->guest, "GET", "/desktop/takeover", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_false (json_object_get_boolean_member (json_node_get_object (initial), "held"));

  acquired = viv_test_guest_json (fixture->guest, "POST", "/desktop/takeover",
                                  "{\"holder\": \"Ada (Vivarium)\"}", &status);
  g_assert_cmpuint (status, ==, 200);
  object = json_node_get_object (acquired);
  g_assert_true (json_object_get_boolean_member (object, "held"));
  g_assert_cmpstr (json_object_get_string_member (object, "holder"), ==, "Ada (Vivarium)");
  g_assert_nonnull (json_object_get_string_member (object, "since"));

  /* The same holder again is fine; someone else is refused. */
  again = viv_test_guest_json (fixture->guest, "POST", "/desktop/takeover",
                               "{\"holder\": \"Ada (Vivarium)\"}", &status);
  g_assert_cmpuint (status, ==, 200);

  conflict = viv_test_guest_json (fixture->guest, "POST", "/desktop/takeover",
                                  "{\"holder\": \"Bob\"}", &status);
  g_assert_cmpuint (status, ==, 409);
  assert_error_body (conflict, 409, "Ada (Vivarium)");
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (conflict), "holder"),
                   ==, "Ada (Vivarium)");

  wrong_release = viv_test_guest_json (fixture->guest, "DELETE", "/desktop/takeover?holder=Bob",
                                       NULL, &status);
  g_assert_cmpuint (status, ==, 409);

  released = viv_test_guest_json (fixture->guest, "DELETE", "/desktop/takeover", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_false (json_object_get_boolean_member (json_node_get_object (released), "held"));
}

static void
test_takeover_bad_input (Fixture       *fixture,
                         gconstpointer  data)
{
  const char *bodies[] = { "{", "[]", "{\"holder\": 3}", "{\"holder\": \"\"}", "{}", "\"x\"" };

  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr (JsonNode) answer = NULL;
      guint status = 0;

      answer = viv_test_guest_json (fixture->guest, "POST", "/desktop/takeover", bodies[i],
                                    &status);
      g_assert_cmpuint (status, ==, 400);
      assert_error_body (answer, 400, NULL);
    }
}

static void
test_huge_body (Fixture       *fixture,
                gconstpointer  data)
{
  gsize size = 8 * 1024 * 1024;
  g_autofree char *huge = g_malloc (size);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (GBytes) answer = NULL;
  guint status = 0;

  memset (huge, ' ', size);
  body = g_bytes_new_take (g_steal_pointer (&huge), size);
  answer = viv_test_guest_request (fixture->guest, "POST", "/desktop/takeover", NULL,
                                   "application/json", body, &status, NULL);
  g_assert_cmpuint (status, ==, 413);

  /* The guest still answers. */
  {
    g_autoptr (JsonNode) state = viv_test_guest_json (fixture->guest, "GET", "/desktop/takeover",
                                                      NULL, &status);
    g_assert_cmpuint (status, ==, 200);
  }
}

/* Reads the event stream until an event of @type arrives; returns its data line. */
static char *
read_event (GDataInputStream *stream,
            const char       *type)
{
  g_autofree char *event_type = NULL;

  for (;;)
    {
      g_autoptr (GError) error = NULL;
      g_autofree char *line = g_data_input_stream_read_line_utf8 (stream, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);

      if (g_str_has_prefix (line, "event: "))
        {
          g_free (event_type);
          event_type = g_strdup (line + strlen ("event: "));
        }
      else if (g_str_has_prefix (line, "data: ") && g_strcmp0 (event_type, type) == 0)
        return g_strdup (line + strlen ("data: "));
    }
}

static void
test_events_stream_takeover (Fixture       *fixture,
                             gconstpointer  data)
{
  g_autoptr (SoupSession) session = viv_test_unix_session_new (fixture->guest->socket_path);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", "http://localhost/desktop/events");
  g_autoptr (GInputStream) input = NULL;
  g_autoptr (GDataInputStream) stream = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) acquired = NULL;
  g_autoptr (JsonNode) released = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  guint status;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Access-Token",
                                fixture->guest->token);
  input = soup_session_send (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (soup_message_get_response_headers (msg),
                                                          NULL), ==, "text/event-stream");
  stream = g_data_input_stream_new (input);

  acquired = viv_test_guest_json (fixture->guest, "POST", "/desktop/takeover",
                                  "{\"holder\": \"tester\"}", &status);
  released = viv_test_guest_json (fixture->guest, "DELETE", "/desktop/takeover", NULL, &status);

  first = read_event (stream, "takeover");
  g_assert_nonnull (strstr (first, "\"held\":true"));
  g_assert_nonnull (strstr (first, "\"holder\":\"tester\""));
  second = read_event (stream, "takeover");
  g_assert_nonnull (strstr (second, "\"held\":false"));
}

static void
test_events_replay (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr (SoupSession) session = viv_test_unix_session_new (fixture->guest->socket_path);
  g_autoptr (SoupMessage) msg = NULL;
  g_autoptr (GInputStream) input = NULL;
  g_autoptr (GDataInputStream) stream = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) acquired = NULL;
  g_autofree char *replayed = NULL;
  guint status;

  /* An event from before the subscription comes back with ?since=0. */
  acquired = viv_test_guest_json (fixture->guest, "POST", "/desktop/takeover",
                                  "{\"holder\": \"earlier\"}", &status);

  msg = soup_message_new ("GET", "http://localhost/desktop/events?since=0");
  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Access-Token",
                                fixture->guest->token);
  input = soup_session_send (session, msg, NULL, &error);
  g_assert_no_error (error);
  stream = g_data_input_stream_new (input);

  replayed = read_event (stream, "takeover");
  g_assert_nonnull (strstr (replayed, "\"holder\":\"earlier\""));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/guest/core/health", test_health_needs_no_token);
  ADD ("/guest/core/token", test_token_required);
  ADD ("/guest/core/unknown", test_unknown_endpoint_and_method);
  ADD ("/guest/core/huge-body", test_huge_body);
  ADD ("/guest/takeover/lock", test_takeover_lock);
  ADD ("/guest/takeover/bad-input", test_takeover_bad_input);
  ADD ("/guest/events/takeover", test_events_stream_takeover);
  ADD ("/guest/events/replay", test_events_replay);
#undef ADD

  return g_test_run ();
}
