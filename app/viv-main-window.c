/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "viv-new-sandbox-dialog.h"
#include "viv-sandbox-card.h"
#include "viv-session-view.h"
#include "viv-main-window.h"

struct _VivMainWindow
{
  AdwApplicationWindow  parent_instance;

  /* Template widgets */
  AdwToastOverlay      *toast_overlay;
  GtkStack             *main_stack;
  GtkStack             *overview_stack;
  AdwWindowTitle       *overview_title;
  GtkSearchBar         *search_bar;
  GtkSearchEntry       *search_entry;
  GtkDropDown          *account_dropdown;
  GtkDropDown          *state_dropdown;
  GtkDropDown          *template_dropdown;
  GtkGridView          *grid_view;
  GtkFilterListModel   *filtered_sandboxes;
  GtkSortListModel     *sorted_sandboxes;
  GtkStringFilter      *search_filter;
  GtkCustomFilter      *facet_filter;
  VivSessionView       *session_view;

  VivAccounts          *accounts;
  GHashTable           *account_errors;   /* VivAccount -> last message shown */
  GStrv                 templates;        /* shown in the template filter */
  char                 *pending_sandbox_id;
  guint                 pending_timeout;
};

G_DEFINE_FINAL_TYPE (VivMainWindow, viv_main_window, ADW_TYPE_APPLICATION_WINDOW)

/* How long `--sandbox ID` waits for the sandbox to show up in a listing. */
#define PENDING_SANDBOX_TIMEOUT_SECONDS 30

static char *
sandbox_search_text_cb (VivSandbox *sandbox,
                        gpointer    user_data)
{
  GString *text;
  GHashTableIter iter;
  gpointer key, value;

  if (sandbox == NULL)
    return NULL;

  /* Ids, template, alias and every metadata key and value, so "agent=demo"
   * and "demo" both find a sandbox. */
  text = g_string_new (viv_sandbox_get_id (sandbox));
  g_string_append_printf (text, "\n%s\n%s", viv_sandbox_get_template_id (sandbox) ?: "",
                          viv_sandbox_get_alias (sandbox) ?: "");
  if (viv_sandbox_get_metadata (sandbox) != NULL)
    {
      g_hash_table_iter_init (&iter, viv_sandbox_get_metadata (sandbox));
      while (g_hash_table_iter_next (&iter, &key, &value))
        g_string_append_printf (text, "\n%s=%s", (char *) key, (char *) value);
    }

  return g_string_free (text, FALSE);
}

static gint64
sandbox_start_time_cb (VivSandbox *sandbox,
                       gpointer    user_data)
{
  GDateTime *started_at = sandbox ? viv_sandbox_get_started_at (sandbox) : NULL;

  return started_at ? g_date_time_to_unix (started_at) : 0;
}

static VivAccount *
selected_account (VivMainWindow *self)
{
  guint selected = gtk_drop_down_get_selected (self->account_dropdown);
  GListModel *accounts = viv_accounts_get_accounts (self->accounts);
  g_autoptr (VivAccount) account = NULL;

  if (selected == 0 || selected == GTK_INVALID_LIST_POSITION)
    return NULL;
  account = g_list_model_get_item (accounts, selected - 1);
  return account;   /* the list keeps it alive */
}

static const char *
selected_template (VivMainWindow *self)
{
  guint selected = gtk_drop_down_get_selected (self->template_dropdown);

  if (selected == 0 || self->templates == NULL || selected > g_strv_length (self->templates))
    return NULL;
  return self->templates[selected - 1];
}

static gboolean
facet_filter_func (gpointer item,
                   gpointer user_data)
{
  VivMainWindow *self = user_data;
  VivSandbox *sandbox = item;
  VivAccount *account = selected_account (self);
  const char *template_id = selected_template (self);

  switch (gtk_drop_down_get_selected (self->state_dropdown))
    {
    case 1:
      if (viv_sandbox_get_state (sandbox) != VIV_SANDBOX_STATE_RUNNING)
        return FALSE;
      break;
    case 2:
      if (viv_sandbox_get_state (sandbox) != VIV_SANDBOX_STATE_PAUSED)
        return FALSE;
      break;
    default:
      break;
    }

  if (account != NULL && viv_client_get_account (viv_sandbox_get_client (sandbox)) != account)
    return FALSE;

  if (template_id != NULL && g_strcmp0 (viv_sandbox_get_template_id (sandbox), template_id) != 0)
    return FALSE;

  return TRUE;
}

static void
update_overview (VivMainWindow *self)
{
  GListModel *all = G_LIST_MODEL (viv_accounts_get_sandboxes (self->accounts));
  GListModel *accounts = viv_accounts_get_accounts (self->accounts);
  guint n_all = g_list_model_get_n_items (all);
  guint n_shown = g_list_model_get_n_items (G_LIST_MODEL (self->sorted_sandboxes));
  g_autofree char *subtitle = NULL;
  const char *page;

  if (n_all > 0)
    page = n_shown > 0 ? "grid" : "no-results";
  else if (!viv_accounts_get_loaded (self->accounts))
    page = "loading";
  else if (g_list_model_get_n_items (accounts) == 0)
    page = "no-accounts";
  else
    page = "no-sandboxes";
  gtk_stack_set_visible_child_name (self->overview_stack, page);

  if (n_all > 0)
    subtitle = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u sandbox", "%u sandboxes", n_all),
                                n_all);
  adw_window_title_set_subtitle (self->overview_title, subtitle);
}

static void
rebuild_account_filter (VivMainWindow *self)
{
  GListModel *accounts = viv_accounts_get_accounts (self->accounts);
  g_autoptr (GtkStringList) names = gtk_string_list_new (NULL);

  gtk_string_list_append (names, _("All Accounts"));
  for (guint i = 0; i < g_list_model_get_n_items (accounts); i++)
    {
      g_autoptr (VivAccount) account = g_list_model_get_item (accounts, i);

      gtk_string_list_append (names, viv_account_get_display_name (account));
    }
  gtk_drop_down_set_model (self->account_dropdown, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (self->account_dropdown, 0);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static void
rebuild_template_filter (VivMainWindow *self)
{
  GListModel *all = G_LIST_MODEL (viv_accounts_get_sandboxes (self->accounts));
  g_autoptr (GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr (GPtrArray) templates = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GtkStringList) names = NULL;
  g_autofree char *previous = g_strdup (selected_template (self));
  guint selected = 0;

  for (guint i = 0; i < g_list_model_get_n_items (all); i++)
    {
      g_autoptr (VivSandbox) sandbox = g_list_model_get_item (all, i);
      const char *template_id = viv_sandbox_get_template_id (sandbox);

      if (template_id != NULL && g_hash_table_add (seen, (gpointer) template_id))
        g_ptr_array_add (templates, g_strdup (template_id));
    }
  g_ptr_array_sort (templates, compare_strings);
  g_ptr_array_add (templates, NULL);

  if (self->templates != NULL && g_strv_equal ((const char * const *) self->templates, (const char * const *) templates->pdata))
    return;

  g_strfreev (self->templates);
  self->templates = (GStrv) g_ptr_array_steal (templates, NULL);

  names = gtk_string_list_new (NULL);
  gtk_string_list_append (names, _("All Templates"));
  for (guint i = 0; self->templates[i] != NULL; i++)
    {
      gtk_string_list_append (names, self->templates[i]);
      if (g_strcmp0 (previous, self->templates[i]) == 0)
        selected = i + 1;
    }
  gtk_drop_down_set_model (self->template_dropdown, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (self->template_dropdown, selected);
}

static void
try_pending_sandbox (VivMainWindow *self)
{
  GListModel *all = G_LIST_MODEL (viv_accounts_get_sandboxes (self->accounts));

  if (self->pending_sandbox_id == NULL)
    return;

  for (guint i = 0; i < g_list_model_get_n_items (all); i++)
    {
      g_autoptr (VivSandbox) sandbox = g_list_model_get_item (all, i);

      if (g_strcmp0 (viv_sandbox_get_id (sandbox), self->pending_sandbox_id) == 0)
        {
          g_clear_pointer (&self->pending_sandbox_id, g_free);
          g_clear_handle_id (&self->pending_timeout, g_source_remove);
          viv_main_window_open_sandbox (self, sandbox);
          return;
        }
    }
}

static void
sandboxes_changed_cb (VivMainWindow  *self,
                      guint       position,
                      guint       removed,
                      guint       added,
                      GListModel *model)
{
  rebuild_template_filter (self);
  try_pending_sandbox (self);
  update_overview (self);
}

static void
account_failed_cb (VivMainWindow    *self,
                   VivAccount   *account,
                   const GError *error,
                   VivAccounts  *accounts)
{
  const char *shown = g_hash_table_lookup (self->account_errors, account);
  g_autofree char *message = NULL;

  /* The list polls; say each different problem once. */
  if (g_strcmp0 (shown, error->message) == 0)
    return;
  g_hash_table_insert (self->account_errors, g_object_ref (account), g_strdup (error->message));

  if (g_error_matches (error, VIV_ERROR, VIV_ERROR_UNAUTHENTICATED))
    /* Translators: %s is an account name, the second the server's message */
    message = g_strdup_printf (_("%s refused the API key: %s"),
                               viv_account_get_display_name (account), error->message);
  else
    message = g_strdup_printf ("%s: %s", viv_account_get_display_name (account), error->message);
  viv_main_window_add_toast (self, message);
}

static void
accounts_changed_cb (VivMainWindow *self)
{
  update_overview (self);
}

static void
search_changed_cb (VivMainWindow      *self,
                   GtkSearchEntry *entry)
{
  gtk_string_filter_set_search (self->search_filter, gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
filter_changed_cb (VivMainWindow *self)
{
  if (self->facet_filter != NULL)
    gtk_filter_changed (GTK_FILTER (self->facet_filter), GTK_FILTER_CHANGE_DIFFERENT);
}

static void
shown_changed_cb (VivMainWindow *self)
{
  update_overview (self);
}

static void
grid_activate_cb (VivMainWindow   *self,
                  guint        position,
                  GtkGridView *grid_view)
{
  g_autoptr (VivSandbox) sandbox = g_list_model_get_item (G_LIST_MODEL (self->sorted_sandboxes),
                                                          position);

  if (sandbox != NULL)
    viv_main_window_open_sandbox (self, sandbox);
}

static gboolean
pending_timeout_cb (gpointer user_data)
{
  VivMainWindow *self = user_data;
  g_autofree char *message = NULL;

  self->pending_timeout = 0;
  /* Translators: %s is a sandbox id */
  message = g_strdup_printf (_("No sandbox “%s” in any account"), self->pending_sandbox_id);
  g_clear_pointer (&self->pending_sandbox_id, g_free);
  viv_main_window_add_toast (self, message);
  return G_SOURCE_REMOVE;
}

static void
new_sandbox_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  VivMainWindow *self = VIV_MAIN_WINDOW (widget);
  VivNewSandboxDialog *dialog = viv_new_sandbox_dialog_new (self->accounts);

  gtk_window_set_transient_for (GTK_WINDOW (dialog), GTK_WINDOW (self));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  VivMainWindow *self = VIV_MAIN_WINDOW (widget);

  viv_main_window_show_overview (self);
  gtk_search_bar_set_search_mode (self->search_bar, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
show_overview_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  viv_main_window_show_overview (VIV_MAIN_WINDOW (widget));
}

static void
viv_main_window_dispose (GObject *object)
{
  VivMainWindow *self = VIV_MAIN_WINDOW (object);

  g_clear_handle_id (&self->pending_timeout, g_source_remove);
  if (self->accounts != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->accounts, self);
      g_signal_handlers_disconnect_by_data (viv_accounts_get_sandboxes (self->accounts), self);
      g_signal_handlers_disconnect_by_data (viv_accounts_get_accounts (self->accounts), self);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), VIV_TYPE_MAIN_WINDOW);
  g_clear_object (&self->accounts);

  G_OBJECT_CLASS (viv_main_window_parent_class)->dispose (object);
}

static void
viv_main_window_finalize (GObject *object)
{
  VivMainWindow *self = VIV_MAIN_WINDOW (object);

  g_clear_pointer (&self->account_errors, g_hash_table_unref);
  g_clear_pointer (&self->templates, g_strfreev);
  g_free (self->pending_sandbox_id);

  G_OBJECT_CLASS (viv_main_window_parent_class)->finalize (object);
}

static void
setup_for_application (VivMainWindow      *self,
                       VivApplication *application)
{
  GSettings *settings;
  VivSandboxList *sandboxes;

  self->accounts = g_object_ref (viv_application_get_accounts (application));
  sandboxes = viv_accounts_get_sandboxes (self->accounts);

  settings = viv_application_get_settings (application);
  if (settings != NULL)
    {
      g_settings_bind (settings, "window-width", self, "default-width", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (settings, "window-height", self, "default-height", G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (settings, "window-maximized", self, "maximized", G_SETTINGS_BIND_DEFAULT);
    }

  gtk_filter_list_model_set_model (self->filtered_sandboxes, G_LIST_MODEL (sandboxes));
  g_signal_connect_object (sandboxes, "items-changed",
                           G_CALLBACK (sandboxes_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->sorted_sandboxes, "items-changed",
                           G_CALLBACK (shown_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (viv_accounts_get_accounts (self->accounts), "items-changed",
                           G_CALLBACK (rebuild_account_filter), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->accounts, "account-failed",
                           G_CALLBACK (account_failed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->accounts, "changed",
                           G_CALLBACK (accounts_changed_cb), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->accounts, "notify::loaded",
                           G_CALLBACK (accounts_changed_cb), self, G_CONNECT_SWAPPED);

  rebuild_account_filter (self);
  rebuild_template_filter (self);
  update_overview (self);
}

static void
viv_main_window_class_init (VivMainWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = viv_main_window_dispose;
  object_class->finalize = viv_main_window_finalize;

  g_type_ensure (VIV_TYPE_SANDBOX_CARD);
  g_type_ensure (VIV_TYPE_SESSION_VIEW);
  g_type_ensure (VIV_TYPE_SANDBOX);

  gtk_widget_class_set_template_from_resource (widget_class, "/io/github/vivarium/Vivarium/viv-main-window.ui");
  gtk_widget_class_bind_template_child (widget_class, VivMainWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, VivMainWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, VivMainWindow, overview_stack);
  gtk_widget_class_bind_template_child (widget_class, VivMainWindow, overview_title);
  gtk_widget_class_bind_template_child (widget_class, VivMainWindow, search_bar);
  gtk_widget_class_bind_template_child (widget_class, VivMainWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, VivMainWindow, account_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VivMainWindow, state_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VivMainWindow, template_dropdown);
  gtk_widget_class_bind_template_child (widget_class, VivMainWindow, grid_view);
  gtk_widget_class_bind_template_child (widget_class, VivMainWindow, filtered_sandboxes);
  gtk_widget_class_bind_template_child (widget_class, VivMainWindow, sorted_sandboxes);
  gtk_widget_class_bind_template_child (widget_class, VivMainWindow, search_filter);
  gtk_widget_class_bind_template_child (widget_class, VivMainWindow, facet_filter);
  gtk_widget_class_bind_template_child (widget_class, VivMainWindow, session_view);
  gtk_widget_class_bind_template_callback (widget_class, sandbox_search_text_cb);
  gtk_widget_class_bind_template_callback (widget_class, sandbox_start_time_cb);
  gtk_widget_class_bind_template_callback (widget_class, search_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, filter_changed_cb);
  gtk_widget_class_bind_template_callback (widget_class, grid_activate_cb);

  gtk_widget_class_install_action (widget_class, "win.new-sandbox", NULL, new_sandbox_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.show-overview", NULL, show_overview_action);
}

static void
viv_main_window_init (VivMainWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  self->account_errors = g_hash_table_new_full (NULL, NULL, g_object_unref, g_free);
  gtk_custom_filter_set_filter_func (self->facet_filter, facet_filter_func, self, NULL);
  gtk_search_bar_connect_entry (self->search_bar, GTK_EDITABLE (self->search_entry));

  if (g_str_has_suffix (APP_ID, ".Devel"))
    gtk_widget_add_css_class (GTK_WIDGET (self), "devel");
}

VivMainWindow *
viv_main_window_new (VivApplication *application)
{
  VivMainWindow *self;

  g_return_val_if_fail (VIV_IS_APPLICATION (application), NULL);

  self = g_object_new (VIV_TYPE_MAIN_WINDOW, "application", application, NULL);
  setup_for_application (self, application);
  return self;
}

void
viv_main_window_open_sandbox (VivMainWindow  *self,
                         VivSandbox *sandbox)
{
  g_return_if_fail (VIV_IS_MAIN_WINDOW (self));
  g_return_if_fail (VIV_IS_SANDBOX (sandbox));

  viv_session_view_set_sandbox (self->session_view, sandbox);
  gtk_stack_set_visible_child_name (self->main_stack, "session");
}

/**
 * viv_main_window_open_sandbox_id:
 *
 * Opens the sandbox with this id as soon as a listing shows it.
 */
void
viv_main_window_open_sandbox_id (VivMainWindow  *self,
                            const char *sandbox_id)
{
  g_return_if_fail (VIV_IS_MAIN_WINDOW (self));
  g_return_if_fail (sandbox_id != NULL);

  g_free (self->pending_sandbox_id);
  self->pending_sandbox_id = g_strdup (sandbox_id);
  g_clear_handle_id (&self->pending_timeout, g_source_remove);
  self->pending_timeout = g_timeout_add_seconds (PENDING_SANDBOX_TIMEOUT_SECONDS,
                                                 pending_timeout_cb, self);
  try_pending_sandbox (self);
}

void
viv_main_window_show_overview (VivMainWindow *self)
{
  g_return_if_fail (VIV_IS_MAIN_WINDOW (self));

  if (gtk_window_is_fullscreen (GTK_WINDOW (self)))
    gtk_window_unfullscreen (GTK_WINDOW (self));
  viv_session_view_set_sandbox (self->session_view, NULL);
  gtk_stack_set_visible_child_name (self->main_stack, "overview");
}

void
viv_main_window_add_toast (VivMainWindow  *self,
                      const char *message)
{
  AdwToast *toast;

  g_return_if_fail (VIV_IS_MAIN_WINDOW (self));

  toast = adw_toast_new (message);
  adw_toast_set_timeout (toast, 6);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

void
viv_show_error (GtkWidget    *widget,
                const char   *what,
                const GError *error)
{
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autofree char *message = NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  message = g_strdup_printf ("%s: %s", what, error->message);
  if (VIV_IS_MAIN_WINDOW (root))
    viv_main_window_add_toast (VIV_MAIN_WINDOW (root), message);
  else if (GTK_IS_WINDOW (root) && VIV_IS_MAIN_WINDOW (gtk_window_get_transient_for (GTK_WINDOW (root))))
    viv_main_window_add_toast (VIV_MAIN_WINDOW (gtk_window_get_transient_for (GTK_WINDOW (root))), message);
  else
    g_warning ("%s", message);
}
