/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "vivarium.h"

G_BEGIN_DECLS

/* Runs the main context until an async call hands its result to
 * viv_test_result_cb, then returns that result (owned by the caller). */
void          viv_test_result_cb   (GObject      *object,
                                    GAsyncResult *result,
                                    gpointer      user_data);
GAsyncResult *viv_test_wait_result (GAsyncResult **slot);
/* Iterates the main context until *flag or @timeout_ms passed. */
gboolean      viv_test_wait_flag   (gboolean     *flag,
                                    guint         timeout_ms);
char         *viv_test_fixture     (const char   *name,
                                    gsize        *length);

G_END_DECLS
