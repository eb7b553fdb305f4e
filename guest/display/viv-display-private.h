/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Helpers of the display supervisor (viv-display-child.c). */

/* Starts @argv in its own process group, dying with the guest, with DISPLAY and
 * XAUTHORITY set when given and its output appended to @log_path. */
GSubprocess *_viv_display_spawn             (const char * const  *argv,
                                             const char          *display,
                                             const char          *xauthority,
                                             const char          *log_path,
                                             GError             **error);

/* Writes an Xauthority file holding a fresh MIT-MAGIC-COOKIE-1 for display
 * @number, readable by its owner only. */
gboolean     _viv_display_write_xauthority  (const char          *path,
                                             int                  number,
                                             GError             **error);

/* Whether the Unix socket at @path accepts a connection now (never blocks). */
gboolean     _viv_display_socket_accepts    (const char          *path);

/* "exited with status 1", "was killed by signal 9" */
char        *_viv_display_describe_exit     (GSubprocess         *process);

G_END_DECLS
