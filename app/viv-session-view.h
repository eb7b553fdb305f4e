/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <vivarium.h>

G_BEGIN_DECLS

#define VIV_TYPE_SESSION_VIEW (viv_session_view_get_type ())
G_DECLARE_FINAL_TYPE (VivSessionView, viv_session_view, VIV, SESSION_VIEW, GtkWidget)

VivSandbox *viv_session_view_get_sandbox     (VivSessionView *self);
void        viv_session_view_set_sandbox     (VivSessionView *self,
                                              VivSandbox     *sandbox);
gboolean    viv_session_view_get_taken_over  (VivSessionView *self);

G_END_DECLS
