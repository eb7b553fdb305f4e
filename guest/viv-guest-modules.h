/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "viv-guest.h"

G_BEGIN_DECLS

/* The parts of the guest, each in its own folder, each adding its routes. */

/* display/: starts and supervises Xvnc and the session (or checks an attached
 * display), and serves the VNC WebSocket. */
gboolean viv_display_start          (VivGuest  *guest,
                                     GError   **error);
void     viv_display_stop           (VivGuest  *guest);
void     viv_vnc_proxy_register     (VivGuest  *guest);

/* desktop/: screenshots, input, windows, apps, clipboard. */
void     viv_desktop_register       (VivGuest  *guest);
/* Stops the X worker thread; called once, before the process exits. */
void     viv_desktop_shutdown       (VivGuest  *guest);

/* envd/: E2B envd's plain HTTP API, Connect-RPC services and port forwarding. */
void     viv_envd_http_register     (VivGuest  *guest);
void     viv_envd_rpc_register      (VivGuest  *guest);
void     viv_port_forward_register  (VivGuest  *guest);

G_END_DECLS
