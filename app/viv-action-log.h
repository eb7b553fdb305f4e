/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <vivarium.h>

G_BEGIN_DECLS

#define VIV_TYPE_ACTION_LOG (viv_action_log_get_type ())
G_DECLARE_FINAL_TYPE (VivActionLog, viv_action_log, VIV, ACTION_LOG, GtkWidget)

VivDesktop *viv_action_log_get_desktop (VivActionLog *self);
void viv_action_log_set_desktop (VivActionLog *self,
                               VivDesktop *desktop);

G_END_DECLS
