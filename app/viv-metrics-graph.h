/* SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>
#include <vivarium.h>

G_BEGIN_DECLS

#define VIV_TYPE_METRICS_GRAPH (viv_metrics_graph_get_type ())
G_DECLARE_FINAL_TYPE (VivMetricsGraph, viv_metrics_graph, VIV, METRICS_GRAPH, GtkWidget)

GtkWidget *viv_metrics_graph_new         (void);
void       viv_metrics_graph_add_samples (VivMetricsGraph *self,
                                          GPtrArray       *metrics);
void       viv_metrics_graph_clear       (VivMetricsGraph *self);
guint      viv_metrics_graph_get_n_samples (VivMetricsGraph *self);

G_END_DECLS
