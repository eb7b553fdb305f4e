/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <vivarium.h>

G_BEGIN_DECLS

void          viv_files_follow_link_async  (VivFiles            *files,
                                            VivFileEntry        *link,
                                            GCancellable        *cancellable,
                                            GAsyncReadyCallback  callback,
                                            gpointer             user_data);
VivFileEntry *viv_files_follow_link_finish (VivFiles            *files,
                                            GAsyncResult        *result,
                                            GError             **error);

G_END_DECLS
