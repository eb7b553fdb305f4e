/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(VIVARIUM_INSIDE) && !defined(VIVARIUM_COMPILATION)
# error "Only <vivarium.h> can be included directly."
#endif

#include <gio/gio.h>

#include "viv-client.h"

G_BEGIN_DECLS

#define VIV_TYPE_SANDBOX_LIST (viv_sandbox_list_get_type ())
G_DECLARE_FINAL_TYPE (VivSandboxList, viv_sandbox_list, VIV, SANDBOX_LIST, GObject)

VivSandboxList *viv_sandbox_list_new           (void);
void            viv_sandbox_list_add_client    (VivSandboxList      *self,
                                                VivClient           *client);
void            viv_sandbox_list_remove_client (VivSandboxList      *self,
                                                VivClient           *client);
guint           viv_sandbox_list_get_interval  (VivSandboxList      *self);
void            viv_sandbox_list_set_interval  (VivSandboxList      *self,
                                                guint                seconds);
void            viv_sandbox_list_refresh_async (VivSandboxList      *self,
                                                GCancellable        *cancellable,
                                                GAsyncReadyCallback  callback,
                                                gpointer             user_data);
gboolean        viv_sandbox_list_refresh_finish (VivSandboxList     *self,
                                                GAsyncResult        *result,
                                                GError             **error);

G_END_DECLS
