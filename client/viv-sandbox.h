/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(VIVARIUM_INSIDE) && !defined(VIVARIUM_COMPILATION)
# error "Only <vivarium.h> can be included directly."
#endif

#include <gio/gio.h>

G_BEGIN_DECLS

/**
 * VivSandboxState:
 * @VIV_SANDBOX_STATE_UNKNOWN: not known yet, or a state this library does not know
 * @VIV_SANDBOX_STATE_RUNNING: running
 * @VIV_SANDBOX_STATE_PAUSED: paused; resuming restores it
 * @VIV_SANDBOX_STATE_KILLED: killed; it is gone
 *
 * The lifecycle state of a sandbox.
 */
typedef enum
{
  VIV_SANDBOX_STATE_UNKNOWN,
  VIV_SANDBOX_STATE_RUNNING,
  VIV_SANDBOX_STATE_PAUSED,
  VIV_SANDBOX_STATE_KILLED,
} VivSandboxState;

/**
 * VivSandboxStateFlags:
 * @VIV_SANDBOX_STATE_FLAGS_ANY: running and paused sandboxes
 * @VIV_SANDBOX_STATE_FLAGS_RUNNING: running sandboxes
 * @VIV_SANDBOX_STATE_FLAGS_PAUSED: paused sandboxes
 *
 * Which states a listing includes.
 */
typedef enum /*< flags >*/
{
  VIV_SANDBOX_STATE_FLAGS_ANY     = 0,
  VIV_SANDBOX_STATE_FLAGS_RUNNING = 1 << 0,
  VIV_SANDBOX_STATE_FLAGS_PAUSED  = 1 << 1,
} VivSandboxStateFlags;

typedef struct _VivClient VivClient;

#define VIV_TYPE_SANDBOX (viv_sandbox_get_type ())
G_DECLARE_FINAL_TYPE (VivSandbox, viv_sandbox, VIV, SANDBOX, GObject)

VivClient       *viv_sandbox_get_client            (VivSandbox          *self);
const char      *viv_sandbox_get_id                (VivSandbox          *self);
const char      *viv_sandbox_get_template_id       (VivSandbox          *self);
const char      *viv_sandbox_get_alias             (VivSandbox          *self);
VivSandboxState  viv_sandbox_get_state             (VivSandbox          *self);
GHashTable      *viv_sandbox_get_metadata          (VivSandbox          *self);
const char      *viv_sandbox_get_metadata_value    (VivSandbox          *self,
                                                    const char          *key);
GDateTime       *viv_sandbox_get_started_at        (VivSandbox          *self);
GDateTime       *viv_sandbox_get_end_at            (VivSandbox          *self);
guint            viv_sandbox_get_cpu_count         (VivSandbox          *self);
guint            viv_sandbox_get_memory_mb         (VivSandbox          *self);
guint            viv_sandbox_get_disk_size_mb      (VivSandbox          *self);
const char      *viv_sandbox_get_envd_version      (VivSandbox          *self);
const char      *viv_sandbox_get_domain            (VivSandbox          *self);
gboolean         viv_sandbox_get_auto_pause        (VivSandbox          *self);

void             viv_sandbox_refresh_async         (VivSandbox          *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean         viv_sandbox_refresh_finish        (VivSandbox          *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
void             viv_sandbox_pause_async           (VivSandbox          *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean         viv_sandbox_pause_finish          (VivSandbox          *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
void             viv_sandbox_resume_async          (VivSandbox          *self,
                                                    guint                timeout_seconds,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean         viv_sandbox_resume_finish         (VivSandbox          *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
void             viv_sandbox_kill_async            (VivSandbox          *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean         viv_sandbox_kill_finish           (VivSandbox          *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
void             viv_sandbox_set_timeout_async     (VivSandbox          *self,
                                                    guint                timeout_seconds,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
gboolean         viv_sandbox_set_timeout_finish    (VivSandbox          *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);
void             viv_sandbox_get_env_vars_async    (VivSandbox          *self,
                                                    GCancellable        *cancellable,
                                                    GAsyncReadyCallback  callback,
                                                    gpointer             user_data);
GHashTable      *viv_sandbox_get_env_vars_finish   (VivSandbox          *self,
                                                    GAsyncResult        *result,
                                                    GError             **error);

G_END_DECLS
