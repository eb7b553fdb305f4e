/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "viv-metrics-graph.h"

/* CPU and memory use of a sandbox over the last minutes, as two lines on a
 * 0–100 % scale with a legend that gives the latest values. Samples come
 * from whoever polls the metrics; the graph merges them by time, so a
 * server that answers with its whole history (E2B) and one that answers
 * with a single fresh sample (the local host) both draw the same way. */

/* How much history the graph shows. */
#define WINDOW_SECONDS (5 * 60)
/* A longer silence between samples (paused, unreachable) breaks the line. */
#define GAP_SECONDS 30

typedef struct
{
  gint64 time;
  double cpu_pct;
  gint64 mem_used;
  gint64 mem_total;
} Sample;

struct _VivMetricsGraph
{
  GtkWidget parent_instance;

  GArray *samples;  /* Sample, oldest first */
};

G_DEFINE_FINAL_TYPE (VivMetricsGraph, viv_metrics_graph, GTK_TYPE_WIDGET)

static double
sample_mem_pct (const Sample *sample)
{
  if (sample->mem_total <= 0)
    return 0;
  return CLAMP (100.0 * (double) sample->mem_used / (double) sample->mem_total, 0, 100);
}

static double
sample_cpu_pct (const Sample *sample)
{
  return CLAMP (sample->cpu_pct, 0, 100);
}

/* GtkStyleContext is the way to read theme colors in GTK 4.8; newer GTK
 * deprecates it without a replacement for named colors. */
static void
lookup_color (GtkWidget  *widget,
              const char *name,
              const char *fallback,
              GdkRGBA    *color)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  if (!gtk_style_context_lookup_color (gtk_widget_get_style_context (widget), name, color))
    gdk_rgba_parse (color, fallback);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static void
foreground_color (GtkWidget *widget,
                  GdkRGBA   *color)
{
  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), color);
  G_GNUC_END_IGNORE_DEPRECATIONS
}

static char *
format_cpu (const Sample *sample)
{
  /* Translators: the latest CPU use of a sandbox, e.g. "CPU 12.5 %" */
  return g_strdup_printf (_("CPU %.1f %%"), sample_cpu_pct (sample));
}

static char *
format_memory (const Sample *sample)
{
  g_autofree char *used = g_format_size (MAX (sample->mem_used, 0));

  /* Translators: the latest memory use of a sandbox, e.g. "Memory 412.0 MB (21 %)" */
  return g_strdup_printf (_("Memory %s (%.0f %%)"), used, sample_mem_pct (sample));
}

static void
update_accessible (VivMetricsGraph *self)
{
  const Sample *last;
  g_autofree char *description = NULL;
  g_autofree char *used = NULL;
  g_autofree char *total = NULL;

  if (self->samples->len == 0)
    {
      gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                      GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, _("No samples yet"),
                                      -1);
      return;
    }

  last = &g_array_index (self->samples, Sample, self->samples->len - 1);
  used = g_format_size (MAX (last->mem_used, 0));
  total = g_format_size (MAX (last->mem_total, 0));
  /* Translators: what the CPU and memory graph shows, for screen readers:
   * "CPU 12.5 %, memory 412.0 MB of 2.0 GB, 30 samples" */
  description = g_strdup_printf (_("CPU %.1f %%, memory %s of %s, %u samples"),
                                 sample_cpu_pct (last), used, total, self->samples->len);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, description,
                                  -1);
}

static PangoLayout *
small_layout (GtkWidget  *widget,
              const char *text)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (widget, text);
  g_autoptr (PangoAttrList) attributes = pango_attr_list_new ();

  pango_attr_list_insert (attributes, pango_attr_scale_new (PANGO_SCALE_SMALL));
  pango_attr_list_insert (attributes, pango_attr_font_features_new ("tnum=1"));
  pango_layout_set_attributes (layout, attributes);
  return layout;
}

static void
append_layout (GtkSnapshot   *snapshot,
               PangoLayout   *layout,
               float          x,
               float          y,
               const GdkRGBA *color)
{
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

/* A colored square and its text; returns the height used. */
static int
append_legend_entry (GtkWidget     *widget,
                     GtkSnapshot   *snapshot,
                     const char    *text,
                     float          x,
                     float          y,
                     const GdkRGBA *swatch,
                     const GdkRGBA *color,
                     int           *width)
{
  g_autoptr (PangoLayout) layout = small_layout (widget, text);
  int text_width, text_height;

  pango_layout_get_pixel_size (layout, &text_width, &text_height);
  gtk_snapshot_append_color (snapshot, swatch,
                             &GRAPHENE_RECT_INIT (x, y + (text_height - 8) / 2.0f, 8, 8));
  append_layout (snapshot, layout, x + 12, y, color);
  *width = 12 + text_width;
  return text_height;
}

static void
stroke_series (cairo_t       *cr,
               GArray        *samples,
               double         (*value) (const Sample *),
               gint64         left,
               float          x,
               float          y,
               float          width,
               float          height,
               const GdkRGBA *color)
{
  const Sample *previous = NULL;
  double last_x = 0, last_y = 0;

  gdk_cairo_set_source_rgba (cr, color);
  for (guint i = 0; i < samples->len; i++)
    {
      const Sample *sample = &g_array_index (samples, Sample, i);

      if (sample->time < left)
        continue;

      last_x = x + width * (double) (sample->time - left) / WINDOW_SECONDS;
      last_y = y + height * (1.0 - value (sample) / 100.0);
      if (previous == NULL || sample->time - previous->time > GAP_SECONDS)
        cairo_move_to (cr, last_x, last_y);
      else
        cairo_line_to (cr, last_x, last_y);
      previous = sample;
    }
  cairo_stroke (cr);

  /* The latest value stands out, and a lone sample is visible at all. */
  if (previous != NULL)
    {
      cairo_arc (cr, last_x, last_y, 3, 0, 2 * G_PI);
      cairo_fill (cr);
    }
}

static void
viv_metrics_graph_snapshot (GtkWidget   *widget,
                            GtkSnapshot *snapshot)
{
  VivMetricsGraph *self = VIV_METRICS_GRAPH (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GdkRGBA foreground, dim, grid, cpu_color, memory_color;
  g_autoptr (PangoLayout) top_label = small_layout (widget, _("100 %"));
  g_autoptr (PangoLayout) start_label = NULL;
  g_autoptr (PangoLayout) end_label = small_layout (widget, _("now"));
  g_autofree char *window = NULL;
  int axis_width, label_height, legend_height = 0, end_width;
  float plot_x, plot_y, plot_width, plot_height;

  foreground_color (widget, &foreground);
  lookup_color (widget, "accent_color", "#3584e4", &cpu_color);
  lookup_color (widget, "purple_2", "#c061cb", &memory_color);
  dim = foreground;
  dim.alpha *= 0.55f;
  grid = foreground;
  grid.alpha *= 0.12f;

  /* The legend, with the latest values: one line when it fits, else two. */
  if (self->samples->len > 0)
    {
      const Sample *last = &g_array_index (self->samples, Sample, self->samples->len - 1);
      g_autofree char *cpu = format_cpu (last);
      g_autofree char *memory = format_memory (last);
      g_autoptr (PangoLayout) probe = small_layout (widget, memory);
      int cpu_width, memory_width, line_height;

      line_height = append_legend_entry (widget, snapshot, cpu, 0, 0, &cpu_color, &foreground,
                                         &cpu_width);
      pango_layout_get_pixel_size (probe, &memory_width, NULL);
      if (cpu_width + 18 + 12 + memory_width <= width)
        legend_height = append_legend_entry (widget, snapshot, memory, cpu_width + 18, 0,
                                             &memory_color, &foreground, &memory_width);
      else
        legend_height = line_height +
                        append_legend_entry (widget, snapshot, memory, 0, line_height + 2,
                                             &memory_color, &foreground, &memory_width) + 2;
      legend_height += 8;
    }

  /* Translators: the left end of the graph's time axis */
  window = g_strdup_printf (_("%d min ago"), WINDOW_SECONDS / 60);
  start_label = small_layout (widget, window);
  pango_layout_get_pixel_size (top_label, &axis_width, &label_height);
  pango_layout_get_pixel_size (end_label, &end_width, NULL);

  plot_x = axis_width + 6;
  plot_y = legend_height + label_height / 2.0f;
  plot_width = width - plot_x - 4;
  plot_height = height - plot_y - label_height / 2.0f - label_height - 4;
  if (plot_width < 16 || plot_height < 16)
    return;

  /* Grid lines at 0, 50 and 100 %, labelled at the left. */
  for (int percent = 0; percent <= 100; percent += 50)
    {
      float y = plot_y + plot_height * (1.0f - percent / 100.0f);
      g_autofree char *text = g_strdup_printf (_("%d %%"), percent);
      g_autoptr (PangoLayout) layout = small_layout (widget, text);
      int text_width;

      pango_layout_get_pixel_size (layout, &text_width, NULL);
      gtk_snapshot_append_color (snapshot, &grid,
                                 &GRAPHENE_RECT_INIT (plot_x, (int) y, plot_width, 1));
      append_layout (snapshot, layout, plot_x - 6 - text_width, y - label_height / 2.0f, &dim);
    }
  append_layout (snapshot, start_label, plot_x, plot_y + plot_height + 4, &dim);
  append_layout (snapshot, end_label, plot_x + plot_width - end_width, plot_y + plot_height + 4,
                 &dim);

  if (self->samples->len > 0)
    {
      gint64 right = g_array_index (self->samples, Sample, self->samples->len - 1).time;
      cairo_t *cr = gtk_snapshot_append_cairo (snapshot,
                                               &GRAPHENE_RECT_INIT (plot_x - 4, plot_y - 4,
                                                                    plot_width + 8,
                                                                    plot_height + 8));

      cairo_set_line_width (cr, 2);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
      stroke_series (cr, self->samples, sample_mem_pct, right - WINDOW_SECONDS,
                     plot_x, plot_y, plot_width, plot_height, &memory_color);
      stroke_series (cr, self->samples, sample_cpu_pct, right - WINDOW_SECONDS,
                     plot_x, plot_y, plot_width, plot_height, &cpu_color);
      cairo_destroy (cr);
    }
}

static void
viv_metrics_graph_measure (GtkWidget      *widget,
                           GtkOrientation  orientation,
                           int             for_size,
                           int            *minimum,
                           int            *natural,
                           int            *minimum_baseline,
                           int            *natural_baseline)
{
  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = 160;
      *natural = 300;
    }
  else
    {
      *minimum = 140;
      *natural = 160;
    }
}

static void
viv_metrics_graph_css_changed (GtkWidget         *widget,
                               GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (viv_metrics_graph_parent_class)->css_changed (widget, change);
  /* The colors come from the theme: a switch to dark needs a redraw. */
  gtk_widget_queue_draw (widget);
}

static void
viv_metrics_graph_finalize (GObject *object)
{
  VivMetricsGraph *self = VIV_METRICS_GRAPH (object);

  g_clear_pointer (&self->samples, g_array_unref);

  G_OBJECT_CLASS (viv_metrics_graph_parent_class)->finalize (object);
}

static void
viv_metrics_graph_class_init (VivMetricsGraphClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = viv_metrics_graph_finalize;
  widget_class->snapshot = viv_metrics_graph_snapshot;
  widget_class->measure = viv_metrics_graph_measure;
  widget_class->css_changed = viv_metrics_graph_css_changed;

  gtk_widget_class_set_css_name (widget_class, "vivmetricsgraph");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
viv_metrics_graph_init (VivMetricsGraph *self)
{
  self->samples = g_array_new (FALSE, FALSE, sizeof (Sample));
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("CPU and memory over the last minutes"),
                                  -1);
  update_accessible (self);
}

GtkWidget *
viv_metrics_graph_new (void)
{
  return g_object_new (VIV_TYPE_METRICS_GRAPH, NULL);
}

/**
 * viv_metrics_graph_add_samples:
 * @metrics: (element-type VivMetric): samples in any order
 *
 * Merges samples into the graph; one with the time of a known sample
 * replaces it. Samples older than the window are dropped.
 */
void
viv_metrics_graph_add_samples (VivMetricsGraph *self,
                               GPtrArray       *metrics)
{
  gint64 oldest;
  guint keep_from = 0;

  g_return_if_fail (VIV_IS_METRICS_GRAPH (self));
  g_return_if_fail (metrics != NULL);

  for (guint i = 0; i < metrics->len; i++)
    {
      const VivMetric *metric = g_ptr_array_index (metrics, i);
      Sample sample = {
        .time = metric->timestamp_unix,
        .cpu_pct = metric->cpu_used_pct,
        .mem_used = metric->mem_used,
        .mem_total = metric->mem_total,
      };
      guint position = self->samples->len;

      /* Samples mostly arrive in order: search from the newest end. */
      while (position > 0 && g_array_index (self->samples, Sample, position - 1).time > sample.time)
        position--;
      if (position > 0 && g_array_index (self->samples, Sample, position - 1).time == sample.time)
        g_array_index (self->samples, Sample, position - 1) = sample;
      else
        g_array_insert_val (self->samples, position, sample);
    }

  if (self->samples->len > 0)
    {
      oldest = g_array_index (self->samples, Sample, self->samples->len - 1).time - WINDOW_SECONDS - GAP_SECONDS;
      while (keep_from < self->samples->len &&
             g_array_index (self->samples, Sample, keep_from).time < oldest)
        keep_from++;
      g_array_remove_range (self->samples, 0, keep_from);
    }

  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
viv_metrics_graph_clear (VivMetricsGraph *self)
{
  g_return_if_fail (VIV_IS_METRICS_GRAPH (self));

  if (self->samples->len == 0)
    return;
  g_array_set_size (self->samples, 0);
  update_accessible (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

guint
viv_metrics_graph_get_n_samples (VivMetricsGraph *self)
{
  g_return_val_if_fail (VIV_IS_METRICS_GRAPH (self), 0);

  return self->samples->len;
}
