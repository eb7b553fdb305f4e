/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(VIVARIUM_INSIDE) && !defined(VIVARIUM_COMPILATION)
# error "Only <vivarium.h> can be included directly."
#endif

#include <gio/gio.h>

#include "viv-account.h"
#include "viv-sandbox.h"

G_BEGIN_DECLS

#define VIV_TYPE_CLIENT (viv_client_get_type ())
G_DECLARE_FINAL_TYPE (VivClient, viv_client, VIV, CLIENT, GObject)

VivClient  *viv_client_new                  (VivAccount           *account,
                                             const char           *api_key);
VivAccount *viv_client_get_account          (VivClient            *self);

void        viv_client_create_sandbox_async (VivClient            *self,
                                             const char           *template_id,
                                             guint                 timeout_seconds,
                                             GHashTable           *metadata,
                                             GHashTable           *env_vars,
                                             gboolean              auto_pause,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
VivSandbox *viv_client_create_sandbox_finish (VivClient           *self,
                                             GAsyncResult         *result,
                                             GError              **error);
void        viv_client_get_sandbox_async    (VivClient            *self,
                                             const char           *sandbox_id,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
VivSandbox *viv_client_get_sandbox_finish   (VivClient            *self,
                                             GAsyncResult         *result,
                                             GError              **error);
void        viv_client_list_sandboxes_async (VivClient            *self,
                                             VivSandboxStateFlags  states,
                                             GHashTable           *metadata,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
GPtrArray  *viv_client_list_sandboxes_finish (VivClient           *self,
                                             GAsyncResult         *result,
                                             GError              **error);
void        viv_client_kill_sandbox_async   (VivClient            *self,
                                             const char           *sandbox_id,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
gboolean    viv_client_kill_sandbox_finish  (VivClient            *self,
                                             GAsyncResult         *result,
                                             GError              **error);
void        viv_client_pause_sandbox_async  (VivClient            *self,
                                             const char           *sandbox_id,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
gboolean    viv_client_pause_sandbox_finish (VivClient            *self,
                                             GAsyncResult         *result,
                                             GError              **error);
void        viv_client_connect_sandbox_async (VivClient           *self,
                                             const char           *sandbox_id,
                                             guint                 timeout_seconds,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
VivSandbox *viv_client_connect_sandbox_finish (VivClient          *self,
                                             GAsyncResult         *result,
                                             GError              **error);
void        viv_client_set_sandbox_timeout_async (VivClient       *self,
                                             const char           *sandbox_id,
                                             guint                 timeout_seconds,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
gboolean    viv_client_set_sandbox_timeout_finish (VivClient      *self,
                                             GAsyncResult         *result,
                                             GError              **error);
void        viv_client_get_sandbox_metrics_async (VivClient       *self,
                                             const char           *sandbox_id,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
GPtrArray  *viv_client_get_sandbox_metrics_finish (VivClient      *self,
                                             GAsyncResult         *result,
                                             GError              **error);
void        viv_client_get_sandbox_logs_async (VivClient          *self,
                                             const char           *sandbox_id,
                                             GCancellable         *cancellable,
                                             GAsyncReadyCallback   callback,
                                             gpointer              user_data);
GPtrArray  *viv_client_get_sandbox_logs_finish (VivClient         *self,
                                             GAsyncResult         *result,
                                             GError              **error);

G_END_DECLS
