/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "viv-details-panel.h"
#include "viv-details-value-row.h"
#include "viv-format.h"
#include "viv-metrics-graph.h"

/* What a sandbox is: id, template, account, state, times with a live
 * countdown, CPU and memory over the last minutes, metadata and env vars.
 * The countdown ticks and the metrics are polled only while the panel is
 * on screen; everything else follows the sandbox's property notifications. */

/* How often the metrics are read while the panel shows. */
#define METRICS_INTERVAL_SECONDS 5

struct _VivDetailsPanel
{
  GtkWidget parent_instance;

  VivSandbox         *sandbox;
  GSignalGroup       *sandbox_signals;
  /* Requests for the current sandbox; cancelled when it changes. */
  GCancellable       *cancellable;
  GPtrArray          *metadata_rows;
  GPtrArray          *env_rows;
  guint               tick_source;
  guint               metrics_source;
  guint               metrics_busy : 1;
  guint               env_busy : 1;
  guint               env_loaded : 1;

  VivDetailsValueRow *id_row;
  VivDetailsValueRow *template_row;
  VivDetailsValueRow *account_row;
  VivDetailsValueRow *state_row;
  VivDetailsValueRow *resources_row;
  VivDetailsValueRow *started_row;
  VivDetailsValueRow *ends_row;
  VivDetailsValueRow *time_left_row;
  GtkStack           *metrics_stack;
  VivMetricsGraph    *metrics_graph;
  GtkLabel           *metrics_title;
  GtkLabel           *metrics_reason;
  AdwPreferencesGroup *metadata_group;
  AdwActionRow       *metadata_placeholder;
  AdwPreferencesGroup *env_group;
  AdwActionRow       *env_placeholder;
};

enum {
  PROP_0,
  PROP_SANDBOX,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (VivDetailsPanel, viv_details_panel, GTK_TYPE_WIDGET)

static void poll_metrics (VivDetailsPanel *self);
static void load_env_vars (VivDetailsPanel *self);
static void update_reload_action (VivDetailsPanel *self);

static char *
format_time (GDateTime *time)
{
  g_autoptr (GDateTime) local = NULL;

  if (time == NULL)
    return g_strdup (_("Unknown"));
  local = g_date_time_to_local (time);
  /* Translators: a date and time as g_date_time_format() takes it */
  return g_date_time_format (local, _("%Y-%m-%d %H:%M:%S"));
}

/* "29:58 left", changing every second. */
static char *
format_countdown (VivSandbox *sandbox)
{
  GDateTime *end_at = viv_sandbox_get_end_at (sandbox);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *clock = NULL;
  gint64 seconds;

  if (viv_sandbox_get_state (sandbox) == VIV_SANDBOX_STATE_KILLED)
    return g_strdup (_("Ended"));
  if (end_at == NULL)
    return g_strdup (_("No time limit"));
  if (viv_sandbox_get_state (sandbox) == VIV_SANDBOX_STATE_PAUSED)
    return g_strdup (_("Paused: the timer is stopped"));

  /* Rounded up, so "00:00" is never shown while time remains. */
  seconds = (g_date_time_difference (end_at, now) + G_TIME_SPAN_SECOND - 1) / G_TIME_SPAN_SECOND;
  if (seconds <= 0)
    return g_strdup (_("Ending now"));
  if (seconds >= 3600)
    clock = g_strdup_printf ("%d:%02d:%02d", (int) (seconds / 3600), (int) (seconds % 3600 / 60),
                             (int) (seconds % 60));
  else
    clock = g_strdup_printf ("%02d:%02d", (int) (seconds / 60), (int) (seconds % 60));
  /* Translators: %s is the time left as a clock, e.g. "29:58" or "1:05:00" */
  return g_strdup_printf (_("%s left"), clock);
}

static char *
format_template (VivSandbox *sandbox)
{
  const char *template_id = viv_sandbox_get_template_id (sandbox);
  const char *alias = viv_sandbox_get_alias (sandbox);

  if (alias != NULL && *alias != '\0' && g_strcmp0 (alias, template_id) != 0)
    return g_strdup_printf ("%s (%s)", alias, template_id ? template_id : "");
  if (template_id == NULL || *template_id == '\0')
    return g_strdup (_("No template"));
  return g_strdup (template_id);
}

static char *
format_resources (VivSandbox *sandbox)
{
  guint cpus = viv_sandbox_get_cpu_count (sandbox);
  guint memory_mb = viv_sandbox_get_memory_mb (sandbox);
  guint disk_mb = viv_sandbox_get_disk_size_mb (sandbox);
  g_autoptr (GString) text = g_string_new (NULL);

  if (cpus > 0)
    g_string_append_printf (text, g_dngettext (GETTEXT_PACKAGE, "%u CPU", "%u CPUs", cpus), cpus);
  if (memory_mb > 0)
    {
      g_autofree char *memory = g_format_size ((guint64) memory_mb * 1000 * 1000);

      if (text->len > 0)
        g_string_append (text, " · ");
      /* Translators: the memory a sandbox may use, e.g. "2.0 GB memory" */
      g_string_append_printf (text, _("%s memory"), memory);
    }
  if (disk_mb > 0)
    {
      g_autofree char *disk = g_format_size ((guint64) disk_mb * 1000 * 1000);

      if (text->len > 0)
        g_string_append (text, " · ");
      /* Translators: the disk size of a sandbox, e.g. "20.0 GB disk" */
      g_string_append_printf (text, _("%s disk"), disk);
    }
  if (text->len == 0)
    return g_strdup (_("Not reported"));
  return g_string_free (g_steal_pointer (&text), FALSE);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* Replaces @rows in @group with one row per entry of @values, by name. */
static void
fill_rows (AdwPreferencesGroup *group,
           GPtrArray           *rows,
           AdwActionRow        *placeholder,
           GHashTable          *values,
           gboolean             hide_secrets)
{
  g_autofree gpointer *names = NULL;
  guint n_names = 0;

  for (guint i = 0; i < rows->len; i++)
    adw_preferences_group_remove (group, g_ptr_array_index (rows, i));
  g_ptr_array_set_size (rows, 0);

  if (values != NULL)
    names = g_hash_table_get_keys_as_array (values, &n_names);
  if (n_names > 0)
    qsort (names, n_names, sizeof (gpointer), compare_strings);

  for (guint i = 0; i < n_names; i++)
    {
      const char *name = names[i];
      GtkWidget *row = viv_details_value_row_new (name, g_hash_table_lookup (values, name),
                                                  hide_secrets && viv_details_looks_secret (name));

      adw_preferences_group_add (group, row);
      g_ptr_array_add (rows, row);
    }

  gtk_widget_set_visible (GTK_WIDGET (placeholder), n_names == 0);
}

static void
show_env_placeholder (VivDetailsPanel *self,
                      const char      *title,
                      const char      *subtitle)
{
  fill_rows (self->env_group, self->env_rows, self->env_placeholder, NULL, TRUE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->env_placeholder), title);
  adw_action_row_set_subtitle (self->env_placeholder, subtitle ? subtitle : "");
}

static void
update_countdown (VivDetailsPanel *self)
{
  g_autofree char *left = NULL;

  if (self->sandbox == NULL)
    {
      viv_details_value_row_set_value (self->time_left_row, NULL);
      return;
    }
  left = format_countdown (self->sandbox);
  viv_details_value_row_set_value (self->time_left_row, left);
}

static void
update_rows (VivDetailsPanel *self)
{
  VivSandbox *sandbox = self->sandbox;
  g_autofree char *template = NULL;
  g_autofree char *resources = NULL;
  g_autofree char *started = NULL;
  g_autofree char *ends = NULL;
  VivAccount *account;

  if (sandbox == NULL)
    {
      viv_details_value_row_set_value (self->id_row, NULL);
      viv_details_value_row_set_value (self->template_row, NULL);
      viv_details_value_row_set_value (self->account_row, NULL);
      viv_details_value_row_set_value (self->state_row, NULL);
      viv_details_value_row_set_value (self->resources_row, NULL);
      viv_details_value_row_set_value (self->started_row, NULL);
      viv_details_value_row_set_value (self->ends_row, NULL);
      fill_rows (self->metadata_group, self->metadata_rows, self->metadata_placeholder, NULL, FALSE);
      update_countdown (self);
      return;
    }

  account = viv_client_get_account (viv_sandbox_get_client (sandbox));
  template = format_template (sandbox);
  resources = format_resources (sandbox);
  started = format_time (viv_sandbox_get_started_at (sandbox));
  if (viv_sandbox_get_end_at (sandbox) != NULL)
    ends = format_time (viv_sandbox_get_end_at (sandbox));
  else
    ends = g_strdup (_("Never"));

  viv_details_value_row_set_value (self->id_row, viv_sandbox_get_id (sandbox));
  viv_details_value_row_set_value (self->template_row, template);
  viv_details_value_row_set_value (self->account_row, viv_account_get_display_name (account));
  viv_details_value_row_set_value (self->state_row, viv_format_state (viv_sandbox_get_state (sandbox)));
  viv_details_value_row_set_value (self->resources_row, resources);
  viv_details_value_row_set_value (self->started_row, started);
  viv_details_value_row_set_value (self->ends_row, ends);
  update_countdown (self);
}

static void
update_metadata (VivDetailsPanel *self)
{
  fill_rows (self->metadata_group, self->metadata_rows, self->metadata_placeholder,
             self->sandbox ? viv_sandbox_get_metadata (self->sandbox) : NULL, FALSE);
}

static gboolean
tick_cb (gpointer user_data)
{
  VivDetailsPanel *self = VIV_DETAILS_PANEL (user_data);

  update_countdown (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
metrics_poll_cb (gpointer user_data)
{
  poll_metrics (VIV_DETAILS_PANEL (user_data));
  return G_SOURCE_CONTINUE;
}

static void
show_no_metrics (VivDetailsPanel *self,
                 const char      *title,
                 const char      *reason)
{
  gtk_label_set_label (self->metrics_title, title);
  gtk_label_set_label (self->metrics_reason, reason);
  gtk_widget_set_visible (GTK_WIDGET (self->metrics_reason), reason != NULL && *reason != '\0');
  gtk_stack_set_visible_child_name (self->metrics_stack, "none");
}

static void
metrics_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (VivDetailsPanel) self = user_data;
  g_autoptr (GPtrArray) metrics = NULL;
  g_autoptr (GError) error = NULL;

  metrics = viv_client_get_sandbox_metrics_finish (VIV_CLIENT (object), result, &error);
  /* A cancelled request belonged to an earlier sandbox. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->metrics_busy = FALSE;

  if (metrics == NULL)
    {
      g_debug ("Metrics of %s: %s",
               self->sandbox ? viv_sandbox_get_id (self->sandbox) : "?", error->message);
      /* One failed poll does not erase what was drawn; no data at all says why. */
      if (viv_metrics_graph_get_n_samples (self->metrics_graph) == 0)
        show_no_metrics (self, _("No metrics"), error->message);
      return;
    }

  if (metrics->len > 0)
    viv_metrics_graph_add_samples (self->metrics_graph, metrics);

  if (viv_metrics_graph_get_n_samples (self->metrics_graph) > 0)
    gtk_stack_set_visible_child_name (self->metrics_stack, "graph");
  else
    show_no_metrics (self, _("No metrics"), _("The sandbox reports no CPU or memory samples."));
}

static void
poll_metrics (VivDetailsPanel *self)
{
  if (self->sandbox == NULL || self->metrics_busy ||
      viv_sandbox_get_state (self->sandbox) == VIV_SANDBOX_STATE_KILLED)
    return;

  self->metrics_busy = TRUE;
  viv_client_get_sandbox_metrics_async (viv_sandbox_get_client (self->sandbox),
                                        viv_sandbox_get_id (self->sandbox),
                                        self->cancellable, metrics_cb, g_object_ref (self));
}

static void
env_vars_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (VivDetailsPanel) self = user_data;
  g_autoptr (GHashTable) env_vars = NULL;
  g_autoptr (GError) error = NULL;

  env_vars = viv_sandbox_get_env_vars_finish (VIV_SANDBOX (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self->env_busy = FALSE;
  update_reload_action (self);

  if (env_vars == NULL)
    {
      show_env_placeholder (self, _("Could not read the environment variables"), error->message);
      return;
    }

  self->env_loaded = TRUE;
  fill_rows (self->env_group, self->env_rows, self->env_placeholder, env_vars, TRUE);
  if (g_hash_table_size (env_vars) == 0)
    show_env_placeholder (self, _("No environment variables"), NULL);
}

/* Reading needs envd to answer: a paused sandbox's is frozen. */
static void
update_reload_action (VivDetailsPanel *self)
{
  gboolean running = self->sandbox != NULL &&
                     viv_sandbox_get_state (self->sandbox) == VIV_SANDBOX_STATE_RUNNING;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "details.reload-env", running && !self->env_busy);
}

static void
load_env_vars (VivDetailsPanel *self)
{
  if (self->sandbox == NULL || self->env_busy)
    return;

  /* envd of a paused sandbox is frozen and would not answer. */
  if (viv_sandbox_get_state (self->sandbox) != VIV_SANDBOX_STATE_RUNNING)
    {
      if (!self->env_loaded)
        show_env_placeholder (self, _("Shown while the sandbox runs"), NULL);
      return;
    }

  self->env_busy = TRUE;
  update_reload_action (self);
  if (!self->env_loaded)
    show_env_placeholder (self, _("Reading…"), NULL);
  viv_sandbox_get_env_vars_async (self->sandbox, self->cancellable, env_vars_cb,
                                  g_object_ref (self));
}

static void
reload_env_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  load_env_vars (VIV_DETAILS_PANEL (widget));
}

static void
sandbox_notify_cb (VivDetailsPanel *self,
                   GParamSpec      *pspec,
                   VivSandbox      *sandbox)
{
  g_assert (VIV_IS_DETAILS_PANEL (self));

  if (g_strcmp0 (pspec->name, "metadata") == 0)
    {
      update_metadata (self);
      return;
    }

  update_rows (self);
  update_reload_action (self);
  /* A resumed sandbox's envd answers again. */
  if (g_strcmp0 (pspec->name, "state") == 0 && !self->env_loaded &&
      gtk_widget_get_mapped (GTK_WIDGET (self)))
    load_env_vars (self);
}

static void
start_timers (VivDetailsPanel *self)
{
  if (self->sandbox == NULL || !gtk_widget_get_mapped (GTK_WIDGET (self)))
    return;

  if (self->tick_source == 0)
    self->tick_source = g_timeout_add (1000, tick_cb, self);
  if (self->metrics_source == 0)
    self->metrics_source = g_timeout_add_seconds (METRICS_INTERVAL_SECONDS, metrics_poll_cb, self);

  update_countdown (self);
  poll_metrics (self);
  if (!self->env_loaded)
    load_env_vars (self);
}

static void
stop_timers (VivDetailsPanel *self)
{
  g_clear_handle_id (&self->tick_source, g_source_remove);
  g_clear_handle_id (&self->metrics_source, g_source_remove);
}

static void
viv_details_panel_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (viv_details_panel_parent_class)->map (widget);
  start_timers (VIV_DETAILS_PANEL (widget));
}

static void
viv_details_panel_unmap (GtkWidget *widget)
{
  stop_timers (VIV_DETAILS_PANEL (widget));
  GTK_WIDGET_CLASS (viv_details_panel_parent_class)->unmap (widget);
}

static void
viv_details_panel_dispose (GObject *object)
{
  VivDetailsPanel *self = VIV_DETAILS_PANEL (object);
  GtkWidget *child;

  stop_timers (self);
  viv_details_panel_set_sandbox (self, NULL);
  g_clear_object (&self->sandbox_signals);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIV_TYPE_DETAILS_PANEL);
  /* The template's top widget is not a bound child, so it is ours to drop. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (viv_details_panel_parent_class)->dispose (object);
}

static void
viv_details_panel_finalize (GObject *object)
{
  VivDetailsPanel *self = VIV_DETAILS_PANEL (object);

  g_clear_pointer (&self->metadata_rows, g_ptr_array_unref);
  g_clear_pointer (&self->env_rows, g_ptr_array_unref);

  G_OBJECT_CLASS (viv_details_panel_parent_class)->finalize (object);
}

static void
viv_details_panel_get_property (GObject    *object,
                                guint       prop_id,
                                GValue     *value,
                                GParamSpec *pspec)
{
  VivDetailsPanel *self = VIV_DETAILS_PANEL (object);

  switch (prop_id)
    {
    case PROP_SANDBOX:
      g_value_set_object (value, self->sandbox);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_details_panel_set_property (GObject      *object,
                                guint         prop_id,
                                const GValue *value,
                                GParamSpec   *pspec)
{
  VivDetailsPanel *self = VIV_DETAILS_PANEL (object);

  switch (prop_id)
    {
    case PROP_SANDBOX:
      viv_details_panel_set_sandbox (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_details_panel_class_init (VivDetailsPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = viv_details_panel_dispose;
  object_class->finalize = viv_details_panel_finalize;
  object_class->get_property = viv_details_panel_get_property;
  object_class->set_property = viv_details_panel_set_property;
  widget_class->map = viv_details_panel_map;
  widget_class->unmap = viv_details_panel_unmap;

  properties[PROP_SANDBOX] =
    g_param_spec_object ("sandbox", NULL, NULL, VIV_TYPE_SANDBOX,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (VIV_TYPE_DETAILS_VALUE_ROW);
  g_type_ensure (VIV_TYPE_METRICS_GRAPH);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/vivarium/Vivarium/viv-details-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, VivDetailsPanel, id_row);
  gtk_widget_class_bind_template_child (widget_class, VivDetailsPanel, template_row);
  gtk_widget_class_bind_template_child (widget_class, VivDetailsPanel, account_row);
  gtk_widget_class_bind_template_child (widget_class, VivDetailsPanel, state_row);
  gtk_widget_class_bind_template_child (widget_class, VivDetailsPanel, resources_row);
  gtk_widget_class_bind_template_child (widget_class, VivDetailsPanel, started_row);
  gtk_widget_class_bind_template_child (widget_class, VivDetailsPanel, ends_row);
  gtk_widget_class_bind_template_child (widget_class, VivDetailsPanel, time_left_row);
  gtk_widget_class_bind_template_child (widget_class, VivDetailsPanel, metrics_stack);
  gtk_widget_class_bind_template_child (widget_class, VivDetailsPanel, metrics_graph);
  gtk_widget_class_bind_template_child (widget_class, VivDetailsPanel, metrics_title);
  gtk_widget_class_bind_template_child (widget_class, VivDetailsPanel, metrics_reason);
  gtk_widget_class_bind_template_child (widget_class, VivDetailsPanel, metadata_group);
  gtk_widget_class_bind_template_child (widget_class, VivDetailsPanel, metadata_placeholder);
  gtk_widget_class_bind_template_child (widget_class, VivDetailsPanel, env_group);
  gtk_widget_class_bind_template_child (widget_class, VivDetailsPanel, env_placeholder);
  gtk_widget_class_install_action (widget_class, "details.reload-env", NULL, reload_env_action);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
viv_details_panel_init (VivDetailsPanel *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->cancellable = g_cancellable_new ();
  self->metadata_rows = g_ptr_array_new ();
  self->env_rows = g_ptr_array_new ();
  self->sandbox_signals = g_signal_group_new (VIV_TYPE_SANDBOX);
  g_signal_group_connect_swapped (self->sandbox_signals, "notify",
                                  G_CALLBACK (sandbox_notify_cb), self);

  show_no_metrics (self, _("No metrics"), NULL);
  update_rows (self);
  update_reload_action (self);
  show_env_placeholder (self, _("No environment variables"), NULL);
}

VivSandbox *
viv_details_panel_get_sandbox (VivDetailsPanel *self)
{
  g_return_val_if_fail (VIV_IS_DETAILS_PANEL (self), NULL);

  return self->sandbox;
}

void
viv_details_panel_set_sandbox (VivDetailsPanel *self,
                               VivSandbox      *sandbox)
{
  g_return_if_fail (VIV_IS_DETAILS_PANEL (self));
  g_return_if_fail (sandbox == NULL || VIV_IS_SANDBOX (sandbox));

  if (!g_set_object (&self->sandbox, sandbox))
    return;

  /* Whatever was on its way belongs to the previous sandbox. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->metrics_busy = FALSE;
  self->env_busy = FALSE;
  self->env_loaded = FALSE;
  update_reload_action (self);

  if (self->sandbox_signals != NULL)
    g_signal_group_set_target (self->sandbox_signals, sandbox);
  viv_metrics_graph_clear (self->metrics_graph);
  if (sandbox != NULL)
    show_no_metrics (self, _("Reading metrics…"), NULL);
  else
    show_no_metrics (self, _("No metrics"), NULL);
  update_rows (self);
  update_reload_action (self);
  update_metadata (self);
  show_env_placeholder (self, _("No environment variables"), NULL);

  if (sandbox == NULL)
    stop_timers (self);
  else
    start_timers (self);

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SANDBOX]);
}
