/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <vivarium.h>

G_BEGIN_DECLS

#define VIV_TYPE_PROCESSES_PANEL (viv_processes_panel_get_type ())
G_DECLARE_FINAL_TYPE (VivProcessesPanel, viv_processes_panel, VIV, PROCESSES_PANEL, GtkWidget)

VivSandbox *viv_processes_panel_get_sandbox (VivProcessesPanel *self);
void viv_processes_panel_set_sandbox (VivProcessesPanel *self,
                                    VivSandbox *sandbox);

G_END_DECLS
