/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gvnc.h>
#include <libsoup/soup.h>
#include <X11/Xlib.h>

#include "viv-test-harness.h"

G_BEGIN_DECLS

/* A real VNC client (gvnc) reading the guest's display, either through the
 * guest's WebSocket endpoint (bridged through a socketpair, as the client
 * library does) or straight from a VNC Unix socket. Its framebuffer is 32-bit
 * 0x00RRGGBB in host order. Updates are only requested by the test. */
typedef struct
{
  VncConnection           *connection;
  SoupWebsocketConnection *websocket;
  GSocketConnection       *bridge;
  GQueue                   to_bridge;   /* of GBytes */
  gboolean                 writing;
  GCancellable            *cancellable;

  guint32                 *pixels;
  int                      width;
  int                      height;
  gboolean                 initialized;
  gboolean                 disconnected;
  guint                    updates;     /* framebuffer rects received */
  guint64                  area;        /* pixels they covered */
  guint64                  ws_bytes;    /* bytes received over the WebSocket */
} VivTestViewer;

/* Opens /desktop/vnc@query with @token ("" for none); NULL and the HTTP status
 * when the upgrade is refused. */
VivTestViewer *viv_test_viewer_open_websocket (VivTestGuest  *guest,
                                               SoupSession   *session,
                                               const char    *query,
                                               const char    *token,
                                               guint         *status);
VivTestViewer *viv_test_viewer_open_socket    (const char    *vnc_socket);
void           viv_test_viewer_close          (VivTestViewer *viewer);
/* Waits for the RFB handshake; FALSE if the connection ended first. */
gboolean       viv_test_viewer_wait_ready     (VivTestViewer *viewer);
/* Asks for the whole screen and waits for the whole answer. Since
 * the server handles one client's messages in order, anything sent before
 * has been handled when this returns. */
void           viv_test_viewer_refresh        (VivTestViewer *viewer);
guint32        viv_test_viewer_pixel          (VivTestViewer *viewer,
                                               int            x,
                                               int            y);
/* Refreshes until the pixel at x,y is @rgb; FALSE on timeout. */
gboolean       viv_test_viewer_wait_pixel     (VivTestViewer *viewer,
                                               int            x,
                                               int            y,
                                               guint32        rgb);

/* Iterates the main context until @condition holds or @timeout_ms passed. */
#define VIV_TEST_WAIT_FOR(condition, timeout_ms)                                      \
  G_STMT_START {                                                                       \
    gint64 viv_deadline_ = g_get_monotonic_time () + (gint64) (timeout_ms) * 1000;     \
    while (!(condition) && g_get_monotonic_time () < viv_deadline_)                    \
      if (!g_main_context_iteration (NULL, FALSE))                                     \
        g_usleep (2000);                                                               \
    if (!(condition))                                                                  \
      g_error ("Timed out waiting for %s", #condition);                                \
  } G_STMT_END

G_END_DECLS
