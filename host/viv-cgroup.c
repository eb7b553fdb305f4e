/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "viv-cgroup.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

static const char * const controllers[] = { "freezer", "memory", "cpuacct", NULL };

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

      names = g_strsplit (fields[1], ",", -1);
      if (g_strv_contains ((const char * const *) names, controller))
        return g_strdup (fields[2]);
    }

  return NULL;
}

GStrv
viv_cgroup_create (const char *id)
{
  g_autoptr (GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; controllers[i] != NULL; i++)
    {
      g_autofree char *own = own_cgroup_path (controllers[i]);
      g_autofree char *mount = g_build_filename (CGROUP_ROOT, controllers[i], NULL);
      g_autofree char *procs = g_build_filename (mount, "cgroup.procs", NULL);
      g_autofree char *dir = NULL;

      if (own == NULL || !g_file_test (procs, G_FILE_TEST_EXISTS))
        continue;

      dir = g_build_filename (mount, own, "vivarium", id, NULL);
      if (g_mkdir_with_parents (dir, 0755) != 0)
        {
          g_debug ("No %s cgroup for %s: %s", controllers[i], id, g_strerror (errno));
          continue;
        }

      g_strv_builder_add (builder, dir);
    }

  return g_strv_builder_end (builder);
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

gboolean
viv_cgroup_set_frozen (const char  *freezer_dir,
                       gboolean     frozen,
                       GError     **error)
{
  g_autofree char *path = g_build_filename (freezer_dir, "freezer.state", NULL);
  const char *wanted = frozen ? "FROZEN" : "THAWED";
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

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
