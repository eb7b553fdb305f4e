/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(VIVARIUM_INSIDE) && !defined(VIVARIUM_COMPILATION)
# error "Only <vivarium.h> can be included directly."
#endif

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * VivAccountKind:
 * @VIV_ACCOUNT_KIND_E2B_CLOUD: E2B's cloud (`https://api.e2b.app`)
 * @VIV_ACCOUNT_KIND_CUSTOM: a self-hosted or other E2B-compatible service
 * @VIV_ACCOUNT_KIND_LOCAL_HOST: the `vivarium-host` running on this machine
 *
 * Which kind of backend an account talks to.
 */
typedef enum
{
  VIV_ACCOUNT_KIND_E2B_CLOUD,
  VIV_ACCOUNT_KIND_CUSTOM,
  VIV_ACCOUNT_KIND_LOCAL_HOST,
} VivAccountKind;

/**
 * VIV_E2B_CLOUD_API_URL:
 *
 * The control-plane URL of E2B's cloud.
 */
#define VIV_E2B_CLOUD_API_URL "https://api.e2b.app"
/**
 * VIV_E2B_CLOUD_SANDBOX_URL:
 *
 * The shared envd URL of E2B's cloud, which routes by the `E2b-Sandbox-Id` header.
 */
#define VIV_E2B_CLOUD_SANDBOX_URL "https://sandbox.e2b.app"
/**
 * VIV_E2B_CLOUD_DOMAIN:
 *
 * The sandbox domain of E2B's cloud.
 */
#define VIV_E2B_CLOUD_DOMAIN "e2b.app"

#define VIV_TYPE_ACCOUNT (viv_account_get_type ())
G_DECLARE_FINAL_TYPE (VivAccount, viv_account, VIV, ACCOUNT, GObject)

VivAccount     *viv_account_new                     (VivAccountKind       kind,
                                                     const char          *id,
                                                     const char          *display_name,
                                                     const char          *api_url,
                                                     const char          *sandbox_url,
                                                     const char          *domain);
VivAccount     *viv_account_new_for_local_host      (const char          *discovery_file,
                                                     GError             **error);
char           *viv_account_get_default_discovery_file (void);
const char     *viv_account_get_id                  (VivAccount          *self);
VivAccountKind  viv_account_get_kind                (VivAccount          *self);
const char     *viv_account_get_display_name        (VivAccount          *self);
void            viv_account_set_display_name        (VivAccount          *self,
                                                     const char          *display_name);
const char     *viv_account_get_api_url             (VivAccount          *self);
void            viv_account_set_api_url             (VivAccount          *self,
                                                     const char          *api_url);
const char     *viv_account_get_sandbox_url         (VivAccount          *self);
void            viv_account_set_sandbox_url         (VivAccount          *self,
                                                     const char          *sandbox_url);
const char     *viv_account_get_domain              (VivAccount          *self);
void            viv_account_set_domain              (VivAccount          *self,
                                                     const char          *domain);
const char     *viv_account_get_api_key_file        (VivAccount          *self);

void            viv_account_store_api_key_async     (VivAccount          *self,
                                                     const char          *api_key,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean        viv_account_store_api_key_finish    (VivAccount          *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
void            viv_account_lookup_api_key_async    (VivAccount          *self,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
char           *viv_account_lookup_api_key_finish   (VivAccount          *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);
void            viv_account_clear_api_key_async     (VivAccount          *self,
                                                     GCancellable        *cancellable,
                                                     GAsyncReadyCallback  callback,
                                                     gpointer             user_data);
gboolean        viv_account_clear_api_key_finish    (VivAccount          *self,
                                                     GAsyncResult        *result,
                                                     GError             **error);

GListModel     *viv_account_load_all                (const char          *path,
                                                     GError             **error);
gboolean        viv_account_save_all                (GListModel          *accounts,
                                                     const char          *path,
                                                     GError             **error);

G_END_DECLS
