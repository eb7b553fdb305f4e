/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <gio/gunixsocketaddress.h>
#include <json-glib/json-glib.h>

#include "vivarium.h"
#include "viv-client-private.h"
#include "viv-sandbox-private.h"

#include "test-client-common.h"
#include "viv-test-harness.h"

/* VivDesktop against a real guest on a real Xvnc. The client reaches the
 * guest through a small loopback relay (TCP to the guest's Unix socket) that
 * the tests can cut, to see the event stream reconnect. */

typedef struct
{
  GSocketService *service;
  GSocketAddress *target;
  GPtrArray      *connections;   /* GIOStream pairs, to cut */
  gboolean        refusing;
  guint16         port;
} Relay;

typedef struct
{
  VivTestXvnc  *xvnc;
  VivTestGuest *guest;
  Relay         relay;
  VivClient    *client;
  VivSandbox   *sandbox;
  VivDesktop   *desktop;
} Fixture;

/* Relay */

static void
spliced_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_io_stream_splice_finish (result, NULL);
}

static gboolean
relay_incoming_cb (GSocketService    *service,
                   GSocketConnection *connection,
                   GObject           *source,
                   gpointer           user_data)
{
  Relay *relay = user_data;
  g_autoptr (GSocketClient) socket_client = NULL;
  g_autoptr (GSocketConnection) upstream = NULL;

  if (relay->refusing)
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }

  /* A local Unix socket connects at once. */
  socket_client = g_socket_client_new ();
  upstream = g_socket_client_connect (socket_client, G_SOCKET_CONNECTABLE (relay->target), NULL, NULL);
  if (upstream == NULL)
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }

  g_ptr_array_add (relay->connections, g_object_ref (connection));
  g_ptr_array_add (relay->connections, g_object_ref (upstream));
  g_io_stream_splice_async (G_IO_STREAM (connection), G_IO_STREAM (upstream),
                            G_IO_STREAM_SPLICE_CLOSE_STREAM1 | G_IO_STREAM_SPLICE_CLOSE_STREAM2,
                            G_PRIORITY_DEFAULT, NULL, spliced_cb, NULL);
  return TRUE;
}

static void
relay_start (Relay      *relay,
             const char *socket_path)
{
  g_autoptr (GError) error = NULL;

  relay->target = g_unix_socket_address_new (socket_path);
  relay->connections = g_ptr_array_new_with_free_func (g_object_unref);
  relay->service = g_socket_service_new ();
  relay->port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (relay->service), NULL, &error);
  g_assert_no_error (error);
  g_signal_connect (relay->service, "incoming", G_CALLBACK (relay_incoming_cb), relay);
  g_socket_service_start (relay->service);
}

/* Cuts every relayed connection, as a network drop would. */
static void
relay_cut (Relay *relay)
{
  for (guint i = 0; i < relay->connections->len; i++)
    g_io_stream_close (g_ptr_array_index (relay->connections, i), NULL, NULL);
  g_ptr_array_set_size (relay->connections, 0);
}

static void
relay_stop (Relay *relay)
{
  g_socket_service_stop (relay->service);
  g_socket_listener_close (G_SOCKET_LISTENER (relay->service));
  relay_cut (relay);
  g_clear_object (&relay->service);
  g_clear_object (&relay->target);
  g_clear_pointer (&relay->connections, g_ptr_array_unref);
}

/* Fixture */

static void
fixture_setup (Fixture       *fixture,
               gconstpointer  data)
{
  const char *token = data;
  g_autoptr (VivAccount) account = NULL;
  g_autofree char *url = NULL;

  fixture->xvnc = viv_test_xvnc_start (640, 480);
  fixture->guest = viv_test_guest_start (fixture->xvnc, NULL);
  relay_start (&fixture->relay, fixture->guest->socket_path);

  url = g_strdup_printf ("http://127.0.0.1:%u", fixture->relay.port);
  account = viv_account_new (VIV_ACCOUNT_KIND_CUSTOM, "guest", "Guest", url, url, "localhost");
  fixture->client = viv_client_new (account, "unused");
  fixture->sandbox = _viv_sandbox_new_for_testing (fixture->client, "guest0",
                                                   token ? token : fixture->guest->token);
  fixture->desktop = viv_desktop_new (fixture->sandbox);
}

static void
fixture_teardown (Fixture       *fixture,
                  gconstpointer  data)
{
  g_clear_object (&fixture->desktop);
  g_clear_object (&fixture->sandbox);
  g_clear_object (&fixture->client);
  relay_stop (&fixture->relay);
  viv_test_guest_stop (fixture->guest);
  viv_test_xvnc_stop (fixture->xvnc);
}

/* Synchronous wrappers: run the main context until the call is done. */

#define WAIT(call, finish_expr)                                   \
  G_STMT_START {                                                  \
    GAsyncResult *slot_ = NULL;                                   \
    g_autoptr (GAsyncResult) result = NULL;                       \
    call;                                                         \
    result = viv_test_wait_result (&slot_);                       \
    finish_expr;                                                  \
  } G_STMT_END

static gboolean
acquire (VivDesktop  *desktop,
         const char  *holder,
         GError     **error)
{
  gboolean ok;

  WAIT (viv_desktop_acquire_takeover_async (desktop, holder, NULL, viv_test_result_cb, &slot_),
        ok = viv_desktop_acquire_takeover_finish (desktop, result, error));
  return ok;
}

static gboolean
release (VivDesktop  *desktop,
         const char  *holder,
         GError     **error)
{
  gboolean ok;

  WAIT (viv_desktop_release_takeover_async (desktop, holder, NULL, viv_test_result_cb, &slot_),
        ok = viv_desktop_release_takeover_finish (desktop, result, error));
  return ok;
}

static gboolean
move_pointer (VivDesktop  *desktop,
              int          x,
              int          y,
              int         *out_x,
              int         *out_y,
              GError     **error)
{
  gboolean ok;

  WAIT (viv_desktop_move_pointer_async (desktop, x, y, NULL, viv_test_result_cb, &slot_),
        ok = viv_desktop_move_pointer_finish (desktop, result, out_x, out_y, error));
  return ok;
}

static GBytes *
screenshot (VivDesktop     *desktop,
            VivImageFormat  format,
            int             x,
            int             y,
            int             width,
            int             height,
            GError        **error)
{
  GBytes *bytes;

  WAIT (viv_desktop_screenshot_async (desktop, format, 0, x, y, width, height, NULL,
                                      viv_test_result_cb, &slot_),
        bytes = viv_desktop_screenshot_finish (desktop, result, error));
  return bytes;
}

static GPtrArray *
list_windows (VivDesktop  *desktop,
              GError     **error)
{
  GPtrArray *windows;

  WAIT (viv_desktop_list_windows_async (desktop, NULL, viv_test_result_cb, &slot_),
        windows = viv_desktop_list_windows_finish (desktop, result, error));
  return windows;
}

/* Tests */

static void
test_takeover (Fixture       *fixture,
               gconstpointer  data)
{
  VivDesktop *desktop = fixture->desktop;
  g_autoptr (GError) error = NULL;
  g_autoptr (GDateTime) before = g_date_time_new_now_utc ();
  gboolean ok;

  WAIT (viv_desktop_query_takeover_async (desktop, NULL, viv_test_result_cb, &slot_),
        ok = viv_desktop_query_takeover_finish (desktop, result, &error));
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_false (viv_desktop_get_takeover_held (desktop));
  g_assert_null (viv_desktop_get_takeover_holder (desktop));

  g_assert_true (acquire (desktop, "Ada (Vivarium)", &error));
  g_assert_no_error (error);
  g_assert_true (viv_desktop_get_takeover_held (desktop));
  g_assert_cmpstr (viv_desktop_get_takeover_holder (desktop), ==, "Ada (Vivarium)");
  g_assert_nonnull (viv_desktop_get_takeover_since (desktop));
  /* The guest keeps milliseconds; allow for that rounding. */
  g_assert_cmpint (g_date_time_difference (viv_desktop_get_takeover_since (desktop), before),
                   >=, -1000);

  /* An agent's input is refused, saying who holds the desktop. */
  g_assert_false (move_pointer (desktop, 10, 10, NULL, NULL, &error));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_LOCKED);
  g_assert_cmpstr (viv_error_get_holder (error), ==, "Ada (Vivarium)");
  g_assert_nonnull (viv_error_get_since (error));
  g_assert_true (g_date_time_equal (viv_error_get_since (error),
                                    viv_desktop_get_takeover_since (desktop)));
  g_test_message ("locked: %s", error->message);
  g_clear_error (&error);

  /* The same holder again is fine; someone else is told who has it. */
  g_assert_true (acquire (desktop, "Ada (Vivarium)", &error));
  g_assert_false (acquire (desktop, "Bob", &error));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_CONFLICT);
  g_assert_cmpstr (viv_error_get_holder (error), ==, "Ada (Vivarium)");
  g_clear_error (&error);

  /* A late release from someone else does not end Ada's takeover. */
  g_assert_false (release (desktop, "Bob", &error));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_CONFLICT);
  g_clear_error (&error);
  g_assert_true (viv_desktop_get_takeover_held (desktop));

  g_assert_true (release (desktop, "Ada (Vivarium)", &error));
  g_assert_no_error (error);
  g_assert_false (viv_desktop_get_takeover_held (desktop));
  g_assert_null (viv_desktop_get_takeover_holder (desktop));
  g_assert_null (viv_desktop_get_takeover_since (desktop));

  /* Input flows again. */
  g_assert_true (move_pointer (desktop, 10, 10, NULL, NULL, &error));
  g_assert_no_error (error);

  /* A holder the guest refuses (empty). */
  g_assert_false (acquire (desktop, "", &error));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_INVALID_ARGUMENT);
}

typedef struct
{
  guint     takeovers;
  gboolean  last_held;
  char     *last_holder;
  guint     actions;
  char     *last_action;
  gboolean  last_action_ok;
  guint     events;
  guint     takeover_details;   /* "event::takeover" */
  guint     connected_changes;
} Seen;

static void
seen_clear (Seen *seen)
{
  g_free (seen->last_holder);
  g_free (seen->last_action);
}

static void
takeover_cb (VivDesktop *desktop,
             gboolean    held,
             const char *holder,
             GDateTime  *since,
             Seen       *seen)
{
  seen->takeovers++;
  seen->last_held = held;
  g_free (seen->last_holder);
  seen->last_holder = g_strdup (holder);
  g_assert_true (held == (since != NULL));
}

static void
action_cb (VivDesktop *desktop,
           const char *action,
           gboolean    ok,
           JsonObject *event,
           Seen       *seen)
{
  seen->actions++;
  g_free (seen->last_action);
  seen->last_action = g_strdup (action);
  seen->last_action_ok = ok;
  g_assert_cmpstr (json_object_get_string_member (event, "type"), ==, "action");
}

static void
event_cb (VivDesktop *desktop,
          const char *type,
          JsonObject *event,
          Seen       *seen)
{
  seen->events++;
  g_assert_cmpstr (json_object_get_string_member (event, "type"), ==, type);
  g_assert_true (json_object_has_member (event, "time"));
}

static void
takeover_detail_cb (VivDesktop *desktop,
                    const char *type,
                    JsonObject *event,
                    Seen       *seen)
{
  g_assert_cmpstr (type, ==, "takeover");
  seen->takeover_details++;
}

static void
connected_cb (VivDesktop *desktop,
              GParamSpec *pspec,
              Seen       *seen)
{
  seen->connected_changes++;
}

static gboolean
wait_until (gboolean (*condition) (gpointer),
            gpointer   user_data,
            guint      timeout_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;

  while (!condition (user_data))
    {
      if (g_get_monotonic_time () > deadline)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (1000);
    }
  return TRUE;
}

static gboolean
is_connected (gpointer user_data)
{
  return viv_desktop_get_events_connected (user_data);
}

static gboolean
is_disconnected (gpointer user_data)
{
  return !viv_desktop_get_events_connected (user_data);
}

typedef struct
{
  Seen  *seen;
  guint  count;
} Count;

static gboolean
has_takeovers (gpointer user_data)
{
  Count *count = user_data;

  return count->seen->takeovers >= count->count;
}

static gboolean
has_actions (gpointer user_data)
{
  Count *count = user_data;

  return count->seen->actions >= count->count;
}

static void
test_events (Fixture       *fixture,
             gconstpointer  data)
{
  VivDesktop *desktop = fixture->desktop;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer = NULL;
  GAsyncResult *slot = NULL;
  g_autoptr (GAsyncResult) result = NULL;
  Seen seen = { 0 };
  Count count = { &seen, 0 };
  guint status = 0;

  g_signal_connect (desktop, "takeover", G_CALLBACK (takeover_cb), &seen);
  g_signal_connect (desktop, "action", G_CALLBACK (action_cb), &seen);
  g_signal_connect (desktop, "event", G_CALLBACK (event_cb), &seen);
  g_signal_connect (desktop, "event::takeover", G_CALLBACK (takeover_detail_cb), &seen);
  g_signal_connect (desktop, "notify::events-connected", G_CALLBACK (connected_cb), &seen);

  viv_desktop_watch_events_async (desktop, cancellable, viv_test_result_cb, &slot);
  g_assert_true (wait_until (is_connected, desktop, 30000));

  /* A takeover, then a refused input call, then the hand-back. */
  g_assert_true (acquire (desktop, "Ada", &error));
  count.count = 1;
  g_assert_true (wait_until (has_takeovers, &count, 30000));
  g_assert_true (seen.last_held);
  g_assert_cmpstr (seen.last_holder, ==, "Ada");
  g_assert_cmpuint (seen.takeover_details, ==, 1);

  g_assert_false (move_pointer (desktop, 5, 5, NULL, NULL, &error));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_LOCKED);
  g_clear_error (&error);
  count.count = 1;
  g_assert_true (wait_until (has_actions, &count, 30000));
  g_assert_false (seen.last_action_ok);

  g_assert_true (release (desktop, "Ada", &error));
  count.count = 2;
  g_assert_true (wait_until (has_takeovers, &count, 30000));
  g_assert_false (seen.last_held);
  g_assert_null (seen.last_holder);

  g_assert_true (move_pointer (desktop, 20, 30, NULL, NULL, &error));
  count.count = 2;
  g_assert_true (wait_until (has_actions, &count, 30000));
  g_assert_true (seen.last_action_ok);
  g_test_message ("action event: %s", seen.last_action);
  g_assert_cmpstr (seen.last_action, ==, "move");
  g_assert_cmpuint (seen.events, >=, 4);

  /* The connection drops, and stays down while an event happens (straight
   * to the guest, past the relay): the watch reconnects with Last-Event-ID
   * and still delivers it. */
  fixture->relay.refusing = TRUE;
  relay_cut (&fixture->relay);
  g_assert_true (wait_until (is_disconnected, desktop, 30000));
  answer = viv_test_guest_json (fixture->guest, "POST", "/desktop/takeover",
                                "{\"holder\":\"Eve\"}", &status);
  g_assert_cmpuint (status, ==, 200);
  /* Let at least one reconnection fail against the refusing relay. */
  g_usleep (700 * 1000);
  g_main_context_iteration (NULL, FALSE);
  g_assert_cmpuint (seen.takeovers, ==, 2);
  fixture->relay.refusing = FALSE;

  count.count = 3;
  g_assert_true (wait_until (has_takeovers, &count, 60000));
  g_assert_true (seen.last_held);
  g_assert_cmpstr (seen.last_holder, ==, "Eve");
  g_assert_true (viv_desktop_get_events_connected (desktop));
  g_assert_cmpstr (viv_desktop_get_takeover_holder (desktop), ==, "Eve");
  /* Connected, dropped, connected again. */
  g_assert_cmpuint (seen.connected_changes, >=, 3);
  /* Nothing is delivered twice. */
  g_assert_cmpuint (seen.takeover_details, ==, 3);

  g_cancellable_cancel (cancellable);
  result = viv_test_wait_result (&slot);
  g_assert_false (viv_desktop_watch_events_finish (desktop, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_false (viv_desktop_get_events_connected (desktop));

  g_signal_handlers_disconnect_by_data (desktop, &seen);
  seen_clear (&seen);
}

/* Ids and types of the events delivered, in order. */
typedef struct
{
  GArray    *ids;
  gint64     first_takeover;
  guint      takeovers;
  guint      actions;
} Replayed;

static void
replayed_cb (VivDesktop *desktop,
             const char *type,
             JsonObject *event,
             Replayed   *replayed)
{
  gint64 id = json_object_get_int_member (event, "id");

  g_array_append_val (replayed->ids, id);
  if (g_str_equal (type, "takeover") && replayed->first_takeover == 0)
    replayed->first_takeover = id;
  replayed->takeovers += g_str_equal (type, "takeover");
  replayed->actions += g_str_equal (type, "action");
}

static gboolean
has_replayed (gpointer user_data)
{
  Replayed *replayed = user_data;

  return replayed->takeovers >= 2 && replayed->actions >= 1;
}

static gboolean
has_one_more_action (gpointer user_data)
{
  Replayed *replayed = user_data;

  return replayed->actions >= 2;
}

static void
watch_since (VivDesktop   *desktop,
             guint64       since,
             Replayed     *replayed,
             GCancellable *cancellable,
             GAsyncResult **slot)
{
  g_array_set_size (replayed->ids, 0);
  replayed->takeovers = replayed->actions = 0;
  replayed->first_takeover = 0;
  viv_desktop_watch_events_since_async (desktop, since, cancellable, viv_test_result_cb, slot);
}

static void
stop_watch (VivDesktop    *desktop,
            GCancellable  *cancellable,
            GAsyncResult **slot)
{
  g_autoptr (GAsyncResult) result = NULL;
  g_autoptr (GError) error = NULL;

  g_cancellable_cancel (cancellable);
  result = viv_test_wait_result (slot);
  g_assert_false (viv_desktop_watch_events_finish (desktop, result, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
}

/* Events from before the watch: since 0, everything the guest keeps, from
 * its first event, in order; since an id, only what came after it; then
 * live events as usual. */
static void
test_events_since (Fixture       *fixture,
                   gconstpointer  data)
{
  VivDesktop *desktop = fixture->desktop;
  g_autoptr (GCancellable) first = g_cancellable_new ();
  g_autoptr (GCancellable) second = g_cancellable_new ();
  g_autoptr (GError) error = NULL;
  Replayed replayed = { g_array_new (FALSE, FALSE, sizeof (gint64)), 0, 0, 0 };
  GAsyncResult *slot = NULL;
  gint64 takeover_id = 0;

  g_assert_true (acquire (desktop, "Ada", &error));
  g_assert_true (release (desktop, "Ada", &error));
  g_assert_true (move_pointer (desktop, 7, 9, NULL, NULL, &error));
  g_signal_connect (desktop, "event", G_CALLBACK (replayed_cb), &replayed);

  watch_since (desktop, 0, &replayed, first, &slot);
  g_assert_true (wait_until (has_replayed, &replayed, 30000));
  g_assert_cmpint (g_array_index (replayed.ids, gint64, 0), ==, 1);
  for (guint i = 1; i < replayed.ids->len; i++)
    g_assert_cmpint (g_array_index (replayed.ids, gint64, i), ==, g_array_index (replayed.ids, gint64, i - 1) + 1);
  g_test_message ("%u events replayed since 0", replayed.ids->len);
  takeover_id = replayed.first_takeover;
  g_assert_cmpint (takeover_id, >, 0);
  stop_watch (desktop, first, &slot);

  /* Since the takeover: the hand-back and the move come, not the
   * takeover, then a live move. */
  watch_since (desktop, (guint64) takeover_id, &replayed, second, &slot);
  g_assert_true (wait_until (is_connected, desktop, 30000));
  g_assert_true (move_pointer (desktop, 11, 13, NULL, NULL, &error));
  g_assert_true (wait_until (has_one_more_action, &replayed, 30000));
  g_assert_cmpuint (replayed.takeovers, ==, 1);
  g_assert_cmpint (g_array_index (replayed.ids, gint64, 0), ==, takeover_id + 1);
  for (guint i = 1; i < replayed.ids->len; i++)
    g_assert_cmpint (g_array_index (replayed.ids, gint64, i), ==, g_array_index (replayed.ids, gint64, i - 1) + 1);
  stop_watch (desktop, second, &slot);

  g_signal_handlers_disconnect_by_data (desktop, &replayed);
  g_array_unref (replayed.ids);
}

static void
test_wrong_token (Fixture       *fixture,
                  gconstpointer  data)
{
  VivDesktop *desktop = fixture->desktop;
  g_autoptr (GError) error = NULL;
  GAsyncResult *slot = NULL;
  g_autoptr (GAsyncResult) result = NULL;

  g_assert_false (move_pointer (desktop, 1, 1, NULL, NULL, &error));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_UNAUTHENTICATED);
  g_clear_error (&error);

  /* A refused token is not retried: the watch ends. */
  viv_desktop_watch_events_async (desktop, NULL, viv_test_result_cb, &slot);
  result = viv_test_wait_result (&slot);
  g_assert_false (viv_desktop_watch_events_finish (desktop, result, &error));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_UNAUTHENTICATED);
  g_assert_false (viv_desktop_get_events_connected (desktop));
}

static void
test_screen_and_input (Fixture       *fixture,
                       gconstpointer  data)
{
  VivDesktop *desktop = fixture->desktop;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) png = NULL;
  g_autoptr (GBytes) region = NULL;
  g_autoptr (GBytes) jpeg = NULL;
  g_autoptr (GBytes) none = NULL;
  g_autofree char *clipboard = NULL;
  const char *keys[] = { "ctrl", "a", NULL };
  const char *bad_keys[] = { "no-such-key-name", NULL };
  const guint8 *bytes;
  gsize size;
  int width = 0, height = 0, x = -1, y = -1;
  gboolean ok;

  WAIT (viv_desktop_get_screen_size_async (desktop, NULL, viv_test_result_cb, &slot_),
        ok = viv_desktop_get_screen_size_finish (desktop, result, &width, &height, &error));
  g_assert_no_error (error);
  g_assert_true (ok);
  g_assert_cmpint (width, ==, 640);
  g_assert_cmpint (height, ==, 480);

  png = screenshot (desktop, VIV_IMAGE_FORMAT_PNG, 0, 0, 0, 0, &error);
  g_assert_no_error (error);
  bytes = g_bytes_get_data (png, &size);
  g_assert_cmpuint (size, >, 24);
  g_assert_cmpmem (bytes, 8, "\x89PNG\r\n\x1a\n", 8);
  /* IHDR: the whole screen. */
  g_assert_cmpuint (GUINT32_FROM_BE (*(guint32 *) (bytes + 16)), ==, 640);
  g_assert_cmpuint (GUINT32_FROM_BE (*(guint32 *) (bytes + 20)), ==, 480);

  region = screenshot (desktop, VIV_IMAGE_FORMAT_PNG, 10, 20, 100, 50, &error);
  g_assert_no_error (error);
  bytes = g_bytes_get_data (region, &size);
  g_assert_cmpuint (GUINT32_FROM_BE (*(guint32 *) (bytes + 16)), ==, 100);
  g_assert_cmpuint (GUINT32_FROM_BE (*(guint32 *) (bytes + 20)), ==, 50);

  jpeg = screenshot (desktop, VIV_IMAGE_FORMAT_JPEG, 0, 0, 320, 240, &error);
  g_assert_no_error (error);
  bytes = g_bytes_get_data (jpeg, &size);
  g_assert_cmpuint (size, >, 4);
  g_assert_cmpmem (bytes, 3, "\xff\xd8\xff", 3);

  /* A region outside the screen. */
  none = screenshot (desktop, VIV_IMAGE_FORMAT_PNG, 600, 0, 100, 100, &error);
  g_assert_null (none);
  g_assert_error (error, VIV_ERROR, VIV_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  /* Pointer. */
  g_assert_true (move_pointer (desktop, 123, 45, &x, &y, &error));
  g_assert_no_error (error);
  g_assert_cmpint (x, ==, 123);
  g_assert_cmpint (y, ==, 45);
  g_assert_false (move_pointer (desktop, 5000, 5, NULL, NULL, &error));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  WAIT (viv_desktop_click_async (desktop, 200, 100, VIV_POINTER_BUTTON_LEFT, 2, NULL,
                                 viv_test_result_cb, &slot_),
        ok = viv_desktop_click_finish (desktop, result, &x, &y, &error));
  g_assert_no_error (error);
  g_assert_cmpint (x, ==, 200);
  g_assert_cmpint (y, ==, 100);
  /* Where the pointer is. */
  WAIT (viv_desktop_click_async (desktop, -1, -1, VIV_POINTER_BUTTON_RIGHT, 1, NULL,
                                 viv_test_result_cb, &slot_),
        ok = viv_desktop_click_finish (desktop, result, &x, &y, &error));
  g_assert_no_error (error);
  g_assert_cmpint (x, ==, 200);
  WAIT (viv_desktop_press_button_async (desktop, VIV_POINTER_BUTTON_LEFT, NULL,
                                        viv_test_result_cb, &slot_),
        ok = viv_desktop_press_button_finish (desktop, result, &error));
  g_assert_no_error (error);
  WAIT (viv_desktop_release_button_async (desktop, VIV_POINTER_BUTTON_LEFT, NULL,
                                          viv_test_result_cb, &slot_),
        ok = viv_desktop_release_button_finish (desktop, result, &error));
  g_assert_no_error (error);
  WAIT (viv_desktop_drag_async (desktop, 10, 10, 300, 200, VIV_POINTER_BUTTON_MIDDLE, NULL,
                                viv_test_result_cb, &slot_),
        ok = viv_desktop_drag_finish (desktop, result, &error));
  g_assert_no_error (error);
  g_assert_true (move_pointer (desktop, 300, 200, &x, &y, &error));
  WAIT (viv_desktop_scroll_async (desktop, VIV_SCROLL_DIRECTION_DOWN, 3, 50, 60, NULL,
                                  viv_test_result_cb, &slot_),
        ok = viv_desktop_scroll_finish (desktop, result, &error));
  g_assert_no_error (error);
  g_assert_true (ok);

  /* Keyboard. */
  WAIT (viv_desktop_type_text_async (desktop, "Hello, wörld\n", NULL, viv_test_result_cb, &slot_),
        ok = viv_desktop_type_text_finish (desktop, result, &error));
  g_assert_no_error (error);
  g_assert_true (ok);
  WAIT (viv_desktop_type_text_async (desktop, "bell\a", NULL, viv_test_result_cb, &slot_),
        ok = viv_desktop_type_text_finish (desktop, result, &error));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  WAIT (viv_desktop_press_keys_async (desktop, keys, NULL, viv_test_result_cb, &slot_),
        ok = viv_desktop_press_keys_finish (desktop, result, &error));
  g_assert_no_error (error);
  g_assert_true (ok);
  WAIT (viv_desktop_press_keys_async (desktop, bad_keys, NULL, viv_test_result_cb, &slot_),
        ok = viv_desktop_press_keys_finish (desktop, result, &error));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, "no-such-key-name"));
  g_clear_error (&error);

  /* Clipboard, round trip through the X selection. */
  WAIT (viv_desktop_set_clipboard_async (desktop, "copied — ünïcode", NULL, viv_test_result_cb, &slot_),
        ok = viv_desktop_set_clipboard_finish (desktop, result, &error));
  g_assert_no_error (error);
  WAIT (viv_desktop_get_clipboard_async (desktop, NULL, viv_test_result_cb, &slot_),
        clipboard = viv_desktop_get_clipboard_finish (desktop, result, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (clipboard, ==, "copied — ünïcode");

  /* Apps: an unknown one. */
  WAIT (viv_desktop_launch_async (desktop, "org.example.NoSuchApp", NULL, NULL,
                                  viv_test_result_cb, &slot_),
        g_assert_cmpint (viv_desktop_launch_finish (desktop, result, &error), ==, -1));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_NOT_FOUND);
  g_clear_error (&error);
  WAIT (viv_desktop_open_async (desktop, "/no/such/file.txt", NULL, viv_test_result_cb, &slot_),
        ok = viv_desktop_open_finish (desktop, result, &error));
  g_assert_false (ok);
  g_assert_error (error, VIV_ERROR, VIV_ERROR_NOT_FOUND);
}

static VivDesktopWindow *
find_window (GPtrArray  *windows,
             const char *title)
{
  for (guint i = 0; windows != NULL && i < windows->len; i++)
    if (g_strcmp0 (viv_desktop_window_get_title (g_ptr_array_index (windows, i)), title) == 0)
      return g_ptr_array_index (windows, i);
  return NULL;
}

typedef struct
{
  guint64 window;
  char   *title;
} Focus;

static void
focus_cb (VivDesktop *desktop,
          guint64     window,
          const char *title,
          Focus      *focus)
{
  focus->window = window;
  g_free (focus->title);
  focus->title = g_strdup (title);
}

static gboolean
focus_is (gpointer user_data)
{
  Focus *focus = user_data;

  return focus->window != 0 && g_strcmp0 (focus->title, "viv-client-window") == 0;
}

static void
test_windows (Fixture       *fixture,
              gconstpointer  data)
{
  VivDesktop *desktop = fixture->desktop;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) windows = NULL;
  g_autoptr (VivDesktopWindow) focused = NULL;
  g_autofree char *display_env = g_strdup_printf ("DISPLAY=%s", fixture->xvnc->display);
  const char *argv[] = { "xmessage", "-name", "vivtest", "-title", "viv-client-window",
                         "-geometry", "300x100+40+50", "hello from the client test", NULL };
  /* The test Xvnc runs without access control (-ac). */
  const char *envp[] = { display_env, "PATH=/usr/bin:/bin", NULL };
  VivDesktopWindow *window = NULL;
  gint64 deadline;
  GPid pid;
  gboolean ok;
  int x, y, width, height;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  GAsyncResult *events_slot = NULL;
  Focus focus = { 0 };

  /* Focus changes arrive on the event stream as VivDesktop::focus. */
  g_signal_connect (desktop, "focus", G_CALLBACK (focus_cb), &focus);
  viv_desktop_watch_events_async (desktop, cancellable, viv_test_result_cb, &events_slot);
  g_assert_true (wait_until (is_connected, desktop, 30000));

  pid = viv_test_spawn (argv, envp, NULL);

  /* Wait until it is mapped. */
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  while (window == NULL && g_get_monotonic_time () < deadline)
    {
      g_clear_pointer (&windows, g_ptr_array_unref);
      windows = list_windows (desktop, &error);
      g_assert_no_error (error);
      if (!(window = find_window (windows, "viv-client-window")))
        g_usleep (100 * 1000);
    }
  g_assert_nonnull (window);
  g_assert_cmpuint (viv_desktop_window_get_id (window), >, 0);
  g_assert_cmpstr (viv_desktop_window_get_instance (window), ==, "vivtest");
  viv_desktop_window_get_geometry (window, &x, &y, &width, &height);
  g_assert_cmpint (width, ==, 300);
  g_assert_cmpint (height, ==, 100);

  WAIT (viv_desktop_focus_window_async (desktop, viv_desktop_window_get_id (window), NULL,
                                        viv_test_result_cb, &slot_),
        ok = viv_desktop_focus_window_finish (desktop, result, &error));
  g_assert_no_error (error);
  g_assert_true (ok);
  WAIT (viv_desktop_get_focused_window_async (desktop, NULL, viv_test_result_cb, &slot_),
        focused = viv_desktop_get_focused_window_finish (desktop, result, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (viv_desktop_window_get_id (focused), ==, viv_desktop_window_get_id (window));
  g_assert_true (wait_until (focus_is, &focus, 30000));
  g_assert_cmpuint (focus.window, ==, viv_desktop_window_get_id (window));

  WAIT (viv_desktop_focus_window_async (desktop, 0x7ffffff0, NULL, viv_test_result_cb, &slot_),
        ok = viv_desktop_focus_window_finish (desktop, result, &error));
  g_assert_error (error, VIV_ERROR, VIV_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* Closing it makes it go away. */
  WAIT (viv_desktop_close_window_async (desktop, viv_desktop_window_get_id (window), NULL,
                                        viv_test_result_cb, &slot_),
        ok = viv_desktop_close_window_finish (desktop, result, &error));
  g_assert_no_error (error);
  deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
  do
    {
      g_clear_pointer (&windows, g_ptr_array_unref);
      windows = list_windows (desktop, &error);
      g_assert_no_error (error);
      if (find_window (windows, "viv-client-window") != NULL)
        g_usleep (100 * 1000);
    }
  while (find_window (windows, "viv-client-window") != NULL && g_get_monotonic_time () < deadline);
  g_assert_null (find_window (windows, "viv-client-window"));

  viv_test_kill (pid);

  g_signal_handlers_disconnect_by_data (desktop, &focus);
  g_cancellable_cancel (cancellable);
  g_object_unref (viv_test_wait_result (&events_slot));
  g_free (focus.title);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/client/desktop/takeover", Fixture, NULL, fixture_setup, test_takeover, fixture_teardown);
  g_test_add ("/client/desktop/events", Fixture, NULL, fixture_setup, test_events, fixture_teardown);
  g_test_add ("/client/desktop/events-since", Fixture, NULL, fixture_setup, test_events_since, fixture_teardown);
  g_test_add ("/client/desktop/wrong-token", Fixture, "not-the-token", fixture_setup, test_wrong_token, fixture_teardown);
  g_test_add ("/client/desktop/screen-and-input", Fixture, NULL, fixture_setup, test_screen_and_input, fixture_teardown);
  g_test_add ("/client/desktop/windows", Fixture, NULL, fixture_setup, test_windows, fixture_teardown);

  return g_test_run ();
}
