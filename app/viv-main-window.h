/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <vivarium.h>

#include "viv-application.h"

G_BEGIN_DECLS

#define VIV_TYPE_MAIN_WINDOW (viv_main_window_get_type ())
G_DECLARE_FINAL_TYPE (VivMainWindow, viv_main_window, VIV, MAIN_WINDOW, AdwApplicationWindow)

VivMainWindow *viv_main_window_new             (VivApplication *application);
void       viv_main_window_open_sandbox    (VivMainWindow      *self,
                                       VivSandbox     *sandbox);
void       viv_main_window_open_sandbox_id (VivMainWindow      *self,
                                       const char     *sandbox_id);
void       viv_main_window_show_overview   (VivMainWindow      *self);
void       viv_main_window_add_toast       (VivMainWindow      *self,
                                       const char     *message);

/* Shows @error as a toast from any widget of a VivMainWindow; @what says what
 * failed, for people ("Could not pause"). Cancellation is not an error. */
void       viv_show_error             (GtkWidget      *widget,
                                       const char     *what,
                                       const GError   *error);

G_END_DECLS
