/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "viv-test-display.h"

static gboolean
display_is_free (int number)
{
  g_autofree char *lock = g_strdup_printf ("/tmp/.X%d-lock", number);
  g_autofree char *socket = g_strdup_printf ("/tmp/.X11-unix/X%d", number);

  return !g_file_test (lock, G_FILE_TEST_EXISTS) && !g_file_test (socket, G_FILE_TEST_EXISTS);
}

static JsonObject *
get_display (VivTestGuest *guest)
{
  g_autoptr (JsonNode) node = NULL;
  guint status = 0;

  node = viv_test_guest_json (guest, "GET", "/desktop/display", NULL, &status);
  g_assert_cmpuint (status, ==, 200);
  return json_object_ref (json_node_get_object (node));
}

/* The socket file appears at bind (), a moment before listen (): wait until
 * it takes connections, or the first request can be refused. */
static void
wait_until_listening (const char *path)
{
  gint64 deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  struct sockaddr_un address = { .sun_family = AF_UNIX };

  g_assert_cmpuint (strlen (path), <, sizeof address.sun_path);
  strcpy (address.sun_path, path);

  for (;;)
    {
      int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
      gboolean connected = connect (fd, (struct sockaddr *) &address, sizeof address) == 0;

      close (fd);
      if (connected)
        return;
      if (g_get_monotonic_time () > deadline)
        g_error ("The guest does not listen on %s", path);
      g_usleep (5 * 1000);
    }
}

VivTestDisplayGuest *
viv_test_display_guest_start (const char *session,
                              const char *geometry)
{
  VivTestDisplayGuest *dg = g_new0 (VivTestDisplayGuest, 1);
  /* Above the harness's range (100..499), spread over concurrent programs. */
  int number = 600 + (getpid () % 300);
  g_autoptr (JsonObject) state = NULL;

  while (!display_is_free (number))
    number++;

  dg->display = g_strdup_printf (":%d", number);
  dg->guest = viv_test_guest_start (NULL, (const char * const []) {
                                      "--display", dg->display, "--session", session,
                                      "--geometry", geometry, NULL });
  wait_until_listening (dg->guest->socket_path);
  state = viv_test_display_wait (dg, NULL, NULL);
  dg->xauthority = g_strdup (json_object_get_string_member (state, "xauthority"));
  dg->vnc_socket = g_build_filename (dg->guest->tmpdir, "run", "vnc.sock", NULL);
  return dg;
}

void
viv_test_display_guest_stop (VivTestDisplayGuest *dg)
{
  if (dg == NULL)
    return;

  viv_test_guest_stop (dg->guest);
  g_free (dg->display);
  g_free (dg->xauthority);
  g_free (dg->vnc_socket);
  g_free (dg);
}

static gboolean
is_ready (JsonObject *state,
          gpointer    data)
{
  return g_strcmp0 (json_object_get_string_member (state, "state"), "ready") == 0;
}

JsonObject *
viv_test_display_wait (VivTestDisplayGuest  *dg,
                       gboolean            (*check) (JsonObject *, gpointer),
                       gpointer              data)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  if (check == NULL)
    check = is_ready;

  for (;;)
    {
      g_autoptr (JsonObject) state = get_display (dg->guest);

      if (check (state, data))
        return g_steal_pointer (&state);
      if (g_get_monotonic_time () > deadline)
        {
          g_autoptr (JsonNode) node = json_node_init_object (json_node_alloc (), state);
          g_autofree char *text = json_to_string (node, FALSE);

          g_error ("The display never reached the expected state; last: %s", text);
        }
      g_usleep (50 * 1000);
    }
}

Display *
viv_test_display_open_x (VivTestDisplayGuest *dg)
{
  Display *x;

  g_setenv ("XAUTHORITY", dg->xauthority, TRUE);
  x = XOpenDisplay (dg->display);
  g_assert_nonnull (x);
  return x;
}

void
viv_test_display_fill_root (Display *x,
                            gulong   rgb)
{
  Window root = DefaultRootWindow (x);

  /* The default visual is 24-bit TrueColor: the pixel value is 0xRRGGBB. */
  XSetWindowBackground (x, root, rgb);
  XClearWindow (x, root);
  XSync (x, False);
}
