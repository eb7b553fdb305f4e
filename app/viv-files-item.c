/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "viv-files-item.h"

/* One file of a sandbox in a list model: its entry, for a link the type of
 * what it points to once known, and the key that sorts it (folders and
 * links to folders first, then by name as a file manager sorts names). */
struct _VivFilesItem
{
  GObject       parent_instance;

  VivFileEntry *entry;
  VivFileType   target_type;
  char         *sort_key;
};

G_DEFINE_FINAL_TYPE (VivFilesItem, viv_files_item, G_TYPE_OBJECT)

static void
viv_files_item_finalize (GObject *object)
{
  VivFilesItem *self = VIV_FILES_ITEM (object);

  g_clear_pointer (&self->entry, viv_file_entry_unref);
  g_clear_pointer (&self->sort_key, g_free);

  G_OBJECT_CLASS (viv_files_item_parent_class)->finalize (object);
}

static void
viv_files_item_class_init (VivFilesItemClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = viv_files_item_finalize;
}

static void
viv_files_item_init (VivFilesItem *self)
{
}

VivFilesItem *
viv_files_item_new (VivFileEntry *entry)
{
  return viv_files_item_new_link (entry, VIV_FILE_TYPE_UNKNOWN);
}

/* @target_type: for a link, the type of what it finally points to, or
 * %VIV_FILE_TYPE_UNKNOWN while that is not known. */
VivFilesItem *
viv_files_item_new_link (VivFileEntry *entry,
                         VivFileType   target_type)
{
  VivFilesItem *self;
  g_autofree char *key = NULL;

  g_return_val_if_fail (entry != NULL, NULL);

  self = g_object_new (VIV_TYPE_FILES_ITEM, NULL);
  self->entry = viv_file_entry_ref (entry);
  self->target_type = target_type;
  key = g_utf8_collate_key_for_filename (viv_file_entry_get_name (entry), -1);
  self->sort_key = g_strconcat (viv_files_item_lists_as_folder (self) ? "0" : "1", key, NULL);
  return self;
}

VivFileEntry *
viv_files_item_get_entry (VivFilesItem *self)
{
  g_return_val_if_fail (VIV_IS_FILES_ITEM (self), NULL);
  return self->entry;
}

const char *
viv_files_item_get_name (VivFilesItem *self)
{
  g_return_val_if_fail (VIV_IS_FILES_ITEM (self), NULL);
  return viv_file_entry_get_name (self->entry);
}

const char *
viv_files_item_get_path (VivFilesItem *self)
{
  g_return_val_if_fail (VIV_IS_FILES_ITEM (self), NULL);
  return viv_file_entry_get_path (self->entry);
}

gboolean
viv_files_item_is_directory (VivFilesItem *self)
{
  g_return_val_if_fail (VIV_IS_FILES_ITEM (self), FALSE);
  return viv_file_entry_get_file_type (self->entry) == VIV_FILE_TYPE_DIRECTORY;
}

/* For a link, the type of what it finally points to, once followed. */
VivFileType
viv_files_item_get_target_type (VivFilesItem *self)
{
  g_return_val_if_fail (VIV_IS_FILES_ITEM (self), VIV_FILE_TYPE_UNKNOWN);
  return self->target_type;
}

gboolean
viv_files_item_is_link (VivFilesItem *self)
{
  g_return_val_if_fail (VIV_IS_FILES_ITEM (self), FALSE);
  return viv_file_entry_get_file_type (self->entry) == VIV_FILE_TYPE_SYMLINK;
}

/* A folder, or a link known to point to one: it sorts with the folders,
 * expands in the tree and opens as a folder (listed under its own path). */
gboolean
viv_files_item_lists_as_folder (VivFilesItem *self)
{
  g_return_val_if_fail (VIV_IS_FILES_ITEM (self), FALSE);
  return viv_files_item_is_directory (self) ||
         (viv_files_item_is_link (self) && self->target_type == VIV_FILE_TYPE_DIRECTORY);
}

const char *
viv_files_item_get_icon_name (VivFilesItem *self)
{
  g_autofree char *type = NULL;
  const char *name;

  g_return_val_if_fail (VIV_IS_FILES_ITEM (self), NULL);

  switch (viv_file_entry_get_file_type (self->entry))
    {
    case VIV_FILE_TYPE_DIRECTORY:
      return "folder-symbolic";
    case VIV_FILE_TYPE_SYMLINK:
      /* A link's name is in italics, as in Nautilus; a link to a folder
       * looks like the folder it opens. */
      return self->target_type == VIV_FILE_TYPE_DIRECTORY ? "folder-symbolic"
                                                          : "insert-link-symbolic";
    case VIV_FILE_TYPE_UNKNOWN:
      return "text-x-generic-symbolic";
    case VIV_FILE_TYPE_FILE:
    default:
      break;
    }

  /* By name only: guessing from contents would mean reading every file. */
  name = viv_file_entry_get_name (self->entry);
  type = g_content_type_guess (name, NULL, 0, NULL);
  if (g_content_type_is_a (type, "image/*"))
    return "image-x-generic-symbolic";
  if (g_content_type_is_a (type, "audio/*"))
    return "audio-x-generic-symbolic";
  if (g_content_type_is_a (type, "video/*"))
    return "video-x-generic-symbolic";
  if (g_content_type_is_a (type, "application/x-executable") ||
      (viv_file_entry_get_mode (self->entry) & 0111) != 0)
    return "application-x-executable-symbolic";
  if (g_content_type_is_a (type, "application/zip") ||
      g_content_type_is_a (type, "application/x-compressed-tar") ||
      g_content_type_is_a (type, "application/x-tar"))
    return "package-x-generic-symbolic";
  return "text-x-generic-symbolic";
}

/* A GCompareDataFunc over items, for g_list_store_insert_sorted (). */
int
viv_files_item_compare (gconstpointer a,
                        gconstpointer b,
                        gpointer      user_data)
{
  const VivFilesItem *item_a = a;
  const VivFilesItem *item_b = b;

  return strcmp (item_a->sort_key, item_b->sort_key);
}
