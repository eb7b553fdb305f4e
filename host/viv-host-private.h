/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "viv-host.h"
#include "viv-sandbox.h"
#include "viv-template.h"

G_BEGIN_DECLS

struct _VivHost
{
  GObject         parent_instance;

  char           *state_dir;
  char           *sandboxes_dir;
  char           *templates_dir;
  char           *api_key;
  char           *api_key_file;
  char           *address;
  char           *domain;
  char           *guest_binary;
  char           *discovery_path;
  guint16         port_api;
  guint16         port_sandbox;

  SoupServer     *api_server;
  GSocketService *proxy_service;
  GHashTable     *sandboxes;   /* id -> VivSandbox, the ones that are ready */
  GHashTable     *templates;   /* name -> VivTemplate */
  guint           tick_id;
  VivFreezer      freezer;     /* for new sandboxes; adopted ones keep theirs */
};

/* Lifecycle operations shared by the control plane and the timeout ticker.
 * Errors use VIV_HOST_ERROR with the HTTP status as code. */
#define VIV_HOST_ERROR (viv_host_error_quark ())
GQuark      viv_host_error_quark        (void);

VivSandbox *viv_host_lookup             (VivHost              *self,
                                         const char           *id);

typedef struct
{
  VivTemplate *template;
  gint64       timeout_s;
  JsonObject  *metadata;
  JsonObject  *env_vars;
  gboolean     auto_pause;
  gboolean     auto_resume;
} VivCreateOptions;

void        viv_host_create_async       (VivHost              *self,
                                         const VivCreateOptions *options,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
VivSandbox *viv_host_create_finish      (VivHost              *self,
                                         GAsyncResult         *result,
                                         GError              **error);
/* Pause, resume (with the new TTL) and kill. */
void        viv_host_set_paused_async   (VivHost              *self,
                                         VivSandbox           *sandbox,
                                         gboolean              paused,
                                         gint64                timeout_s,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
gboolean    viv_host_set_paused_finish  (VivHost              *self,
                                         GAsyncResult         *result,
                                         GError              **error);
void        viv_host_kill_async         (VivHost              *self,
                                         VivSandbox           *sandbox,
                                         GAsyncReadyCallback   callback,
                                         gpointer              user_data);
gboolean    viv_host_kill_finish        (VivHost              *self,
                                         GAsyncResult         *result,
                                         GError              **error);
void        viv_host_set_end_at         (VivHost              *self,
                                         VivSandbox           *sandbox,
                                         gint64                end_at);

/* viv-host-api.c */
void        _viv_host_api_init          (VivHost              *self);
/* viv-host-proxy.c */
void        _viv_host_proxy_init        (VivHost              *self);

/* The sandboxes as a new array (no references taken). */
GPtrArray  *viv_host_list_sandboxes     (VivHost              *self);

/* Constant-time comparison for secrets. */
gboolean    viv_secret_equal            (const char           *given,
                                         const char           *expected);

G_END_DECLS
