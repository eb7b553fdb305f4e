/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gio/gunixsocketaddress.h>
#include <glib-unix.h>

#include "vivarium.h"
#include "viv-client-private.h"
#include "viv-sandbox-private.h"

#include "test-client-common.h"
#include "viv-test-harness.h"

/* Throughput of the display bridge (the guest's WebSocket pumped into a
 * socketpair by VivDisplayStream) against the baseline of reading Xvnc's VNC
 * Unix socket directly, with the same RFB client: the 3.8 handshake, Raw
 * encoding only, one FramebufferUpdateRequest outstanding at a time (as
 * viewers do). A full-screen animation keeps every pixel changing.
 *
 * Two request modes: incremental (what a viewer asks for: only what the
 * animation changed) and full (every update carries the whole screen,
 * bounding what the transport can carry). Prints numbers, never fails on
 * them. */

#define WIDTH      1024
#define HEIGHT     768
#define RUN_SECONDS 3
#define ROUNDS     2

typedef struct
{
  int       fd;
  gboolean  incremental;
  /* Speak RFB inside WebSocket frames on fd (the guest's endpoint read
   * without the bridge), to tell the guest's share from the bridge's. */
  gboolean  websocket;
  guint64   frame_left;
  /* results */
  guint64   bytes;
  guint     frames;
  double    seconds;
  char     *error;
  gint      done;
} RfbRun;

static gboolean
raw_read_full (int    fd,
               void  *buffer,
               gsize  length)
{
  guint8 *p = buffer;

  while (length > 0)
    {
      gssize n = read (fd, p, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      length -= n;
    }
  return TRUE;
}

static gboolean
raw_write_full (int           fd,
                const void   *buffer,
                gsize         length)
{
  const guint8 *p = buffer;

  while (length > 0)
    {
      gssize n = write (fd, p, length);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      length -= n;
    }
  return TRUE;
}

/* The next bytes of the RFB stream: straight from fd, or the payload of
 * the WebSocket's binary frames. */
static gssize
stream_read (RfbRun *run,
             void   *buffer,
             gsize   length)
{
  gssize n;

  if (run->websocket)
    {
      while (run->frame_left == 0)
        {
          guint8 header[10];

          if (!raw_read_full (run->fd, header, 2) || (header[1] & 0x80) != 0)
            return -1;
          run->frame_left = header[1] & 0x7f;
          if (run->frame_left == 126)
            {
              if (!raw_read_full (run->fd, header + 2, 2))
                return -1;
              run->frame_left = (header[2] << 8) | header[3];
            }
          else if (run->frame_left == 127)
            {
              if (!raw_read_full (run->fd, header + 2, 8))
                return -1;
              run->frame_left = 0;
              for (guint i = 0; i < 8; i++)
                run->frame_left = (run->frame_left << 8) | header[2 + i];
            }
          if ((header[0] & 0x0f) == 0x8)
            return 0;
        }
      length = MIN (length, run->frame_left);
    }

  do
    n = read (run->fd, buffer, length);
  while (n < 0 && errno == EINTR);

  if (n > 0 && run->websocket)
    run->frame_left -= n;
  return n;
}

static gboolean
read_full (RfbRun *run,
           void   *buffer,
           gsize   length)
{
  guint8 *p = buffer;

  while (length > 0)
    {
      gssize n = stream_read (run, p, length);

      if (n <= 0)
        return FALSE;
      p += n;
      length -= n;
    }
  return TRUE;
}

static gboolean
write_full (RfbRun     *run,
            const void *buffer,
            gsize       length)
{
  /* One masked binary frame (a zero mask key is a valid key). */
  if (run->websocket)
    {
      guint8 header[8] = { 0x82, 0x80 | (guint8) length, 0, 0, 0, 0 };

      g_assert (length < 126);
      if (!raw_write_full (run->fd, header, 6))
        return FALSE;
    }
  return raw_write_full (run->fd, buffer, length);
}

static gboolean
skip (RfbRun  *run,
      guint64  length)
{
  static guint8 scratch[1024 * 1024];

  while (length > 0)
    {
      gssize n = stream_read (run, scratch, MIN (length, sizeof scratch));

      if (n <= 0)
        return FALSE;
      length -= n;
    }
  return TRUE;
}

#define FAIL(...) G_STMT_START { run->error = g_strdup_printf (__VA_ARGS__); goto out; } G_STMT_END

static gpointer
rfb_thread (gpointer data)
{
  RfbRun *run = data;
  guint8 version[12], count, types[255], result[4], init[24];
  guint8 set_encodings[8] = { 2, 0, 0, 1, 0, 0, 0, 0 };   /* Raw only */
  guint8 request[10] = { 3, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
  guint16 width, height;
  guint32 name_length;
  guint bytes_per_pixel;
  gboolean has_none = FALSE;
  gint64 start, deadline;

  if (!read_full (run, version, 12) || memcmp (version, "RFB 003.00", 10) != 0)
    FAIL ("no RFB version");
  if (!write_full (run, "RFB 003.008\n", 12) || !read_full (run, &count, 1) || count == 0 ||
      !read_full (run, types, count))
    FAIL ("no security types");
  for (guint i = 0; i < count; i++)
    has_none |= types[i] == 1;
  if (!has_none)
    FAIL ("security type None not offered");
  if (!write_full (run, "\1", 1) || !read_full (run, result, 4) ||
      memcmp (result, "\0\0\0\0", 4) != 0)
    FAIL ("security failed");
  if (!write_full (run, "\1", 1) || !read_full (run, init, 24))
    FAIL ("no ServerInit");
  width = (init[0] << 8) | init[1];
  height = (init[2] << 8) | init[3];
  bytes_per_pixel = init[4] / 8;
  name_length = ((guint32) init[20] << 24) | (init[21] << 16) | (init[22] << 8) | init[23];
  if (!skip (run, name_length) || !write_full (run, set_encodings, sizeof set_encodings))
    FAIL ("ServerInit broken");

  request[1] = run->incremental ? 1 : 0;
  request[6] = width >> 8;
  request[7] = width & 0xff;
  request[8] = height >> 8;
  request[9] = height & 0xff;

  start = g_get_monotonic_time ();
  deadline = start + RUN_SECONDS * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      guint8 type, header[3];

      if (!write_full (run, request, sizeof request) || !read_full (run, &type, 1))
        FAIL ("stream ended");
      run->bytes += 1;

      switch (type)
        {
        case 0: /* FramebufferUpdate */
          if (!read_full (run, header, 3))
            FAIL ("update header");
          run->bytes += 3;
          for (guint r = 0; r < ((guint) header[1] << 8 | header[2]); r++)
            {
              guint8 rect[12];
              guint w, h;
              gint32 encoding;

              if (!read_full (run, rect, 12))
                FAIL ("rect header");
              w = (rect[4] << 8) | rect[5];
              h = (rect[6] << 8) | rect[7];
              encoding = (gint32) (((guint32) rect[8] << 24) | (rect[9] << 16) | (rect[10] << 8) | rect[11]);
              if (encoding != 0)
                FAIL ("encoding %d, not Raw", encoding);
              if (!skip (run, (guint64) w * h * bytes_per_pixel))
                FAIL ("rect data");
              run->bytes += 12 + (guint64) w * h * bytes_per_pixel;
            }
          run->frames++;
          break;

        case 2: /* Bell */
          /* Nothing more; the next loop asks again. */
          break;

        case 3: /* ServerCutText */
          {
            guint8 cut[7];
            guint32 length;

            if (!read_full (run, cut, 7))
              FAIL ("cut text");
            length = ((guint32) cut[3] << 24) | (cut[4] << 16) | (cut[5] << 8) | cut[6];
            if (!skip (run, length))
              FAIL ("cut text");
            run->bytes += 7 + length;
          }
          break;

        default:
          FAIL ("unexpected server message %u", type);
        }
    }
  run->seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;

out:
  close (run->fd);
  g_atomic_int_set (&run->done, 1);
  g_main_context_wakeup (NULL);
  return NULL;
}

/* Runs the RFB client on @fd in a thread while this thread's main context
 * (where the bridge pumps) keeps running. */
static void
measure (RfbRun *run)
{
  GThread *thread = g_thread_new ("rfb", rfb_thread, run);

  while (!g_atomic_int_get (&run->done))
    g_main_context_iteration (NULL, TRUE);
  g_thread_join (thread);
  if (run->error != NULL)
    g_error ("RFB client: %s", run->error);
}

static int
connect_unix (const char *path)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  g_strlcpy (address.sun_path, path, sizeof address.sun_path);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &address, sizeof address), ==, 0);
  return fd;
}

/* The guest's GET /desktop/vnc upgraded by hand on its Unix socket. */
static int
connect_websocket (VivTestGuest *guest)
{
  g_autofree char *request = g_strdup_printf ("GET /desktop/vnc HTTP/1.1\r\n"
                                              "Host: localhost\r\n"
                                              "Upgrade: websocket\r\n"
                                              "Connection: Upgrade\r\n"
                                              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                              "Sec-WebSocket-Version: 13\r\n"
                                              "Sec-WebSocket-Protocol: binary\r\n"
                                              "X-Access-Token: %s\r\n\r\n", guest->token);
  g_autoptr (GString) answer = g_string_new (NULL);
  int fd = connect_unix (guest->socket_path);
  char c;

  g_assert_true (raw_write_full (fd, request, strlen (request)));
  /* Byte by byte, so that no RFB byte is read with the headers. */
  while (!g_str_has_suffix (answer->str, "\r\n\r\n"))
    {
      g_assert_true (raw_read_full (fd, &c, 1));
      g_string_append_c (answer, c);
    }
  g_assert_true (g_str_has_prefix (answer->str, "HTTP/1.1 101"));
  return fd;
}

static void
bench_bridge (void)
{
  g_autoptr (VivAccount) account = NULL;
  g_autoptr (VivClient) client = NULL;
  g_autoptr (VivSandbox) sandbox = NULL;
  g_autoptr (GSocketAddress) address = NULL;
  g_autofree char *animate = g_test_build_filename (G_TEST_BUILT, "viv-client-animate", NULL);
  g_autofree char *display_env = NULL;
  VivTestXvnc *xvnc;
  VivTestGuest *guest;
  GPid animation;

  xvnc = viv_test_xvnc_start (WIDTH, HEIGHT);
  guest = viv_test_guest_start (xvnc, NULL);
  display_env = g_strdup_printf ("DISPLAY=%s", xvnc->display);
  {
    const char *argv[] = { animate, NULL };
    const char *envp[] = { display_env, NULL };

    animation = viv_test_spawn (argv, envp, NULL);
  }

  account = viv_account_new (VIV_ACCOUNT_KIND_CUSTOM, "guest", "Guest",
                             "http://localhost", "http://localhost", "localhost");
  client = viv_client_new (account, "unused");
  address = g_unix_socket_address_new (guest->socket_path);
  _viv_client_set_remote_connectable (client, G_SOCKET_CONNECTABLE (address));
  sandbox = _viv_sandbox_new_for_testing (client, "guest0", guest->token);

  g_test_message ("display %dx%d, Raw encoding, %d s per run, %d rounds per path", WIDTH, HEIGHT,
                  RUN_SECONDS, ROUNDS);

  for (guint mode = 0; mode < 2; mode++)
    {
      gboolean incremental = mode == 0;
      guint64 bytes[3] = { 0, 0, 0 };
      guint frames[3] = { 0, 0, 0 };
      double seconds[3] = { 0, 0, 0 };

      for (guint round = 0; round < ROUNDS; round++)
        {
          RfbRun direct = { .incremental = incremental };
          RfbRun bridged = { .incremental = incremental };
          RfbRun websocket = { .incremental = incremental, .websocket = TRUE };
          g_autoptr (VivDisplayStream) stream = NULL;
          g_autoptr (GAsyncResult) result = NULL;
          g_autoptr (GError) error = NULL;
          GAsyncResult *slot = NULL;

          /* Baseline: Xvnc's own socket. */
          direct.fd = connect_unix (xvnc->vnc_socket);
          measure (&direct);

          /* Through the guest's WebSocket and the bridge. */
          viv_display_stream_new_async (sandbox, FALSE, NULL, NULL, viv_test_result_cb, &slot);
          result = viv_test_wait_result (&slot);
          stream = viv_display_stream_new_finish (result, &error);
          g_assert_no_error (error);
          bridged.fd = viv_display_stream_steal_fd (stream);
          g_unix_set_fd_nonblocking (bridged.fd, FALSE, NULL);
          measure (&bridged);
          viv_display_stream_close (stream);

          /* The guest's WebSocket read directly: the guest's share. */
          websocket.fd = connect_websocket (guest);
          measure (&websocket);

          bytes[0] += direct.bytes;
          frames[0] += direct.frames;
          seconds[0] += direct.seconds;
          bytes[1] += bridged.bytes;
          frames[1] += bridged.frames;
          seconds[1] += bridged.seconds;
          bytes[2] += websocket.bytes;
          frames[2] += websocket.frames;
          seconds[2] += websocket.seconds;
        }

      {
        double direct_rate = bytes[0] / seconds[0] / (1024 * 1024);
        double bridge_rate = bytes[1] / seconds[1] / (1024 * 1024);
        double websocket_rate = bytes[2] / seconds[2] / (1024 * 1024);

        g_test_message ("%s updates: direct VNC socket %.1f MiB/s (%.1f updates/s), "
                        "bridge %.1f MiB/s (%.1f updates/s), ratio %.2f (target >= 0.8)",
                        incremental ? "incremental" : "full-screen",
                        direct_rate, frames[0] / seconds[0],
                        bridge_rate, frames[1] / seconds[1],
                        bridge_rate / direct_rate);
        g_test_message ("%s updates: the guest's WebSocket without the bridge %.1f MiB/s "
                        "(%.1f updates/s), ratio %.2f to the socket; the bridge keeps %.2f of it",
                        incremental ? "incremental" : "full-screen",
                        websocket_rate, frames[2] / seconds[2],
                        websocket_rate / direct_rate, bridge_rate / websocket_rate);
      }
    }

  viv_test_kill (animation);
  g_clear_object (&sandbox);
  g_clear_object (&client);
  viv_test_guest_stop (guest);
  viv_test_xvnc_stop (xvnc);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/bench/client/display-bridge", bench_bridge);

  return g_test_run ();
}
