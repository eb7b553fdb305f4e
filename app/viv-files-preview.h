/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <vivarium.h>

G_BEGIN_DECLS

#define VIV_TYPE_FILES_PREVIEW (viv_files_preview_get_type ())
G_DECLARE_FINAL_TYPE (VivFilesPreview, viv_files_preview, VIV, FILES_PREVIEW, AdwWindow)

VivFilesPreview *viv_files_preview_new (GtkWindow    *parent,
                                        VivSandbox   *sandbox,
                                        VivFileEntry *entry);

G_END_DECLS
