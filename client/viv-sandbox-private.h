/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "vivarium.h"

G_BEGIN_DECLS

/* envd's port; the E2B proxy routes to it with E2b-Sandbox-Port (spec §2.1). */
#define VIV_ENVD_PORT 49983

VivSandbox *_viv_sandbox_new_from_json       (VivClient           *client,
                                              JsonObject          *object,
                                              GError             **error);
/* Tests that talk to a guest directly make a sandbox without a control plane. */
VivSandbox *_viv_sandbox_new_for_testing     (VivClient           *client,
                                              const char          *id,
                                              const char          *access_token);
/* Takes the values of a server answer, notifying only what changed. */
gboolean    _viv_sandbox_update_from_json    (VivSandbox          *self,
                                              JsonObject          *object,
                                              GError             **error);
/* Takes @other's values (a newer listing of the same sandbox). */
void        _viv_sandbox_update_from         (VivSandbox          *self,
                                              VivSandbox          *other);
void        _viv_sandbox_set_state           (VivSandbox          *self,
                                              VivSandboxState      state);
const char *_viv_sandbox_get_access_token    (VivSandbox          *self);
const char *_viv_sandbox_get_client_id       (VivSandbox          *self);

/* Listings carry no envd access token; this fetches the details once when
 * needed before talking to envd. */
void        _viv_sandbox_ensure_envd_async   (VivSandbox          *self,
                                              GCancellable        *cancellable,
                                              GAsyncReadyCallback  callback,
                                              gpointer             user_data);
gboolean    _viv_sandbox_ensure_envd_finish  (VivSandbox          *self,
                                              GAsyncResult        *result,
                                              GError             **error);
/* The base URL for a port of the sandbox: the account's shared sandbox URL
 * (routed by headers), else https://<port>-<id>.<domain> (spec §3). */
char       *_viv_sandbox_dup_base_url        (VivSandbox          *self,
                                              guint                port);
/* A request to a port of the sandbox with the routing and auth headers. */
SoupMessage *_viv_sandbox_new_message        (VivSandbox          *self,
                                              const char          *method,
                                              guint                port,
                                              const char          *path_and_query);
void        _viv_sandbox_add_headers         (VivSandbox          *self,
                                              SoupMessageHeaders  *headers,
                                              guint                port);

G_END_DECLS
