/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <vivarium.h>

G_BEGIN_DECLS

#define VIV_TYPE_FILES_PANEL (viv_files_panel_get_type ())
G_DECLARE_FINAL_TYPE (VivFilesPanel, viv_files_panel, VIV, FILES_PANEL, GtkWidget)

VivSandbox *viv_files_panel_get_sandbox (VivFilesPanel *self);
void viv_files_panel_set_sandbox (VivFilesPanel *self,
                                VivSandbox *sandbox);

G_END_DECLS
