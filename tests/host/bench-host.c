/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Benchmarks of the local host: create → guest healthy (base and desktop),
 * pause and resume latency, memory per idle desktop sandbox with 10 running.
 * Prints numbers; never fails on timing. */
#include "config.h"

#include "viv-test-host.h"

#define ROUNDS 10

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
median (GArray *values)
{
  g_array_sort (values, compare_doubles);
  return g_array_index (values, double, values->len / 2);
}

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

/* Creates a sandbox and returns its id, or NULL with the host's message. */
static char *
create (VivTestHost *host,
        const char  *template,
        double      *elapsed_ms,
        char       **token,
        char       **failure)
{
  g_autofree char *body = g_strdup_printf ("{\"templateID\":\"%s\",\"timeout\":600}", template);
  g_autoptr (JsonNode) node = NULL;
  double start = now_ms ();
  guint status = 0;

  node = viv_test_host_api (host, "POST", "/v2/sandboxes", body, NULL, &status, NULL);
  *elapsed_ms = now_ms () - start;
  if (status != 201)
    {
      *failure = node ? g_strdup (json_object_get_string_member (json_node_get_object (node),
                                                                 "message"))
                      : g_strdup_printf ("HTTP %u", status);
      return NULL;
    }

  if (token != NULL)
    *token = g_strdup (json_object_get_string_member_with_default (json_node_get_object (node),
                                                                   "envdAccessToken", ""));
  return g_strdup (json_object_get_string_member (json_node_get_object (node), "sandboxID"));
}

/* The first framebuffer update of a desktop sandbox, as a viewer sees it: a
 * WebSocket to the guest's /desktop/vnc through the host's sandbox port, an RFB
 * 3.8 handshake with security None, and a full update request. */
typedef enum
{
  RFB_VERSION,
  RFB_SECURITY_TYPES,
  RFB_SECURITY_RESULT,
  RFB_SERVER_INIT,
  RFB_UPDATE,
  RFB_DONE,
  RFB_FAILED,
} RfbStep;

typedef struct
{
  GMainLoop               *loop;
  SoupWebsocketConnection *websocket;
  GByteArray              *input;
  RfbStep                  step;
  char                    *failure;
} FirstFrame;

static void
rfb_send (FirstFrame   *frame,
          const guint8 *data,
          gsize         length)
{
  soup_websocket_connection_send_binary (frame->websocket, data, length);
}

static void
rfb_fail (FirstFrame *frame,
          const char *why)
{
  frame->step = RFB_FAILED;
  g_free (frame->failure);
  frame->failure = g_strdup (why);
  g_main_loop_quit (frame->loop);
}

/* Advances the handshake over what has arrived; returns FALSE to wait for more. */
static gboolean
rfb_advance (FirstFrame *frame)
{
  const guint8 *in = frame->input->data;
  gsize length = frame->input->len;
  gsize used = 0;

  switch (frame->step)
    {
    case RFB_VERSION:
      if (length < 12)
        return FALSE;
      rfb_send (frame, (const guint8 *) "RFB 003.008\n", 12);
      used = 12;
      frame->step = RFB_SECURITY_TYPES;
      break;

    case RFB_SECURITY_TYPES:
      if (length < 1 || length < 1u + in[0])
        return FALSE;
      if (in[0] == 0 || memchr (in + 1, 1, in[0]) == NULL)
        {
          rfb_fail (frame, "the server offers no security type None");
          return FALSE;
        }
      rfb_send (frame, (const guint8 []) { 1 }, 1);
      used = 1 + in[0];
      frame->step = RFB_SECURITY_RESULT;
      break;

    case RFB_SECURITY_RESULT:
      if (length < 4)
        return FALSE;
      if (in[0] | in[1] | in[2] | in[3])
        {
          rfb_fail (frame, "security handshake refused");
          return FALSE;
        }
      rfb_send (frame, (const guint8 []) { 1 }, 1);  /* ClientInit, shared */
      used = 4;
      frame->step = RFB_SERVER_INIT;
      break;

    case RFB_SERVER_INIT:
      {
        guint32 name_length;
        guint8 request[10] = { 3, 0, 0, 0, 0, 0 };

        if (length < 24)
          return FALSE;
        name_length = (guint32) in[20] << 24 | (guint32) in[21] << 16 | in[22] << 8 | in[23];
        if (length < 24 + name_length)
          return FALSE;
        /* FramebufferUpdateRequest, not incremental, the whole screen. */
        memcpy (request + 6, in, 4);
        rfb_send (frame, request, sizeof request);
        used = 24 + name_length;
        frame->step = RFB_UPDATE;
      }
      break;

    case RFB_UPDATE:
      if (length < 1)
        return FALSE;
      if (in[0] != 0)
        {
          /* Bell or cut text may come first; they are short, but their length
           * is not needed here: anything but an update is unexpected. */
          rfb_fail (frame, "the first server message was not a framebuffer update");
          return FALSE;
        }
      frame->step = RFB_DONE;
      g_main_loop_quit (frame->loop);
      return FALSE;

    case RFB_DONE:
    case RFB_FAILED:
    default:
      return FALSE;
    }

  g_byte_array_remove_range (frame->input, 0, used);
  return TRUE;
}

static void
rfb_message_cb (SoupWebsocketConnection *websocket,
                int                      type,
                GBytes                  *message,
                gpointer                 user_data)
{
  FirstFrame *frame = user_data;
  gsize length;
  const guint8 *data = g_bytes_get_data (message, &length);

  g_byte_array_append (frame->input, data, length);
  while (rfb_advance (frame))
    ;
}

static void
rfb_closed_cb (SoupWebsocketConnection *websocket,
               gpointer                 user_data)
{
  FirstFrame *frame = user_data;

  if (frame->step != RFB_DONE)
    rfb_fail (frame, "the WebSocket closed before the first update");
}

static void
websocket_connected_cb (GObject      *object,
                        GAsyncResult *result,
                        gpointer      user_data)
{
  FirstFrame *frame = user_data;
  g_autoptr (GError) error = NULL;

  frame->websocket = soup_session_websocket_connect_finish (SOUP_SESSION (object), result,
                                                            &error);
  if (frame->websocket == NULL)
    {
      rfb_fail (frame, error->message);
      return;
    }

  g_signal_connect (frame->websocket, "message", G_CALLBACK (rfb_message_cb), frame);
  g_signal_connect (frame->websocket, "closed", G_CALLBACK (rfb_closed_cb), frame);
}

static gboolean
first_frame_timeout_cb (gpointer user_data)
{
  rfb_fail (user_data, "no framebuffer update within 20 s");
  return G_SOURCE_REMOVE;
}

/* Returns whether a first update arrived; on failure, why, in @failure. */
static gboolean
wait_first_frame (VivTestHost *host,
                  const char  *id,
                  const char  *token,
                  char       **failure)
{
  g_autofree char *uri = g_strdup_printf ("ws://127.0.0.1:%u/desktop/vnc", host->port_sandbox);
  g_autoptr (SoupMessage) msg = soup_message_new ("GET", uri);
  SoupMessageHeaders *headers = soup_message_get_request_headers (msg);
  FirstFrame frame = { 0 };
  const char *protocols[] = { "binary", NULL };
  guint timeout;

  soup_message_headers_replace (headers, "E2b-Sandbox-Id", id);
  soup_message_headers_replace (headers, "E2b-Sandbox-Port", "49983");
  soup_message_headers_replace (headers, "X-Access-Token", token);

  frame.loop = g_main_loop_new (NULL, FALSE);
  frame.input = g_byte_array_new ();
  soup_session_websocket_connect_async (host->session, msg, NULL, (char **) protocols,
                                        G_PRIORITY_DEFAULT, NULL, websocket_connected_cb, &frame);
  timeout = g_timeout_add_seconds (20, first_frame_timeout_cb, &frame);
  g_main_loop_run (frame.loop);
  g_source_remove (timeout);

  if (frame.websocket != NULL)
    {
      g_signal_handlers_disconnect_by_data (frame.websocket, &frame);
      if (soup_websocket_connection_get_state (frame.websocket) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (frame.websocket, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_object_unref (frame.websocket);
    }
  g_byte_array_unref (frame.input);
  g_main_loop_unref (frame.loop);

  *failure = g_steal_pointer (&frame.failure);
  return frame.step == RFB_DONE;
}

static void
kill_sandbox (VivTestHost *host,
              const char  *id)
{
  g_autofree char *path = g_strconcat ("/sandboxes/", id, NULL);
  g_autoptr (JsonNode) node = NULL;
  guint status = 0;

  node = viv_test_host_api (host, "DELETE", path, NULL, NULL, &status, NULL);
}

static double
post_ms (VivTestHost *host,
         const char  *id,
         const char  *action)
{
  g_autofree char *path = g_strdup_printf ("/sandboxes/%s/%s", id, action);
  g_autoptr (JsonNode) node = NULL;
  double start = now_ms ();
  guint status = 0;

  node = viv_test_host_api (host, "POST", path, "{}", NULL, &status, NULL);
  g_assert_true (status == 204 || status == 201);
  return now_ms () - start;
}

static void
bench_base (VivTestHost *host)
{
  g_autoptr (GArray) create_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) direct_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) pause_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) resume_ms = g_array_new (FALSE, FALSE, sizeof (double));
  double base, direct;

  for (guint i = 0; i < ROUNDS; i++)
    {
      g_autofree char *failure = NULL;
      g_autofree char *id = NULL;
      double elapsed;

      id = create (host, "base", &elapsed, NULL, &failure);
      g_assert_nonnull (id);
      g_array_append_val (create_ms, elapsed);

      elapsed = post_ms (host, id, "pause");
      g_array_append_val (pause_ms, elapsed);
      elapsed = post_ms (host, id, "resume");
      g_array_append_val (resume_ms, elapsed);

      kill_sandbox (host, id);
    }

  /* Baseline in the same run: the same guest started directly, no jail. */
  for (guint i = 0; i < ROUNDS; i++)
    {
      double start = now_ms ();
      VivTestGuest *guest = viv_test_guest_start (NULL, NULL);
      double elapsed = now_ms () - start;

      g_array_append_val (direct_ms, elapsed);
      viv_test_guest_stop (guest);
    }

  base = median (create_ms);
  direct = median (direct_ms);
  g_print ("# base: create -> guest healthy, median of %d: %.1f ms (target < 150 ms)\n",
           ROUNDS, base);
  g_print ("# baseline: guest started directly (socket appears), median: %.1f ms; "
           "ratio jail/direct %.2f\n", direct, base / MAX (direct, 0.001));
  g_print ("# pause median: %.2f ms, resume median: %.2f ms (targets < 50 ms)\n",
           median (pause_ms), median (resume_ms));
}

/* Create -> first framebuffer update of one desktop sandbox, measured alone so
 * that other sandboxes' sessions starting up do not share the two cores. */
static gboolean
first_frame_ms (VivTestHost *host,
                double      *elapsed_ms)
{
  g_autofree char *failure = NULL;
  g_autofree char *token = NULL;
  g_autofree char *id = NULL;
  double start = now_ms ();
  double created;
  gboolean seen = FALSE;

  id = create (host, "desktop", &created, &token, &failure);
  if (id == NULL)
    {
      g_print ("# desktop: cannot create a desktop sandbox here: %s\n", failure);
      return FALSE;
    }

  /* The display starts after the guest answers: retry until Xvnc serves. */
  while (!seen)
    {
      g_autofree char *why = NULL;

      seen = wait_first_frame (host, id, token, &why);
      if (!seen && now_ms () - start > 20000)
        {
          g_print ("# desktop: no first VNC frame for %s: %s\n", id, why);
          break;
        }
      if (!seen)
        g_usleep (20 * 1000);
    }

  *elapsed_ms = now_ms () - start;
  kill_sandbox (host, id);
  /* Let the killed session's processes go before the next round. */
  g_usleep (300 * 1000);
  return seen;
}

static void
bench_desktop (VivTestHost *host)
{
  g_autoptr (GArray) create_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GArray) frame_ms = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr (GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  guint64 total_memory = 0;
  guint measured = 0;

  for (guint i = 0; i < 5; i++)
    {
      double elapsed;

      if (first_frame_ms (host, &elapsed))
        g_array_append_val (frame_ms, elapsed);
    }
  if (frame_ms->len > 0)
    g_print ("# desktop: create -> first VNC framebuffer update through the sandbox port, "
             "one sandbox at a time, median of %u: %.1f ms (target < 1000 ms)\n",
             frame_ms->len, median (frame_ms));

  for (guint i = 0; i < 10; i++)
    {
      g_autofree char *failure = NULL;
      double elapsed;
      char *id = create (host, "desktop", &elapsed, NULL, &failure);

      if (id == NULL)
        {
          g_print ("# desktop: cannot create a desktop sandbox here: %s\n", failure);
          goto out;
        }
      g_ptr_array_add (ids, id);
      g_array_append_val (create_ms, elapsed);
    }

  g_print ("# desktop: create -> guest healthy while the others run, median of 10: %.1f ms\n",
           median (create_ms));

  /* Let them settle, then read what each uses. */
  g_usleep (3 * G_USEC_PER_SEC);
  for (guint i = 0; i < ids->len; i++)
    {
      g_autofree char *path = g_strdup_printf ("/sandboxes/%s/metrics",
                                               (char *) g_ptr_array_index (ids, i));
      g_autoptr (JsonNode) node = NULL;
      guint status = 0;

      node = viv_test_host_api (host, "GET", path, NULL, NULL, &status, NULL);
      if (status == 200 && json_array_get_length (json_node_get_array (node)) == 1)
        {
          total_memory += json_object_get_int_member (
            json_array_get_object_element (json_node_get_array (node), 0), "memUsed");
          measured++;
        }
    }
  if (measured > 0)
    g_print ("# desktop: memory per idle sandbox with %u running: %.1f MiB (cgroup usage)\n",
             measured, total_memory / (double) measured / (1024 * 1024));

out:
  for (guint i = 0; i < ids->len; i++)
    kill_sandbox (host, g_ptr_array_index (ids, i));
}

/* Pause and resume of one idle base sandbox with each mechanism forced, on a
 * host of its own; the v1 freezer (the default here) is the baseline. */
static void
bench_freezers (void)
{
  static const char * const freezers[] = { "v1", "v2", "sigstop" };
  double baseline_pause = 0, baseline_resume = 0;
  g_autofree char *saved = g_strdup (g_getenv ("VIVARIUM_HOST_FREEZER"));

  for (guint f = 0; f < G_N_ELEMENTS (freezers); f++)
    {
      g_autoptr (GArray) pause_ms = g_array_new (FALSE, FALSE, sizeof (double));
      g_autoptr (GArray) resume_ms = g_array_new (FALSE, FALSE, sizeof (double));
      g_autofree char *failure = NULL;
      g_autofree char *id = NULL;
      VivTestHost *host;
      double elapsed;

      g_setenv ("VIVARIUM_HOST_FREEZER", freezers[f], TRUE);
      host = viv_test_host_start (NULL, NULL);
      id = create (host, "base", &elapsed, NULL, &failure);
      g_assert_nonnull (id);

      for (guint i = 0; i < 2 * ROUNDS; i++)
        {
          elapsed = post_ms (host, id, "pause");
          g_array_append_val (pause_ms, elapsed);
          elapsed = post_ms (host, id, "resume");
          g_array_append_val (resume_ms, elapsed);
        }

      kill_sandbox (host, id);
      viv_test_host_stop (host);

      if (f == 0)
        {
          baseline_pause = median (pause_ms);
          baseline_resume = median (resume_ms);
        }
      g_print ("# freezer %s: pause median %.2f ms, resume median %.2f ms "
               "(ratio to v1: %.2f, %.2f)\n", freezers[f], median (pause_ms),
               median (resume_ms), median (pause_ms) / MAX (baseline_pause, 0.001),
               median (resume_ms) / MAX (baseline_resume, 0.001));
    }

  if (saved != NULL)
    g_setenv ("VIVARIUM_HOST_FREEZER", saved, TRUE);
  else
    g_unsetenv ("VIVARIUM_HOST_FREEZER");
}

static void
test_bench (void)
{
  VivTestHost *host = viv_test_host_start (NULL, NULL);

  bench_base (host);
  bench_desktop (host);
  viv_test_host_stop (host);
  bench_freezers ();
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/bench/host", test_bench);
  return g_test_run ();
}
