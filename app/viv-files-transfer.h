/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <vivarium.h>

G_BEGIN_DECLS

#define VIV_TYPE_FILES_TRANSFER (viv_files_transfer_get_type ())
G_DECLARE_FINAL_TYPE (VivFilesTransfer, viv_files_transfer, VIV, FILES_TRANSFER, GObject)

VivFilesTransfer *viv_files_transfer_new_download (VivSandbox       *sandbox,
                                                   VivFileEntry     *entry,
                                                   GFile            *destination);
VivFilesTransfer *viv_files_transfer_new_upload   (VivSandbox       *sandbox,
                                                   GListModel       *files,
                                                   const char       *directory);
void              viv_files_transfer_start        (VivFilesTransfer *self);
void              viv_files_transfer_cancel       (VivFilesTransfer *self);
const char       *viv_files_transfer_get_title    (VivFilesTransfer *self);
const char       *viv_files_transfer_get_status   (VivFilesTransfer *self);
double            viv_files_transfer_get_fraction (VivFilesTransfer *self);
gboolean          viv_files_transfer_get_finished (VivFilesTransfer *self);

G_END_DECLS
