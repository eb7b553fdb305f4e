/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "viv-application.h"
#include "viv-session-view-private.h"
#include "viv-main-window.h"

/* What the user does to the sandbox shown: take over and hand back, send
 * keys, screenshots, zoom and fullscreen, and its lifecycle. */

#define EXTEND_SECONDS (30 * 60)

static void
toast (VivSessionView *self,
       const char     *message)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (VIV_IS_MAIN_WINDOW (root))
    viv_main_window_add_toast (VIV_MAIN_WINDOW (root), message);
}

static void
acquired_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (VivSessionView) self = user_data;
  g_autoptr (GError) error = NULL;

  if (VIV_DESKTOP (object) != self->desktop)
    return;
  self->busy = FALSE;

  if (viv_desktop_acquire_takeover_finish (VIV_DESKTOP (object), result, &error))
    _viv_session_view_set_taken_over (self, TRUE, FALSE);
  else if (g_error_matches (error, VIV_ERROR, VIV_ERROR_NOT_FOUND))
    {
      /* No takeover endpoint: not our guest (E2B's own desktop template).
       * Input still works; only the agent cannot be told. */
      _viv_session_view_set_taken_over (self, TRUE, TRUE);
      toast (self, _("This sandbox does not run the Vivarium guest: your input is enabled, but the agent will not be told to wait"));
    }
  else
    viv_show_error (GTK_WIDGET (self), _("Could not take over"), error);

  _viv_session_view_update_actions (self);
}

static void
take_over_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  VivSessionView *self = VIV_SESSION_VIEW (widget);

  if (self->sandbox == NULL || self->taken_over || self->busy)
    return;

  self->busy = TRUE;
  _viv_session_view_update_actions (self);
  viv_desktop_acquire_takeover_async (self->desktop, self->holder, self->cancellable,
                                      acquired_cb, g_object_ref (self));
}

static void
released_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (GtkWidget) widget = user_data;
  g_autoptr (GError) error = NULL;

  if (!viv_desktop_release_takeover_finish (VIV_DESKTOP (object), result, &error))
    viv_show_error (widget, _("Could not hand back"), error);
}

/* Fire and forget: also used when the view moves to another sandbox, so it
 * does not depend on the view's cancellable. */
void
_viv_session_view_release_takeover (VivSessionView *self)
{
  if (self->sandbox == NULL || !self->taken_over || self->no_guest)
    return;

  viv_desktop_release_takeover_async (self->desktop, self->holder, NULL, released_cb,
                                      g_object_ref (self));
}

static void
hand_back_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  VivSessionView *self = VIV_SESSION_VIEW (widget);

  if (!self->taken_over)
    return;

  _viv_session_view_release_takeover (self);
  _viv_session_view_set_taken_over (self, FALSE, FALSE);
  _viv_session_view_update_actions (self);
}

static void
send_keys_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  VivSessionView *self = VIV_SESSION_VIEW (widget);
  g_auto (GStrv) names = g_strsplit (g_variant_get_string (parameter, NULL), "+", -1);
  g_autoptr (GArray) keyvals = g_array_new (FALSE, FALSE, sizeof (guint));

  for (guint i = 0; names[i] != NULL; i++)
    {
      guint keyval = gdk_keyval_from_name (names[i]);

      g_return_if_fail (keyval != GDK_KEY_VoidSymbol);
      g_array_append_val (keyvals, keyval);
    }

  if (!viv_display_view_send_keys (self->display_view, (const guint *) keyvals->data, keyvals->len))
    toast (self, _("The keys could not be sent: the desktop is not connected for input"));
}

static void
screenshot_saved_cb (GObject      *object,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr (VivSessionView) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!viv_display_view_save_screenshot_finish (VIV_DISPLAY_VIEW (object), result, &error))
    viv_show_error (GTK_WIDGET (self), _("Could not save the screenshot"), error);
  else
    toast (self, _("Screenshot saved"));
}

static void
save_chooser_response_cb (GtkNativeDialog *chooser,
                          int              response,
                          gpointer         user_data)
{
  g_autoptr (VivSessionView) self = user_data;
  g_autoptr (GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (chooser));
  if (file != NULL)
    viv_display_view_save_screenshot_async (self->display_view, file, NULL,
                                            screenshot_saved_cb, g_object_ref (self));
  gtk_native_dialog_destroy (chooser);
  g_object_unref (chooser);
}

static void
save_screenshot_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  VivSessionView *self = VIV_SESSION_VIEW (widget);
  GtkFileChooserNative *chooser;
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y-%m-%d %H-%M-%S");
  g_autofree char *name = NULL;
  g_autoptr (GtkFileFilter) filter = gtk_file_filter_new ();

  if (self->sandbox == NULL)
    return;

  /* The portal's file chooser under Flatpak: no file system access needed. */
  chooser = gtk_file_chooser_native_new (_("Save Screenshot"),
                                         GTK_WINDOW (gtk_widget_get_root (widget)),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), NULL);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  /* Translators: a file name; the first %s is a sandbox id, the second a date */
  name = g_strdup_printf (_("Sandbox %s %s.png"), viv_sandbox_get_id (self->sandbox), stamp);
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  gtk_file_filter_set_name (filter, _("PNG Images"));
  gtk_file_filter_add_mime_type (filter, "image/png");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_signal_connect (chooser, "response", G_CALLBACK (save_chooser_response_cb), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
copy_screenshot_action (GtkWidget  *widget,
                        const char *action_name,
                        GVariant   *parameter)
{
  VivSessionView *self = VIV_SESSION_VIEW (widget);
  g_autoptr (GdkTexture) texture = viv_display_view_get_screenshot (self->display_view);

  if (texture == NULL)
    return;
  gdk_clipboard_set_texture (gtk_widget_get_clipboard (widget), texture);
  toast (self, _("Screenshot copied"));
}

static void
fullscreen_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  GtkRoot *root = gtk_widget_get_root (widget);

  if (!GTK_IS_WINDOW (root))
    return;
  if (gtk_window_is_fullscreen (GTK_WINDOW (root)))
    gtk_window_unfullscreen (GTK_WINDOW (root));
  else
    gtk_window_fullscreen (GTK_WINDOW (root));
}

static void
paused_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (VivSessionView) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!viv_sandbox_pause_finish (VIV_SANDBOX (object), result, &error))
    viv_show_error (GTK_WIDGET (self), _("Could not pause"), error);
  _viv_session_view_update_actions (self);
}

static void
resumed_cb (GObject      *object,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_autoptr (VivSessionView) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!viv_sandbox_resume_finish (VIV_SANDBOX (object), result, &error))
    viv_show_error (GTK_WIDGET (self), _("Could not resume"), error);
  _viv_session_view_update_actions (self);
}

static void
extended_cb (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr (VivSessionView) self = user_data;
  g_autoptr (GError) error = NULL;

  if (!viv_sandbox_set_timeout_finish (VIV_SANDBOX (object), result, &error))
    viv_show_error (GTK_WIDGET (self), _("Could not extend the timeout"), error);
  else
    {
      toast (self, _("Timeout extended by 30 minutes"));
      viv_sandbox_refresh_async (VIV_SANDBOX (object), NULL, NULL, NULL);
    }
}

static void
killed_cb (GObject      *object,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr (VivSessionView) self = user_data;
  g_autoptr (GError) error = NULL;
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  if (!viv_sandbox_kill_finish (VIV_SANDBOX (object), result, &error))
    {
      viv_show_error (GTK_WIDGET (self), _("Could not kill the sandbox"), error);
      return;
    }

  toast (self, _("Sandbox killed"));
  if (VIV_IS_MAIN_WINDOW (root) && self->sandbox == VIV_SANDBOX (object))
    viv_main_window_show_overview (VIV_MAIN_WINDOW (root));
  /* The overview drops the tile at once rather than at the next poll. */
  viv_sandbox_list_refresh_async (viv_accounts_get_sandboxes (
                                    viv_application_get_accounts (VIV_APPLICATION_DEFAULT)),
                                  NULL, NULL, NULL);
}

static void
pause_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  VivSessionView *self = VIV_SESSION_VIEW (widget);

  viv_sandbox_pause_async (self->sandbox, NULL, paused_cb, g_object_ref (self));
}

static void
resume_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  VivSessionView *self = VIV_SESSION_VIEW (widget);

  viv_sandbox_resume_async (self->sandbox, 0, NULL, resumed_cb, g_object_ref (self));
}

static void
extend_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  VivSessionView *self = VIV_SESSION_VIEW (widget);
  GDateTime *end_at = viv_sandbox_get_end_at (self->sandbox);
  g_autoptr (GDateTime) now = g_date_time_new_now_utc ();
  gint64 left = end_at ? g_date_time_difference (end_at, now) / G_TIME_SPAN_SECOND : 0;

  /* The API sets the time to live from now, so add to what is left. */
  viv_sandbox_set_timeout_async (self->sandbox, (guint) (MAX (left, 0) + EXTEND_SECONDS), NULL,
                                 extended_cb, g_object_ref (self));
}

static void
kill_response_cb (AdwMessageDialog *dialog,
                  const char       *response,
                  gpointer          user_data)
{
  g_autoptr (VivSandbox) sandbox = user_data;
  VivSessionView *self = g_object_get_data (G_OBJECT (dialog), "session-view");

  if (g_strcmp0 (response, "kill") != 0)
    return;
  viv_sandbox_kill_async (sandbox, NULL, killed_cb, g_object_ref (self));
}

static void
kill_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  VivSessionView *self = VIV_SESSION_VIEW (widget);
  GtkWidget *dialog;

  if (self->sandbox == NULL)
    return;

  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)),
                                   _("Kill Sandbox?"), NULL);
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("Sandbox %s stops for good. Its processes and files are lost."),
                                  viv_sandbox_get_id (self->sandbox));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"),
                                    "kill", _("_Kill"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "kill",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "session-view", g_object_ref (self), g_object_unref);
  g_signal_connect (dialog, "response", G_CALLBACK (kill_response_cb), g_object_ref (self->sandbox));
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
toggle_panel_action (GtkWidget  *widget,
                     const char *action_name,
                     GVariant   *parameter)
{
  VivSessionView *self = VIV_SESSION_VIEW (widget);

  adw_flap_set_reveal_flap (self->flap, !adw_flap_get_reveal_flap (self->flap));
}

void
_viv_session_view_class_init_actions (GtkWidgetClass *widget_class)
{
  gtk_widget_class_install_action (widget_class, "session.take-over", NULL, take_over_action);
  gtk_widget_class_install_action (widget_class, "session.hand-back", NULL, hand_back_action);
  gtk_widget_class_install_action (widget_class, "session.send-keys", "s", send_keys_action);
  gtk_widget_class_install_action (widget_class, "session.save-screenshot", NULL,
                                   save_screenshot_action);
  gtk_widget_class_install_action (widget_class, "session.copy-screenshot", NULL,
                                   copy_screenshot_action);
  gtk_widget_class_install_action (widget_class, "session.fullscreen", NULL, fullscreen_action);
  gtk_widget_class_install_property_action (widget_class, "session.one-to-one", "one-to-one");
  gtk_widget_class_install_action (widget_class, "session.pause", NULL, pause_action);
  gtk_widget_class_install_action (widget_class, "session.resume", NULL, resume_action);
  gtk_widget_class_install_action (widget_class, "session.extend", NULL, extend_action);
  gtk_widget_class_install_action (widget_class, "session.kill", NULL, kill_action);
  gtk_widget_class_install_action (widget_class, "session.toggle-panel", NULL,
                                   toggle_panel_action);
}
