/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "viv-files-panel-private.h"
#include "viv-files-preview.h"
#include "viv-main-window.h"

/* The sandbox's files: a tree from the user's home, live, with preview,
 * transfers and file operations (viv-files-panel-actions.c). */

enum {
  PROP_0,
  PROP_SANDBOX,
  PROP_SHOW_HIDDEN,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (VivFilesPanel, viv_files_panel, GTK_TYPE_WIDGET)

static void
update_actions (VivFilesPanel *self)
{
  VivFilesItem *item = _viv_files_panel_get_selected (self);
  gboolean ready = self->sandbox != NULL && self->path != NULL;
  VivFileType type = item ? viv_file_entry_get_file_type (viv_files_item_get_entry (item))
                          : VIV_FILE_TYPE_UNKNOWN;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "files.up",
                                 ready && g_strcmp0 (self->path, "/") != 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "files.refresh", self->sandbox != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "files.new-folder", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "files.upload", ready);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "files.home", ready && self->home != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "files.copy-location", ready);
  /* A link opens and downloads what it points to (resolved when used). */
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "files.open", type != VIV_FILE_TYPE_UNKNOWN);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "files.download", type != VIV_FILE_TYPE_UNKNOWN);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "files.copy-path", item != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "files.rename", item != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "files.delete", item != NULL);
  gtk_label_set_text (self->selection_label, item ? viv_files_item_get_name (item) : "");
}

VivFilesItem *
_viv_files_panel_get_selected (VivFilesPanel *self)
{
  GtkTreeListRow *row;

  if (self->selection == NULL)
    return NULL;
  row = gtk_single_selection_get_selected_item (self->selection);
  if (row == NULL)
    return NULL;
  /* The row's item is kept by the row; the selection keeps the row. */
  {
    g_autoptr (GObject) item = gtk_tree_list_row_get_item (row);

    return VIV_FILES_ITEM (item);
  }
}

static void
show_error (VivFilesPanel *self,
            const char    *what,
            const GError  *error)
{
  viv_show_error (GTK_WIDGET (self), what, error);
}

/* The rows */

static char *
format_modified (GDateTime *modified)
{
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autoptr (GDateTime) local = NULL;

  if (modified == NULL)
    return g_strdup ("");
  local = g_date_time_to_local (modified);
  if (g_date_time_get_year (local) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (local) == g_date_time_get_day_of_year (now))
    /* Translators: a file's time of change today, in g_date_time_format () syntax */
    return g_date_time_format (local, _("%H:%M"));
  if (g_date_time_get_year (local) == g_date_time_get_year (now))
    /* Translators: a file's date of change this year, in g_date_time_format () syntax */
    return g_date_time_format (local, _("%-d %b"));
  return g_date_time_format (local, "%Y");
}

/* A context menu at a point of a widget; FALSE when there is none there. */
typedef gboolean (*MenuAtFunc) (GtkWidget *widget,
                                double     x,
                                double     y,
                                gpointer   data);

static void
open_context_menu (GtkGesture *gesture,
                   double      x,
                   double      y,
                   gpointer    data)
{
  MenuAtFunc menu_at = g_object_get_data (G_OBJECT (gesture), "viv-menu-at");

  if (menu_at (gtk_event_controller_get_widget (GTK_EVENT_CONTROLLER (gesture)), x, y, data))
    gtk_gesture_set_state (gesture, GTK_EVENT_SEQUENCE_CLAIMED);
}

static void
secondary_pressed_cb (GtkGestureClick *gesture,
                      int              n_press,
                      double           x,
                      double           y,
                      gpointer         data)
{
  open_context_menu (GTK_GESTURE (gesture), x, y, data);
}

/* A context menu on a secondary click, or a long press on a touch screen.
 * A row's gestures claim the press before the list's own do. */
static void
add_context_menu (GtkWidget  *widget,
                  MenuAtFunc  menu_at,
                  gpointer    data)
{
  GtkGesture *click = gtk_gesture_click_new ();
  GtkGesture *long_press = gtk_gesture_long_press_new ();

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (click), GDK_BUTTON_SECONDARY);
  g_object_set_data (G_OBJECT (click), "viv-menu-at", menu_at);
  g_signal_connect (click, "pressed", G_CALLBACK (secondary_pressed_cb), data);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (click));
  gtk_gesture_single_set_touch_only (GTK_GESTURE_SINGLE (long_press), TRUE);
  g_object_set_data (G_OBJECT (long_press), "viv-menu-at", menu_at);
  /* ::pressed of a long press has the signature open_context_menu has. */
  g_signal_connect (long_press, "pressed", G_CALLBACK (open_context_menu), data);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (long_press));
}

static gboolean
row_menu_at (GtkWidget *widget,
             double     x,
             double     y,
             gpointer   data)
{
  GtkListItem *list_item = data;
  VivFilesPanel *self = VIV_FILES_PANEL (gtk_widget_get_ancestor (widget, VIV_TYPE_FILES_PANEL));
  guint position = gtk_list_item_get_position (list_item);

  if (self == NULL || self->selection == NULL || position == GTK_INVALID_LIST_POSITION)
    return FALSE;
  /* The menu's actions work on the selection, as the action bar's do. */
  gtk_single_selection_set_selected (self->selection, position);
  return _viv_files_panel_popup_row_menu (self, widget, x, y);
}

/* The folder's own menu, where no row is: below the rows, or on the
 * empty folder's page. */
static gboolean
background_menu_at (GtkWidget *widget,
                    double     x,
                    double     y,
                    gpointer   data)
{
  VivFilesPanel *self = data;
  const char *page = gtk_stack_get_visible_child_name (self->content_stack);
  graphene_point_t point;

  if (g_strcmp0 (page, "list") != 0 && g_strcmp0 (page, "empty") != 0)
    return FALSE;
  if (!gtk_widget_compute_point (widget, GTK_WIDGET (self), &GRAPHENE_POINT_INIT (x, y), &point))
    return FALSE;
  gtk_popover_set_pointing_to (GTK_POPOVER (self->background_popover),
                               &(GdkRectangle) { (int) point.x, (int) point.y, 1, 1 });
  gtk_popover_popup (GTK_POPOVER (self->background_popover));
  return TRUE;
}

static void
setup_row_cb (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              gpointer                  user_data)
{
  GtkWidget *expander = gtk_tree_expander_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *icon = gtk_image_new ();
  GtkWidget *name = gtk_label_new (NULL);
  GtkWidget *size = gtk_label_new (NULL);
  GtkWidget *modified = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_label_set_ellipsize (GTK_LABEL (name), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (name, TRUE);
  gtk_label_set_xalign (GTK_LABEL (size), 1);
  gtk_label_set_width_chars (GTK_LABEL (size), 7);
  gtk_label_set_xalign (GTK_LABEL (modified), 1);
  gtk_label_set_width_chars (GTK_LABEL (modified), 6);
  gtk_widget_add_css_class (size, "dim-label");
  gtk_widget_add_css_class (size, "caption");
  gtk_widget_add_css_class (size, "numeric");
  gtk_widget_add_css_class (modified, "dim-label");
  gtk_widget_add_css_class (modified, "caption");
  gtk_widget_add_css_class (modified, "numeric");
  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), name);
  gtk_box_append (GTK_BOX (box), size);
  gtk_box_append (GTK_BOX (box), modified);
  gtk_widget_add_css_class (box, "files-row");
  gtk_tree_expander_set_child (GTK_TREE_EXPANDER (expander), box);
  gtk_list_item_set_child (list_item, expander);

  add_context_menu (expander, row_menu_at, list_item);
}

static void
bind_row_cb (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             gpointer                  user_data)
{
  GtkTreeListRow *row = gtk_list_item_get_item (list_item);
  GtkWidget *expander = gtk_list_item_get_child (list_item);
  GtkWidget *box = gtk_tree_expander_get_child (GTK_TREE_EXPANDER (expander));
  GtkWidget *icon = gtk_widget_get_first_child (box);
  GtkWidget *name = gtk_widget_get_next_sibling (icon);
  GtkWidget *size = gtk_widget_get_next_sibling (name);
  GtkWidget *modified = gtk_widget_get_next_sibling (size);
  g_autoptr (VivFilesItem) item = gtk_tree_list_row_get_item (row);
  VivFileEntry *entry = viv_files_item_get_entry (item);
  g_autofree char *size_text = NULL;
  g_autofree char *modified_text = format_modified (viv_file_entry_get_modified_time (entry));
  g_autofree char *tooltip = NULL;
  g_autofree char *full_time = NULL;

  gtk_tree_expander_set_list_row (GTK_TREE_EXPANDER (expander), row);
  gtk_image_set_from_icon_name (GTK_IMAGE (icon), viv_files_item_get_icon_name (item));
  gtk_label_set_text (GTK_LABEL (name), viv_files_item_get_name (item));
  if (viv_files_item_is_link (item))
    gtk_widget_add_css_class (name, "file-link");
  else
    gtk_widget_remove_css_class (name, "file-link");
  /* A link's own size is its target's length: no use to anyone. */
  if (viv_file_entry_get_file_type (entry) == VIV_FILE_TYPE_FILE ||
      viv_file_entry_get_file_type (entry) == VIV_FILE_TYPE_UNKNOWN)
    size_text = g_format_size (viv_file_entry_get_size (entry));
  gtk_label_set_text (GTK_LABEL (size), size_text ? size_text : "");
  gtk_label_set_text (GTK_LABEL (modified), modified_text);

  if (viv_file_entry_get_modified_time (entry) != NULL)
    {
      g_autoptr (GDateTime) local = g_date_time_to_local (viv_file_entry_get_modified_time (entry));

      full_time = g_date_time_format (local, "%c");
    }
  if (viv_file_entry_get_symlink_target (entry) != NULL)
    /* Translators: a link's tooltip: its path, where it points, permissions, owner and time of change */
    tooltip = g_strdup_printf (_("%s\nLink to %s\n%s %s, modified %s"), viv_file_entry_get_path (entry),
                               viv_file_entry_get_symlink_target (entry),
                               viv_file_entry_get_permissions (entry) ?: "",
                               viv_file_entry_get_owner (entry) ?: "",
                               full_time ? full_time : "?");
  else
    /* Translators: a file's tooltip: its path, permissions, owner and time of change */
    tooltip = g_strdup_printf (_("%s\n%s %s, modified %s"), viv_file_entry_get_path (entry),
                               viv_file_entry_get_permissions (entry) ?: "",
                               viv_file_entry_get_owner (entry) ?: "",
                               full_time ? full_time : "?");
  gtk_widget_set_tooltip_text (box, tooltip);
}

static void
child_failed_cb (VivFilesDirectory *directory,
                 const GError      *error,
                 gpointer           user_data)
{
  VivFilesPanel *self = user_data;
  g_autofree char *name = g_path_get_basename (viv_files_directory_get_path (directory));
  /* Translators: %s is a folder's name */
  g_autofree char *what = g_strdup_printf (_("Could not list “%s”"), name);

  show_error (self, what, error);
}

static gboolean
hidden_filter_cb (gpointer item,
                  gpointer user_data)
{
  VivFilesPanel *self = user_data;
  const char *name = viv_files_item_get_name (item);

  /* Hidden as GLib and Nautilus hide them: a name starting with a dot. */
  return self->show_hidden || name == NULL || name[0] != '.';
}

/* A folder's model as the panel shows it: hidden files filtered out on
 * the client, so showing them again asks the sandbox for nothing. */
static GListModel *
filter_hidden (VivFilesPanel *self,
               GListModel    *model)
{
  return G_LIST_MODEL (gtk_filter_list_model_new (model, g_object_ref (self->hidden_filter)));
}

static GListModel *
create_children_cb (gpointer item,
                    gpointer user_data)
{
  VivFilesPanel *self = user_data;
  VivFilesDirectory *directory = NULL;
  GListModel *model;

  if (self->sandbox == NULL || !viv_files_item_lists_as_folder (item))
    return NULL;

  model = viv_files_directory_new_model (self->sandbox, viv_files_item_get_path (item), &directory);
  g_signal_connect_object (directory, "failed", G_CALLBACK (child_failed_cb), self, 0);
  return filter_hidden (self, model);
}

/* The shown folder */

static GtkFilterListModel *
get_shown_model (VivFilesPanel *self)
{
  GListModel *tree;

  if (self->selection == NULL)
    return NULL;
  tree = gtk_single_selection_get_model (self->selection);
  return GTK_FILTER_LIST_MODEL (gtk_tree_list_model_get_model (GTK_TREE_LIST_MODEL (tree)));
}

/* The list, or why it is empty: nothing there, or only hidden files. */
static guint
update_content (VivFilesPanel *self)
{
  GtkFilterListModel *shown = get_shown_model (self);
  guint n_shown;
  guint n_all;

  if (shown == NULL)
    return 0;
  n_shown = g_list_model_get_n_items (G_LIST_MODEL (shown));
  n_all = g_list_model_get_n_items (gtk_filter_list_model_get_model (shown));
  if (n_shown == 0 && n_all > 0)
    {
      adw_status_page_set_title (self->empty_page, _("Only Hidden Files"));
      adw_status_page_set_description (self->empty_page, _("Press Ctrl+H to show them"));
    }
  else if (n_shown == 0)
    {
      adw_status_page_set_title (self->empty_page, _("Folder Is Empty"));
      adw_status_page_set_description (self->empty_page, _("Drop files here to upload them"));
    }
  gtk_stack_set_visible_child_name (self->content_stack, n_shown > 0 ? "list" : "empty");
  return n_shown;
}

static gboolean
after_paint_cb (GdkFrameClock *clock,
                gpointer       user_data)
{
  VivFilesPanel *self = user_data;

  /* For the benchmark (G_MESSAGES_DEBUG=VivariumApp): from asking for the
   * folder to the first frame painted with its rows in. */
  g_debug ("Files: first paint of %s after %.1f ms (%.1f ms after its rows were in)",
           self->path, (g_get_monotonic_time () - self->asked_at) / 1000.0,
           (g_get_monotonic_time () - self->loaded_at) / 1000.0);
  g_clear_signal_handler (&self->paint_handler, self->paint_clock);
  g_clear_object (&self->paint_clock);
  return G_SOURCE_REMOVE;
}

static void
root_loaded_cb (VivFilesDirectory *directory,
                guint              n_items,
                gpointer           user_data)
{
  VivFilesPanel *self = user_data;
  GdkFrameClock *clock;

  if (directory != self->directory)
    return;

  self->retries = 0;
  n_items = update_content (self);
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (self->list_view));
  if (self->asked_at != 0 && n_items > 0 && clock != NULL && self->paint_handler == 0)
    {
      self->loaded_at = g_get_monotonic_time ();
      self->paint_clock = g_object_ref (clock);
      self->paint_handler = g_signal_connect (clock, "after-paint", G_CALLBACK (after_paint_cb), self);
      gtk_widget_queue_draw (GTK_WIDGET (self->list_view));
    }
}

static void
root_items_changed_cb (GListModel *model,
                       guint       position,
                       guint       removed,
                       guint       added,
                       gpointer    user_data)
{
  VivFilesPanel *self = user_data;

  /* Live: the last file going, or the first coming; or hidden files
   * shown or hidden. */
  if (self->directory != NULL && viv_files_directory_get_loaded (self->directory))
    update_content (self);
}

/* Listing again is what Reload does. */
#define RETRY_SECONDS 2
#define MAX_RETRIES   5

static gboolean
retry_cb (gpointer user_data)
{
  VivFilesPanel *self = user_data;

  self->retry_source = 0;
  _viv_files_panel_reload (self);
  return G_SOURCE_REMOVE;
}

static void
root_failed_cb (VivFilesDirectory *directory,
                const GError      *error,
                gpointer           user_data)
{
  VivFilesPanel *self = user_data;

  if (directory != self->directory)
    return;
  adw_status_page_set_description (self->error_page, error->message);
  gtk_stack_set_visible_child_name (self->content_stack, "error");

  /* Failed although the sandbox runs, as far as we know: our idea of its
   * state may be late (it was paused or resumed a moment ago), so try a few
   * more times before leaving it to Reload. */
  if (self->sandbox != NULL && viv_sandbox_get_state (self->sandbox) == VIV_SANDBOX_STATE_RUNNING &&
      self->retry_source == 0 && self->retries < MAX_RETRIES)
    {
      self->retries++;
      self->retry_source = g_timeout_add_seconds (RETRY_SECONDS, retry_cb, self);
    }
}

static void
root_watch_stopped_cb (VivFilesDirectory *directory,
                       const GError      *error,
                       gpointer           user_data)
{
  VivFilesPanel *self = user_data;

  /* A folder that could not be listed shows why already; a sandbox that
   * is gone or paused says so itself. */
  if (directory == self->directory && viv_files_directory_get_loaded (directory) &&
      self->sandbox != NULL && viv_sandbox_get_state (self->sandbox) == VIV_SANDBOX_STATE_RUNNING)
    show_error (self, _("Live updates of this folder stopped"), error);
}

static void
selection_changed_cb (GtkSelectionModel *model,
                      guint              position,
                      guint              n_items,
                      gpointer           user_data)
{
  update_actions (VIV_FILES_PANEL (user_data));
}

static void
selection_items_changed_cb (GListModel *model,
                            guint       position,
                            guint       removed,
                            guint       added,
                            gpointer    user_data)
{
  /* A selected file that goes away (deleted, renamed) leaves no selection,
   * and GtkSingleSelection says so only through items-changed. */
  update_actions (VIV_FILES_PANEL (user_data));
}

static void
clear_paint_timing (VivFilesPanel *self)
{
  if (self->paint_clock != NULL)
    g_clear_signal_handler (&self->paint_handler, self->paint_clock);
  g_clear_object (&self->paint_clock);
  self->asked_at = 0;
}

static void
clear_view (VivFilesPanel *self)
{
  clear_paint_timing (self);
  gtk_list_view_set_model (self->list_view, NULL);
  if (self->selection != NULL)
    g_signal_handlers_disconnect_by_data (self->selection, self);
  g_clear_object (&self->selection);
  self->directory = NULL;
}

void
_viv_files_panel_show_path (VivFilesPanel *self,
                            const char    *path)
{
  GListModel *root;
  GListModel *shown;
  GtkTreeListModel *tree;
  VivFilesDirectory *directory = NULL;
  g_autofree char *canonical = NULL;

  g_assert (VIV_IS_FILES_PANEL (self));

  clear_view (self);
  if (self->sandbox == NULL || path == NULL)
    {
      g_clear_pointer (&self->path, g_free);
      gtk_label_set_text (self->path_label, "");
      gtk_stack_set_visible_child_name (self->content_stack, "loading");
      update_actions (self);
      return;
    }

  canonical = g_canonicalize_filename (path, "/");
  g_free (self->path);
  self->path = g_steal_pointer (&canonical);
  self->asked_at = g_get_monotonic_time ();
  gtk_label_set_text (self->path_label, self->path);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->path_label), self->path);
  gtk_stack_set_visible_child_name (self->content_stack, "loading");

  root = viv_files_directory_new_model (self->sandbox, self->path, &directory);
  self->directory = directory;
  g_signal_connect_object (directory, "loaded", G_CALLBACK (root_loaded_cb), self, 0);
  g_signal_connect_object (directory, "failed", G_CALLBACK (root_failed_cb), self, 0);
  g_signal_connect_object (directory, "watch-stopped", G_CALLBACK (root_watch_stopped_cb), self, 0);
  shown = filter_hidden (self, root);
  g_signal_connect_object (shown, "items-changed", G_CALLBACK (root_items_changed_cb), self, 0);

  tree = gtk_tree_list_model_new (shown, FALSE, FALSE, create_children_cb, self, NULL);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (tree));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  g_signal_connect (self->selection, "selection-changed", G_CALLBACK (selection_changed_cb), self);
  g_signal_connect (self->selection, "items-changed", G_CALLBACK (selection_items_changed_cb), self);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
  update_actions (self);
}

static void
activate_cb (GtkListView *list_view,
             guint        position,
             gpointer     user_data)
{
  VivFilesPanel *self = user_data;
  g_autoptr (GtkTreeListRow) row = g_list_model_get_item (G_LIST_MODEL (self->selection), position);
  g_autoptr (VivFilesItem) item = NULL;

  if (row == NULL)
    return;
  item = gtk_tree_list_row_get_item (row);
  if (viv_files_item_lists_as_folder (item))
    _viv_files_panel_show_path (self, viv_files_item_get_path (item));
  else
    {
      gtk_single_selection_set_selected (self->selection, position);
      gtk_widget_activate_action (GTK_WIDGET (self), "files.open", NULL);
    }
}

static void
home_cb (GObject      *object,
         GAsyncResult *result,
         gpointer      user_data)
{
  g_autoptr (VivFilesPanel) self = user_data;
  g_autoptr (VivFileEntry) entry = NULL;
  g_autoptr (GError) error = NULL;

  entry = viv_files_stat_finish (VIV_FILES (object), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) || VIV_FILES (object) != self->files)
    return;
  if (entry == NULL)
    {
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->content_stack, "error");
      return;
    }

  g_free (self->home);
  self->home = g_canonicalize_filename (viv_file_entry_get_path (entry), "/");
  _viv_files_panel_show_path (self, self->home);
}

static void
find_home (VivFilesPanel *self)
{
  /* Relative paths resolve against the sandbox user's home (envd): that is
   * where the tree starts, /home/user on E2B. */
  gtk_stack_set_visible_child_name (self->content_stack, "loading");
  viv_files_stat_async (self->files, ".", self->cancellable, home_cb, g_object_ref (self));
}

/* Called by the refresh action: the shown folder again, or the home. */
void
_viv_files_panel_reload (VivFilesPanel *self)
{
  if (self->sandbox == NULL)
    return;
  if (self->path == NULL)
    find_home (self);
  else
    {
      g_autofree char *path = g_strdup (self->path);

      /* Collapsed and listed anew: expanded folders list again when opened. */
      _viv_files_panel_show_path (self, path);
    }
}

static void
sandbox_state_cb (VivSandbox *sandbox,
                  GParamSpec *pspec,
                  gpointer    user_data)
{
  VivFilesPanel *self = user_data;

  self->retries = 0;
  /* A resumed sandbox answers again: what failed while it was paused is
   * tried once more without the user asking. */
  if (viv_sandbox_get_state (sandbox) == VIV_SANDBOX_STATE_RUNNING &&
      g_strcmp0 (gtk_stack_get_visible_child_name (self->content_stack), "error") == 0)
    _viv_files_panel_reload (self);
}

static gboolean
drop_cb (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         gpointer       user_data)
{
  VivFilesPanel *self = user_data;
  g_autoptr (GListStore) files = g_list_store_new (G_TYPE_FILE);

  if (!G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST) || self->path == NULL)
    return FALSE;
  for (GSList *l = g_value_get_boxed (value); l != NULL; l = l->next)
    g_list_store_append (files, l->data);
  if (g_list_model_get_n_items (G_LIST_MODEL (files)) == 0)
    return FALSE;
  _viv_files_panel_upload (self, G_LIST_MODEL (files));
  return TRUE;
}

static void
viv_files_panel_dispose (GObject *object)
{
  VivFilesPanel *self = VIV_FILES_PANEL (object);
  GtkWidget *child;

  viv_files_panel_set_sandbox (self, NULL);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  clear_view (self);
  /* Models that outlive the panel must not call back into it. */
  if (self->hidden_filter != NULL)
    gtk_custom_filter_set_filter_func (GTK_CUSTOM_FILTER (self->hidden_filter), NULL, NULL, NULL);
  g_clear_object (&self->hidden_filter);
  g_clear_pointer (&self->row_popover, gtk_widget_unparent);
  g_clear_pointer (&self->background_popover, gtk_widget_unparent);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIV_TYPE_FILES_PANEL);
  /* The template's top box is not a bound child, so it is ours to drop. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (viv_files_panel_parent_class)->dispose (object);
}

static void
viv_files_panel_finalize (GObject *object)
{
  VivFilesPanel *self = VIV_FILES_PANEL (object);

  g_clear_pointer (&self->transfers, g_ptr_array_unref);
  g_clear_pointer (&self->home, g_free);
  g_clear_pointer (&self->path, g_free);

  G_OBJECT_CLASS (viv_files_panel_parent_class)->finalize (object);
}

static void
set_show_hidden (VivFilesPanel *self,
                 gboolean       show_hidden)
{
  show_hidden = !!show_hidden;
  if (self->show_hidden == show_hidden)
    return;
  self->show_hidden = show_hidden;
  /* Every folder's model, shown or expanded, filters again; none lists again. */
  gtk_filter_changed (self->hidden_filter,
                      show_hidden ? GTK_FILTER_CHANGE_LESS_STRICT : GTK_FILTER_CHANGE_MORE_STRICT);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_HIDDEN]);
}

static void
viv_files_panel_get_property (GObject    *object,
                              guint       prop_id,
                              GValue     *value,
                              GParamSpec *pspec)
{
  VivFilesPanel *self = VIV_FILES_PANEL (object);

  switch (prop_id)
    {
    case PROP_SANDBOX:
      g_value_set_object (value, self->sandbox);
      break;
    case PROP_SHOW_HIDDEN:
      g_value_set_boolean (value, self->show_hidden);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_files_panel_set_property (GObject      *object,
                              guint         prop_id,
                              const GValue *value,
                              GParamSpec   *pspec)
{
  VivFilesPanel *self = VIV_FILES_PANEL (object);

  switch (prop_id)
    {
    case PROP_SANDBOX:
      viv_files_panel_set_sandbox (self, g_value_get_object (value));
      break;
    case PROP_SHOW_HIDDEN:
      set_show_hidden (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
viv_files_panel_class_init (VivFilesPanelClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = viv_files_panel_dispose;
  object_class->finalize = viv_files_panel_finalize;
  object_class->get_property = viv_files_panel_get_property;
  object_class->set_property = viv_files_panel_set_property;

  properties[PROP_SANDBOX] =
    g_param_spec_object ("sandbox", NULL, NULL, VIV_TYPE_SANDBOX,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* Kept for the panel's lifetime, whichever folder it shows. */
  properties[PROP_SHOW_HIDDEN] =
    g_param_spec_boolean ("show-hidden", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/vivarium/Vivarium/viv-files-panel.ui");
  gtk_widget_class_bind_template_child (widget_class, VivFilesPanel, path_label);
  gtk_widget_class_bind_template_child (widget_class, VivFilesPanel, content_stack);
  gtk_widget_class_bind_template_child (widget_class, VivFilesPanel, list_view);
  gtk_widget_class_bind_template_child (widget_class, VivFilesPanel, error_page);
  gtk_widget_class_bind_template_child (widget_class, VivFilesPanel, transfer_scroller);
  gtk_widget_class_bind_template_child (widget_class, VivFilesPanel, transfer_list);
  gtk_widget_class_bind_template_child (widget_class, VivFilesPanel, selection_label);
  gtk_widget_class_bind_template_child (widget_class, VivFilesPanel, empty_page);
  gtk_widget_class_bind_template_child (widget_class, VivFilesPanel, row_menu);
  gtk_widget_class_bind_template_child (widget_class, VivFilesPanel, background_menu);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  _viv_files_panel_class_init_actions (widget_class);
}

static void
viv_files_panel_init (VivFilesPanel *self)
{
  g_autoptr (GtkListItemFactory) factory = gtk_signal_list_item_factory_new ();
  GtkDropTarget *drop;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->transfers = g_ptr_array_new_with_free_func (g_object_unref);
  self->hidden_filter = GTK_FILTER (gtk_custom_filter_new (hidden_filter_cb, self, NULL));

  self->row_popover = gtk_popover_menu_new_from_model (self->row_menu);
  gtk_popover_set_has_arrow (GTK_POPOVER (self->row_popover), FALSE);
  gtk_widget_set_halign (self->row_popover, GTK_ALIGN_START);
  gtk_widget_set_parent (self->row_popover, GTK_WIDGET (self));
  self->background_popover = gtk_popover_menu_new_from_model (self->background_menu);
  gtk_popover_set_has_arrow (GTK_POPOVER (self->background_popover), FALSE);
  gtk_widget_set_halign (self->background_popover, GTK_ALIGN_START);
  gtk_widget_set_parent (self->background_popover, GTK_WIDGET (self));
  add_context_menu (GTK_WIDGET (self->content_stack), background_menu_at, self);

  g_signal_connect (factory, "setup", G_CALLBACK (setup_row_cb), self);
  g_signal_connect (factory, "bind", G_CALLBACK (bind_row_cb), self);
  gtk_list_view_set_factory (self->list_view, factory);
  g_signal_connect (self->list_view, "activate", G_CALLBACK (activate_cb), self);

  /* Files from the desktop go into the shown folder. */
  drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);
  g_signal_connect (drop, "drop", G_CALLBACK (drop_cb), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));

  update_actions (self);
}

VivSandbox *
viv_files_panel_get_sandbox (VivFilesPanel *self)
{
  g_return_val_if_fail (VIV_IS_FILES_PANEL (self), NULL);

  return self->sandbox;
}

void
viv_files_panel_set_sandbox (VivFilesPanel *self,
                             VivSandbox    *sandbox)
{
  g_return_if_fail (VIV_IS_FILES_PANEL (self));
  g_return_if_fail (!sandbox || VIV_IS_SANDBOX (sandbox));

  if (self->sandbox == sandbox)
    return;
  if (self->sandbox != NULL)
    g_signal_handlers_disconnect_by_func (self->sandbox, sandbox_state_cb, self);
  g_set_object (&self->sandbox, sandbox);
  g_clear_handle_id (&self->retry_source, g_source_remove);
  self->retries = 0;

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->files);
  g_clear_pointer (&self->home, g_free);
  _viv_files_panel_cancel_transfers (self);
  _viv_files_panel_show_path (self, NULL);

  if (sandbox != NULL)
    {
      self->cancellable = g_cancellable_new ();
      self->files = viv_files_new (sandbox);
      g_signal_connect (sandbox, "notify::state", G_CALLBACK (sandbox_state_cb), self);
      find_home (self);
    }

  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SANDBOX]);
}
