/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>

#include <gdk-pixbuf/gdk-pixbuf.h>
#include <glib/gstdio.h>

#include "viv-test-desktop.h"

/* The desktop API against a real Xvnc, a real guest and a real X client
 * (viv-xrecorder) that reports what arrived. */

#define WIDTH 1024
#define HEIGHT 768
#define WAIT_MS 20000

typedef struct
{
  VivTestXvnc     *xvnc;
  VivTestGuest    *guest;
  VivTestRecorder *recorder;
} Fixture;

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  fixture->xvnc = viv_test_xvnc_start (WIDTH, HEIGHT);
  fixture->guest = viv_test_guest_start (fixture->xvnc, NULL);
  fixture->recorder = viv_test_recorder_start (fixture->xvnc, "Recorder ✓", NULL);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  viv_test_recorder_stop (fixture->recorder);
  viv_test_guest_stop (fixture->guest);
  viv_test_xvnc_stop (fixture->xvnc);
}

static JsonObject *
request_object (Fixture    *fixture,
                const char *method,
                const char *path,
                const char *body,
                guint       expected_status)
{
  g_autoptr (JsonNode) node = NULL;
  guint status = 0;

  node = viv_test_guest_json (fixture->guest, method, path, body, &status);
  if (status != expected_status)
    {
      g_autofree char *text = node ? json_to_string (node, FALSE) : g_strdup ("(empty)");

      g_error ("%s %s %s: expected %u, got %u: %s", method, path, body ? body : "",
               expected_status, status, text);
    }
  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  return json_object_ref (json_node_get_object (node));
}

static void
post_ok (Fixture    *fixture,
         const char *path,
         const char *body)
{
  g_autoptr (JsonObject) answer = request_object (fixture, "POST", path, body, 200);
}

static void
expect_error (Fixture    *fixture,
              const char *method,
              const char *path,
              const char *body,
              guint       status,
              const char *message_part)
{
  g_autoptr (JsonObject) answer = request_object (fixture, method, path, body, status);
  const char *message = json_object_get_string_member (answer, "message");

  g_assert_cmpint (json_object_get_int_member (answer, "code"), ==, status);
  if (message_part != NULL && strstr (message, message_part) == NULL)
    g_error ("%s %s: “%s” does not mention “%s”", method, path, message, message_part);
}

/* The pattern viv-xrecorder paints, relative to its window. */
static const struct
{
  int     x, y;
  guint32 rgb;
} probes[] = {
  { 10, 10, 0x204060 }, { 100, 100, 0xff0000 }, { 299, 249, 0xff0000 }, { 300, 250, 0x204060 },
  { 500, 150, 0x00ff00 }, { 150, 350, 0x0000ff }, { 599, 449, 0xffffff }, { 1000, 700, 0x204060 },
};

static GdkPixbuf *
screenshot (Fixture    *fixture,
            const char *query,
            const char *content_type)
{
  g_autofree char *path = g_strconcat ("/desktop/screenshot", query, NULL);
  g_autoptr (GBytes) body = NULL;
  g_autoptr (SoupMessageHeaders) headers = NULL;
  g_autoptr (GInputStream) stream = NULL;
  g_autoptr (GError) error = NULL;
  GdkPixbuf *pixbuf;
  guint status = 0;

  body = viv_test_guest_request (fixture->guest, "GET", path, NULL, NULL, NULL, &status, &headers);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (soup_message_headers_get_content_type (headers, NULL), ==, content_type);

  stream = g_memory_input_stream_new_from_bytes (body);
  pixbuf = gdk_pixbuf_new_from_stream (stream, NULL, &error);
  g_assert_no_error (error);
  return pixbuf;
}

static guint32
pixel_at (GdkPixbuf *pixbuf,
          int        px,
          int        py)
{
  const guint8 *p = gdk_pixbuf_read_pixels (pixbuf) + py * gdk_pixbuf_get_rowstride (pixbuf) +
                    px * gdk_pixbuf_get_n_channels (pixbuf);

  return (p[0] << 16) | (p[1] << 8) | p[2];
}

static void
assert_close (guint32 actual,
              guint32 expected,
              int     tolerance)
{
  for (int shift = 0; shift <= 16; shift += 8)
    {
      int a = (actual >> shift) & 0xff, e = (expected >> shift) & 0xff;

      if (ABS (a - e) > tolerance)
        g_error ("pixel %06x is not %06x (±%d)", actual, expected, tolerance);
    }
}

static void
test_screen_and_cursor (Fixture       *fixture,
                        gconstpointer  data)
{
  g_autoptr (JsonObject) screen = request_object (fixture, "GET", "/desktop/screen", NULL, 200);
  g_autoptr (JsonObject) moved = NULL;
  g_autoptr (JsonObject) cursor = NULL;

  g_assert_cmpint (json_object_get_int_member (screen, "width"), ==, WIDTH);
  g_assert_cmpint (json_object_get_int_member (screen, "height"), ==, HEIGHT);

  moved = request_object (fixture, "POST", "/desktop/pointer/move", "{\"x\": 123, \"y\": 456}", 200);
  cursor = request_object (fixture, "GET", "/desktop/cursor", NULL, 200);
  g_assert_cmpint (json_object_get_int_member (cursor, "x"), ==, 123);
  g_assert_cmpint (json_object_get_int_member (cursor, "y"), ==, 456);
}

static void
test_screenshot_png (Fixture       *fixture,
                     gconstpointer  data)
{
  g_autoptr (GdkPixbuf) full = screenshot (fixture, "", "image/png");
  g_autoptr (GdkPixbuf) region = NULL;

  g_assert_cmpint (gdk_pixbuf_get_width (full), ==, WIDTH);
  g_assert_cmpint (gdk_pixbuf_get_height (full), ==, HEIGHT);
  for (guint i = 0; i < G_N_ELEMENTS (probes); i++)
    g_assert_cmphex (pixel_at (full, probes[i].x, probes[i].y), ==, probes[i].rgb);

  /* A region: its own origin is (50, 80) of the screen. */
  region = screenshot (fixture, "?format=png&x=50&y=80&width=400&height=300", "image/png");
  g_assert_cmpint (gdk_pixbuf_get_width (region), ==, 400);
  g_assert_cmpint (gdk_pixbuf_get_height (region), ==, 300);
  g_assert_cmphex (pixel_at (region, 0, 0), ==, 0x204060);
  g_assert_cmphex (pixel_at (region, 50, 20), ==, 0xff0000);
  g_assert_cmphex (pixel_at (region, 49, 19), ==, 0x204060);
  g_assert_cmphex (pixel_at (region, 100, 270), ==, 0x0000ff);
  g_assert_cmphex (pixel_at (region, 399, 299), ==, 0xffffff);
}

static void
test_screenshot_jpeg (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr (GdkPixbuf) full = screenshot (fixture, "?format=jpeg&quality=90", "image/jpeg");

  g_assert_cmpint (gdk_pixbuf_get_width (full), ==, WIDTH);
  g_assert_cmpint (gdk_pixbuf_get_height (full), ==, HEIGHT);
  /* Away from the edges, where JPEG blurs. */
  assert_close (pixel_at (full, 50, 50), 0x204060, 12);
  assert_close (pixel_at (full, 200, 175), 0xff0000, 12);
  assert_close (pixel_at (full, 500, 175), 0x00ff00, 12);
  assert_close (pixel_at (full, 200, 375), 0x0000ff, 12);
  assert_close (pixel_at (full, 500, 375), 0xffffff, 12);
}

static void
test_screenshot_window (Fixture       *fixture,
                        gconstpointer  data)
{
  VivTestRecorder *small = viv_test_recorder_start (fixture->xvnc, "Small", "300x200+500+400");
  g_autofree char *query = g_strdup_printf ("?window=0x%" G_GINT64_MODIFIER "x", small->window);
  g_autoptr (GdkPixbuf) shot = screenshot (fixture, query, "image/png");

  g_assert_cmpint (gdk_pixbuf_get_width (shot), ==, 300);
  g_assert_cmpint (gdk_pixbuf_get_height (shot), ==, 200);
  g_assert_cmphex (pixel_at (shot, 50, 50), ==, 0x204060);
  g_assert_cmphex (pixel_at (shot, 150, 150), ==, 0xff0000);

  viv_test_recorder_stop (small);
}

static void
test_screenshot_bad (Fixture       *fixture,
                     gconstpointer  data)
{
  expect_error (fixture, "GET", "/desktop/screenshot?format=gif", NULL, 400, "gif");
  expect_error (fixture, "GET", "/desktop/screenshot?quality=0&format=jpeg", NULL, 400, "quality");
  expect_error (fixture, "GET", "/desktop/screenshot?x=-1&y=0&width=10&height=10", NULL, 400, "“x”");
  expect_error (fixture, "GET", "/desktop/screenshot?x=10&y=10", NULL, 400, "width");
  expect_error (fixture, "GET", "/desktop/screenshot?x=1000&y=0&width=100&height=10", NULL, 400,
                "screen");
  expect_error (fixture, "GET", "/desktop/screenshot?width=abc&height=10", NULL, 400, "width");
  expect_error (fixture, "GET", "/desktop/screenshot?window=123", NULL, 404, "123");
  expect_error (fixture, "GET", "/desktop/screenshot?window=nope", NULL, 404, "nope");
}

static void
expect_button (VivTestRecorder *recorder,
               const char      *kind,
               int              button,
               int              px,
               int              py)
{
  g_autofree char *expected = g_strdup_printf ("%s %d %d %d", kind, button, px, py);
  g_autofree char *line = viv_test_recorder_expect (recorder, kind, WAIT_MS);

  g_assert_cmpstr (line, ==, expected);
}

static void
test_pointer_clicks (Fixture       *fixture,
                     gconstpointer  data)
{
  VivTestRecorder *recorder = fixture->recorder;

  post_ok (fixture, "/desktop/pointer/click", "{\"x\": 200, \"y\": 150}");
  expect_button (recorder, "PRESS", 1, 200, 150);
  expect_button (recorder, "RELEASE", 1, 200, 150);

  post_ok (fixture, "/desktop/pointer/click", "{\"x\": 300, \"y\": 310, \"count\": 2}");
  for (int i = 0; i < 2; i++)
    {
      expect_button (recorder, "PRESS", 1, 300, 310);
      expect_button (recorder, "RELEASE", 1, 300, 310);
    }

  post_ok (fixture, "/desktop/pointer/click", "{\"x\": 10, \"y\": 20, \"button\": \"right\"}");
  expect_button (recorder, "PRESS", 3, 10, 20);
  expect_button (recorder, "RELEASE", 3, 10, 20);

  /* Without a position: where the pointer is. */
  post_ok (fixture, "/desktop/pointer/click", "{\"button\": \"middle\"}");
  expect_button (recorder, "PRESS", 2, 10, 20);
  expect_button (recorder, "RELEASE", 2, 10, 20);

  post_ok (fixture, "/desktop/pointer/press", "{\"button\": \"left\"}");
  expect_button (recorder, "PRESS", 1, 10, 20);
  post_ok (fixture, "/desktop/pointer/move", "{\"x\": 700, \"y\": 500}");
  post_ok (fixture, "/desktop/pointer/release", "{}");
  expect_button (recorder, "RELEASE", 1, 700, 500);
}

static void
test_pointer_drag_and_scroll (Fixture       *fixture,
                              gconstpointer  data)
{
  VivTestRecorder *recorder = fixture->recorder;
  const struct { const char *direction; int button; } wheel[] = {
    { "up", 4 }, { "down", 5 }, { "left", 6 }, { "right", 7 },
  };

  post_ok (fixture, "/desktop/pointer/drag", "{\"from\": [150, 160], \"to\": [600, 400]}");
  expect_button (recorder, "PRESS", 1, 150, 160);
  expect_button (recorder, "RELEASE", 1, 600, 400);

  for (guint i = 0; i < G_N_ELEMENTS (wheel); i++)
    {
      g_autofree char *body = g_strdup_printf ("{\"direction\": \"%s\", \"amount\": 3, "
                                               "\"x\": 40, \"y\": 50}", wheel[i].direction);

      post_ok (fixture, "/desktop/pointer/scroll", body);
      for (int step = 0; step < 3; step++)
        {
          expect_button (recorder, "PRESS", wheel[i].button, 40, 50);
          expect_button (recorder, "RELEASE", wheel[i].button, 40, 50);
        }
    }
}

/* Types @text through the guest and returns what the client spelled from the
 * key events it received. */
static char *
type_and_read (Fixture    *fixture,
               const char *text)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autofree char *body = NULL;
  g_autoptr (GString) received = g_string_new (NULL);
  g_autoptr (JsonObject) answer = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "text");
  json_builder_add_string_value (builder, text);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  body = json_to_string (root, FALSE);

  answer = request_object (fixture, "POST", "/desktop/keyboard/type", body, 200);
  g_assert_cmpint (json_object_get_int_member (answer, "characters"), ==, g_utf8_strlen (text, -1));

  while (received->len < strlen (text))
    {
      g_autofree char *line = viv_test_recorder_expect (fixture->recorder, "KEY ", WAIT_MS);
      g_auto (GStrv) fields = g_strsplit (line, " ", 4);
      g_autofree char *spelled = viv_test_hex_decode (fields[3]);

      g_string_append (received, spelled);
    }

  return g_string_free (g_steal_pointer (&received), FALSE);
}

static void
test_type_ascii (Fixture       *fixture,
                 gconstpointer  data)
{
  const char *text = "Hello, World! 0123456789 ~`@#$%^&*()_+-=[]{}|\\;':\",./<>? The END";
  g_autofree char *received = type_and_read (fixture, text);

  g_assert_cmpstr (received, ==, text);
}

static void
test_type_unicode (Fixture       *fixture,
                   gconstpointer  data)
{
  /* Not on the US keymap: they go through spare keycodes. The pangram has more
   * distinct letters than the keymap has spare keycodes. */
  const char *texts[] = {
    "é ü ß àçñ ÉÜ",
    "Привет, 日本語",
    "Съешь же ещё этих мягких французских булок, да выпей чаю. ΑΒΓ αβγ ✓ €",
    "mixed: café Ñandú 東京 ok",
  };

  for (guint i = 0; i < G_N_ELEMENTS (texts); i++)
    {
      g_autofree char *received = type_and_read (fixture, texts[i]);

      g_assert_cmpstr (received, ==, texts[i]);
    }
}

static void
expect_key (VivTestRecorder *recorder,
            const char      *name)
{
  g_autofree char *line = viv_test_recorder_expect (recorder, "KEY ", WAIT_MS);
  g_auto (GStrv) fields = g_strsplit (line, " ", 4);

  g_assert_cmpstr (fields[2], ==, name);
}

static void
test_key_press (Fixture       *fixture,
                gconstpointer  data)
{
  VivTestRecorder *recorder = fixture->recorder;
  g_autoptr (JsonObject) answer = NULL;

  answer = request_object (fixture, "POST", "/desktop/keyboard/press",
                           "{\"keys\": [\"ctrl\", \"c\"]}", 200);
  expect_key (recorder, "Control_L");
  expect_key (recorder, "c");

  post_ok (fixture, "/desktop/keyboard/press", "{\"keys\": \"Enter\"}");
  expect_key (recorder, "Return");

  post_ok (fixture, "/desktop/keyboard/press", "{\"keys\": [\"ALT_RIGHT\", \"page_down\"]}");
  expect_key (recorder, "Alt_R");
  expect_key (recorder, "Next");

  /* X keysym names, and a keysym that needs Shift. */
  post_ok (fixture, "/desktop/keyboard/press", "{\"keys\": [\"F5\"]}");
  expect_key (recorder, "F5");
  post_ok (fixture, "/desktop/keyboard/press", "{\"keys\": [\"exclam\"]}");
  expect_key (recorder, "Shift_L");
  expect_key (recorder, "exclam");

  /* A keysym the keymap lacks. */
  post_ok (fixture, "/desktop/keyboard/press", "{\"keys\": [\"ctrl\", \"eacute\"]}");
  expect_key (recorder, "Control_L");
  expect_key (recorder, "eacute");
}

static void
test_bad_input (Fixture       *fixture,
                gconstpointer  data)
{
  expect_error (fixture, "POST", "/desktop/pointer/move", "{", 400, "JSON");
  expect_error (fixture, "POST", "/desktop/pointer/move", "[1, 2]", 400, "object");
  expect_error (fixture, "POST", "/desktop/pointer/move", "{\"x\": \"1\", \"y\": 2}", 400, "“x”");
  expect_error (fixture, "POST", "/desktop/pointer/move", "{\"x\": 1.5, \"y\": 2}", 400, "“x”");
  expect_error (fixture, "POST", "/desktop/pointer/move", "{\"y\": 2}", 400, "“x”");
  expect_error (fixture, "POST", "/desktop/pointer/move", "{\"x\": 5000, \"y\": 2}", 400, "outside");
  expect_error (fixture, "POST", "/desktop/pointer/move", "{\"x\": -1, \"y\": 2}", 400, "outside");
  expect_error (fixture, "POST", "/desktop/pointer/click", "{\"x\": 1}", 400, "both");
  expect_error (fixture, "POST", "/desktop/pointer/click", "{\"x\": 1, \"y\": 1024}", 400,
                "outside");
  expect_error (fixture, "POST", "/desktop/pointer/click", "{\"button\": \"fourth\"}", 400,
                "fourth");
  expect_error (fixture, "POST", "/desktop/pointer/click", "{\"count\": 0}", 400, "count");
  expect_error (fixture, "POST", "/desktop/pointer/press", "{\"button\": 1}", 400, "button");
  expect_error (fixture, "POST", "/desktop/pointer/drag", "{\"from\": [1], \"to\": [2, 3]}", 400,
                "from");
  expect_error (fixture, "POST", "/desktop/pointer/drag", "{\"from\": [1, 1], \"to\": [2, 9999]}",
                400, "outside");
  expect_error (fixture, "POST", "/desktop/pointer/scroll", "{\"direction\": \"sideways\"}", 400,
                "sideways");
  expect_error (fixture, "POST", "/desktop/keyboard/type", "{}", 400, "text");
  expect_error (fixture, "POST", "/desktop/keyboard/type", "{\"text\": 42}", 400, "text");
  expect_error (fixture, "POST", "/desktop/keyboard/type", "{\"text\": \"a\\u0001\"}", 400,
                "U+0001");
  expect_error (fixture, "POST", "/desktop/keyboard/press", "{\"keys\": []}", 400, "keys");
  expect_error (fixture, "POST", "/desktop/keyboard/press", "{\"keys\": [\"ctrl\", 3]}", 400,
                "keys");
  expect_error (fixture, "POST", "/desktop/keyboard/press",
                "{\"keys\": [\"ctrl\", \"no_such_key\"]}", 400, "no_such_key");

  /* Nothing above reached the client. */
  post_ok (fixture, "/desktop/keyboard/press", "{\"keys\": [\"F1\"]}");
  expect_key (fixture->recorder, "F1");
}

static JsonObject *
find_window (JsonArray *windows,
             guint64    id)
{
  for (guint i = 0; i < json_array_get_length (windows); i++)
    {
      JsonObject *window = json_array_get_object_element (windows, i);

      if ((guint64) json_object_get_int_member (window, "id") == id)
        return window;
    }

  return NULL;
}

static void
test_windows (Fixture       *fixture,
              gconstpointer  data)
{
  g_autoptr (JsonNode) list = NULL;
  g_autoptr (JsonObject) focused = NULL;
  g_autoptr (JsonObject) one = NULL;
  g_autofree char *path = NULL;
  g_autofree char *hex_path = NULL;
  JsonObject *window;
  guint status = 0;

  list = viv_test_guest_json (fixture->guest, "GET", "/desktop/windows", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (list));
  window = find_window (json_node_get_array (list), fixture->recorder->window);
  g_assert_nonnull (window);
  g_assert_cmpstr (json_object_get_string_member (window, "title"), ==, "Recorder ✓");
  g_assert_cmpstr (json_object_get_string_member (window, "class"), ==, "VivXrecorder");
  g_assert_cmpint (json_object_get_int_member (window, "pid"), ==,
                   atoi (g_subprocess_get_identifier (fixture->recorder->process)));
  g_assert_cmpint (json_object_get_int_member (window, "x"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (window, "y"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (window, "width"), ==, WIDTH);
  g_assert_cmpint (json_object_get_int_member (window, "height"), ==, HEIGHT);
  g_assert_true (json_object_get_boolean_member (window, "focused"));

  focused = request_object (fixture, "GET", "/desktop/windows/focused", NULL, 200);
  g_assert_cmpint (json_object_get_int_member (focused, "id"), ==, fixture->recorder->window);

  hex_path = g_strdup_printf ("/desktop/windows/0x%" G_GINT64_MODIFIER "x",
                              fixture->recorder->window);
  one = request_object (fixture, "GET", hex_path, NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (one, "title"), ==, "Recorder ✓");

  expect_error (fixture, "GET", "/desktop/windows/4242", NULL, 404, "4242");
  expect_error (fixture, "GET", "/desktop/windows/zero", NULL, 404, "zero");
  expect_error (fixture, "POST", "/desktop/windows/4242/focus", NULL, 404, "4242");
  expect_error (fixture, "POST", "/desktop/windows/4242/close", NULL, 404, "4242");
  path = g_strdup_printf ("/desktop/windows/%" G_GUINT64_FORMAT "/shake",
                          fixture->recorder->window);
  expect_error (fixture, "POST", path, NULL, 404, "shake");
}

/* Reads the event stream until an event of @type whose data contains @part. */
static char *
read_event (GDataInputStream *stream,
            const char       *type,
            const char       *part)
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
      else if (g_str_has_prefix (line, "data: ") && g_strcmp0 (event_type, type) == 0 &&
               strstr (line, part) != NULL)
        return g_strdup (line + strlen ("data: "));
    }
}

static GDataInputStream *
open_events (Fixture     *fixture,
             SoupSession *session)
{
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", "http://localhost/desktop/events");
  g_autoptr (GError) error = NULL;
  GInputStream *input;
  GDataInputStream *stream;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Access-Token",
                                fixture->guest->token);
  input = soup_session_send (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  stream = g_data_input_stream_new (input);
  g_object_unref (input);
  return stream;
}

static void
test_focus_and_close (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr (SoupSession) session = viv_test_unix_session_new (fixture->guest->socket_path);
  g_autoptr (GDataInputStream) events = open_events (fixture, session);
  VivTestRecorder *second = viv_test_recorder_start (fixture->xvnc, "Second", "200x100+600+500");
  g_autofree char *focus_path = NULL;
  g_autofree char *close_path = NULL;
  g_autofree char *first_id = NULL;
  g_autofree char *event = NULL;
  g_autofree char *line = NULL;
  g_autoptr (JsonObject) focused = NULL;
  g_autoptr (JsonObject) after = NULL;

  /* The second window took the focus when it was shown. */
  focused = request_object (fixture, "GET", "/desktop/windows/focused", NULL, 200);
  g_assert_cmpint (json_object_get_int_member (focused, "id"), ==, second->window);

  focus_path = g_strdup_printf ("/desktop/windows/%" G_GUINT64_FORMAT "/focus",
                                fixture->recorder->window);
  post_ok (fixture, focus_path, NULL);
  g_free (viv_test_recorder_expect (fixture->recorder, "FOCUSIN", WAIT_MS));
  after = request_object (fixture, "GET", "/desktop/windows/focused", NULL, 200);
  g_assert_cmpint (json_object_get_int_member (after, "id"), ==, fixture->recorder->window);

  first_id = g_strdup_printf ("\"window\":%" G_GUINT64_FORMAT, fixture->recorder->window);
  event = read_event (events, "focus", first_id);
  g_assert_nonnull (strstr (event, "Recorder ✓"));

  close_path = g_strdup_printf ("/desktop/windows/%" G_GUINT64_FORMAT "/close", second->window);
  post_ok (fixture, close_path, NULL);
  line = viv_test_recorder_expect (second, "CLOSE", WAIT_MS);
  g_subprocess_wait (second->process, NULL, NULL);
  g_assert_true (g_subprocess_get_if_exited (second->process));
  viv_test_recorder_stop (second);
}

static void
test_clipboard (Fixture       *fixture,
                gconstpointer  data)
{
  const char *ours = "héllo from the guest 日本 ✓";
  const char *theirs = "copied by another client: Ünïcödé";
  g_autofree char *ours_hex = viv_test_hex_encode (ours);
  g_autofree char *theirs_hex = viv_test_hex_encode (theirs);
  g_autofree char *body = g_strdup_printf ("{\"text\": \"%s\"}", ours);
  g_autofree char *pasted = NULL;
  g_autofree char *copy = g_strconcat ("copy ", theirs_hex, NULL);
  g_autofree char *owned = NULL;
  g_autoptr (JsonObject) set = NULL;
  g_autoptr (JsonObject) got = NULL;
  g_autoptr (JsonObject) got_theirs = NULL;

  set = request_object (fixture, "PUT", "/desktop/clipboard", body, 200);
  got = request_object (fixture, "GET", "/desktop/clipboard", NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (got, "text"), ==, ours);

  /* Another X client pastes it. */
  viv_test_recorder_command (fixture->recorder, "paste");
  pasted = viv_test_recorder_expect (fixture->recorder, "PASTE", WAIT_MS);
  g_assert_cmpstr (pasted + strlen ("PASTE "), ==, ours_hex);

  /* And what another client copies, the guest reads. */
  viv_test_recorder_command (fixture->recorder, copy);
  owned = viv_test_recorder_expect (fixture->recorder, "OWNED", WAIT_MS);
  got_theirs = request_object (fixture, "GET", "/desktop/clipboard", NULL, 200);
  g_assert_cmpstr (json_object_get_string_member (got_theirs, "text"), ==, theirs);

  expect_error (fixture, "PUT", "/desktop/clipboard", "{\"text\": null}", 400, "text");
}

static void
test_launch_and_open (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autoptr (JsonObject) launched = NULL;
  gint64 pid;

  expect_error (fixture, "POST", "/desktop/launch", "{\"app\": \"no-such-app\"}", 404,
                "no-such-app");
  expect_error (fixture, "POST", "/desktop/launch", "{\"app\": \"../../etc/passwd\"}", 404, NULL);
  expect_error (fixture, "POST", "/desktop/launch", "{}", 400, "app");
  expect_error (fixture, "POST", "/desktop/open", "{\"target\": \"/no/such/file\"}", 404,
                "/no/such/file");
  expect_error (fixture, "POST", "/desktop/open", "{\"target\": 1}", 400, "target");

  /* A real app from a desktop file in XDG_DATA_HOME (see main). */
  launched = request_object (fixture, "POST", "/desktop/launch",
                             "{\"app\": \"viv-test-recorder\"}", 200);
  pid = json_object_get_int_member (launched, "pid");
  g_assert_cmpint (pid, >, 0);

  for (gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;;)
    {
      g_autoptr (JsonNode) list = NULL;
      JsonArray *windows;
      guint status;
      gboolean found = FALSE;

      list = viv_test_guest_json (fixture->guest, "GET", "/desktop/windows", NULL, &status);
      windows = json_node_get_array (list);
      for (guint i = 0; i < json_array_get_length (windows) && !found; i++)
        {
          JsonObject *window = json_array_get_object_element (windows, i);

          found = g_strcmp0 (json_object_get_string_member (window, "title"), "Launched") == 0 &&
                  json_object_get_int_member (window, "pid") == pid;
        }

      if (found)
        break;
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (50 * 1000);
    }

  kill ((pid_t) pid, SIGTERM);
}

static void
test_takeover_blocks_input (Fixture       *fixture,
                            gconstpointer  data)
{
  const char *inputs[][2] = {
    { "/desktop/pointer/move", "{\"x\": 1, \"y\": 1}" },
    { "/desktop/pointer/click", "{}" },
    { "/desktop/pointer/press", "{}" },
    { "/desktop/pointer/release", "{}" },
    { "/desktop/pointer/drag", "{\"from\": [1, 1], \"to\": [2, 2]}" },
    { "/desktop/pointer/scroll", "{}" },
    { "/desktop/keyboard/type", "{\"text\": \"no\"}" },
    { "/desktop/keyboard/press", "{\"keys\": [\"a\"]}" },
    { "/desktop/launch", "{\"app\": \"viv-test-recorder\"}" },
    { "/desktop/open", "{\"target\": \"/\"}" },
  };
  g_autoptr (JsonObject) held = NULL;
  g_autoptr (JsonObject) released = NULL;
  g_autoptr (JsonObject) screen = NULL;

  held = request_object (fixture, "POST", "/desktop/takeover", "{\"holder\": \"Ada\"}", 200);

  for (guint i = 0; i < G_N_ELEMENTS (inputs); i++)
    {
      g_autoptr (JsonObject) refused = request_object (fixture, "POST", inputs[i][0],
                                                       inputs[i][1], 423);

      g_assert_cmpint (json_object_get_int_member (refused, "code"), ==, 423);
      g_assert_cmpstr (json_object_get_string_member (refused, "holder"), ==, "Ada");
      g_assert_nonnull (json_object_get_string_member (refused, "since"));
    }

  {
    g_autofree char *path = g_strdup_printf ("/desktop/windows/%" G_GUINT64_FORMAT "/focus",
                                             fixture->recorder->window);
    g_autoptr (JsonObject) refused = request_object (fixture, "POST", path, NULL, 423);
    g_autoptr (JsonObject) refused_clipboard = request_object (fixture, "PUT", "/desktop/clipboard",
                                                               "{\"text\": \"x\"}", 423);
  }

  /* Looking is still allowed. */
  screen = request_object (fixture, "GET", "/desktop/screen", NULL, 200);

  released = request_object (fixture, "DELETE", "/desktop/takeover", NULL, 200);
  post_ok (fixture, "/desktop/pointer/click", "{\"x\": 5, \"y\": 6}");
  expect_button (fixture->recorder, "PRESS", 1, 5, 6);
}

static void
test_action_events (Fixture       *fixture,
                    gconstpointer  data)
{
  g_autoptr (SoupSession) session = viv_test_unix_session_new (fixture->guest->socket_path);
  g_autoptr (GDataInputStream) events = open_events (fixture, session);
  g_autofree char *click = NULL;
  g_autofree char *typed = NULL;
  g_autofree char *failed = NULL;
  g_autofree char *locked = NULL;
  g_autoptr (JsonObject) held = NULL;
  g_autoptr (JsonObject) released = NULL;

  post_ok (fixture, "/desktop/pointer/click", "{\"x\": 20, \"y\": 30, \"button\": \"right\"}");
  click = read_event (events, "action", "\"action\":\"click\"");
  g_assert_nonnull (strstr (click, "\"x\":20"));
  g_assert_nonnull (strstr (click, "\"y\":30"));
  g_assert_nonnull (strstr (click, "\"button\":\"right\""));
  g_assert_nonnull (strstr (click, "\"outcome\":\"ok\""));

  post_ok (fixture, "/desktop/keyboard/type", "{\"text\": \"secret-less words\"}");
  typed = read_event (events, "action", "\"action\":\"type\"");
  g_assert_nonnull (strstr (typed, "\"text\":\"secret-less words\""));

  expect_error (fixture, "POST", "/desktop/pointer/move", "{\"x\": 9999, \"y\": 1}", 400, NULL);
  failed = read_event (events, "action", "\"action\":\"move\"");
  g_assert_nonnull (strstr (failed, "\"outcome\":\"error\""));
  g_assert_nonnull (strstr (failed, "outside"));

  held = request_object (fixture, "POST", "/desktop/takeover", "{\"holder\": \"Bob\"}", 200);
  expect_error (fixture, "POST", "/desktop/keyboard/press", "{\"keys\": \"a\"}", 423, "Bob");
  locked = read_event (events, "action", "\"action\":\"keys\"");
  g_assert_nonnull (strstr (locked, "\"outcome\":\"error\""));
  released = request_object (fixture, "DELETE", "/desktop/takeover", NULL, 200);
}

static void
test_display_restart (Fixture       *fixture,
                      gconstpointer  data)
{
  g_autofree char *geometry = g_strdup_printf ("%dx%d", WIDTH, HEIGHT);
  const char *argv[] = {
    "Xvnc", fixture->xvnc->display, "-geometry", geometry, "-depth", "24", "-rfbport", "-1",
    "-SecurityTypes", "None", "-nolisten", "tcp", "-ac", NULL
  };
  g_autofree char *x_socket = g_strdup_printf ("/tmp/.X11-unix/X%d", fixture->xvnc->number);
  g_autoptr (JsonObject) before = request_object (fixture, "GET", "/desktop/screen", NULL, 200);
  g_autoptr (GBytes) health = NULL;
  guint status = 0;
  GPid restarted;

  viv_test_recorder_stop (g_steal_pointer (&fixture->recorder));
  viv_test_kill (fixture->xvnc->pid);
  fixture->xvnc->pid = 0;

  /* The guest survives its display and says so. */
  expect_error (fixture, "GET", "/desktop/screen", NULL, 503, NULL);
  expect_error (fixture, "POST", "/desktop/pointer/move", "{\"x\": 1, \"y\": 1}", 503, NULL);
  health = viv_test_guest_request (fixture->guest, "GET", "/health", "", NULL, NULL, &status, NULL);
  g_assert_cmpuint (status, ==, 204);

  /* And uses it again once it is back. */
  restarted = viv_test_spawn (argv, NULL, NULL);
  fixture->xvnc->pid = restarted;
  g_assert_true (viv_test_wait_for_path (x_socket, WAIT_MS));
  for (gint64 deadline = g_get_monotonic_time () + WAIT_MS * 1000;;)
    {
      g_autoptr (JsonNode) screen = viv_test_guest_json (fixture->guest, "GET", "/desktop/screen",
                                                         NULL, &status);
      if (status == 200)
        break;
      g_assert_cmpuint (status, ==, 503);
      g_assert_cmpint (g_get_monotonic_time (), <, deadline);
      g_usleep (100 * 1000);
    }
}

static void
test_no_display (void)
{
  VivTestGuest *guest = viv_test_guest_start (NULL, NULL);
  g_autoptr (JsonNode) answer = NULL;
  guint status = 0;

  answer = viv_test_guest_json (guest, "GET", "/desktop/screenshot", NULL, &status);
  g_assert_cmpuint (status, ==, 503);
  g_clear_pointer (&answer, json_node_unref);
  answer = viv_test_guest_json (guest, "POST", "/desktop/pointer/move", "{\"x\":1,\"y\":1}", &status);
  g_assert_cmpuint (status, ==, 503);
  viv_test_guest_stop (guest);
}

/* A desktop file for the launch test, found by GIO in the guest through
 * XDG_DATA_HOME, which the guest inherits. */
static char *
install_test_app (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *data_home = g_dir_make_tmp ("viv-desktop-data-XXXXXX", &error);
  g_autofree char *applications = g_build_filename (data_home, "applications", NULL);
  g_autofree char *file = g_build_filename (applications, "viv-test-recorder.desktop", NULL);
  const char *recorder = VIV_XRECORDER;
  g_autofree char *contents = NULL;

  g_assert_no_error (error);
  g_mkdir_with_parents (applications, 0700);
  contents = g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Recorder\n"
                              "Exec=%s --title Launched --geometry 100x100+10+10 --log /dev/null\n",
                              recorder);
  g_file_set_contents (file, contents, -1, &error);
  g_assert_no_error (error);
  g_setenv ("XDG_DATA_HOME", data_home, TRUE);
  return g_steal_pointer (&data_home);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *data_home = NULL;
  int result;

  g_test_init (&argc, &argv, NULL);
  data_home = install_test_app ();

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_setup, func, fixture_teardown)
  ADD ("/desktop/screen-and-cursor", test_screen_and_cursor);
  ADD ("/desktop/screenshot/png", test_screenshot_png);
  ADD ("/desktop/screenshot/jpeg", test_screenshot_jpeg);
  ADD ("/desktop/screenshot/window", test_screenshot_window);
  ADD ("/desktop/screenshot/bad", test_screenshot_bad);
  ADD ("/desktop/pointer/clicks", test_pointer_clicks);
  ADD ("/desktop/pointer/drag-and-scroll", test_pointer_drag_and_scroll);
  ADD ("/desktop/keyboard/type-ascii", test_type_ascii);
  ADD ("/desktop/keyboard/type-unicode", test_type_unicode);
  ADD ("/desktop/keyboard/press", test_key_press);
  ADD ("/desktop/bad-input", test_bad_input);
  ADD ("/desktop/windows/list", test_windows);
  ADD ("/desktop/windows/focus-and-close", test_focus_and_close);
  ADD ("/desktop/clipboard", test_clipboard);
  ADD ("/desktop/launch-and-open", test_launch_and_open);
  ADD ("/desktop/takeover", test_takeover_blocks_input);
  ADD ("/desktop/events", test_action_events);
  ADD ("/desktop/display-restart", test_display_restart);
#undef ADD
  g_test_add_func ("/desktop/no-display", test_no_display);

  result = g_test_run ();

  {
    g_autofree char *file = g_build_filename (data_home, "applications",
                                              "viv-test-recorder.desktop", NULL);
    g_autofree char *applications = g_build_filename (data_home, "applications", NULL);

    g_unlink (file);
    g_rmdir (applications);
    g_rmdir (data_home);
  }

  return result;
}
