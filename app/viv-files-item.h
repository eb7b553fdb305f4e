/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <vivarium.h>

G_BEGIN_DECLS

#define VIV_TYPE_FILES_ITEM (viv_files_item_get_type ())
G_DECLARE_FINAL_TYPE (VivFilesItem, viv_files_item, VIV, FILES_ITEM, GObject)

VivFilesItem *viv_files_item_new            (VivFileEntry *entry);
VivFilesItem *viv_files_item_new_link       (VivFileEntry *entry,
                                             VivFileType   target_type);
VivFileEntry *viv_files_item_get_entry      (VivFilesItem *self);
const char   *viv_files_item_get_name       (VivFilesItem *self);
const char   *viv_files_item_get_path       (VivFilesItem *self);
gboolean      viv_files_item_is_directory   (VivFilesItem *self);
gboolean      viv_files_item_is_link        (VivFilesItem *self);
VivFileType   viv_files_item_get_target_type (VivFilesItem *self);
gboolean      viv_files_item_lists_as_folder (VivFilesItem *self);
const char   *viv_files_item_get_icon_name  (VivFilesItem *self);
int           viv_files_item_compare        (gconstpointer a,
                                             gconstpointer b,
                                             gpointer      user_data);

G_END_DECLS
