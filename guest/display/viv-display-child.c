/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "viv-display-private.h"

static void
child_setup_cb (gpointer user_data)
{
  pid_t guest_pid = GPOINTER_TO_INT (user_data);

  /* Die with the guest even if it is killed without a chance to clean up;
   * SIGTERM so that Xvnc still removes its sockets and lock file. */
  prctl (PR_SET_PDEATHSIG, SIGTERM);
  if (getppid () != guest_pid)
    _exit (1);

  /* Its own process group: a signal meant for the guest's group (a terminal's
   * Ctrl-C) does not kill it behind the supervisor's back, and a session's
   * helpers can be stopped together. */
  setpgid (0, 0);
}

GSubprocess *
_viv_display_spawn (const char * const  *argv,
                    const char          *display,
                    const char          *xauthority,
                    const char          *log_path,
                    GError             **error)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_INHERIT);
  g_subprocess_launcher_set_child_setup (launcher, child_setup_cb,
                                         GINT_TO_POINTER (getpid ()), NULL);
  if (display != NULL)
    g_subprocess_launcher_setenv (launcher, "DISPLAY", display, TRUE);
  if (xauthority != NULL)
    g_subprocess_launcher_setenv (launcher, "XAUTHORITY", xauthority, TRUE);

  if (log_path != NULL)
    {
      int fd = g_open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

      if (fd < 0)
        {
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                       "Cannot open %s: %s", log_path, g_strerror (errno));
          return NULL;
        }
      g_subprocess_launcher_take_stderr_fd (launcher, dup (fd));
      g_subprocess_launcher_take_stdout_fd (launcher, fd);
    }

  return g_subprocess_launcher_spawnv (launcher, argv, error);
}

static void
append_counted (GByteArray   *array,
                const guint8 *data,
                guint16       length)
{
  guint8 size[2] = { length >> 8, length & 0xff };

  g_byte_array_append (array, size, 2);
  g_byte_array_append (array, data, length);
}

gboolean
_viv_display_write_xauthority (const char  *path,
                               int          number,
                               GError     **error)
{
  static const char name[] = "MIT-MAGIC-COOKIE-1";
  g_autoptr (GByteArray) file = g_byte_array_new ();
  g_autofree char *number_text = g_strdup_printf ("%d", number);
  /* FamilyWild: the entry matches the display whatever address a client uses. */
  const guint8 family[2] = { 0xff, 0xff };
  guint8 cookie[16];
  gboolean ok;

  if (getrandom (cookie, sizeof cookie, 0) != sizeof cookie)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot make an X cookie: %s", g_strerror (errno));
      return FALSE;
    }

  /* The Xauthority format (Xau): family, then counted address, display
   * number, auth name and auth data. Written here rather than with xauth(1),
   * so the cookie never appears on a command line. */
  g_byte_array_append (file, family, 2);
  append_counted (file, (const guint8 *) "", 0);
  append_counted (file, (const guint8 *) number_text, strlen (number_text));
  append_counted (file, (const guint8 *) name, strlen (name));
  append_counted (file, cookie, sizeof cookie);

  ok = g_file_set_contents_full (path, (const char *) file->data, file->len,
                                 G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
  explicit_bzero (cookie, sizeof cookie);
  explicit_bzero (file->data, file->len);
  return ok;
}

gboolean
_viv_display_socket_accepts (const char *path)
{
  struct sockaddr_un address = { .sun_family = AF_UNIX };
  gboolean accepts;
  int fd;

  if (strlen (path) >= sizeof address.sun_path)
    return FALSE;
  strcpy (address.sun_path, path);

  /* A Unix connect completes or fails at once; non-blocking so that a full
   * backlog answers EAGAIN instead of waiting. */
  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return FALSE;
  accepts = connect (fd, (struct sockaddr *) &address, sizeof address) == 0;
  close (fd);
  return accepts;
}

char *
_viv_display_describe_exit (GSubprocess *process)
{
  if (g_subprocess_get_if_signaled (process))
    return g_strdup_printf ("was killed by signal %d", g_subprocess_get_term_sig (process));

  return g_strdup_printf ("exited with status %d", g_subprocess_get_exit_status (process));
}
