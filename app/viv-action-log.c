/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <adwaita.h>
#include <glib/gi18n.h>

#include "viv-action-log.h"
#include "viv-action-log-entry.h"
#include "viv-main-window.h"

/* The agent's actions as a timeline, from the guest's event stream: its
 * recent history first (the guest keeps the last 1,000 events), then each
 * event as it happens. Entries with a point can be activated to mark that
 * point on the live view ("mark-point"); the whole log exports as JSON lines,
 * each the guest's own event object. */

/* Older entries go once there are more, so a long session stays bounded. */
#define MAX_ENTRIES       5000
/* Events arriving together (a replayed history) join the list at once. */
#define FLUSH_DELAY_MS    100
/* A watch that ended on an error is tried again after this long: a paused
 * sandbox comes back, a restarted host answers again. */
#define RESTART_SECONDS   10

struct _VivActionLog
{
  GtkWidget       parent_instance;

  /* Template widgets */
  GtkLabel       *status_label;
  GtkStack       *stack;
  AdwStatusPage  *error_page;
  GtkScrolledWindow *scrolled_window;
  GtkListView    *list_view;

  GListStore     *entries;
  GPtrArray      *pending;          /* entries not yet in the list */
  guint           flush_source;
  guint64         last_id;          /* the newest event id seen */
  gboolean        follow;           /* keep the newest entry in view */
  double          last_value;       /* the vertical adjustment, as last seen */
  double          last_upper;
  double          last_page_size;
  double          scrolled_upper;   /* the list's length when last scrolled */
  guint           follow_source;

  VivDesktop     *desktop;
  GCancellable   *cancellable;      /* the watch of the current desktop */
  gulong          event_handler;
  gulong          connected_handler;
  gboolean        ever_connected;
  char           *watch_error;
  guint           restart_source;
  guint           exported;         /* entries in the file being written */
};

enum {
  PROP_0,
  PROP_DESKTOP,
  N_PROPS
};

enum {
  MARK_POINT,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (VivActionLog, viv_action_log, GTK_TYPE_WIDGET)

static void start_watch (VivActionLog *self);

static void
update_status (VivActionLog *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->entries));
  g_autofree char *status = NULL;

  if (self->desktop == NULL)
    status = g_strdup ("");
  else if (viv_desktop_get_events_connected (self->desktop))
    status = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u event", "%u events", n), n);
  else if (self->watch_error != NULL)
    /* Translators: the event stream ended; %s says why */
    status = g_strdup_printf (_("Not connected: %s"), self->watch_error);
  else if (self->ever_connected)
    status = g_strdup (_("Reconnecting…"));
  else
    status = g_strdup (_("Connecting…"));

  gtk_label_set_label (self->status_label, status);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->status_label), status);

  if (n > 0)
    gtk_stack_set_visible_child_name (self->stack, "list");
  else if (self->watch_error != NULL)
    {
      adw_status_page_set_description (self->error_page, self->watch_error);
      gtk_stack_set_visible_child_name (self->stack, "error");
    }
  else
    gtk_stack_set_visible_child_name (self->stack, "empty");

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "action-log.export", n > 0);
}

/* Scrolling */

static gboolean
at_bottom (GtkAdjustment *adjustment)
{
  return gtk_adjustment_get_value (adjustment) + gtk_adjustment_get_page_size (adjustment) >=
         gtk_adjustment_get_upper (adjustment) - 2;
}

static void
scroll_to_newest (VivActionLog *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->entries));
  GtkAdjustment *adjustment = gtk_scrolled_window_get_vadjustment (self->scrolled_window);

  self->scrolled_upper = gtk_adjustment_get_upper (adjustment);

  /* GtkListView keeps its own anchor, so it is told which item to show
   * rather than given an adjustment value (gtk_list_view_scroll_to() is
   * GTK 4.12). */
  if (n > 0)
    gtk_widget_activate_action (GTK_WIDGET (self->list_view), "list.scroll-to-item", "u", n - 1);
}

static gboolean
follow_cb (gpointer user_data)
{
  VivActionLog *self = user_data;

  self->follow_source = 0;
  if (self->follow)
    scroll_to_newest (self);
  return G_SOURCE_REMOVE;
}

/* The list view places an item it has not measured yet by an estimate: once
 * the newest rows are measured, the newest may lie below the view again. */
static void
adjustment_changed_cb (VivActionLog  *self,
                       GtkAdjustment *adjustment)
{
  if (self->follow && !at_bottom (adjustment) && self->follow_source == 0 &&
      !G_APPROX_VALUE (gtk_adjustment_get_upper (adjustment), self->scrolled_upper, 1.0))
    self->follow_source = g_idle_add (follow_cb, self);
}

/* Entries that arrived while the panel was hidden: the list shows the
 * newest when it appears. */
static void
list_map_cb (VivActionLog *self)
{
  if (self->follow)
    scroll_to_newest (self);
}

static void
adjustment_value_changed_cb (VivActionLog  *self,
                             GtkAdjustment *adjustment)
{
  double value = gtk_adjustment_get_value (adjustment);
  double upper = gtk_adjustment_get_upper (adjustment);
  double page_size = gtk_adjustment_get_page_size (adjustment);

  /* Back at the bottom, the list follows again. Moved up while the list
   * and its view kept their sizes since the last move, the user scrolled up
   * to read: stop following. New rows, rows measured anew, old rows dropped
   * and a view that grew (the takeover bar going) move it by themselves. */
  if (at_bottom (adjustment))
    self->follow = TRUE;
  else if (value < self->last_value - 1 &&
           G_APPROX_VALUE (upper, self->last_upper, 1.0) &&
           G_APPROX_VALUE (page_size, self->last_page_size, 1.0))
    self->follow = FALSE;

  self->last_value = value;
  self->last_upper = upper;
  self->last_page_size = page_size;
}

/* Entries */

static gboolean
flush_cb (gpointer user_data)
{
  VivActionLog *self = user_data;
  guint n;

  self->flush_source = 0;

  if (self->pending->len > 0)
    {
      n = g_list_model_get_n_items (G_LIST_MODEL (self->entries));
      g_list_store_splice (self->entries, n, 0, self->pending->pdata, self->pending->len);
      g_ptr_array_set_size (self->pending, 0);
    }

  n = g_list_model_get_n_items (G_LIST_MODEL (self->entries));
  if (n > MAX_ENTRIES)
    g_list_store_splice (self->entries, 0, n - MAX_ENTRIES, NULL, 0);

  update_status (self);
  if (self->follow)
    scroll_to_newest (self);
  return G_SOURCE_REMOVE;
}

static void
desktop_event_cb (VivActionLog *self,
                  const char   *type,
                  JsonObject   *event,
                  VivDesktop   *desktop)
{
  g_autoptr (VivActionLogEntry) entry = viv_action_log_entry_new (event);

  if (entry == NULL)
    {
      g_debug ("Not logging a %s event without an id", type);
      return;
    }

  /* The guest numbers its events in order; a replay after a reconnection
   * starts after the last one seen, and anything older is already here. */
  if (viv_action_log_entry_get_id (entry) <= self->last_id)
    return;
  self->last_id = viv_action_log_entry_get_id (entry);

  g_ptr_array_add (self->pending, g_steal_pointer (&entry));
  if (self->pending->len > MAX_ENTRIES)
    g_ptr_array_remove_range (self->pending, 0, self->pending->len - MAX_ENTRIES);
  if (self->flush_source == 0)
    self->flush_source = g_timeout_add (FLUSH_DELAY_MS, flush_cb, self);
}

static void
desktop_connected_cb (VivActionLog *self)
{
  if (viv_desktop_get_events_connected (self->desktop))
    {
      self->ever_connected = TRUE;
      g_clear_pointer (&self->watch_error, g_free);
    }
  update_status (self);
}

/* Watching */

static gboolean
restart_cb (gpointer user_data)
{
  VivActionLog *self = user_data;

  self->restart_source = 0;
  start_watch (self);
  return G_SOURCE_REMOVE;
}

static void
watch_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (VivActionLog) self = user_data;
  g_autoptr (GError) error = NULL;

  if (viv_desktop_watch_events_finish (VIV_DESKTOP (object), result, &error) ||
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      VIV_DESKTOP (object) != self->desktop)
    return;

  g_debug ("The action log's event stream ended: %s", error->message);
  g_free (self->watch_error);
  self->watch_error = g_strdup (error->message);
  update_status (self);

  g_clear_handle_id (&self->restart_source, g_source_remove);
  self->restart_source = g_timeout_add_seconds (RESTART_SECONDS, restart_cb, self);
}

static void
start_watch (VivActionLog *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  viv_desktop_watch_events_since_async (self->desktop, self->last_id, self->cancellable,
                                        watch_cb, g_object_ref (self));
}

static void
stop_watch (VivActionLog *self)
{
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->restart_source, g_source_remove);
  if (self->desktop != NULL)
    {
      g_clear_signal_handler (&self->event_handler, self->desktop);
      g_clear_signal_handler (&self->connected_handler, self->desktop);
    }
}

/* Rows */

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *item,
              VivActionLog             *self)
{
  GtkWidget *row = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 10);
  GtkWidget *icon = gtk_image_new ();
  GtkWidget *texts = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *summary = gtk_label_new (NULL);
  GtkWidget *detail = gtk_label_new (NULL);
  GtkWidget *point = gtk_image_new_from_icon_name ("mark-location-symbolic");
  GtkWidget *time = gtk_label_new (NULL);

  gtk_widget_add_css_class (row, "action-log-row");
  gtk_widget_set_valign (icon, GTK_ALIGN_START);
  gtk_widget_add_css_class (icon, "action-log-icon");

  gtk_widget_set_hexpand (texts, TRUE);
  gtk_label_set_xalign (GTK_LABEL (summary), 0);
  gtk_label_set_ellipsize (GTK_LABEL (summary), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (detail), 0);
  gtk_label_set_wrap (GTK_LABEL (detail), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (detail), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (detail, "caption");
  gtk_widget_add_css_class (detail, "action-log-detail");
  gtk_box_append (GTK_BOX (texts), summary);
  gtk_box_append (GTK_BOX (texts), detail);

  gtk_widget_set_valign (point, GTK_ALIGN_START);
  gtk_widget_add_css_class (point, "dim-label");
  gtk_widget_set_tooltip_text (point, _("Activate to show this point on the desktop"));

  gtk_widget_set_valign (time, GTK_ALIGN_START);
  gtk_widget_add_css_class (time, "dim-label");
  gtk_widget_add_css_class (time, "numeric");
  gtk_widget_add_css_class (time, "caption");

  gtk_box_append (GTK_BOX (row), icon);
  gtk_box_append (GTK_BOX (row), texts);
  gtk_box_append (GTK_BOX (row), point);
  gtk_box_append (GTK_BOX (row), time);
  gtk_list_item_set_child (item, row);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *item,
             VivActionLog             *self)
{
  VivActionLogEntry *entry = gtk_list_item_get_item (item);
  GtkWidget *row = gtk_list_item_get_child (item);
  GtkWidget *icon = gtk_widget_get_first_child (row);
  GtkWidget *texts = gtk_widget_get_next_sibling (icon);
  GtkWidget *point = gtk_widget_get_next_sibling (texts);
  GtkWidget *time = gtk_widget_get_next_sibling (point);
  GtkWidget *summary = gtk_widget_get_first_child (texts);
  GtkWidget *detail = gtk_widget_get_next_sibling (summary);
  g_autofree char *clock = g_date_time_format (viv_action_log_entry_get_time (entry), "%H:%M:%S");
  const char *detail_text = viv_action_log_entry_get_detail (entry);
  gboolean has_point = viv_action_log_entry_get_point (entry, NULL, NULL);
  gboolean refused = viv_action_log_entry_get_refused (entry);
  g_autofree char *accessible = NULL;

  gtk_image_set_from_icon_name (GTK_IMAGE (icon), viv_action_log_entry_get_icon_name (entry));
  gtk_label_set_label (GTK_LABEL (summary), viv_action_log_entry_get_summary (entry));
  gtk_widget_set_tooltip_text (summary, viv_action_log_entry_get_summary (entry));
  gtk_label_set_label (GTK_LABEL (detail), detail_text);
  gtk_widget_set_visible (detail, detail_text != NULL);
  gtk_widget_set_visible (point, has_point);
  gtk_label_set_label (GTK_LABEL (time), clock);

  if (refused)
    {
      gtk_widget_add_css_class (row, "refused");
      gtk_widget_add_css_class (icon, "error");
      gtk_widget_add_css_class (detail, "error");
    }
  else
    {
      gtk_widget_remove_css_class (row, "refused");
      gtk_widget_remove_css_class (icon, "error");
      gtk_widget_remove_css_class (detail, "error");
    }

  gtk_list_item_set_activatable (item, has_point);

  /* Translators: how a screen reader reads an entry: its summary, then the time */
  accessible = g_strdup_printf (_("%s, at %s"), viv_action_log_entry_get_summary (entry), clock);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, accessible,
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, detail_text ? detail_text : "",
                                  -1);
}

static void
list_activate_cb (VivActionLog *self,
                  guint         position)
{
  g_autoptr (VivActionLogEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->entries), position);
  int x, y;

  if (entry != NULL && viv_action_log_entry_get_point (entry, &x, &y))
    g_signal_emit (self, signals[MARK_POINT], 0, x, y);
}

/* Export */

static void
export_written_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (VivActionLog) self = user_data;
  g_autoptr (GError) error = NULL;
  GtkRoot *root;
  guint count;

  if (!g_file_replace_contents_finish (G_FILE (object), result, NULL, &error))
    {
      viv_show_error (GTK_WIDGET (self), _("Could not export the action log"), error);
      return;
    }

  count = self->exported;
  root = gtk_widget_get_root (GTK_WIDGET (self));
  if (VIV_IS_MAIN_WINDOW (root))
    {
      g_autofree char *message =
        g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u event exported", "%u events exported", count),
                         count);

      viv_main_window_add_toast (VIV_MAIN_WINDOW (root), message);
    }
}

static GBytes *
entries_to_json_lines (VivActionLog *self)
{
  GString *lines = g_string_new (NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->entries));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr (VivActionLogEntry) entry = g_list_model_get_item (G_LIST_MODEL (self->entries), i);
      g_autoptr (JsonNode) node = json_node_new (JSON_NODE_OBJECT);
      g_autofree char *json = NULL;

      json_node_set_object (node, viv_action_log_entry_get_event (entry));
      json = json_to_string (node, FALSE);
      g_string_append (lines, json);
      g_string_append_c (lines, '\n');
    }

  return g_string_free_to_bytes (lines);
}

static void
export_chooser_response_cb (GtkNativeDialog *chooser,
                            int              response,
                            gpointer         user_data)
{
  g_autoptr (VivActionLog) self = user_data;
  g_autoptr (GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    {
      g_autoptr (GBytes) bytes = entries_to_json_lines (self);

      self->exported = g_list_model_get_n_items (G_LIST_MODEL (self->entries));
      g_file_replace_contents_bytes_async (file, bytes, NULL, FALSE, G_FILE_CREATE_REPLACE_DESTINATION,
                                           NULL, export_written_cb, g_object_ref (self));
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
export_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  VivActionLog *self = VIV_ACTION_LOG (widget);
  GtkFileChooserNative *chooser;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d %H-%M-%S");
  g_autofree char *name = NULL;
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();
  VivSandbox *sandbox;

  if (self->desktop == NULL || g_list_model_get_n_items (G_LIST_MODEL (self->entries)) == 0)
    return;

  /* The portal's file chooser under Flatpak: no file system access needed. */
  chooser = gtk_file_chooser_native_new (_("Export Action Log"),
                                         GTK_WINDOW (gtk_widget_get_root (widget)),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  sandbox = viv_desktop_get_sandbox (self->desktop);
  /* Translators: a file name; the first %s is a sandbox id, the second a date */
  name = g_strdup_printf (_("Sandbox %s events %s.jsonl"), viv_sandbox_get_id (sandbox), stamp);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  gtk_file_filter_set_name (filter, _("JSON Lines"));
  gtk_file_filter_add_pattern (filter, "*.jsonl");
  gtk_file_filter_add_mime_type (filter, "application/jsonl");
  gtk_file_filter_add_mime_type (filter, "application/x-ndjson");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_signal_connect (chooser, "response", G_CALLBACK (export_chooser_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
viv_action_log_dispose (GObject *object)
{
  VivActionLog *self = VIV_ACTION_LOG (object);
  GtkWidget *child;

  viv_action_log_set_desktop (self, NULL);
  g_clear_handle_id (&self->flush_source, g_source_remove);
  g_clear_handle_id (&self->follow_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIV_TYPE_ACTION_LOG);
  /* The template's top box is not a bound child, so it is ours to drop. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);
  g_clear_object (&self->entries);
  g_clear_pointer (&self->pending, g_ptr_array_unref);

  G_OBJECT_CLASS (viv_action_log_parent_class)->dispose (object);
}

static void
viv_action_log_finalize (GObject *object)
{
  VivActionLog *self = VIV_ACTION_LOG (object);

  g_free (self->watch_error);

  G_OBJECT_CLASS (viv_action_log_parent_class)->finalize (object);
}

static void
viv_action_log_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  VivActionLog *self = VIV_ACTION_LOG (object);

  switch (prop_id)
    {
    case PROP_DESKTOP:
      g_value_set_object (value, self->desktop);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_action_log_set_property (GObject      *object,
                             guint         prop_id,
                             const GValue *value,
                             GParamSpec   *pspec)
{
  VivActionLog *self = VIV_ACTION_LOG (object);

  switch (prop_id)
    {
    case PROP_DESKTOP:
      viv_action_log_set_desktop (self, g_value_get_object (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_action_log_class_init (VivActionLogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = viv_action_log_dispose;
  object_class->finalize = viv_action_log_finalize;
  object_class->get_property = viv_action_log_get_property;
  object_class->set_property = viv_action_log_set_property;

  properties[PROP_DESKTOP] =
    g_param_spec_object ("desktop", NULL, NULL, VIV_TYPE_DESKTOP,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * VivActionLog::mark-point:
   * @x: a column of the desktop
   * @y: a row of the desktop
   *
   * The user activated an entry that happened at a point of the desktop.
   */
  signals[MARK_POINT] =
    g_signal_new ("mark-point", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/vivarium/Vivarium/viv-action-log.ui");
  gtk_widget_class_bind_template_child (widget_class, VivActionLog, status_label);
  gtk_widget_class_bind_template_child (widget_class, VivActionLog, stack);
  gtk_widget_class_bind_template_child (widget_class, VivActionLog, error_page);
  gtk_widget_class_bind_template_child (widget_class, VivActionLog, scrolled_window);
  gtk_widget_class_bind_template_child (widget_class, VivActionLog, list_view);
  gtk_widget_class_install_action (widget_class, "action-log.export", NULL, export_action);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
viv_action_log_init (VivActionLog *self)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  g_autoptr (GtkSelectionModel) selection = NULL;
  GtkAdjustment *adjustment;

  gtk_widget_init_template (GTK_WIDGET (self));

  self->entries = g_list_store_new (VIV_TYPE_ACTION_LOG_ENTRY);
  self->pending = g_ptr_array_new_with_free_func (g_object_unref);
  self->follow = TRUE;

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  selection = GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->entries))));
  gtk_list_view_set_model (self->list_view, selection);
  gtk_list_view_set_factory (self->list_view, factory);
  g_signal_connect_swapped (self->list_view, "activate", G_CALLBACK (list_activate_cb), self);
  g_signal_connect_swapped (self->list_view, "map", G_CALLBACK (list_map_cb), self);

  adjustment = gtk_scrolled_window_get_vadjustment (self->scrolled_window);
  g_signal_connect_swapped (adjustment, "value-changed", G_CALLBACK (adjustment_value_changed_cb), self);
  g_signal_connect_swapped (adjustment, "changed", G_CALLBACK (adjustment_changed_cb), self);

  update_status (self);
}

VivDesktop *
viv_action_log_get_desktop (VivActionLog *self)
{
  g_return_val_if_fail (VIV_IS_ACTION_LOG (self), NULL);

  return self->desktop;
}

/**
 * viv_action_log_set_desktop:
 * @desktop: (nullable): the desktop whose events to show
 *
 * Shows @desktop's events, its recent history first; the entries of the
 * previous desktop go.
 */
void
viv_action_log_set_desktop (VivActionLog *self,
                            VivDesktop   *desktop)
{
  g_return_if_fail (VIV_IS_ACTION_LOG (self));
  g_return_if_fail (!desktop || VIV_IS_DESKTOP (desktop));

  if (self->desktop == desktop)
    return;

  stop_watch (self);
  g_set_object (&self->desktop, desktop);

  g_clear_handle_id (&self->flush_source, g_source_remove);
  if (self->pending != NULL)
    g_ptr_array_set_size (self->pending, 0);
  if (self->entries != NULL)
    g_list_store_remove_all (self->entries);
  self->last_id = 0;
  self->follow = TRUE;
  self->ever_connected = FALSE;
  g_clear_pointer (&self->watch_error, g_free);

  if (desktop != NULL)
    {
      self->event_handler = g_signal_connect_swapped (desktop, "event",
                                                      G_CALLBACK (desktop_event_cb), self);
      self->connected_handler = g_signal_connect_swapped (desktop, "notify::events-connected",
                                                          G_CALLBACK (desktop_connected_cb), self);
      start_watch (self);
    }

  if (self->entries != NULL)
    update_status (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_DESKTOP]);
}
