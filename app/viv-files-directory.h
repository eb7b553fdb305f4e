/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <vivarium.h>

G_BEGIN_DECLS

#define VIV_TYPE_FILES_DIRECTORY (viv_files_directory_get_type ())
G_DECLARE_FINAL_TYPE (VivFilesDirectory, viv_files_directory, VIV, FILES_DIRECTORY, GObject)

GListModel *viv_files_directory_new_model (VivSandbox        *sandbox,
                                           const char        *path,
                                           VivFilesDirectory **directory);
const char *viv_files_directory_get_path  (VivFilesDirectory *self);
gboolean    viv_files_directory_get_loaded (VivFilesDirectory *self);
void        viv_files_directory_reload    (VivFilesDirectory *self);

G_END_DECLS
