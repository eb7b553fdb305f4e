/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <vivarium.h>

#include "viv-application.h"

G_BEGIN_DECLS

#define VIV_TYPE_WINDOW (viv_window_get_type ())
G_DECLARE_FINAL_TYPE (VivWindow, viv_window, VIV, WINDOW, AdwApplicationWindow)

VivWindow *viv_window_new             (VivApplication *application);
void       viv_window_open_sandbox    (VivWindow      *self,
                                       VivSandbox     *sandbox);
void       viv_window_open_sandbox_id (VivWindow      *self,
                                       const char     *sandbox_id);
void       viv_window_show_overview   (VivWindow      *self);
void       viv_window_add_toast       (VivWindow      *self,
                                       const char     *message);

/* Shows @error as a toast from any widget of a VivWindow; @what says what
 * failed, for people ("Could not pause"). Cancellation is not an error. */
void       viv_show_error             (GtkWidget      *widget,
                                       const char     *what,
                                       const GError   *error);

G_END_DECLS
