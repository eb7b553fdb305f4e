/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "viv-files-link.h"
#include "viv-files-panel-private.h"
#include "viv-files-preview.h"
#include "viv-files-transfer.h"
#include "viv-main-window.h"

/* The Files panel's actions: navigation, new folder, rename, delete,
 * preview, links followed, the rows' context menu, and transfers with
 * their progress rows. */

static GtkWindow *
parent_window (VivFilesPanel *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL;
}

static void
toast (VivFilesPanel *self,
       const char    *message)
{
  GtkWindow *window = parent_window (self);

  if (VIV_IS_MAIN_WINDOW (window))
    viv_main_window_add_toast (VIV_MAIN_WINDOW (window), message);
}

static gboolean
valid_name (const char *name)
{
  return name != NULL && *name != '\0' && strchr (name, '/') == NULL &&
         strcmp (name, ".") != 0 && strcmp (name, "..") != 0;
}

/* A dialog that asks for a name */

typedef void (*NameCallback) (VivFilesPanel *self,
                              const char    *name,
                              gpointer       data);

typedef struct
{
  VivFilesPanel  *self;
  GtkEditable    *entry;
  NameCallback    callback;
  gpointer        data;
  GDestroyNotify  destroy;
} NameRequest;

static void
name_request_free (gpointer data)
{
  NameRequest *request = data;

  if (request->destroy != NULL)
    request->destroy (request->data);
  g_object_unref (request->self);
  g_free (request);
}

static void
name_changed_cb (GtkEditable      *entry,
                 AdwMessageDialog *dialog)
{
  adw_message_dialog_set_response_enabled (dialog, "accept", valid_name (gtk_editable_get_text (entry)));
}

static void
name_response_cb (AdwMessageDialog *dialog,
                  const char       *response,
                  gpointer          user_data)
{
  NameRequest *request = user_data;
  const char *name = gtk_editable_get_text (request->entry);

  if (g_strcmp0 (response, "accept") == 0 && valid_name (name))
    request->callback (request->self, name, request->data);
}

static void
ask_name (VivFilesPanel  *self,
          const char     *heading,
          const char     *accept_label,
          const char     *initial,
          NameCallback    callback,
          gpointer        data,
          GDestroyNotify  destroy)
{
  AdwMessageDialog *dialog;
  GtkWidget *entry = gtk_entry_new ();
  NameRequest *request = g_new0 (NameRequest, 1);

  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent_window (self), heading, NULL));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "accept", accept_label, NULL);
  adw_message_dialog_set_response_appearance (dialog, "accept", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (dialog, "accept");
  adw_message_dialog_set_close_response (dialog, "cancel");

  gtk_entry_set_activates_default (GTK_ENTRY (entry), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (entry), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Name"), -1);
  gtk_editable_set_text (GTK_EDITABLE (entry), initial ? initial : "");
  adw_message_dialog_set_extra_child (dialog, entry);
  name_changed_cb (GTK_EDITABLE (entry), dialog);
  g_signal_connect (entry, "changed", G_CALLBACK (name_changed_cb), dialog);

  request->self = g_object_ref (self);
  request->entry = GTK_EDITABLE (entry);
  request->callback = callback;
  request->data = data;
  request->destroy = destroy;
  g_signal_connect_data (dialog, "response", G_CALLBACK (name_response_cb), request,
                         (GClosureNotify) (void (*) (void)) name_request_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
  gtk_widget_grab_focus (entry);
  if (initial != NULL)
    {
      /* The name without its extension, as file managers select it. */
      const char *dot = strrchr (initial, '.');
      int end = dot && dot != initial ? (int) g_utf8_pointer_to_offset (initial, dot) : -1;

      gtk_editable_select_region (GTK_EDITABLE (entry), 0, end);
    }
}

/* Links: followed when used, so a link opens and downloads what it
 * points to. */

typedef void (*LinkCallback) (VivFilesPanel *self,
                              VivFileEntry  *link,
                              VivFileEntry  *target);

typedef struct
{
  VivFilesPanel *self;
  VivFileEntry  *link;
  char          *what;    /* what failed, for the toast */
  LinkCallback   callback;
} LinkData;

static void
link_data_free (LinkData *data)
{
  g_object_unref (data->self);
  viv_file_entry_unref (data->link);
  g_free (data->what);
  g_free (data);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LinkData, link_data_free)

static void
link_followed_cb (GObject      *object,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr (LinkData) data = user_data;
  g_autoptr (VivFileEntry) target = NULL;
  g_autoptr (GError) error = NULL;

  target = viv_files_follow_link_finish (VIV_FILES (object), result, &error);
  /* Nothing to say about a sandbox the panel no longer shows. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
      VIV_FILES (object) != data->self->files)
    return;
  if (target == NULL)
    viv_show_error (GTK_WIDGET (data->self), data->what, error);
  else
    data->callback (data->self, data->link, target);
}

/* Calls @callback with the link and what it finally points to, or says
 * in a toast, after @what, why it cannot (dangling, a loop). */
static void
with_link_target (VivFilesPanel *self,
                  VivFileEntry  *link,
                  char          *what,
                  LinkCallback   callback)
{
  LinkData *data;

  if (self->files == NULL)
    {
      g_free (what);
      return;
    }
  data = g_new0 (LinkData, 1);
  data->self = g_object_ref (self);
  data->link = viv_file_entry_ref (link);
  data->what = what;
  data->callback = callback;
  viv_files_follow_link_async (self->files, link, self->cancellable, link_followed_cb, data);
}

/* Navigation */

static void
up_action (GtkWidget  *widget,
           const char *action_name,
           GVariant   *parameter)
{
  VivFilesPanel *self = VIV_FILES_PANEL (widget);
  g_autofree char *parent = NULL;

  if (self->path == NULL)
    return;
  parent = g_path_get_dirname (self->path);
  _viv_files_panel_show_path (self, parent);
}

static void
home_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  VivFilesPanel *self = VIV_FILES_PANEL (widget);
  g_autofree char *home = g_strdup (self->home);

  if (home != NULL)
    _viv_files_panel_show_path (self, home);
}

static void
refresh_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  _viv_files_panel_reload (VIV_FILES_PANEL (widget));
}

/* New folder, rename, delete */

static void
made_directory_cb (GObject      *object,
                   GAsyncResult *result,
                   gpointer      user_data)
{
  g_autoptr (VivFilesPanel) self = user_data;
  g_autoptr (VivFileEntry) entry = NULL;
  g_autoptr (GError) error = NULL;

  if (!(entry = viv_files_make_directory_finish (VIV_FILES (object), result, &error)))
    viv_show_error (GTK_WIDGET (self), _("Could not create the folder"), error);
}

static void
new_folder_named (VivFilesPanel *self,
                  const char    *name,
                  gpointer       data)
{
  g_autofree char *path = NULL;

  if (self->files == NULL || self->path == NULL)
    return;
  path = g_build_filename (self->path, name, NULL);
  viv_files_make_directory_async (self->files, path, self->cancellable, made_directory_cb,
                                  g_object_ref (self));
}

static void
new_folder_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  ask_name (VIV_FILES_PANEL (widget), _("New Folder"), _("C_reate"), NULL,
            new_folder_named, NULL, NULL);
}

static void
moved_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (VivFilesPanel) self = user_data;
  g_autoptr (VivFileEntry) entry = NULL;
  g_autoptr (GError) error = NULL;

  if (!(entry = viv_files_move_finish (VIV_FILES (object), result, &error)))
    viv_show_error (GTK_WIDGET (self), _("Could not rename"), error);
}

static void
rename_named (VivFilesPanel *self,
              const char    *name,
              gpointer       data)
{
  VivFileEntry *entry = data;
  g_autofree char *parent = g_path_get_dirname (viv_file_entry_get_path (entry));
  g_autofree char *destination = g_build_filename (parent, name, NULL);

  if (self->files == NULL || g_strcmp0 (name, viv_file_entry_get_name (entry)) == 0)
    return;
  viv_files_move_async (self->files, viv_file_entry_get_path (entry), destination,
                        self->cancellable, moved_cb, g_object_ref (self));
}

static void
rename_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  VivFilesPanel *self = VIV_FILES_PANEL (widget);
  VivFilesItem *item = _viv_files_panel_get_selected (self);
  VivFileEntry *entry;
  g_autofree char *heading = NULL;

  if (item == NULL)
    return;
  entry = viv_files_item_get_entry (item);
  /* Translators: a dialog's heading; %s is a file name */
  heading = g_strdup_printf (_("Rename “%s”"), viv_file_entry_get_name (entry));
  ask_name (self, heading, _("_Rename"), viv_file_entry_get_name (entry),
            rename_named, viv_file_entry_ref (entry), (GDestroyNotify) viv_file_entry_unref);
}

static void
removed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (VivFilesPanel) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!viv_files_remove_finish (VIV_FILES (object), result, &error))
    viv_show_error (GTK_WIDGET (self), _("Could not delete"), error);
}

static void
delete_response_cb (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  VivFilesPanel *self = VIV_FILES_PANEL (g_object_get_data (G_OBJECT (dialog), "panel"));
  VivFileEntry *entry = user_data;

  if (g_strcmp0 (response, "delete") != 0 || self->files == NULL)
    return;
  viv_files_remove_async (self->files, viv_file_entry_get_path (entry), self->cancellable,
                          removed_cb, g_object_ref (self));
}

static void
delete_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  VivFilesPanel *self = VIV_FILES_PANEL (widget);
  VivFilesItem *item = _viv_files_panel_get_selected (self);
  VivFileEntry *entry;
  AdwMessageDialog *dialog;
  g_autofree char *heading = NULL;
  const char *body;

  if (item == NULL)
    return;
  entry = viv_files_item_get_entry (item);
  /* Translators: a dialog's heading; %s is a file name */
  heading = g_strdup_printf (_("Delete “%s”?"), viv_file_entry_get_name (entry));
  if (viv_files_item_is_directory (item))
    body = _("The folder and everything in it are removed from the sandbox. This cannot be undone.");
  else if (viv_file_entry_get_file_type (entry) == VIV_FILE_TYPE_SYMLINK)
    body = _("The link is removed from the sandbox; what it points to stays.");
  else
    body = _("The file is removed from the sandbox. This cannot be undone.");
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent_window (self), heading, body));
  adw_message_dialog_add_responses (dialog, "cancel", _("_Cancel"), "delete", _("_Delete"), NULL);
  adw_message_dialog_set_response_appearance (dialog, "delete", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "panel", g_object_ref (self), g_object_unref);
  g_signal_connect_data (dialog, "response", G_CALLBACK (delete_response_cb),
                         viv_file_entry_ref (entry),
                         (GClosureNotify) (void (*) (void)) viv_file_entry_unref, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

/* Preview */

/* A folder is shown, a file previewed; @entry is what @path (maybe a
 * link) finally is. */
static void
open_entry (VivFilesPanel *self,
            const char    *path,
            VivFileEntry  *entry)
{
  VivFilesPreview *preview;

  if (self->sandbox == NULL)
    return;
  switch (viv_file_entry_get_file_type (entry))
    {
    case VIV_FILE_TYPE_DIRECTORY:
      {
        /* Under the link's path, as a file manager does: Parent Folder
         * goes back to where the link is. */
        g_autofree char *copy = g_strdup (path);

        _viv_files_panel_show_path (self, copy);
      }
      break;
    case VIV_FILE_TYPE_FILE:
      preview = viv_files_preview_new (parent_window (self), self->sandbox, entry);
      gtk_window_present (GTK_WINDOW (preview));
      break;
    case VIV_FILE_TYPE_SYMLINK:
    case VIV_FILE_TYPE_UNKNOWN:
    default:
      {
        /* Translators: %s is a file's name; a device, socket or pipe */
        g_autofree char *message = g_strdup_printf (_("“%s” is not a file or folder"),
                                                    viv_file_entry_get_name (entry));

        toast (self, message);
      }
      break;
    }
}

static void
open_link_target (VivFilesPanel *self,
                  VivFileEntry  *link,
                  VivFileEntry  *target)
{
  open_entry (self, viv_file_entry_get_path (link), target);
}

static void
open_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  VivFilesPanel *self = VIV_FILES_PANEL (widget);
  VivFilesItem *item = _viv_files_panel_get_selected (self);
  VivFileEntry *entry;

  if (item == NULL || self->sandbox == NULL)
    return;
  entry = viv_files_item_get_entry (item);
  if (viv_file_entry_get_file_type (entry) == VIV_FILE_TYPE_SYMLINK)
    {
      /* Translators: %s is a link's name; the error, after a colon, says why */
      char *what = g_strdup_printf (_("Could not open “%s”"), viv_file_entry_get_name (entry));

      with_link_target (self, entry, what, open_link_target);
    }
  else
    open_entry (self, viv_file_entry_get_path (entry), entry);
}

/* Copy Path, Copy Location */

static void
copy_text (VivFilesPanel *self,
           const char    *text)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), text);
  toast (self, _("Path copied"));
}

static void
copy_path_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  VivFilesPanel *self = VIV_FILES_PANEL (widget);
  VivFilesItem *item = _viv_files_panel_get_selected (self);

  if (item != NULL)
    copy_text (self, viv_files_item_get_path (item));
}

static void
copy_location_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  VivFilesPanel *self = VIV_FILES_PANEL (widget);

  if (self->path != NULL)
    copy_text (self, self->path);
}

/* The rows' context menu */

gboolean
_viv_files_panel_popup_row_menu (VivFilesPanel *self,
                                 GtkWidget     *widget,
                                 double         x,
                                 double         y)
{
  graphene_point_t point;

  g_assert (VIV_IS_FILES_PANEL (self));

  if (!gtk_widget_compute_point (widget, GTK_WIDGET (self), &GRAPHENE_POINT_INIT (x, y), &point))
    return FALSE;
  gtk_popover_set_pointing_to (GTK_POPOVER (self->row_popover),
                               &(GdkRectangle) { (int) point.x, (int) point.y, 1, 1 });
  gtk_popover_popup (GTK_POPOVER (self->row_popover));
  return TRUE;
}

static void
context_menu_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  VivFilesPanel *self = VIV_FILES_PANEL (widget);
  GtkWidget *focus = gtk_root_get_focus (gtk_widget_get_root (widget));
  graphene_rect_t bounds;

  /* Menu or Shift+F10: under the focused row, else at the list's top. */
  if (_viv_files_panel_get_selected (self) == NULL)
    return;
  if (focus == NULL || !gtk_widget_is_ancestor (focus, GTK_WIDGET (self->list_view)))
    focus = GTK_WIDGET (self->list_view);
  if (!gtk_widget_compute_bounds (focus, GTK_WIDGET (self), &bounds))
    return;
  gtk_popover_set_pointing_to (GTK_POPOVER (self->row_popover),
                               &(GdkRectangle) { (int) bounds.origin.x + 24,
                                                 (int) (bounds.origin.y + MIN (bounds.size.height, 32)),
                                                 1, 1 });
  gtk_popover_popup (GTK_POPOVER (self->row_popover));
}

/* Transfers */

static void
remove_transfer (VivFilesPanel    *self,
                 VivFilesTransfer *transfer)
{
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->transfer_list));
       row != NULL;
       row = gtk_widget_get_next_sibling (row))
    if (g_object_get_data (G_OBJECT (row), "transfer") == transfer)
      {
        gtk_list_box_remove (self->transfer_list, row);
        break;
      }
  g_ptr_array_remove (self->transfers, transfer);
  gtk_widget_set_visible (self->transfer_scroller, self->transfers->len > 0);
}

static void
transfer_button_cb (GtkButton        *button,
                    VivFilesTransfer *transfer)
{
  VivFilesPanel *self = g_object_get_data (G_OBJECT (button), "panel");

  /* Cancel while it runs; dismiss once it is over. */
  if (!viv_files_transfer_get_finished (transfer))
    viv_files_transfer_cancel (transfer);
  else
    remove_transfer (self, transfer);
}

static void
transfer_finished_cb (VivFilesTransfer *transfer,
                      GParamSpec       *pspec,
                      GtkButton        *button)
{
  if (!viv_files_transfer_get_finished (transfer))
    return;
  gtk_button_set_icon_name (button, "window-close-symbolic");
  gtk_widget_set_tooltip_text (GTK_WIDGET (button), _("Dismiss"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Dismiss"), -1);
}

/* How long a finished transfer's row stays */
#define DONE_ROW_SECONDS 10

typedef struct
{
  GWeakRef panel;
  GWeakRef transfer;
} DismissData;

static gpointer
dismiss_data_new (VivFilesPanel    *self,
                  VivFilesTransfer *transfer)
{
  DismissData *data = g_new0 (DismissData, 1);

  g_weak_ref_init (&data->panel, self);
  g_weak_ref_init (&data->transfer, transfer);
  return data;
}

static void
dismiss_data_free (gpointer user_data)
{
  DismissData *data = user_data;

  g_weak_ref_clear (&data->panel);
  g_weak_ref_clear (&data->transfer);
  g_free (data);
}

static gboolean
dismiss_later_cb (gpointer user_data)
{
  DismissData *data = user_data;
  g_autoptr (VivFilesPanel) self = g_weak_ref_get (&data->panel);
  g_autoptr (VivFilesTransfer) transfer = g_weak_ref_get (&data->transfer);

  if (self != NULL && transfer != NULL)
    remove_transfer (self, transfer);
  return G_SOURCE_REMOVE;
}

static void
transfer_done_cb (VivFilesTransfer *transfer,
                  const GError     *error,
                  VivFilesPanel    *self)
{
  g_autofree char *message = NULL;

  if (error != NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        viv_show_error (GTK_WIDGET (self), viv_files_transfer_get_title (transfer), error);
      return;
    }
  /* Translators: a transfer has finished; %s is its title, like “Downloading “a.txt”” */
  message = g_strdup_printf (_("%s: done"), viv_files_transfer_get_title (transfer));
  toast (self, message);
  /* A finished transfer's row goes by itself after a while; a failed one
   * stays until dismissed, with its error. */
  g_timeout_add_seconds_full (G_PRIORITY_DEFAULT, DONE_ROW_SECONDS, dismiss_later_cb,
                              dismiss_data_new (self, transfer), dismiss_data_free);
}

static void
add_transfer (VivFilesPanel    *self,
              VivFilesTransfer *transfer)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *top = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *title = gtk_label_new (viv_files_transfer_get_title (transfer));
  GtkWidget *button = gtk_button_new_from_icon_name ("process-stop-symbolic");
  GtkWidget *progress = gtk_progress_bar_new ();
  GtkWidget *status = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_MIDDLE);
  gtk_widget_set_hexpand (title, TRUE);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_add_css_class (button, "circular");
  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, _("Cancel Transfer"));
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Cancel Transfer"), -1);
  gtk_label_set_xalign (GTK_LABEL (status), 0);
  gtk_label_set_ellipsize (GTK_LABEL (status), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (status, "dim-label");
  gtk_widget_add_css_class (status, "caption");
  gtk_box_append (GTK_BOX (top), title);
  gtk_box_append (GTK_BOX (top), button);
  gtk_box_append (GTK_BOX (box), top);
  gtk_box_append (GTK_BOX (box), progress);
  gtk_box_append (GTK_BOX (box), status);
  gtk_widget_add_css_class (box, "files-transfer");
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);

  g_object_bind_property (transfer, "fraction", progress, "fraction", G_BINDING_SYNC_CREATE);
  g_object_bind_property (transfer, "status", status, "label", G_BINDING_SYNC_CREATE);
  g_object_set_data (G_OBJECT (button), "panel", self);
  g_object_set_data (G_OBJECT (row), "transfer", transfer);
  g_signal_connect_object (button, "clicked", G_CALLBACK (transfer_button_cb), transfer, 0);
  g_signal_connect_object (transfer, "notify::finished", G_CALLBACK (transfer_finished_cb), button, 0);
  g_signal_connect_object (transfer, "done", G_CALLBACK (transfer_done_cb), self, 0);

  g_ptr_array_add (self->transfers, g_object_ref (transfer));
  gtk_list_box_append (self->transfer_list, row);
  gtk_widget_set_visible (self->transfer_scroller, TRUE);
  viv_files_transfer_start (transfer);
}

void
_viv_files_panel_cancel_transfers (VivFilesPanel *self)
{
  GtkWidget *row;

  for (guint i = 0; i < self->transfers->len; i++)
    viv_files_transfer_cancel (g_ptr_array_index (self->transfers, i));
  while ((row = gtk_widget_get_first_child (GTK_WIDGET (self->transfer_list))) != NULL)
    gtk_list_box_remove (self->transfer_list, row);
  g_ptr_array_set_size (self->transfers, 0);
  gtk_widget_set_visible (self->transfer_scroller, FALSE);
}

void
_viv_files_panel_upload (VivFilesPanel *self,
                         GListModel    *files)
{
  g_autoptr (VivFilesTransfer) transfer = NULL;

  if (self->sandbox == NULL || self->path == NULL || g_list_model_get_n_items (files) == 0)
    return;
  transfer = viv_files_transfer_new_upload (self->sandbox, files, self->path);
  add_transfer (self, transfer);
}

static void
download_chooser_response_cb (GtkNativeDialog *chooser,
                              int              response,
                              gpointer         user_data)
{
  VivFilesPanel *self = g_object_get_data (G_OBJECT (chooser), "panel");
  VivFileEntry *entry = user_data;
  g_autoptr (GFile) chosen = NULL;
  g_autoptr (GFile) destination = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    chosen = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (chosen != NULL && self->sandbox != NULL)
    {
      g_autoptr (VivFilesTransfer) transfer = NULL;

      /* A folder goes into the chosen folder, under its own name (a
       * link's, for a link to it). */
      if (viv_file_entry_get_file_type (entry) == VIV_FILE_TYPE_DIRECTORY)
        destination = g_file_get_child (chosen, g_object_get_data (G_OBJECT (chooser), "name"));
      else
        destination = g_object_ref (chosen);
      transfer = viv_files_transfer_new_download (self->sandbox, entry, destination);
      add_transfer (self, transfer);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

/* Downloads @entry (what @name, maybe a link, finally is) under @name. */
static void
download_entry (VivFilesPanel *self,
                const char    *name,
                VivFileEntry  *entry)
{
  GtkFileChooserNative *chooser;
  VivFileType type = viv_file_entry_get_file_type (entry);
  gboolean folder = type == VIV_FILE_TYPE_DIRECTORY;

  if (type != VIV_FILE_TYPE_DIRECTORY && type != VIV_FILE_TYPE_FILE)
    {
      /* Translators: %s is a file's name; a device, socket or pipe */
      g_autofree char *message = g_strdup_printf (_("“%s” is not a file or folder"), name);

      toast (self, message);
      return;
    }
  /* The portal's file chooser under Flatpak: no file system access needed. */
  chooser = gtk_file_chooser_native_new (folder ? _("Download Folder Into") : _("Download File"),
                                         parent_window (self),
                                         folder ? GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER
                                                : GTK_FILE_CHOOSER_ACTION_SAVE,
                                         folder ? _("_Select") : _("_Save"), NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  if (!folder)
    gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_object_set_data_full (G_OBJECT (chooser), "panel", g_object_ref (self), g_object_unref);
  g_object_set_data_full (G_OBJECT (chooser), "name", g_strdup (name), g_free);
  g_signal_connect_data (chooser, "response", G_CALLBACK (download_chooser_response_cb),
                         viv_file_entry_ref (entry),
                         (GClosureNotify) (void (*) (void)) viv_file_entry_unref, 0);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
download_link_target (VivFilesPanel *self,
                      VivFileEntry  *link,
                      VivFileEntry  *target)
{
  download_entry (self, viv_file_entry_get_name (link), target);
}

static void
download_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  VivFilesPanel *self = VIV_FILES_PANEL (widget);
  VivFilesItem *item = _viv_files_panel_get_selected (self);
  VivFileEntry *entry;

  if (item == NULL)
    return;
  entry = viv_files_item_get_entry (item);
  if (viv_file_entry_get_file_type (entry) == VIV_FILE_TYPE_SYMLINK)
    {
      /* Translators: %s is a link's name; the error, after a colon, says why */
      char *what = g_strdup_printf (_("Could not download “%s”"), viv_file_entry_get_name (entry));

      with_link_target (self, entry, what, download_link_target);
    }
  else
    download_entry (self, viv_file_entry_get_name (entry), entry);
}

static void
upload_chooser_response_cb (GtkNativeDialog *chooser,
                            int              response,
                            gpointer         user_data)
{
  VivFilesPanel *self = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GListModel) files = gtk_file_chooser_get_files (GTK_FILE_CHOOSER (chooser));

      _viv_files_panel_upload (self, files);
    }
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
  g_object_unref (self);
}

static void
upload_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  VivFilesPanel *self = VIV_FILES_PANEL (widget);
  GtkFileChooserNative *chooser;

  if (self->path == NULL)
    return;
  chooser = gtk_file_chooser_native_new (_("Upload Files"), parent_window (self),
                                         GTK_FILE_CHOOSER_ACTION_OPEN, _("_Upload"), NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  gtk_file_chooser_set_select_multiple (GTK_FILE_CHOOSER (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (upload_chooser_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

void
_viv_files_panel_class_init_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "files.up", NULL, up_action);
  gtk_widget_class_install_action (widget_class, "files.home", NULL, home_action);
  gtk_widget_class_install_action (widget_class, "files.refresh", NULL, refresh_action);
  gtk_widget_class_install_action (widget_class, "files.new-folder", NULL, new_folder_action);
  gtk_widget_class_install_action (widget_class, "files.upload", NULL, upload_action);
  gtk_widget_class_install_action (widget_class, "files.open", NULL, open_action);
  gtk_widget_class_install_action (widget_class, "files.download", NULL, download_action);
  gtk_widget_class_install_action (widget_class, "files.rename", NULL, rename_action);
  gtk_widget_class_install_action (widget_class, "files.delete", NULL, delete_action);
  gtk_widget_class_install_action (widget_class, "files.copy-path", NULL, copy_path_action);
  gtk_widget_class_install_action (widget_class, "files.copy-location", NULL, copy_location_action);
  gtk_widget_class_install_action (widget_class, "files.context-menu", NULL, context_menu_action);
  gtk_widget_class_install_property_action (widget_class, "files.show-hidden", "show-hidden");
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, 0, "files.delete", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F2, 0, "files.rename", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_BackSpace, 0, "files.up", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Home, GDK_ALT_MASK, "files.home", NULL);
  /* As in Nautilus and GTK's file chooser */
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_h, GDK_CONTROL_MASK, "files.show-hidden", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Menu, 0, "files.context-menu", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F10, GDK_SHIFT_MASK, "files.context-menu", NULL);
}
