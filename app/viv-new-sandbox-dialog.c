/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "viv-new-sandbox-dialog.h"
#include "viv-main-window.h"

/* Template QA: start a sandbox by hand on any account. */
struct _VivNewSandboxDialog
{
  AdwWindow        parent_instance;

  AdwToastOverlay *toast_overlay;
  GtkStack        *create_stack;
  AdwComboRow     *account_row;
  AdwEntryRow     *template_row;
  GtkSpinButton   *timeout_spin;
  AdwEntryRow     *metadata_row;

  VivAccounts     *accounts;
  GCancellable    *cancellable;
};

G_DEFINE_FINAL_TYPE (VivNewSandboxDialog, viv_new_sandbox_dialog, ADW_TYPE_WINDOW)

static void
show_toast (VivNewSandboxDialog *self,
            const char          *message)
{
  AdwToast *toast = adw_toast_new (message);

  adw_toast_set_timeout (toast, 8);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

/**
 * viv_new_sandbox_dialog_parse_metadata:
 * @text: "key=value, other=value"
 *
 * Returns: (transfer full) (nullable): the pairs, or %NULL with @error set
 */
GHashTable *
viv_new_sandbox_dialog_parse_metadata (const char  *text,
                                       GError     **error)
{
  g_autoptr (GHashTable) metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_auto (GStrv) pairs = g_strsplit (text, ",", -1);

  for (guint i = 0; pairs[i] != NULL; i++)
    {
      g_autofree char *pair = g_strstrip (g_strdup (pairs[i]));
      char *equals;

      if (*pair == '\0')
        continue;
      equals = strchr (pair, '=');
      if (equals == NULL || equals == pair)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       /* Translators: %s is what the user typed */
                       _("“%s” is not key=value"), pair);
          return NULL;
        }
      *equals = '\0';
      g_hash_table_insert (metadata, g_strdup (g_strstrip (pair)), g_strdup (g_strstrip (equals + 1)));
    }

  return g_steal_pointer (&metadata);
}

static void
created_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (VivNewSandboxDialog) self = user_data;
  g_autoptr (GError) error = NULL;
  g_autoptr (VivSandbox) sandbox = viv_client_create_sandbox_finish (VIV_CLIENT (object), result, &error);
  GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (self));
  g_autofree char *message = NULL;

  if (sandbox == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      gtk_stack_set_visible_child_name (self->create_stack, "button");
      message = g_strdup_printf (_("Could not create the sandbox: %s"), error->message);
      show_toast (self, message);
      return;
    }

  viv_sandbox_list_refresh_async (viv_accounts_get_sandboxes (self->accounts), NULL, NULL, NULL);
  if (VIV_IS_MAIN_WINDOW (parent))
    {
      /* Translators: %s is a sandbox id */
      message = g_strdup_printf (_("Sandbox %s created"), viv_sandbox_get_id (sandbox));
      viv_main_window_add_toast (VIV_MAIN_WINDOW (parent), message);
    }
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
create_clicked_cb (VivNewSandboxDialog *self)
{
  VivAccount *account = adw_combo_row_get_selected_item (self->account_row);
  g_autoptr (GHashTable) metadata = NULL;
  g_autoptr (GError) error = NULL;
  VivClient *client;
  const char *template_id;

  client = account ? viv_accounts_get_client (self->accounts, account) : NULL;
  if (client == NULL)
    {
      show_toast (self, _("This account is not connected"));
      return;
    }

  metadata = viv_new_sandbox_dialog_parse_metadata (gtk_editable_get_text (GTK_EDITABLE (self->metadata_row)),
                                                    &error);
  if (metadata == NULL)
    {
      show_toast (self, error->message);
      return;
    }

  template_id = gtk_editable_get_text (GTK_EDITABLE (self->template_row));
  gtk_stack_set_visible_child_name (self->create_stack, "spinner");
  viv_client_create_sandbox_async (client, *template_id ? template_id : NULL,
                                   (guint) gtk_spin_button_get_value_as_int (self->timeout_spin) * 60,
                                   metadata, NULL, FALSE, self->cancellable, created_cb,
                                   g_object_ref (self));
}

static void
viv_new_sandbox_dialog_dispose (GObject *object)
{
  VivNewSandboxDialog *self = VIV_NEW_SANDBOX_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), VIV_TYPE_NEW_SANDBOX_DIALOG);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->accounts);

  G_OBJECT_CLASS (viv_new_sandbox_dialog_parent_class)->dispose (object);
}

static void
viv_new_sandbox_dialog_class_init (VivNewSandboxDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = viv_new_sandbox_dialog_dispose;

  g_type_ensure (VIV_TYPE_ACCOUNT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/io/github/vivarium/Vivarium/viv-new-sandbox-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, VivNewSandboxDialog, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, VivNewSandboxDialog, create_stack);
  gtk_widget_class_bind_template_child (widget_class, VivNewSandboxDialog, account_row);
  gtk_widget_class_bind_template_child (widget_class, VivNewSandboxDialog, template_row);
  gtk_widget_class_bind_template_child (widget_class, VivNewSandboxDialog, timeout_spin);
  gtk_widget_class_bind_template_child (widget_class, VivNewSandboxDialog, metadata_row);
  gtk_widget_class_bind_template_callback (widget_class, create_clicked_cb);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
viv_new_sandbox_dialog_init (VivNewSandboxDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
}

VivNewSandboxDialog *
viv_new_sandbox_dialog_new (VivAccounts *accounts)
{
  VivNewSandboxDialog *self;

  g_return_val_if_fail (VIV_IS_ACCOUNTS (accounts), NULL);

  self = g_object_new (VIV_TYPE_NEW_SANDBOX_DIALOG, NULL);
  self->accounts = g_object_ref (accounts);
  adw_combo_row_set_model (self->account_row, viv_accounts_get_accounts (accounts));
  return self;
}
