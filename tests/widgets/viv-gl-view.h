/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define VIV_TYPE_GL_VIEW (viv_gl_view_get_type ())
G_DECLARE_FINAL_TYPE (VivGlView, viv_gl_view, VIV, GL_VIEW, GtkGLArea)

GtkWidget *viv_gl_view_new          (void);
void       viv_gl_view_open_fd      (VivGlView *self,
                                     int        fd);
gboolean   viv_gl_view_is_connected (VivGlView *self);
void       viv_gl_view_get_counters (VivGlView *self,
                                     guint64   *frames,
                                     guint64   *pixels,
                                     gint64    *latency_sum_us);

G_END_DECLS
