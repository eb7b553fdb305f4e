/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(VIVARIUM_WIDGETS_INSIDE) && !defined(VIVARIUM_WIDGETS_COMPILATION)
# error "Only <vivarium-widgets.h> can be included directly."
#endif

#include <gtk/gtk.h>

#include "viv-display-view.h"

G_BEGIN_DECLS

#define VIV_TYPE_SANDBOX_TILE (viv_sandbox_tile_get_type ())
G_DECLARE_FINAL_TYPE (VivSandboxTile, viv_sandbox_tile, VIV, SANDBOX_TILE, GtkWidget)

GtkWidget       *viv_sandbox_tile_new           (void);
void             viv_sandbox_tile_open_fd       (VivSandboxTile *self,
                                                 int             fd);
void             viv_sandbox_tile_open_host     (VivSandboxTile *self,
                                                 const char     *host,
                                                 guint16         port);
void             viv_sandbox_tile_close         (VivSandboxTile *self);
void             viv_sandbox_tile_set_password  (VivSandboxTile *self,
                                                 const char     *password);
VivDisplayState  viv_sandbox_tile_get_state     (VivSandboxTile *self);
guint            viv_sandbox_tile_get_interval  (VivSandboxTile *self);
void             viv_sandbox_tile_set_interval  (VivSandboxTile *self,
                                                 guint           interval_ms);
GdkTexture      *viv_sandbox_tile_get_thumbnail (VivSandboxTile *self);

G_END_DECLS
