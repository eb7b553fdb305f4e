/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gdk/gdk.h>
#include <gvnc.h>

#include "viv-display-view.h"

G_BEGIN_DECLS

/* One VNC client session: the VncConnection (a fresh one per reconnect), its
 * authentication, the framebuffer memory and the reconnect policy. Private to
 * libvivarium-widgets; VivDisplayView and VivSandboxTile each own one, so a
 * tile and a big view of the same sandbox share nothing. */
#define VIV_TYPE_VNC_SESSION (viv_vnc_session_get_type ())
G_DECLARE_FINAL_TYPE (VivVncSession, viv_vnc_session, VIV, VNC_SESSION, GObject)

VivVncSession   *viv_vnc_session_new                 (void);
void             viv_vnc_session_open_fd             (VivVncSession *self,
                                                      int            fd);
void             viv_vnc_session_open_host           (VivVncSession *self,
                                                      const char    *host,
                                                      guint16        port);
void             viv_vnc_session_close               (VivVncSession *self);
void             viv_vnc_session_set_password        (VivVncSession *self,
                                                      const char    *password);
VivDisplayState  viv_vnc_session_get_state           (VivVncSession *self);
const char      *viv_vnc_session_get_disconnect_reason (VivVncSession *self);
const char      *viv_vnc_session_get_desktop_name    (VivVncSession *self);

/* Encodings: JPEG quality 0..9 or -1 for lossless only; compression level
 * 0..9 or -1 for the server's default; whether the cursor is drawn locally
 * (cursor pseudo-encodings) or left in the pixels by the server. */
void             viv_vnc_session_set_encoding_hints  (VivVncSession *self,
                                                      int            jpeg_quality,
                                                      int            compression_level,
                                                      gboolean       local_cursor);

/* Only valid while connected. The pixels are B,G,R,0xff in memory
 * (GDK_MEMORY_B8G8R8A8_PREMULTIPLIED): the alpha byte is forced opaque over
 * every updated rectangle. */
VncConnection   *viv_vnc_session_get_connection      (VivVncSession *self);
GBytes          *viv_vnc_session_get_pixels          (VivVncSession *self,
                                                      int           *width,
                                                      int           *height,
                                                      gsize         *stride);
gboolean         viv_vnc_session_request_update      (VivVncSession *self,
                                                      gboolean       incremental);
/* Bytes received on the socket so far (TCP only, from TCP_INFO); -1 if not known. */
gint64           viv_vnc_session_get_bytes_received  (VivVncSession *self);

G_END_DECLS
