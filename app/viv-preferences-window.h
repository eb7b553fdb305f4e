/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "viv-application.h"

G_BEGIN_DECLS

#define VIV_TYPE_PREFERENCES_WINDOW (viv_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (VivPreferencesWindow, viv_preferences_window, VIV, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

VivPreferencesWindow *viv_preferences_window_new (VivApplication *application);

G_END_DECLS
