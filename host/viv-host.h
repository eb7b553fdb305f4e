/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define VIV_TYPE_HOST (viv_host_get_type ())
G_DECLARE_FINAL_TYPE (VivHost, viv_host, VIV, HOST, GObject)

typedef struct
{
  char    *state_dir;     /* NULL: $XDG_STATE_HOME/vivarium/host */
  char    *address;       /* NULL: 127.0.0.1 */
  guint16  port_api;      /* 0: any free port */
  guint16  port_sandbox;  /* 0: any free port */
  char    *domain;        /* NULL: "localhost" */
  char    *guest_binary;  /* NULL: $VIVARIUM_GUEST, the build tree's, or LIBEXECDIR's */
} VivHostOptions;

VivHost    *viv_host_new                (const VivHostOptions  *options,
                                         GError               **error);
/* Listens, adopts the sandboxes that survived a previous host, writes the
 * discovery file. */
gboolean    viv_host_start              (VivHost               *self,
                                         GError               **error);
void        viv_host_stop               (VivHost               *self);

char       *viv_host_default_state_dir  (void);
char       *viv_host_discovery_path     (void);

G_END_DECLS
