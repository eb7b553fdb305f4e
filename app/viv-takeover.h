/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <vivarium.h>

G_BEGIN_DECLS

/* The guest's takeover lock (POST/DELETE /desktop/takeover). A stop-gap
 * until libvivarium's desktop facet has it: it goes through the client's
 * private request helpers, so the app still speaks no HTTP of its own. */
void     viv_takeover_acquire_async  (VivSandbox           *sandbox,
                                      const char           *holder,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
gboolean viv_takeover_acquire_finish (GAsyncResult         *result,
                                      GError              **error);
void     viv_takeover_release_async  (VivSandbox           *sandbox,
                                      const char           *holder,
                                      GCancellable         *cancellable,
                                      GAsyncReadyCallback   callback,
                                      gpointer              user_data);
gboolean viv_takeover_release_finish (GAsyncResult         *result,
                                      GError              **error);
char    *viv_takeover_default_holder (void);

G_END_DECLS
