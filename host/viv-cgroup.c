/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "viv-cgroup.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static const char * const controllers[] = { "freezer", "memory", "cpu", "cpuacct", NULL };

/* Our own place in @controller's hierarchy, from /proc/self/cgroup
 * ("6:freezer:/path"), so sandboxes stay inside whatever limits we run under. */
static char *
own_cgroup_path (const char *controller)
{
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;

  if (!g_file_get_contents ("/proc/self/cgroup", &contents, NULL, NULL))
    return NULL;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      g_auto (GStrv) fields = g_strsplit (lines[i], ":", 3);
      g_auto (GStrv) names = NULL;

      if (g_strv_length (fields) != 3)
        continue;

      /* cgroup v2 is the "0::/path" line. */
      if (*controller == '\0')
        {
          if (g_str_equal (fields[0], "0") && *fields[1] == '\0')
            return g_strdup (fields[2]);
          continue;
        }

      names = g_strsplit (fields[1], ",", -1);
      if (g_strv_contains ((const char * const *) names, controller))
        return g_strdup (fields[2]);
    }

  return NULL;
}

/* The cgroup v2 hierarchy: beside the v1 controllers on a hybrid system, or
 * the whole of /sys/fs/cgroup on a unified one. */
static const char *
v2_root (void)
{
  if (g_file_test (CGROUP_ROOT "/unified/cgroup.procs", G_FILE_TEST_EXISTS))
    return CGROUP_ROOT "/unified";
  if (g_file_test (CGROUP_ROOT "/cgroup.controllers", G_FILE_TEST_EXISTS))
    return CGROUP_ROOT;
  return NULL;
}

/* The parent of our sandboxes' cgroups for @controller (NULL: the v2
 * hierarchy), or NULL when there is no such hierarchy. */
static char *
sandboxes_parent (const char *controller)
{
  g_autofree char *own = NULL;
  g_autofree char *procs = NULL;
  g_autofree char *mount = NULL;

  if (controller == NULL)
    {
      const char *root = v2_root ();

      own = own_cgroup_path ("");
      if (root == NULL || own == NULL)
        return NULL;
      mount = g_strdup (root);
    }
  else
    {
      own = own_cgroup_path (controller);
      mount = g_build_filename (CGROUP_ROOT, controller, NULL);
    }

  procs = g_build_filename (mount, "cgroup.procs", NULL);
  if (own == NULL || !g_file_test (procs, G_FILE_TEST_EXISTS))
    return NULL;

  return g_build_filename (mount, own, "vivarium", NULL);
}

const char *
viv_freezer_to_string (VivFreezer freezer)
{
  switch (freezer)
    {
    case VIV_FREEZER_V1:
      return "v1";
    case VIV_FREEZER_V2:
      return "v2";
    case VIV_FREEZER_SIGSTOP:
    default:
      return "sigstop";
    }
}

gboolean
viv_freezer_from_string (const char *name,
                         VivFreezer *out)
{
  for (VivFreezer f = VIV_FREEZER_V1; f <= VIV_FREEZER_SIGSTOP; f++)
    if (g_strcmp0 (name, viv_freezer_to_string (f)) == 0)
      {
        *out = f;
        return TRUE;
      }

  return FALSE;
}

/* Whether we can create a cgroup that has @control_file: the only sure test of
 * a writable hierarchy (a read-only mount, a delegated subtree, a container). */
static gboolean
freezer_usable (VivFreezer freezer)
{
  g_autofree char *parent = sandboxes_parent (freezer == VIV_FREEZER_V1 ? "freezer" : NULL);
  g_autofree char *probe_name = NULL;
  g_autofree char *probe = NULL;
  g_autofree char *control = NULL;
  gboolean usable;

  if (parent == NULL || g_mkdir_with_parents (parent, 0755) != 0)
    return FALSE;

  probe_name = g_strdup_printf ("probe-%d", (int) getpid ());
  probe = g_build_filename (parent, probe_name, NULL);
  control = g_build_filename (probe, freezer == VIV_FREEZER_V1 ? "freezer.state"
                                                               : "cgroup.freeze", NULL);
  if (g_mkdir (probe, 0755) != 0 && errno != EEXIST)
    return FALSE;

  usable = access (control, W_OK) == 0;
  g_rmdir (probe);
  return usable;
}

gboolean
viv_freezer_detect (VivFreezer  *out,
                    GError     **error)
{
  const char *wanted = g_getenv ("VIVARIUM_HOST_FREEZER");
  VivFreezer freezer;

  if (wanted != NULL && *wanted != '\0')
    {
      if (!viv_freezer_from_string (wanted, &freezer))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "VIVARIUM_HOST_FREEZER must be v1, v2 or sigstop, not “%s”", wanted);
          return FALSE;
        }
      if (freezer != VIV_FREEZER_SIGSTOP && !freezer_usable (freezer))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                       "VIVARIUM_HOST_FREEZER=%s, but that freezer is not writable here",
                       wanted);
          return FALSE;
        }
      *out = freezer;
      return TRUE;
    }

  if (freezer_usable (VIV_FREEZER_V1))
    *out = VIV_FREEZER_V1;
  else if (freezer_usable (VIV_FREEZER_V2))
    *out = VIV_FREEZER_V2;
  else
    *out = VIV_FREEZER_SIGSTOP;

  return TRUE;
}

GStrv
viv_cgroup_create (const char *id,
                   VivFreezer  freezer)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; controllers[i] != NULL; i++)
    {
      g_autofree char *parent = NULL;
      g_autofree char *dir = NULL;

      /* Only the chosen freezer holds the sandbox: two would fight over it. */
      if (g_str_equal (controllers[i], "freezer") && freezer != VIV_FREEZER_V1)
        continue;

      parent = sandboxes_parent (controllers[i]);
      if (parent == NULL)
        continue;

      dir = g_build_filename (parent, id, NULL);
      if (g_mkdir_with_parents (dir, 0755) != 0)
        {
          g_debug ("No %s cgroup for %s: %s", controllers[i], id, g_strerror (errno));
          continue;
        }

      g_strv_builder_add (builder, dir);
    }

  if (freezer == VIV_FREEZER_V2)
    {
      g_autofree char *parent = sandboxes_parent (NULL);
      g_autofree char *dir = parent != NULL ? g_build_filename (parent, id, NULL) : NULL;

      if (dir != NULL && g_mkdir_with_parents (dir, 0755) == 0)
        g_strv_builder_add (builder, dir);
      else
        g_warning ("No cgroup v2 directory for %s: %s", id, g_strerror (errno));
    }

  return g_strv_builder_end (builder);
}

const char *
viv_cgroup_find_freezer (const char * const *cgroups,
                         VivFreezer          freezer)
{
  const char *control;

  if (freezer == VIV_FREEZER_SIGSTOP)
    return NULL;

  control = freezer == VIV_FREEZER_V1 ? "freezer.state" : "cgroup.freeze";
  for (guint i = 0; cgroups != NULL && cgroups[i] != NULL; i++)
    {
      g_autofree char *path = g_build_filename (cgroups[i], control, NULL);

      if (g_file_test (path, G_FILE_TEST_EXISTS))
        return cgroups[i];
    }

  return NULL;
}

const char *
viv_cgroup_find (const char * const *cgroups,
                 const char         *controller)
{
  g_autofree char *prefix = g_strconcat (CGROUP_ROOT "/", controller, "/", NULL);

  for (guint i = 0; cgroups != NULL && cgroups[i] != NULL; i++)
    if (g_str_has_prefix (cgroups[i], prefix))
      return cgroups[i];

  return NULL;
}

/* Writes a control file in place: cgroupfs has no renames. */
static gboolean
write_control (const char  *dir,
               const char  *file,
               const char  *value,
               GError     **error)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);

  return g_file_set_contents_full (path, value, -1, G_FILE_SET_CONTENTS_NONE, 0644, error);
}

static gboolean
has_control (const char *dir,
             const char *file)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);

  return g_file_test (path, G_FILE_TEST_EXISTS);
}

gboolean
viv_cgroup_set_limits (const char * const  *cgroups,
                       int                  cpu_count,
                       int                  memory_mb,
                       GError             **error)
{
  g_autofree char *bytes = g_strdup_printf ("%" G_GUINT64_FORMAT, (guint64) memory_mb << 20);
  g_autofree char *quota = g_strdup_printf ("%d", cpu_count * 100000);
  g_autofree char *v2_cpu = g_strdup_printf ("%d 100000", cpu_count * 100000);
  const char *memory = viv_cgroup_find (cgroups, "memory");
  const char *cpu = viv_cgroup_find (cgroups, "cpu");
  gboolean memory_set = FALSE, cpu_set = FALSE;

  g_return_val_if_fail (cpu_count > 0 && memory_mb > 0, FALSE);

  if (memory != NULL)
    {
      if (!write_control (memory, "memory.limit_in_bytes", bytes, error))
        return FALSE;
      /* With swap accounting, memory plus swap too: a limit a sandbox could
       * escape into swap is none. It must not be below the memory limit. */
      if (has_control (memory, "memory.memsw.limit_in_bytes") &&
          !write_control (memory, "memory.memsw.limit_in_bytes", bytes, error))
        return FALSE;
      memory_set = TRUE;
    }
  if (cpu != NULL)
    {
      if (!write_control (cpu, "cpu.cfs_period_us", "100000", error) ||
          !write_control (cpu, "cpu.cfs_quota_us", quota, error))
        return FALSE;
      cpu_set = TRUE;
    }

  /* cgroup v2 (the freezer's directory there): only where the controllers
   * are enabled for our subtree, which is when their files exist. */
  for (guint i = 0; cgroups != NULL && cgroups[i] != NULL; i++)
    {
      if (!memory_set && has_control (cgroups[i], "memory.max"))
        {
          if (!write_control (cgroups[i], "memory.max", bytes, error) ||
              (has_control (cgroups[i], "memory.swap.max") &&
               !write_control (cgroups[i], "memory.swap.max", "0", error)))
            return FALSE;
          memory_set = TRUE;
        }
      if (!cpu_set && has_control (cgroups[i], "cpu.max"))
        {
          if (!write_control (cgroups[i], "cpu.max", v2_cpu, error))
            return FALSE;
          cpu_set = TRUE;
        }
    }

  if (!memory_set || !cpu_set)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "no %s cgroup the host may write to",
                   !memory_set && !cpu_set ? "memory or cpu" : !memory_set ? "memory" : "cpu");
      return FALSE;
    }

  return TRUE;
}

void
viv_cgroup_join_self (char * const *procs_files)
{
  for (guint i = 0; procs_files[i] != NULL; i++)
    {
      int fd = open (procs_files[i], O_WRONLY | O_CLOEXEC);

      if (fd >= 0)
        {
          if (write (fd, "0", 1) < 0)
            {
              /* Nothing to report from a child setup; metrics fall back to /proc. */
            }
          close (fd);
        }
    }
}

GArray *
viv_cgroup_read_pids (const char *dir)
{
  g_autofree char *path = g_build_filename (dir, "cgroup.procs", NULL);
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (GPid));

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return pids;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint64 pid;

      if (g_ascii_string_to_unsigned (lines[i], 10, 1, G_MAXINT, &pid, NULL))
        {
          GPid value = (GPid) pid;
          g_array_append_val (pids, value);
        }
    }

  return pids;
}

gboolean
viv_cgroup_read_u64 (const char *dir,
                     const char *file,
                     guint64    *out)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autofree char *contents = NULL;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;

  g_strstrip (contents);
  return g_ascii_string_to_unsigned (contents, 10, 0, G_MAXUINT64, out, NULL);
}

gboolean
viv_cgroup_read_stat (const char *dir,
                      const char *file,
                      const char *key,
                      guint64    *out)
{
  g_autofree char *path = g_build_filename (dir, file, NULL);
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;
  gsize key_length = strlen (key);

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return FALSE;

  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strncmp (lines[i], key, key_length) == 0 && lines[i][key_length] == ' ')
      return g_ascii_string_to_unsigned (lines[i] + key_length + 1, 10, 0, G_MAXUINT64,
                                         out, NULL);

  return FALSE;
}

/* v2: cgroup.events says "frozen 1" once every task has stopped. */
static gboolean
v2_set_frozen (const char  *dir,
               gboolean     frozen,
               GError     **error)
{
  g_autofree char *path = g_build_filename (dir, "cgroup.freeze", NULL);
  g_autofree char *events_path = g_build_filename (dir, "cgroup.events", NULL);
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;
  guint64 wanted = frozen ? 1 : 0;

  if (!g_file_set_contents_full (path, frozen ? "1" : "0", -1, G_FILE_SET_CONTENTS_NONE,
                                 0644, error))
    return FALSE;

  while (g_get_monotonic_time () < deadline)
    {
      guint64 state;

      if (viv_cgroup_read_stat (dir, "cgroup.events", "frozen", &state) && state == wanted)
        return TRUE;
      if (!g_file_test (events_path, G_FILE_TEST_EXISTS))
        break;
      g_usleep (500);
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               "cgroup v2 did not report frozen %d within 10 s", (int) wanted);
  return FALSE;
}

gboolean
viv_cgroup_set_frozen (const char  *freezer_dir,
                       VivFreezer   freezer,
                       gboolean     frozen,
                       GError     **error)
{
  g_autofree char *path = g_build_filename (freezer_dir, "freezer.state", NULL);
  const char *wanted = frozen ? "FROZEN" : "THAWED";
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  if (freezer == VIV_FREEZER_V2)
    return v2_set_frozen (freezer_dir, frozen, error);
  if (!g_file_set_contents_full (path, wanted, -1, G_FILE_SET_CONTENTS_NONE, 0644, error))
    return FALSE;

  /* FREEZING means some task has not stopped yet; the kernel keeps trying, but
   * only a re-write of FROZEN makes it retry at once. */
  while (g_get_monotonic_time () < deadline)
    {
      g_autofree char *state = NULL;

      if (!g_file_get_contents (path, &state, NULL, error))
        return FALSE;
      g_strstrip (state);
      if (g_str_equal (state, wanted))
        return TRUE;

      g_usleep (500);
      if (frozen && !g_file_set_contents_full (path, wanted, -1, G_FILE_SET_CONTENTS_NONE,
                                              0644, error))
        return FALSE;
    }

  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT,
               "The freezer did not reach %s within 10 s", wanted);
  return FALSE;
}

void
viv_cgroup_remove (const char * const *cgroups)
{
  for (guint i = 0; cgroups != NULL && cgroups[i] != NULL; i++)
    {
      /* A cgroup can be removed only once its last task is gone, which can lag
       * SIGKILL by a little. */
      for (guint attempt = 0; attempt < 200; attempt++)
        {
          if (g_rmdir (cgroups[i]) == 0 || errno == ENOENT)
            break;
          g_usleep (10 * 1000);
        }
    }
}

/* Fields of /proc/<pid>/stat after the command, which may contain spaces and
 * parentheses: fields[0] is field 3 (state). */
static GStrv
read_stat_fields (GPid pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *contents = NULL;
  const char *after;

  if (!g_file_get_contents (path, &contents, NULL, NULL))
    return NULL;

  after = strrchr (contents, ')');
  if (after == NULL || after[1] != ' ')
    return NULL;

  return g_strsplit (after + 2, " ", -1);
}

gboolean
viv_proc_start_time (GPid     pid,
                     guint64 *start_time)
{
  g_auto (GStrv) fields = read_stat_fields (pid);

  /* starttime is field 22. */
  if (fields == NULL || g_strv_length (fields) < 20)
    return FALSE;

  return g_ascii_string_to_unsigned (fields[19], 10, 0, G_MAXUINT64, start_time, NULL);
}

char
viv_proc_state (GPid pid)
{
  g_auto (GStrv) fields = read_stat_fields (pid);

  if (fields == NULL || fields[0] == NULL)
    return 0;

  return fields[0][0];
}

gboolean
viv_proc_usage (GPid     pid,
                guint64 *cpu_ns,
                guint64 *rss_bytes)
{
  g_auto (GStrv) fields = read_stat_fields (pid);
  guint64 utime, stime, rss;
  long ticks = sysconf (_SC_CLK_TCK);

  /* utime 14, stime 15, rss 24 (pages). */
  if (fields == NULL || g_strv_length (fields) < 22 ||
      !g_ascii_string_to_unsigned (fields[11], 10, 0, G_MAXUINT64, &utime, NULL) ||
      !g_ascii_string_to_unsigned (fields[12], 10, 0, G_MAXUINT64, &stime, NULL) ||
      !g_ascii_string_to_unsigned (fields[21], 10, 0, G_MAXUINT64, &rss, NULL))
    return FALSE;

  *cpu_ns = (utime + stime) * (G_GUINT64_CONSTANT (1000000000) / (guint64) MAX (ticks, 1));
  *rss_bytes = rss * (guint64) sysconf (_SC_PAGESIZE);
  return TRUE;
}

GArray *
viv_proc_tree (GPid root)
{
  g_autoptr (GHashTable) children = g_hash_table_new_full (NULL, NULL, NULL,
                                                           (GDestroyNotify) g_array_unref);
  g_autoptr (GDir) dir = g_dir_open ("/proc", 0, NULL);
  GArray *pids = g_array_new (FALSE, FALSE, sizeof (GPid));
  const char *entry;

  if (dir == NULL)
    return pids;

  while ((entry = g_dir_read_name (dir)) != NULL)
    {
      g_auto (GStrv) fields = NULL;
      guint64 pid, ppid;
      GArray *list;

      if (!g_ascii_string_to_unsigned (entry, 10, 1, G_MAXINT, &pid, NULL))
        continue;

      fields = read_stat_fields ((GPid) pid);
      if (fields == NULL || g_strv_length (fields) < 2 ||
          !g_ascii_string_to_unsigned (fields[1], 10, 0, G_MAXINT, &ppid, NULL))
        continue;

      list = g_hash_table_lookup (children, GINT_TO_POINTER ((int) ppid));
      if (list == NULL)
        {
          list = g_array_new (FALSE, FALSE, sizeof (GPid));
          g_hash_table_insert (children, GINT_TO_POINTER ((int) ppid), list);
        }
      {
        GPid value = (GPid) pid;
        g_array_append_val (list, value);
      }
    }

  if (viv_proc_state (root) == 0)
    return pids;

  g_array_append_val (pids, root);
  for (guint i = 0; i < pids->len; i++)
    {
      GArray *list = g_hash_table_lookup (children,
                                          GINT_TO_POINTER (g_array_index (pids, GPid, i)));

      if (list != NULL)
        g_array_append_vals (pids, list->data, list->len);
    }

  return pids;
}
