/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "viv-accounts.h"

G_BEGIN_DECLS

#define VIV_TYPE_APPLICATION (viv_application_get_type ())
G_DECLARE_FINAL_TYPE (VivApplication, viv_application, VIV, APPLICATION, AdwApplication)

VivApplication *viv_application_new          (const char     *application_id);
VivAccounts    *viv_application_get_accounts (VivApplication *self);
GSettings      *viv_application_get_settings (VivApplication *self);

#define VIV_APPLICATION_DEFAULT (VIV_APPLICATION (g_application_get_default ()))

G_END_DECLS
