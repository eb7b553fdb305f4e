/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Building and tearing down a sandbox's bubblewrap jail. */
#define _GNU_SOURCE
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <unistd.h>
#include <sys/stat.h>
#include <glib/gstdio.h>

#include "viv-cgroup.h"
#include "viv-sandbox.h"

/* Where things appear inside the jail. */
#define JAIL_RUN_DIR     "/run/vivarium"
#define JAIL_GUEST       "/run/vivarium-guest"
#define JAIL_SOCKET      JAIL_RUN_DIR "/guest.sock"
#define JAIL_TOKEN       JAIL_RUN_DIR "/token"
#define USER_UID_ROOTED  1000

/* The capabilities the guest keeps when the host runs as real root: Docker's
 * default set without mknod and raw sockets. Enough for envd's user switching
 * and file ownership; not enough to mount or load modules. */
static const char * const kept_caps[] = {
  "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_SETGID",
  "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
  "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE", NULL
};

static gboolean
make_dir (const char  *path,
          int          mode,
          uid_t        owner,
          GError     **error)
{
  if (g_mkdir_with_parents (path, mode) != 0 || g_chmod (path, mode) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot create %s: %s", path, g_strerror (errno));
      return FALSE;
    }

  if (owner != (uid_t) -1 && chown (path, owner, owner) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot hand %s to uid %u: %s", path, (guint) owner, g_strerror (errno));
      return FALSE;
    }

  return TRUE;
}

static gboolean
write_private_file (const char  *path,
                    const char  *contents,
                    int          mode,
                    GError     **error)
{
  return g_file_set_contents_full (path, contents, -1,
                                   G_FILE_SET_CONTENTS_CONSISTENT, mode, error);
}

/* The base root is the host's /etc, so the sandbox's users come from files of
 * its own bound over /etc/passwd and /etc/group. Real root runs the guest as
 * root with a separate "user" (1000) for envd's user switching; an ordinary
 * user gets a user namespace where "user" is that user. */
static gboolean
write_identity_files (VivSandbox  *self,
                      uid_t        user_uid,
                      GError     **error)
{
  g_autofree char *etc = g_build_filename (self->dir, "etc", NULL);
  g_autofree char *passwd_path = g_build_filename (etc, "passwd", NULL);
  g_autofree char *group_path = g_build_filename (etc, "group", NULL);
  g_autofree char *shadow_path = g_build_filename (etc, "shadow", NULL);
  g_autofree char *hostname_path = g_build_filename (etc, "hostname", NULL);
  g_autofree char *hosts_path = g_build_filename (etc, "hosts", NULL);
  g_autofree char *passwd = NULL;
  g_autofree char *group = NULL;
  g_autofree char *hostname = g_strconcat (self->id, "\n", NULL);
  g_autofree char *hosts = g_strdup_printf ("127.0.0.1\tlocalhost %s\n::1\tlocalhost\n",
                                            self->id);

  if (!make_dir (etc, 0755, (uid_t) -1, error))
    return FALSE;

  if (user_uid == 0)
    {
      passwd = g_strdup_printf ("root:x:0:0:root:/root:/bin/bash\n"
                                "user:x:%d:%d:user:/home/user:/bin/bash\n"
                                "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
                                USER_UID_ROOTED, USER_UID_ROOTED);
      group = g_strdup_printf ("root:x:0:\nuser:x:%d:\nnogroup:x:65534:\n", USER_UID_ROOTED);
    }
  else
    {
      passwd = g_strdup_printf ("root:x:0:0:root:/root:/bin/bash\n"
                                "user:x:%u:%u:user:/home/user:/bin/bash\n",
                                (guint) user_uid, (guint) getgid ());
      group = g_strdup_printf ("root:x:0:\nuser:x:%u:\n", (guint) getgid ());
    }

  /* The host's shadow must not be readable by the jail's root. */
  return write_private_file (passwd_path, passwd, 0644, error) &&
         write_private_file (group_path, group, 0644, error) &&
         write_private_file (shadow_path, "", 0600, error) &&
         write_private_file (hostname_path, hostname, 0644, error) &&
         write_private_file (hosts_path, hosts, 0644, error);
}

static gboolean
prepare_layer (VivSandbox   *self,
               VivTemplate  *template,
               uid_t         user_uid,
               GError      **error)
{
  g_autofree char *fs = g_build_filename (self->dir, "fs", NULL);
  g_autofree char *home = g_build_filename (fs, "home", "user", NULL);
  g_autofree char *tmp = g_build_filename (fs, "tmp", NULL);
  g_autofree char *var_tmp = g_build_filename (fs, "var", "tmp", NULL);
  g_autofree char *root = g_build_filename (fs, "root", NULL);
  g_autofree char *run = g_build_filename (fs, "run", NULL);
  g_autofree char *run_vivarium = g_build_filename (self->dir, "run", NULL);
  g_autofree char *token_path = g_build_filename (run_vivarium, "token", NULL);
  uid_t home_owner = user_uid == 0 ? USER_UID_ROOTED : (uid_t) -1;

  if (!make_dir (self->dir, 0700, (uid_t) -1, error) ||
      !make_dir (fs, 0755, (uid_t) -1, error))
    return FALSE;

  if (template->layer_dir != NULL)
    {
      g_autofree char *source = g_build_filename (template->layer_dir, ".", NULL);
      const char *argv[] = { "cp", "-a", "--", source, fs, NULL };
      g_autofree char *errors = NULL;
      int status;

      if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH |
                         G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &errors, &status, error))
        return FALSE;
      if (!g_spawn_check_wait_status (status, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                       "Cannot copy the layer of template %s: %s", template->name,
                       g_strstrip (errors));
          return FALSE;
        }
    }

  if (!make_dir (home, 0755, home_owner, error) ||
      !make_dir (tmp, 01777, (uid_t) -1, error) ||
      !make_dir (var_tmp, 01777, (uid_t) -1, error) ||
      !make_dir (root, 0700, (uid_t) -1, error) ||
      !make_dir (run, 0755, (uid_t) -1, error) ||
      !make_dir (run_vivarium, 0700, (uid_t) -1, error))
    return FALSE;

  if (!write_identity_files (self, user_uid, error))
    return FALSE;

  return write_private_file (token_path, self->access_token, 0600, error);
}

static void
add (GPtrArray  *argv,
     const char *first,
     ...)
{
  va_list args;

  va_start (args, first);
  for (const char *arg = first; arg != NULL; arg = va_arg (args, const char *))
    g_ptr_array_add (argv, g_strdup (arg));
  va_end (args);
}

/* The host's top-level system directories, read-only: symlinks (merged /usr)
 * stay symlinks. Nothing of the host's /home, /root, /var, /tmp, /run or /opt. */
static void
add_base_root (GPtrArray *argv)
{
  static const char * const dirs[] = {
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc", NULL
  };

  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autofree char *target = g_file_read_link (dirs[i], NULL);

      if (target != NULL)
        add (argv, "--symlink", target, dirs[i], NULL);
      else if (g_file_test (dirs[i], G_FILE_TEST_IS_DIR))
        add (argv, "--ro-bind", dirs[i], dirs[i], NULL);
    }
}

static GStrv
jail_environment (VivSandbox  *self,
                  VivTemplate *template)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();
  g_autoptr (GList) names = NULL;

  g_strv_builder_add_many (builder,
                           "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                           "HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/bash",
                           "LANG=C.UTF-8", NULL);
  if (template->session != NULL)
    g_strv_builder_add (builder, "DISPLAY=:0");
  g_strv_builder_addv (builder, (const char **) template->env);

  /* The create request's envVars: in the environment, never on a command line,
   * because agents pass secrets this way. */
  names = json_object_get_members (self->env_vars);
  for (GList *l = names; l != NULL; l = l->next)
    {
      g_autofree char *entry = g_strdup_printf ("%s=%s", (const char *) l->data,
                                                json_object_get_string_member (self->env_vars,
                                                                               l->data));
      g_strv_builder_add (builder, entry);
    }

  return g_strv_builder_end (builder);
}

typedef struct
{
  char **procs_files;
} ChildSetup;

static void
child_setup_cb (gpointer user_data)
{
  ChildSetup *setup = user_data;

  /* Before bwrap execs: every process of the jail inherits these cgroups. */
  viv_cgroup_join_self (setup->procs_files);
  /* Out of the host's session and process group: a signal to the host's
   * group (a terminal's ^C, a supervisor) must not reach sandboxes. */
  setsid ();
}

gboolean
viv_sandbox_spawn (VivSandbox   *self,
                   VivTemplate  *template,
                   const char   *guest_binary,
                   GError      **error)
{
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_auto (GStrv) environment = NULL;
  g_autofree char *fs = g_build_filename (self->dir, "fs", NULL);
  g_autofree char *etc = g_build_filename (self->dir, "etc", NULL);
  g_autofree char *run_vivarium = g_build_filename (self->dir, "run", NULL);
  g_autofree char *log_path = g_build_filename (self->dir, "guest.log", NULL);
  g_autofree char *geometry = g_strdup_printf ("%dx%d", template->width, template->height);
  g_autoptr (GStrvBuilder) procs = g_strv_builder_new ();
  ChildSetup *setup;
  const char *identifier;
  uid_t uid = geteuid ();
  int log_fd;

  if (!prepare_layer (self, template, uid, error))
    return FALSE;

  add (argv, "bwrap", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-net",
       "--new-session", "--hostname", self->id, NULL);

  if (uid == 0)
    {
      add (argv, "--cap-drop", "ALL", NULL);
      for (guint i = 0; kept_caps[i] != NULL; i++)
        add (argv, "--cap-add", kept_caps[i], NULL);
    }
  else
    {
      g_autofree char *uid_text = g_strdup_printf ("%u", (guint) uid);
      g_autofree char *gid_text = g_strdup_printf ("%u", (guint) getgid ());

      add (argv, "--unshare-user", "--uid", uid_text, "--gid", gid_text, NULL);
    }

  add_base_root (argv);

  /* Ours, over the host's /etc. */
  {
    static const char * const files[] = { "passwd", "group", "shadow", "hostname", "hosts", NULL };

    for (guint i = 0; files[i] != NULL; i++)
      {
        g_autofree char *source = g_build_filename (etc, files[i], NULL);
        g_autofree char *target = g_build_filename ("/etc", files[i], NULL);

        add (argv, "--ro-bind", source, target, NULL);
      }
  }

  add (argv, "--proc", "/proc", "--dev", "/dev", NULL);

  /* The private writable layer. */
  {
    static const char * const dirs[] = { "home", "tmp", "var", "root", "run", NULL };

    for (guint i = 0; dirs[i] != NULL; i++)
      {
        g_autofree char *source = g_build_filename (fs, dirs[i], NULL);
        g_autofree char *target = g_build_filename ("/", dirs[i], NULL);

        add (argv, "--bind", source, target, NULL);
      }
  }

  add (argv, "--bind", run_vivarium, JAIL_RUN_DIR, NULL);
  add (argv, "--ro-bind", guest_binary, JAIL_GUEST, NULL);

  if (template->session != NULL)
    {
      /* E2B's desktop SDK runs `cd /opt/noVNC/utils && ./novnc_proxy`; Debian's
       * noVNC finds websockify on PATH (spec §4.3). */
      if (g_file_test ("/usr/share/novnc/utils/novnc_proxy", G_FILE_TEST_EXISTS))
        add (argv, "--ro-bind", "/usr/share/novnc", "/opt/noVNC", NULL);
    }

  add (argv, "--chdir", "/", "--", JAIL_GUEST,
       "--listen", "unix:" JAIL_SOCKET,
       "--access-token-file", JAIL_TOKEN,
       "--run-dir", JAIL_RUN_DIR "/guest", NULL);

  if (template->session != NULL)
    add (argv, "--display", ":0", "--session", template->session, "--geometry", geometry, NULL);

  g_ptr_array_add (argv, NULL);

  log_fd = open (log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log_fd < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                   "Cannot open %s: %s", log_path, g_strerror (errno));
      return FALSE;
    }

  for (guint i = 0; self->cgroups != NULL && self->cgroups[i] != NULL; i++)
    {
      g_autofree char *file = g_build_filename (self->cgroups[i], "cgroup.procs", NULL);
      g_strv_builder_add (procs, file);
    }

  setup = g_new0 (ChildSetup, 1);
  setup->procs_files = g_strv_builder_end (procs);

  environment = jail_environment (self, template);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_environ (launcher, environment);
  g_subprocess_launcher_take_stdout_fd (launcher, log_fd);
  g_subprocess_launcher_set_cwd (launcher, self->dir);
  g_subprocess_launcher_set_child_setup (launcher, child_setup_cb, setup,
                                         (GDestroyNotify) g_free);
  /* The setup's strings are freed with the sandbox's lifetime in mind: keep
   * them alive until the launcher is gone. */
  g_object_set_data_full (G_OBJECT (launcher), "procs-files", setup->procs_files,
                          (GDestroyNotify) g_strfreev);

  self->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                error);
  if (self->process == NULL)
    return FALSE;

  /* No identifier: GLib reaped it already. */
  identifier = g_subprocess_get_identifier (self->process);
  self->pid = identifier != NULL ? atoi (identifier) : 0;
  if (self->pid <= 0 || !viv_proc_start_time (self->pid, &self->pid_start_time))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED,
                   "bubblewrap exited at once; see %s", log_path);
      return FALSE;
    }

  return TRUE;
}

gboolean
viv_sandbox_is_alive (VivSandbox *self)
{
  guint64 start_time;
  char state;

  if (self->pid <= 0 || !viv_proc_start_time (self->pid, &start_time))
    return FALSE;

  /* A zombie bwrap is a dead sandbox that we have not reaped yet. */
  state = viv_proc_state (self->pid);
  return start_time == self->pid_start_time && state != 'Z' && state != 'X';
}

GArray *
viv_sandbox_list_pids (VivSandbox *self)
{
  const char *freezer = viv_cgroup_find_freezer ((const char * const *) self->cgroups,
                                                 self->freezer);

  if (freezer != NULL)
    return viv_cgroup_read_pids (freezer);

  if (!viv_sandbox_is_alive (self))
    return g_array_new (FALSE, FALSE, sizeof (GPid));

  return viv_proc_tree (self->pid);
}

/* Without a freezer: stop (or continue) every process of the tree, again until
 * no new process appeared in between. A process forked after its parent was
 * listed shows up in the next round; one forked by a parent that was already
 * stopped cannot exist, so the rounds end once a listing brings nothing new.
 * A pid reused by a new process after its owner died is signalled again.
 * SIGSTOP is delivered asynchronously: a stop also waits until each process
 * reports itself stopped, so that "paused" means it. */
static gboolean
signal_tree (VivSandbox  *self,
             int          signal_number,
             GError     **error)
{
  g_autoptr (GHashTable) done = g_hash_table_new (NULL, NULL);
  gboolean settled = FALSE;
  gint64 deadline;

  for (guint round = 0; round < 1000 && !settled; round++)
    {
      g_autoptr (GArray) pids = viv_sandbox_list_pids (self);

      settled = TRUE;
      for (guint i = 0; i < pids->len; i++)
        {
          GPid pid = g_array_index (pids, GPid, i);
          guint64 start_time = 0;
          gpointer seen;

          /* Keyed by pid, valued by start time + 1 so that a reused pid is new. */
          if (!viv_proc_start_time (pid, &start_time))
            continue;
          if (!g_hash_table_lookup_extended (done, GINT_TO_POINTER (pid), NULL, &seen) ||
              GPOINTER_TO_SIZE (seen) != (gsize) start_time + 1)
            {
              g_hash_table_insert (done, GINT_TO_POINTER (pid),
                                   GSIZE_TO_POINTER ((gsize) start_time + 1));
              kill (pid, signal_number);
              settled = FALSE;
            }
        }
    }

  if (!settled)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   "Sandbox %s kept forking new processes faster than they could be stopped",
                   self->id);
      return FALSE;
    }

  if (signal_number != SIGSTOP)
    return TRUE;

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr (GArray) pids = viv_sandbox_list_pids (self);
      gboolean all_stopped = TRUE;

      for (guint i = 0; i < pids->len && all_stopped; i++)
        {
          char state = viv_proc_state (g_array_index (pids, GPid, i));

          all_stopped = state == 0 || state == 'T' || state == 't' || state == 'Z' ||
                        state == 'X';
        }
      if (all_stopped)
        return TRUE;
      g_usleep (200);
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               "Not every process of sandbox %s stopped within 10 s", self->id);
  return FALSE;
}

static void
set_frozen_thread (GTask        *task,
                   gpointer      source_object,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  VivSandbox *self = source_object;
  gboolean frozen = GPOINTER_TO_INT (task_data);
  const char *freezer = viv_cgroup_find_freezer ((const char * const *) self->cgroups,
                                                 self->freezer);
  g_autoptr (GError) error = NULL;

  if (self->freezer != VIV_FREEZER_SIGSTOP && freezer == NULL)
    {
      /* Its cgroup vanished (removed by hand): never claim a pause we did not do. */
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                               "The %s freezer cgroup of sandbox %s is gone",
                               viv_freezer_to_string (self->freezer), self->id);
      return;
    }

  if (freezer != NULL)
    {
      if (!viv_cgroup_set_frozen (freezer, self->freezer, frozen, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }
  else
    {
      if (!signal_tree (self, frozen ? SIGSTOP : SIGCONT, &error))
        {
          /* Half a stop is no pause: let everything run again. */
          if (frozen)
            signal_tree (self, SIGCONT, NULL);
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
    }

  g_task_return_boolean (task, TRUE);
}

void
viv_sandbox_set_frozen_async (VivSandbox          *self,
                              gboolean             frozen,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, viv_sandbox_set_frozen_async);
  g_task_set_task_data (task, GINT_TO_POINTER (frozen), NULL);
  g_task_run_in_thread (task, set_frozen_thread);
}

gboolean
viv_sandbox_set_frozen_finish (VivSandbox    *self,
                               GAsyncResult  *result,
                               GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static int
remove_entry_cb (const char        *path,
                 const struct stat *info,
                 int                flag,
                 struct FTW        *ftw)
{
  if (remove (path) != 0 && errno != ENOENT)
    g_debug ("Cannot remove %s: %s", path, g_strerror (errno));
  return 0;
}

static void
destroy_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  VivSandbox *self = source_object;
  const char *freezer = viv_cgroup_find_freezer ((const char * const *) self->cgroups,
                                                 self->freezer);
  gint64 deadline;

  /* Freeze first so that nothing forks while we kill; SIGKILL reaches frozen
   * tasks once they thaw (v1), or at once (v2). */
  if (freezer != NULL)
    viv_cgroup_set_frozen (freezer, self->freezer, TRUE, NULL);

  {
    g_autoptr (GArray) pids = viv_sandbox_list_pids (self);

    for (guint i = 0; i < pids->len; i++)
      kill (g_array_index (pids, GPid, i), SIGKILL);
  }
  if (self->pid > 0 && viv_sandbox_is_alive (self))
    kill (self->pid, SIGKILL);

  if (freezer != NULL)
    viv_cgroup_set_frozen (freezer, self->freezer, FALSE, NULL);
  else
    signal_tree (self, SIGKILL, NULL);

  deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < deadline)
    {
      g_autoptr (GArray) left = freezer != NULL ? viv_cgroup_read_pids (freezer)
                                                : g_array_new (FALSE, FALSE, sizeof (GPid));

      if (left->len == 0 && !viv_sandbox_is_alive (self))
        break;
      for (guint i = 0; i < left->len; i++)
        kill (g_array_index (left, GPid, i), SIGKILL);
      g_usleep (2 * 1000);
    }

  viv_cgroup_remove ((const char * const *) self->cgroups);
  nftw (self->dir, remove_entry_cb, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);

  g_task_return_boolean (task, TRUE);
}

void
viv_sandbox_destroy_async (VivSandbox          *self,
                           GAsyncReadyCallback  callback,
                           gpointer             user_data)
{
  g_autoptr (GTask) task = g_task_new (self, NULL, callback, user_data);

  g_task_set_source_tag (task, viv_sandbox_destroy_async);
  g_task_run_in_thread (task, destroy_thread);
}

gboolean
viv_sandbox_destroy_finish (VivSandbox    *self,
                            GAsyncResult  *result,
                            GError       **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}
