/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <vivarium.h>

G_BEGIN_DECLS

#define VIV_TYPE_DETAILS_PANEL (viv_details_panel_get_type ())
G_DECLARE_FINAL_TYPE (VivDetailsPanel, viv_details_panel, VIV, DETAILS_PANEL, GtkWidget)

VivSandbox *viv_details_panel_get_sandbox (VivDetailsPanel *self);
void        viv_details_panel_set_sandbox (VivDetailsPanel *self,
                                           VivSandbox      *sandbox);

G_END_DECLS
