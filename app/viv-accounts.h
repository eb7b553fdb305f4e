/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <vivarium.h>

G_BEGIN_DECLS

#define VIV_TYPE_ACCOUNTS (viv_accounts_get_type ())
G_DECLARE_FINAL_TYPE (VivAccounts, viv_accounts, VIV, ACCOUNTS, GObject)

VivAccounts    *viv_accounts_new               (void);
GListModel     *viv_accounts_get_accounts      (VivAccounts          *self);
VivSandboxList *viv_accounts_get_sandboxes     (VivAccounts          *self);
VivClient      *viv_accounts_get_client        (VivAccounts          *self,
                                                VivAccount           *account);
VivAccount     *viv_accounts_get_local_host    (VivAccounts          *self);
gboolean        viv_accounts_get_loaded        (VivAccounts          *self);
void            viv_accounts_add_async         (VivAccounts          *self,
                                                VivAccount           *account,
                                                const char           *api_key,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
gboolean        viv_accounts_add_finish        (VivAccounts          *self,
                                                GAsyncResult         *result,
                                                GError              **error);
void            viv_accounts_remove            (VivAccounts          *self,
                                                VivAccount           *account);
void            viv_accounts_test_async        (VivAccounts          *self,
                                                VivAccount           *account,
                                                GCancellable         *cancellable,
                                                GAsyncReadyCallback   callback,
                                                gpointer              user_data);
guint           viv_accounts_test_finish       (VivAccounts          *self,
                                                GAsyncResult         *result,
                                                GError              **error);

G_END_DECLS
