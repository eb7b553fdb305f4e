/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <vivarium.h>

G_BEGIN_DECLS

#define VIV_TYPE_SANDBOX_CARD (viv_sandbox_card_get_type ())
G_DECLARE_FINAL_TYPE (VivSandboxCard, viv_sandbox_card, VIV, SANDBOX_CARD, GtkWidget)

VivSandbox *viv_sandbox_card_get_sandbox (VivSandboxCard *self);
void        viv_sandbox_card_set_sandbox (VivSandboxCard *self,
                                          VivSandbox     *sandbox);

G_END_DECLS
