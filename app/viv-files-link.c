/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "viv-files-link.h"

/* A link of a sandbox followed to what it finally names. envd's Stat does
 * not follow a link (lstat); it names the link's target, which may be a
 * link again. The errors say why in words that fit after "cannot open …:". */

/* The kernel's limit of links followed in one path lookup (MAXSYMLINKS). */
#define MAX_LINK_HOPS 40

typedef struct
{
  char  *target;  /* the path stat'ed now */
  guint  hops;
} FollowData;

static void
follow_data_free (gpointer user_data)
{
  FollowData *data = user_data;

  g_free (data->target);
  g_free (data);
}

static void follow (GTask        *task,
                    VivFileEntry *link);

static void
target_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GTask) task = user_data;
  FollowData *data = g_task_get_task_data (task);
  g_autoptr (VivFileEntry) entry = NULL;
  g_autoptr (GError) error = NULL;

  entry = viv_files_stat_finish (VIV_FILES (object), result, &error);
  if (entry == NULL)
    {
      if (g_error_matches (error, VIV_ERROR, VIV_ERROR_NOT_FOUND) ||
          g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        /* Translators: why a link cannot be opened; %s is the path it points to */
        g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                 _("it points to “%s”, which does not exist"), data->target);
      else
        g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (viv_file_entry_get_file_type (entry) == VIV_FILE_TYPE_SYMLINK)
    follow (g_steal_pointer (&task), entry);
  else
    g_task_return_pointer (task, g_steal_pointer (&entry), (GDestroyNotify) viv_file_entry_unref);
}

/* Takes the task's reference. */
static void
follow (GTask        *task,
        VivFileEntry *link)
{
  FollowData *data = g_task_get_task_data (task);
  const char *target = viv_file_entry_get_symlink_target (link);
  g_autofree char *folder = NULL;

  if (target == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_FAILED,
                               _("the sandbox does not say where it points"));
      g_object_unref (task);
      return;
    }
  if (++data->hops > MAX_LINK_HOPS)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_TOO_MANY_LINKS,
                               _("it is part of a loop of links"));
      g_object_unref (task);
      return;
    }

  /* Our guest names it absolute; a relative one is from the link's folder. */
  folder = g_path_get_dirname (viv_file_entry_get_path (link));
  g_free (data->target);
  data->target = g_canonicalize_filename (target, folder);
  viv_files_stat_async (g_task_get_source_object (task), data->target,
                        g_task_get_cancellable (task), target_cb, task);
}

/**
 * viv_files_follow_link_async:
 * @files: the sandbox's files
 * @link: an entry of type %VIV_FILE_TYPE_SYMLINK
 *
 * Finds what @link finally points to, following links to links.
 */
void
viv_files_follow_link_async (VivFiles            *files,
                             VivFileEntry        *link,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (VIV_IS_FILES (files));
  g_return_if_fail (link != NULL);

  task = g_task_new (files, cancellable, callback, user_data);
  g_task_set_source_tag (task, viv_files_follow_link_async);
  g_task_set_task_data (task, g_new0 (FollowData, 1), follow_data_free);
  follow (task, link);
}

/**
 * viv_files_follow_link_finish:
 *
 * Returns: (transfer full): the entry the link finally names, never a link
 */
VivFileEntry *
viv_files_follow_link_finish (VivFiles      *files,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, files), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}
