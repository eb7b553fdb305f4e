/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "viv-preferences-window.h"

struct _VivPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  GtkListBox           *accounts_list;
  AdwEntryRow          *e2b_key_row;
  AdwEntryRow          *custom_name_row;
  AdwEntryRow          *custom_api_url_row;
  AdwEntryRow          *custom_sandbox_url_row;
  AdwEntryRow          *custom_key_row;
  GtkButton            *custom_add_button;
  GtkSpinButton        *tile_interval_spin;
  GtkSpinButton        *list_interval_spin;
  AdwComboRow          *view_mode_row;

  VivApplication       *application;
  VivAccounts          *accounts;
  GCancellable         *cancellable;
};

G_DEFINE_FINAL_TYPE (VivPreferencesWindow, viv_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static void
show_toast (VivPreferencesWindow *self,
            const char           *message)
{
  AdwToast *toast = adw_toast_new (message);

  adw_toast_set_timeout (toast, 8);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), toast);
}

static const char *
account_kind_label (VivAccount *account)
{
  switch (viv_account_get_kind (account))
    {
    case VIV_ACCOUNT_KIND_LOCAL_HOST:
      return _("This computer");
    case VIV_ACCOUNT_KIND_E2B_CLOUD:
      return _("E2B Cloud");
    case VIV_ACCOUNT_KIND_CUSTOM:
    default:
      return viv_account_get_api_url (account);
    }
}

static void
tested_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (GtkWidget) row = user_data;
  VivAccount *account = g_object_get_data (G_OBJECT (row), "account");
  GtkRoot *root = gtk_widget_get_root (row);
  g_autoptr (GError) error = NULL;
  g_autofree char *message = NULL;
  guint n;

  n = viv_accounts_test_finish (VIV_ACCOUNTS (object), result, &error);
  if (!VIV_IS_PREFERENCES_WINDOW (root))
    return;

  if (error != NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      if (g_error_matches (error, VIV_ERROR, VIV_ERROR_UNAUTHENTICATED))
        /* Translators: %s is an account name, the second %s the server's message */
        message = g_strdup_printf (_("%s refused the API key: %s"),
                                   viv_account_get_display_name (account), error->message);
      else
        message = g_strdup_printf (_("%s cannot be reached: %s"),
                                   viv_account_get_display_name (account), error->message);
    }
  else
    message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                            "%s works: %u sandbox",
                                            "%s works: %u sandboxes", n),
                               viv_account_get_display_name (account), n);
  show_toast (VIV_PREFERENCES_WINDOW (root), message);
}

static void
test_clicked_cb (GtkWidget            *row,
                 GtkButton            *button)
{
  VivPreferencesWindow *self = VIV_PREFERENCES_WINDOW (gtk_widget_get_root (row));
  VivAccount *account = g_object_get_data (G_OBJECT (row), "account");

  viv_accounts_test_async (self->accounts, account, self->cancellable, tested_cb,
                           g_object_ref (row));
}

static void
remove_clicked_cb (GtkWidget *row,
                   GtkButton *button)
{
  VivPreferencesWindow *self = VIV_PREFERENCES_WINDOW (gtk_widget_get_root (row));
  VivAccount *account = g_object_get_data (G_OBJECT (row), "account");

  viv_accounts_remove (self->accounts, account);
}

static GtkWidget *
create_account_row (gpointer item,
                    gpointer user_data)
{
  VivAccount *account = item;
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *test;
  GtkWidget *remove;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), viv_account_get_display_name (account));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), account_kind_label (account));
  g_object_set_data_full (G_OBJECT (row), "account", g_object_ref (account), g_object_unref);

  test = gtk_button_new_with_mnemonic (_("_Test"));
  gtk_widget_set_valign (test, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (test, _("Test the connection"));
  g_signal_connect_swapped (test, "clicked", G_CALLBACK (test_clicked_cb), row);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), test);

  if (viv_account_get_kind (account) != VIV_ACCOUNT_KIND_LOCAL_HOST)
    {
      remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_set_tooltip_text (remove, _("Remove Account"));
      gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Remove Account"), -1);
      gtk_widget_add_css_class (remove, "flat");
      g_signal_connect_swapped (remove, "clicked", G_CALLBACK (remove_clicked_cb), row);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
    }

  return row;
}

static void
added_cb (GObject      *object,
          GAsyncResult *result,
          gpointer      user_data)
{
  g_autoptr (VivPreferencesWindow) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!viv_accounts_add_finish (VIV_ACCOUNTS (object), result, &error))
    {
      g_autofree char *message = g_strdup_printf (_("Could not add the account: %s"), error->message);

      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        show_toast (self, message);
    }
}

static char *
new_account_id (void)
{
  return g_uuid_string_random ();
}

static void
add_e2b_cb (VivPreferencesWindow *self)
{
  const char *key = gtk_editable_get_text (GTK_EDITABLE (self->e2b_key_row));
  g_autofree char *id = NULL;
  g_autoptr (VivAccount) account = NULL;

  if (*key == '\0')
    return;

  id = new_account_id ();
  account = viv_account_new (VIV_ACCOUNT_KIND_E2B_CLOUD, id, _("E2B Cloud"), NULL, NULL, NULL);
  viv_accounts_add_async (self->accounts, account, key, self->cancellable, added_cb,
                          g_object_ref (self));
  gtk_editable_set_text (GTK_EDITABLE (self->e2b_key_row), "");
}

static void
add_custom_cb (VivPreferencesWindow *self)
{
  const char *name = gtk_editable_get_text (GTK_EDITABLE (self->custom_name_row));
  const char *api_url = gtk_editable_get_text (GTK_EDITABLE (self->custom_api_url_row));
  const char *sandbox_url = gtk_editable_get_text (GTK_EDITABLE (self->custom_sandbox_url_row));
  const char *key = gtk_editable_get_text (GTK_EDITABLE (self->custom_key_row));
  g_autofree char *id = NULL;
  g_autoptr (VivAccount) account = NULL;
  g_autoptr (GUri) uri = NULL;

  uri = g_uri_parse (api_url, G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || (g_strcmp0 (g_uri_get_scheme (uri), "http") != 0 &&
                      g_strcmp0 (g_uri_get_scheme (uri), "https") != 0))
    {
      show_toast (self, _("The API URL must be an http:// or https:// address"));
      return;
    }
  if (*key == '\0')
    {
      show_toast (self, _("An API key is needed"));
      return;
    }

  id = new_account_id ();
  account = viv_account_new (VIV_ACCOUNT_KIND_CUSTOM, id, *name ? name : g_uri_get_host (uri),
                             api_url, *sandbox_url ? sandbox_url : NULL, NULL);
  viv_accounts_add_async (self->accounts, account, key, self->cancellable, added_cb,
                          g_object_ref (self));
  gtk_editable_set_text (GTK_EDITABLE (self->custom_name_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->custom_api_url_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->custom_sandbox_url_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->custom_key_row), "");
}

static gboolean
view_mode_get_mapping (GValue   *value,
                       GVariant *variant,
                       gpointer  user_data)
{
  g_value_set_uint (value, g_strcmp0 (g_variant_get_string (variant, NULL), "one-to-one") == 0);
  return TRUE;
}

static GVariant *
view_mode_set_mapping (const GValue       *value,
                       const GVariantType *expected_type,
                       gpointer            user_data)
{
  return g_variant_new_string (g_value_get_uint (value) == 1 ? "one-to-one" : "fit");
}

static void
viv_preferences_window_dispose (GObject *object)
{
  VivPreferencesWindow *self = VIV_PREFERENCES_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIV_TYPE_PREFERENCES_WINDOW);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->accounts);
  g_clear_object (&self->application);

  G_OBJECT_CLASS (viv_preferences_window_parent_class)->dispose (object);
}

static void
viv_preferences_window_class_init (VivPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = viv_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/vivarium/Vivarium/viv-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, VivPreferencesWindow, accounts_list);
  gtk_widget_class_bind_template_child (widget_class, VivPreferencesWindow, e2b_key_row);
  gtk_widget_class_bind_template_child (widget_class, VivPreferencesWindow, custom_name_row);
  gtk_widget_class_bind_template_child (widget_class, VivPreferencesWindow, custom_api_url_row);
  gtk_widget_class_bind_template_child (widget_class, VivPreferencesWindow, custom_sandbox_url_row);
  gtk_widget_class_bind_template_child (widget_class, VivPreferencesWindow, custom_key_row);
  gtk_widget_class_bind_template_child (widget_class, VivPreferencesWindow, custom_add_button);
  gtk_widget_class_bind_template_child (widget_class, VivPreferencesWindow, tile_interval_spin);
  gtk_widget_class_bind_template_child (widget_class, VivPreferencesWindow, list_interval_spin);
  gtk_widget_class_bind_template_child (widget_class, VivPreferencesWindow, view_mode_row);
  gtk_widget_class_bind_template_callback (widget_class, add_e2b_cb);
  gtk_widget_class_bind_template_callback (widget_class, add_custom_cb);
}

static void
viv_preferences_window_init (VivPreferencesWindow *self)
{
  GtkWidget *placeholder;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();

  placeholder = gtk_label_new (_("No accounts yet. Start the local host or add an API key below."));
  gtk_label_set_wrap (GTK_LABEL (placeholder), TRUE);
  gtk_widget_add_css_class (placeholder, "dim-label");
  gtk_widget_set_margin_top (placeholder, 18);
  gtk_widget_set_margin_bottom (placeholder, 18);
  gtk_widget_set_margin_start (placeholder, 12);
  gtk_widget_set_margin_end (placeholder, 12);
  gtk_list_box_set_placeholder (self->accounts_list, placeholder);
}

VivPreferencesWindow *
viv_preferences_window_new (VivApplication *application)
{
  VivPreferencesWindow *self;
  GSettings *settings;

  g_return_val_if_fail (VIV_IS_APPLICATION (application), NULL);

  self = g_object_new (VIV_TYPE_PREFERENCES_WINDOW, NULL);
  self->application = g_object_ref (application);
  self->accounts = g_object_ref (viv_application_get_accounts (application));
  gtk_list_box_bind_model (self->accounts_list, viv_accounts_get_accounts (self->accounts),
                           create_account_row, self, NULL);

  settings = viv_application_get_settings (application);
  if (settings != NULL)
    {
      g_settings_bind (settings, "tile-refresh-interval", self->tile_interval_spin, "value",
                       G_SETTINGS_BIND_DEFAULT);
      g_settings_bind (settings, "list-refresh-interval", self->list_interval_spin, "value",
                       G_SETTINGS_BIND_DEFAULT);
      g_settings_bind_with_mapping (settings, "default-view-mode", self->view_mode_row, "selected",
                                    G_SETTINGS_BIND_DEFAULT, view_mode_get_mapping,
                                    view_mode_set_mapping, NULL, NULL);
    }

  return self;
}
