/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "viv-error.h"

G_BEGIN_DECLS

/* An error for a non-2xx HTTP answer: the server's {"code","message"} when the
 * body is that JSON, else a message saying what came back (an HTML page, ...). */
GError *_viv_error_from_http      (guint        status,
                                   const char  *content_type,
                                   GBytes      *body);
/* An error for a Connect-RPC error code ("not_found", ...). */
GError *_viv_error_from_connect   (const char  *code,
                                   const char  *message);
/* Maps transport errors (connection refused, TLS, timeouts) into VIV_ERROR,
 * keeping G_IO_ERROR_CANCELLED as it is. Takes ownership of @error. */
GError *_viv_error_from_transport (GError      *error);

G_END_DECLS
