/* SPDX-License-Identifier: GPL-3.0-or-later */
/* posix_openpt, ptsname_r */
#define _GNU_SOURCE 1
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <glib-unix.h>

#include "viv-envd-process.h"

typedef struct
{
  gboolean  switch_user;
  uid_t     uid;
  gid_t     gid;
  gid_t     groups[256];
  int       n_groups;
  gboolean  use_pty;
  int       pid_fd;       /* where the child writes its pid */
} ChildSetup;

static void
child_fail (const char *what)
{
  /* Only async-signal-safe calls here: we are between fork and exec. */
  const char *prefix = "vivarium-guest: cannot ";

  if (write (STDERR_FILENO, prefix, strlen (prefix)) < 0 ||
      write (STDERR_FILENO, what, strlen (what)) < 0 ||
      write (STDERR_FILENO, "\n", 1) < 0)
    _exit (126);
  _exit (126);
}

/* Runs in the child after GLib set up its stdin, stdout and stderr. */
static void
child_setup (gpointer user_data)
{
  const ChildSetup *setup = user_data;
  pid_t pid = getpid ();
  sigset_t none;

  if (write (setup->pid_fd, &pid, sizeof pid) != sizeof pid)
    child_fail ("report its pid");

  /* The guest's own signal setup must not leak into commands: an ignored
   * SIGPIPE survives exec and breaks pipelines such as `yes | head`. */
  signal (SIGPIPE, SIG_DFL);
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);

  if (setup->use_pty)
    {
      if (setsid () < 0)
        child_fail ("start a session");
      if (ioctl (STDIN_FILENO, TIOCSCTTY, 0) < 0)
        child_fail ("take the terminal");
    }
  else if (setpgid (0, 0) < 0)
    child_fail ("start a process group");

  if (setup->switch_user)
    {
      if (setgroups (setup->n_groups, setup->groups) < 0)
        child_fail ("set the user's groups");
      if (setgid (setup->gid) < 0)
        child_fail ("set the user's group");
      if (setuid (setup->uid) < 0)
        child_fail ("set the user");
    }
}

gboolean
viv_envd_pty_set_size (int      pty_master,
                       guint    cols,
                       guint    rows,
                       GError **error)
{
  struct winsize size = { 0 };

  size.ws_col = CLAMP (cols, 1, G_MAXUINT16);
  size.ws_row = CLAMP (rows, 1, G_MAXUINT16);
  if (ioctl (pty_master, TIOCSWINSZ, &size) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot resize the terminal: %s", g_strerror (saved_errno));
      return FALSE;
    }

  return TRUE;
}

static int
open_pty (const VivEnvdUser         *user,
          const VivEnvdSpawnOptions *options,
          int                       *slave,
          GError                   **error)
{
  char name[128];
  int master;

  master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0 || grantpt (master) < 0 || unlockpt (master) < 0 ||
      ptsname_r (master, name, sizeof name) != 0 ||
      (*slave = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC)) < 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   "Cannot open a pseudo-terminal: %s", g_strerror (saved_errno));
      if (master >= 0)
        close (master);
      return -1;
    }

  /* The terminal belongs to the user, as a login would make it. */
  if (geteuid () == 0 && fchown (*slave, user->uid, (gid_t) -1) < 0)
    g_debug ("Cannot give %s to %s: %s", name, user->name, g_strerror (errno));

  if (!viv_envd_pty_set_size (master, options->cols ? options->cols : 80,
                              options->rows ? options->rows : 24, error))
    {
      close (*slave);
      close (master);
      return -1;
    }

  return master;
}

GSubprocess *
viv_envd_process_spawn (const VivEnvdUser          *user,
                        const char * const         *argv,
                        const char * const         *environment,
                        const char                 *cwd,
                        const VivEnvdSpawnOptions  *options,
                        GPid                       *pid,
                        int                        *pty_master,
                        GError                    **error)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autofree ChildSetup *setup = g_new0 (ChildSetup, 1);
  GSubprocessFlags flags = G_SUBPROCESS_FLAGS_SEARCH_PATH_FROM_ENVP;
  GSubprocess *subprocess;
  int master = -1;
  int pid_pipe[2];
  gssize got;

  *pty_master = -1;
  setup->use_pty = options->use_pty;

  if (geteuid () == 0 && user->uid != 0)
    {
      /* initgroups () reads the group database, which is not safe after fork
       * in a threaded program; the list is made here. */
      setup->switch_user = TRUE;
      setup->uid = user->uid;
      setup->gid = user->gid;
      setup->n_groups = G_N_ELEMENTS (setup->groups);
      if (getgrouplist (user->name, user->gid, setup->groups, &setup->n_groups) < 0)
        {
          setup->groups[0] = user->gid;
          setup->n_groups = 1;
        }
    }

  if (options->use_pty)
    {
      int slave = -1;

      master = open_pty (user, options, &slave, error);
      if (master < 0)
        return NULL;

      launcher = g_subprocess_launcher_new (flags);
      g_subprocess_launcher_take_stdin_fd (launcher, slave);
      g_subprocess_launcher_take_stdout_fd (launcher, fcntl (slave, F_DUPFD_CLOEXEC, 3));
      g_subprocess_launcher_take_stderr_fd (launcher, fcntl (slave, F_DUPFD_CLOEXEC, 3));
    }
  else
    {
      flags |= G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE;
      if (options->use_stdin)
        flags |= G_SUBPROCESS_FLAGS_STDIN_PIPE;
      launcher = g_subprocess_launcher_new (flags);
    }

  /* GSubprocess forgets the pid once GLib's worker reaps the child, which a
   * short command can beat us to; the child tells us its pid itself. */
  if (!g_unix_open_pipe (pid_pipe, FD_CLOEXEC, error))
    {
      if (master >= 0)
        close (master);
      return NULL;
    }
  setup->pid_fd = pid_pipe[1];

  g_subprocess_launcher_set_environ (launcher, (char **) environment);
  g_subprocess_launcher_set_cwd (launcher, cwd);
  /* The setup is read by the child only, before this function returns. */
  g_subprocess_launcher_set_child_setup (launcher, child_setup, setup, NULL);

  subprocess = g_subprocess_launcher_spawnv (launcher, argv, error);
  close (pid_pipe[1]);
  if (subprocess == NULL)
    {
      close (pid_pipe[0]);
      if (master >= 0)
        close (master);
      return NULL;
    }

  /* The child wrote before its exec, and spawning waits for the exec. */
  do
    got = read (pid_pipe[0], pid, sizeof *pid);
  while (got < 0 && errno == EINTR);
  close (pid_pipe[0]);
  if (got != sizeof *pid)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "Cannot learn the pid of %s", argv[0]);
      g_subprocess_force_exit (subprocess);
      g_object_unref (subprocess);
      if (master >= 0)
        close (master);
      return NULL;
    }

  *pty_master = master;
  return subprocess;
}
