/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "viv-main-window.h"
#include "viv-processes-item.h"
#include "viv-processes-panel.h"
#include "viv-processes-run.h"

/* The sandbox's processes as envd lists them (the ones it started), with
 * their pid, command line, tag and working directory, refreshed while the panel is shown and the
 * sandbox runs; stop or kill the selected one; run a command below. Rows
 * are updated in place by pid, so a refresh keeps the selection and the
 * scroll position. */

#define REFRESH_SECONDS 3

struct _VivProcessesPanel
{
  GtkWidget          parent_instance;

  /* Template widgets */
  GtkRevealer       *banner_revealer;
  GtkStack          *list_stack;
  AdwStatusPage     *error_page;
  GtkColumnView     *column_view;
  GtkColumnViewColumn *pid_column;
  GtkSingleSelection *selection;
  GtkSortListModel  *sort_model;
  GListStore        *store;
  GtkLabel          *status_label;
  VivProcessesRun   *run;

  VivSandbox        *sandbox;
  VivProcesses      *processes;
  GSignalGroup      *sandbox_signals;
  GCancellable      *cancellable;      /* the listing on its way */
  guint              refresh_source;
  gboolean           listed;           /* this sandbox's processes were listed once */
  gboolean           refresh_again;    /* asked for while a listing was on its way */
  char              *list_error;
};

enum {
  PROP_0,
  PROP_SANDBOX,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (VivProcessesPanel, viv_processes_panel, GTK_TYPE_WIDGET)

static void refresh (VivProcessesPanel *self);

static VivSandboxState
sandbox_state (VivProcessesPanel *self)
{
  return self->sandbox != NULL ? viv_sandbox_get_state (self->sandbox)
                               : VIV_SANDBOX_STATE_UNKNOWN;
}

/* Listing costs a request every few seconds: only while somebody sees it,
 * and only from a sandbox that can answer. */
static gboolean
should_refresh (VivProcessesPanel *self)
{
  return self->processes != NULL &&
         sandbox_state (self) == VIV_SANDBOX_STATE_RUNNING &&
         gtk_widget_get_mapped (GTK_WIDGET (self));
}

static VivProcessesItem *
selected_item (VivProcessesPanel *self)
{
  return gtk_single_selection_get_selected_item (self->selection);
}

static void
update_actions (VivProcessesPanel *self)
{
  gboolean can_signal = selected_item (self) != NULL &&
                        sandbox_state (self) == VIV_SANDBOX_STATE_RUNNING;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "processes.stop", can_signal);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "processes.kill", can_signal);
}

static void
update_view (VivProcessesPanel *self)
{
  VivSandboxState state = sandbox_state (self);
  guint n_items = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  const char *page;
  g_autofree char *status = NULL;

  if (state == VIV_SANDBOX_STATE_KILLED)
    page = "gone";
  else if (!self->listed && self->list_error != NULL && state == VIV_SANDBOX_STATE_RUNNING)
    page = "error";
  else if (!self->listed)
    page = state == VIV_SANDBOX_STATE_RUNNING ? "loading" : "list";
  else
    page = n_items > 0 ? "list" : "empty";
  gtk_stack_set_visible_child_name (self->list_stack, page);
  adw_status_page_set_description (self->error_page, self->list_error);

  /* A killed sandbox says so with its status page instead. */
  gtk_revealer_set_reveal_child (self->banner_revealer, state == VIV_SANDBOX_STATE_PAUSED);

  /* A listing that failed as the sandbox paused or went is not news. */
  if (self->list_error != NULL && state == VIV_SANDBOX_STATE_RUNNING)
    status = g_strdup_printf (_("Could not list processes: %s"), self->list_error);
  else if (self->listed && state == VIV_SANDBOX_STATE_RUNNING)
    status = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u process, refreshed every %u s",
                                           "%u processes, refreshed every %u s", n_items),
                              n_items, REFRESH_SECONDS);
  else if (self->listed && state != VIV_SANDBOX_STATE_KILLED)
    status = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u process when last refreshed",
                                           "%u processes when last refreshed", n_items),
                              n_items);
  gtk_label_set_label (self->status_label, status ? status : "");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_label), status);

  update_actions (self);
}

/* Matches the store to a listing: rows of ended processes go, new ones are
 * appended, the others stay the same objects. */
static void
update_store (VivProcessesPanel *self,
              GPtrArray         *processes)
{
  g_autoptr (GHashTable) listed = g_hash_table_new (NULL, NULL);
  guint n_items;

  for (guint i = 0; i < processes->len; i++)
    {
      VivProcess *process = g_ptr_array_index (processes, i);

      g_hash_table_replace (listed, GUINT_TO_POINTER (viv_process_get_pid (process)), process);
    }

  n_items = g_list_model_get_n_items (G_LIST_MODEL (self->store));
  for (guint i = n_items; i > 0; i--)
    {
      g_autoptr (VivProcessesItem) item = g_list_model_get_item (G_LIST_MODEL (self->store), i - 1);
      gpointer key = GUINT_TO_POINTER (viv_processes_item_get_pid (item));
      VivProcess *process = g_hash_table_lookup (listed, key);

      if (process == NULL)
        g_list_store_remove (self->store, i - 1);
      else
        {
          viv_processes_item_update (item, process);
          g_hash_table_remove (listed, key);
        }
    }

  if (g_hash_table_size (listed) > 0)
    {
      g_autoptr (GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);
      GHashTableIter iter;
      gpointer value;

      g_hash_table_iter_init (&iter, listed);
      while (g_hash_table_iter_next (&iter, NULL, &value))
        g_ptr_array_add (added, viv_processes_item_new (value));
      g_list_store_splice (self->store, g_list_model_get_n_items (G_LIST_MODEL (self->store)), 0,
                           added->pdata, added->len);
    }
}

static gboolean
refresh_cb (gpointer user_data)
{
  VivProcessesPanel *self = user_data;

  self->refresh_source = 0;
  refresh (self);
  return G_SOURCE_REMOVE;
}

static void
schedule_refresh (VivProcessesPanel *self)
{
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  if (should_refresh (self))
    self->refresh_source = g_timeout_add_seconds (REFRESH_SECONDS, refresh_cb, self);
}

static void
list_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (VivProcessesPanel) self = user_data;
  g_autoptr (GPtrArray) listed = NULL;
  g_autoptr (GError) error = NULL;

  listed = viv_processes_list_finish (VIV_PROCESSES (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      VIV_PROCESSES (object) != self->processes)
    return;
  g_clear_object (&self->cancellable);

  g_clear_pointer (&self->list_error, g_free);
  if (listed != NULL)
    {
      update_store (self, listed);
      self->listed = TRUE;
    }
  else
    self->list_error = g_strdup (error->message);
  update_view (self);

  if (self->refresh_again)
    {
      self->refresh_again = FALSE;
      refresh (self);
    }
  else
    schedule_refresh (self);
}

static void
refresh (VivProcessesPanel *self)
{
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  if (!should_refresh (self))
    return;
  if (self->cancellable != NULL)
    {
      /* Its answer may predate what we want to see: list once more after it. */
      self->refresh_again = TRUE;
      return;
    }

  self->cancellable = g_cancellable_new ();
  viv_processes_list_async (self->processes, self->cancellable, list_cb, g_object_ref (self));
}

static void
stop_refreshing (VivProcessesPanel *self)
{
  g_clear_handle_id (&self->refresh_source, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->refresh_again = FALSE;
}

/* Starts or stops refreshing as the panel is shown or hidden and the
 * sandbox pauses, resumes or goes. */
static void
update_refreshing (VivProcessesPanel *self)
{
  if (!should_refresh (self))
    stop_refreshing (self);
  else if (self->cancellable == NULL && self->refresh_source == 0)
    refresh (self);
}

static void
sandbox_state_cb (VivProcessesPanel *self)
{
  if (sandbox_state (self) == VIV_SANDBOX_STATE_KILLED)
    g_list_store_remove_all (self->store);
  g_clear_pointer (&self->list_error, g_free);
  update_refreshing (self);
  update_view (self);
}

typedef struct
{
  VivProcessesPanel *self;
  guint              pid;
  VivSignal          signal_number;
} SignalData;

static void
signal_data_free (SignalData *data)
{
  g_object_unref (data->self);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignalData, signal_data_free)

static void
signal_sent_cb (GObject      *object,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr (SignalData) data = user_data;
  VivProcessesPanel *self = data->self;
  g_autoptr (GError) error = NULL;

  if (!viv_processes_send_signal_finish (VIV_PROCESSES (object), result, &error))
    {
      g_autofree char *what = NULL;

      if (g_error_matches (error, VIV_ERROR, VIV_ERROR_NOT_FOUND))
        {
          g_autofree char *message = NULL;
          GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

          message = g_strdup_printf (_("Process %u has already ended"), data->pid);
          if (VIV_IS_MAIN_WINDOW (root))
            viv_main_window_add_toast (VIV_MAIN_WINDOW (root), message);
        }
      else
        {
          what = data->signal_number == VIV_SIGNAL_SIGKILL
                   ? g_strdup_printf (_("Could not kill process %u"), data->pid)
                   : g_strdup_printf (_("Could not stop process %u"), data->pid);
          viv_show_error (GTK_WIDGET (self), what, error);
        }
    }

  if (VIV_PROCESSES (object) == self->processes)
    refresh (self);
}

static void
send_signal (VivProcessesPanel *self,
             guint              pid,
             VivSignal          signal_number)
{
  SignalData *data = g_new0 (SignalData, 1);

  data->self = g_object_ref (self);
  data->pid = pid;
  data->signal_number = signal_number;
  viv_processes_send_signal_async (self->processes, pid, signal_number, NULL,
                                   signal_sent_cb, data);
}

static void
stop_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  VivProcessesPanel *self = VIV_PROCESSES_PANEL (widget);
  VivProcessesItem *item = selected_item (self);

  if (item == NULL || self->processes == NULL)
    return;
  send_signal (self, viv_processes_item_get_pid (item), VIV_SIGNAL_SIGTERM);
}

static void
kill_response_cb (AdwMessageDialog *dialog,
                  const char       *response,
                  gpointer          user_data)
{
  VivProcessesPanel *self = user_data;
  VivProcesses *processes = g_object_get_data (G_OBJECT (dialog), "processes");
  guint pid = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (dialog), "pid"));

  /* The session may have moved to another sandbox while it was asked. */
  if (g_strcmp0 (response, "kill") != 0 || processes != self->processes)
    return;
  send_signal (self, pid, VIV_SIGNAL_SIGKILL);
}

static void
kill_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  VivProcessesPanel *self = VIV_PROCESSES_PANEL (widget);
  VivProcessesItem *item = selected_item (self);
  GtkWidget *dialog;

  if (item == NULL || self->processes == NULL)
    return;

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                   _("Kill Process?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("Process %u (%s) ends at once, without a chance to clean up."),
                                  viv_processes_item_get_pid (item),
                                  viv_processes_item_get_command (item));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "kill", _("_Kill"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "kill",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "processes", g_object_ref (self->processes),
                          g_object_unref);
  g_object_set_data (G_OBJECT (dialog), "pid",
                     GUINT_TO_POINTER (viv_processes_item_get_pid (item)));
  g_signal_connect_object (dialog, "response", G_CALLBACK (kill_response_cb), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
viv_processes_panel_map (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (viv_processes_panel_parent_class)->map (widget);
  update_refreshing (VIV_PROCESSES_PANEL (widget));
}

static void
viv_processes_panel_unmap (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (viv_processes_panel_parent_class)->unmap (widget);
  update_refreshing (VIV_PROCESSES_PANEL (widget));
}

static void
viv_processes_panel_dispose (GObject *object)
{
  VivProcessesPanel *self = VIV_PROCESSES_PANEL (object);
  GtkWidget *child;

  viv_processes_panel_set_sandbox (self, NULL);
  g_clear_object (&self->sandbox_signals);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIV_TYPE_PROCESSES_PANEL);
  /* The template's top paned is not a bound child, so it is ours to drop. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (viv_processes_panel_parent_class)->dispose (object);
}

static void
viv_processes_panel_finalize (GObject *object)
{
  VivProcessesPanel *self = VIV_PROCESSES_PANEL (object);

  g_clear_pointer (&self->list_error, g_free);

  G_OBJECT_CLASS (viv_processes_panel_parent_class)->finalize (object);
}

static void
viv_processes_panel_get_property (GObject    *object,
                                  guint       prop_id,
                                  GValue     *value,
                                  GParamSpec *pspec)
{
  VivProcessesPanel *self = VIV_PROCESSES_PANEL (object);

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
viv_processes_panel_set_property (GObject      *object,
                                  guint         prop_id,
                                  const GValue *value,
                                  GParamSpec   *pspec)
{
  VivProcessesPanel *self = VIV_PROCESSES_PANEL (object);

  switch (prop_id)
    {
    case PROP_SANDBOX:
      viv_processes_panel_set_sandbox (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_processes_panel_class_init (VivProcessesPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = viv_processes_panel_dispose;
  object_class->finalize = viv_processes_panel_finalize;
  object_class->get_property = viv_processes_panel_get_property;
  object_class->set_property = viv_processes_panel_set_property;
  widget_class->map = viv_processes_panel_map;
  widget_class->unmap = viv_processes_panel_unmap;

  properties[PROP_SANDBOX] =
    g_param_spec_object ("sandbox", NULL, NULL, VIV_TYPE_SANDBOX,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (VIV_TYPE_PROCESSES_ITEM);
  g_type_ensure (VIV_TYPE_PROCESSES_RUN);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/vivarium/Vivarium/viv-processes-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, VivProcessesPanel, banner_revealer);
  gtk_widget_class_bind_template_child (widget_class, VivProcessesPanel, list_stack);
  gtk_widget_class_bind_template_child (widget_class, VivProcessesPanel, error_page);
  gtk_widget_class_bind_template_child (widget_class, VivProcessesPanel, column_view);
  gtk_widget_class_bind_template_child (widget_class, VivProcessesPanel, pid_column);
  gtk_widget_class_bind_template_child (widget_class, VivProcessesPanel, selection);
  gtk_widget_class_bind_template_child (widget_class, VivProcessesPanel, sort_model);
  gtk_widget_class_bind_template_child (widget_class, VivProcessesPanel, store);
  gtk_widget_class_bind_template_child (widget_class, VivProcessesPanel, status_label);
  gtk_widget_class_bind_template_child (widget_class, VivProcessesPanel, run);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);

  gtk_widget_class_install_action (widget_class, "processes.stop", NULL, stop_action);
  gtk_widget_class_install_action (widget_class, "processes.kill", NULL, kill_action);
}

static void
viv_processes_panel_init (VivProcessesPanel *self)
{
  GtkEventController *shortcuts;

  gtk_widget_init_template (GTK_WIDGET (self));

  /* Delete stops the selected process, from the list only: not while
   * typing a command. */
  shortcuts = gtk_shortcut_controller_new ();
  gtk_shortcut_controller_add_shortcut (GTK_SHORTCUT_CONTROLLER (shortcuts),
                                        gtk_shortcut_new (gtk_keyval_trigger_new (GDK_KEY_Delete, 0),
                                                          gtk_named_action_new ("processes.stop")));
  gtk_widget_add_controller (GTK_WIDGET (self->column_view), shortcuts);

  gtk_sort_list_model_set_sorter (self->sort_model, gtk_column_view_get_sorter (self->column_view));
  gtk_column_view_sort_by_column (self->column_view, self->pid_column, GTK_SORT_ASCENDING);
  g_signal_connect_swapped (self->selection, "notify::selected-item",
                            G_CALLBACK (update_actions), self);
  /* What runs below shows up in the list at once, and goes when it ends. */
  g_signal_connect_swapped (self->run, "process-started", G_CALLBACK (refresh), self);
  g_signal_connect_swapped (self->run, "process-ended", G_CALLBACK (refresh), self);

  self->sandbox_signals = g_signal_group_new (VIV_TYPE_SANDBOX);
  g_signal_group_connect_swapped (self->sandbox_signals, "notify::state",
                                  G_CALLBACK (sandbox_state_cb), self);
  update_view (self);
}

VivSandbox *
viv_processes_panel_get_sandbox (VivProcessesPanel *self)
{
  g_return_val_if_fail (VIV_IS_PROCESSES_PANEL (self), NULL);

  return self->sandbox;
}

void
viv_processes_panel_set_sandbox (VivProcessesPanel *self,
                                 VivSandbox        *sandbox)
{
  g_return_if_fail (VIV_IS_PROCESSES_PANEL (self));
  g_return_if_fail (!sandbox || VIV_IS_SANDBOX (sandbox));

  if (!g_set_object (&self->sandbox, sandbox))
    return;

  stop_refreshing (self);
  g_clear_object (&self->processes);
  if (sandbox != NULL)
    self->processes = viv_processes_new (sandbox);
  g_list_store_remove_all (self->store);
  g_clear_pointer (&self->list_error, g_free);
  self->listed = FALSE;
  if (self->sandbox_signals != NULL)
    g_signal_group_set_target (self->sandbox_signals, sandbox);
  viv_processes_run_set_sandbox (self->run, sandbox);

  update_refreshing (self);
  update_view (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SANDBOX]);
}
