/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "viv-accounts.h"

G_BEGIN_DECLS

#define VIV_TYPE_NEW_SANDBOX_DIALOG (viv_new_sandbox_dialog_get_type ())
G_DECLARE_FINAL_TYPE (VivNewSandboxDialog, viv_new_sandbox_dialog, VIV, NEW_SANDBOX_DIALOG, AdwWindow)

VivNewSandboxDialog *viv_new_sandbox_dialog_new            (VivAccounts  *accounts);
GHashTable          *viv_new_sandbox_dialog_parse_metadata (const char   *text,
                                                            GError      **error);

G_END_DECLS
