/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* An input stream that reports how much was read from it, on the context of
 * the async reads (so progress arrives on the caller's main loop). */
typedef void (*VivProgressFunc) (goffset  done,
                                 goffset  unused,
                                 gpointer user_data);

#define VIV_TYPE_PROGRESS_STREAM (viv_progress_stream_get_type ())
G_DECLARE_FINAL_TYPE (VivProgressStream, viv_progress_stream, VIV, PROGRESS_STREAM, GFilterInputStream)

GInputStream *_viv_progress_stream_new (GInputStream    *base,
                                        VivProgressFunc  func,
                                        gpointer         user_data);

G_END_DECLS
