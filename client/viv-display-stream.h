/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#if !defined(VIVARIUM_INSIDE) && !defined(VIVARIUM_COMPILATION)
# error "Only <vivarium.h> can be included directly."
#endif

#include <gio/gio.h>

#include "viv-sandbox.h"

G_BEGIN_DECLS

#define VIV_TYPE_DISPLAY_STREAM (viv_display_stream_get_type ())
G_DECLARE_FINAL_TYPE (VivDisplayStream, viv_display_stream, VIV, DISPLAY_STREAM, GObject)

void              viv_display_stream_new_async         (VivSandbox          *sandbox,
                                                        gboolean             view_only,
                                                        const char          *holder,
                                                        GCancellable        *cancellable,
                                                        GAsyncReadyCallback  callback,
                                                        gpointer             user_data);
VivDisplayStream *viv_display_stream_new_finish        (GAsyncResult        *result,
                                                        GError             **error);
int               viv_display_stream_steal_fd          (VivDisplayStream    *self);
guint64           viv_display_stream_get_bytes_received (VivDisplayStream   *self);
guint64           viv_display_stream_get_bytes_sent    (VivDisplayStream    *self);
gboolean          viv_display_stream_get_closed        (VivDisplayStream    *self);
const char       *viv_display_stream_get_vnc_password (VivDisplayStream   *self);
void              viv_display_stream_close             (VivDisplayStream    *self);

G_END_DECLS
